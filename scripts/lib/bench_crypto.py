"""Drives `scripts/bench crypto`: Haven's Sealer beside the bare EVP call sequence and `openssl speed`."""
import argparse
import re
import statistics
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench-bin", required=True)
    args = parser.parse_args()

    # Three rounds, ours and openssl's alternating (this machine's speed drifts); medians reported.
    runs = {}
    openssl_runs = []
    scrypt = ""
    for _ in range(3):
        out = subprocess.run([args.bench_bin, "crypto"], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            match = re.match(r"RESULT (\S+) bytes=(\d+) ns=([0-9.]+) MBps=([0-9.]+)", line)
            if match:
                key = (match.group(1), int(match.group(2)))
                runs.setdefault(key, []).append((float(match.group(3)), float(match.group(4))))
            elif line.startswith("RESULT scrypt-verify"):
                scrypt = line
        speed = subprocess.run(
            ["openssl", "speed", "-evp", "aes-256-gcm", "-seconds", "2", "-bytes", "16384"],
            check=True, capture_output=True, text=True,
        ).stdout
        # Last line: "AES-256-GCM   123456.78k" (thousands of bytes per second).
        match = re.search(r"aes-256-gcm\s+([0-9.]+)k\s*$", speed.strip(), re.IGNORECASE)
        if match:
            openssl_runs.append(float(match.group(1)) / 1000)
    results = {
        key: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
        for key, values in runs.items()
    }
    openssl_mbps = statistics.median(openssl_runs) if openssl_runs else None

    print(f"{'operation':<14}{'size':>8}{'ns/op':>12}{'MB/s':>10}")
    for (name, size), (ns, mbps) in sorted(results.items(), key=lambda item: (item[0][1], item[0][0])):
        print(f"{name:<14}{size:>8}{ns:>12.0f}{mbps:>10.1f}")

    seal_2k = results[("seal", 2048)][0]
    raw_2k = results[("raw-evp-seal", 2048)][0]
    print(f"\n2 KiB seal / raw EVP sequence: {seal_2k / raw_2k:.2f}x (goal <= 2x: {'meets' if seal_2k / raw_2k <= 2 else 'BELOW'})")
    if openssl_mbps:
        for size in (16384, 65536):
            ours = results[("seal", size)][1]
            ratio = ours / openssl_mbps
            print(f"seal at {size // 1024} KiB: {ours:.0f} MB/s vs openssl speed 16 KiB {openssl_mbps:.0f} MB/s (medians of 3): "
                  f"{ratio:.2f}x (goal >= 0.8x: {'meets' if ratio >= 0.8 else 'BELOW'})")
    print(scrypt.replace("RESULT ", ""))
    print(f"2 KiB seal: {seal_2k / 1000:.1f} us (compare with one note write; see docs/benchmarks.md)")


if __name__ == "__main__":
    main()
