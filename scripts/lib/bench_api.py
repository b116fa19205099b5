"""Drives `scripts/bench api`: wrk on loopback against a release `haven serve` on the demo practice,
an authenticated GET of a couple's chart and a POST of a draft note, at 16 and 64 connections;
prints requests per second, p50/p99 latency, errors and the server's RSS before and after."""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def request(base, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    return json.load(urllib.request.urlopen(urllib.request.Request(base + path, data=data, headers=headers)))


def wrk(args, url, connections, script):
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{args.seconds}s", "--latency", "-s", script, url],
        check=True, capture_output=True, text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))

    def latency(label):
        match = re.search(rf"\s{label}%\s+([0-9.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        match = re.search(pattern, out)
        if match:
            errors += sum(int(group) for group in match.groups())
    return rate, latency("50"), latency("99"), errors


def main():
    parser = argparse.ArgumentParser()
    for name in ("haven-bin", "work", "port"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    env = dict(os.environ, HAVEN_LOG_LEVEL="warning")
    server = subprocess.Popen(
        [args.haven_bin, "serve", "--port", args.port, "--connections", "16"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(args.work, "serve.log"), "w"),
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/ready", timeout=2)
                break
            except Exception:
                time.sleep(0.2)
        password = open(os.path.join(args.work, "demo.pw")).read().strip()
        token = request(base, "/v1/sessions", {"email": "dana@demo.haven", "password": password})["token"]
        couple = request(base, "/v1/couples", token=token)["items"][0]["id"]
        sessions = request(base, f"/v1/couples/{couple}/sessions", token=token)["items"]
        session = next(s["id"] for s in sessions if s["status"] == "completed")
        note = {"sessionId": session, "stage": 1, "step": 2, "interventions": ["tracking_the_cycle"],
                "body": "Fictional load-test note: tracked the cycle; reflected the fear under the anger. " * 24}
        get_script = os.path.join(args.work, "get.lua")
        with open(get_script, "w") as f:
            f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        post_script = os.path.join(args.work, "post.lua")
        with open(post_script, "w") as f:
            f.write('wrk.method = "POST"\n')
            f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
            f.write('wrk.headers["Content-Type"] = "application/json"\n')
            f.write(f"wrk.body = {json.dumps(json.dumps(note))}\n")
        before = rss_kib(server.pid)
        print(f"{'request':<34}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for label, url, script in (
            ("GET /v1/couples/{id}", f"{base}/v1/couples/{couple}", get_script),
            ("POST /v1/notes (2 KiB draft)", f"{base}/v1/notes", post_script),
        ):
            for connections in (16, 64):
                rate, p50, p99, errors = wrk(args, url, connections, script)
                print(f"{label:<34}{connections:>6}{rate:>10.1f}{p50:>9.2f}{p99:>9.2f}{errors:>8}")
        after = rss_kib(server.pid)
        print(f"server RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
