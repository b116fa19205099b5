"""Drives `scripts/bench core`: a note written and read through NoteService (seal, insert, audit,
row-level security context, in the service's round trips) beside pgbench's bare single INSERT and
SELECT, with synchronous_commit=off (CPU-bound; durable commits vary too much here), interleaved."""
import argparse
import os
import re
import subprocess
import sys

from bench_db import environment, pgbench, three_sides


def main():
    parser = argparse.ArgumentParser()
    for name in ("url", "app-url", "host", "port", "user", "database", "bench-bin", "haven-bin", "work"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--before-bin", default="",
                        help="another HavenBench (e.g. main's, kept as a copy): run beside this one and pgbench")
    args = parser.parse_args()

    key_file = os.path.join(args.work, "master.key")
    subprocess.run([args.haven_bin, "keys", "init", "--key-file", key_file], check=True, capture_output=True)

    def service(command, binary=None):
        result = subprocess.run(
            [binary or args.bench_bin, command, "--owner-url", args.url, "--app-url", args.app_url, "--key-file", key_file,
             "--seconds", str(args.seconds)],
            env=environment(False), capture_output=True, text=True,
        )
        if result.returncode != 0:
            sys.exit(f"HavenBench {command} failed: {result.stderr.strip()[-2000:]}")
        out = result.stdout
        match = re.search(r"rate=([0-9.]+)", out)
        if not match:
            sys.exit(f"unexpected HavenBench output: {out}")
        return float(match.group(1))

    if args.before_bin:
        before_after(args, service)
        return
    beside_floor(
        "Write-draft of a 2 KiB note vs bare 2 KiB INSERT, 1 connection, synchronous_commit=off (per second)",
        0.5, args, lambda: service("note-write"), "insert",
    )
    beside_floor(
        "Reading a note vs bare primary-key SELECT, 1 connection, synchronous_commit=off (per second)",
        0.7, args, lambda: service("note-read"), "select",
    )
    seed(args, key_file)


def beside_floor(title, goal, args, haven, script):
    """Haven's use case, pgbench's bare statement and the *floor*: pgbench running the bare statement and
    one audit row in one transaction, the least any design that commits a request's audit entry with it
    must do (no context, no policies, no chain, one narrow table without indexes). The floor's own ratio to
    the bare statement is the best ratio such a design could reach."""
    medians = three_sides(title, args.pairs, [
        ("haven", haven),
        ("floor", lambda: pgbench(args, script, 1, False, audited=True)),
        ("pgbench", lambda: pgbench(args, script, 1, False)),
    ])
    verdict = "meets" if medians[0] >= goal else "BELOW"
    print(f"  goal haven/pgbench >= {goal}: {verdict}; floor/pgbench is the best any audited design reaches")


def before_after(args, service):
    """This HavenBench, the one given by --before-bin and pgbench: each one's ratio to pgbench and
    after/before, with medians."""
    for title, command, script in (
        ("Write-draft of a 2 KiB note, 1 connection, synchronous_commit=off (per second)", "note-write", "insert"),
        ("Reading a note, 1 connection (per second)", "note-read", "select"),
    ):
        three_sides(title, args.pairs, [
            ("after", lambda: service(command)),
            ("before", lambda: service(command, args.before_bin)),
            ("pgbench", lambda: pgbench(args, script, 1, False)),
        ])


def seed(args, key_file):
    """50 counselors, 2,000 couples, 100,000 completed sessions with notes (and 2,000 scheduled) through
    binary COPY; then one counselor's caseload list through the service, warm (goal: < 100 ms)."""
    result = subprocess.run(
        [args.bench_bin, "seed", "--owner-url", args.url, "--app-url", args.app_url, "--key-file", key_file],
        env=environment(False), capture_output=True, text=True,
    )
    if result.returncode != 0:
        sys.exit(f"HavenBench seed failed: {result.stderr.strip()[-2000:]}")
    print("\n== Bulk seed and caseload list (goal: list < 100 ms warm)")
    for line in result.stdout.splitlines():
        if line.startswith("RESULT"):
            print("  " + line[len("RESULT "):])
    match = re.search(r"median_ms=([0-9.]+)", result.stdout)
    if match:
        median = float(match.group(1))
        print(f"  caseload list median {median:.2f} ms: goal {'met' if median < 100 else 'MISSED'}")


if __name__ == "__main__":
    main()
