"""Drives `scripts/bench core`: a note written and read through NoteService (seal, insert, audit,
row-level security context, in the service's round trips) beside pgbench's bare single INSERT and
SELECT and two floors built on them (`beside_floor`), with synchronous_commit=off (CPU-bound; durable
commits vary too much here), rotating."""
import argparse
import os
import re
import subprocess
import sys

from bench_db import against_base, environment, pgbench


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
        0.5, args, lambda: service("note-write"), "insert", context_session(args, key_file),
    )
    beside_floor(
        "Reading a note vs bare primary-key SELECT, 1 connection, synchronous_commit=off (per second)",
        0.7, args, lambda: service("note-read"), "select", context_session(args, key_file),
    )
    seed(args, key_file)


def context_session(args, key_file):
    """A live counselor session's hash (hex) from `HavenBench context-session`, for the context floor (one
    per measure: a session lives an hour at most)."""
    result = subprocess.run(
        [args.bench_bin, "context-session", "--owner-url", args.url, "--app-url", args.app_url,
         "--key-file", key_file],
        env=environment(False), capture_output=True, text=True,
    )
    match = re.search(r"session_hash=([0-9a-f]{64})", result.stdout)
    if result.returncode != 0 or not match:
        sys.exit(f"HavenBench context-session failed: {result.stdout.strip()[-500:]} {result.stderr.strip()[-2000:]}")
    return match.group(1)


def beside_floor(title, goal, args, haven, script, session):
    """Haven's use case beside pgbench's bare statement and two floors. The *floor*: pgbench running the
    bare statement and one audit row in one transaction, the least any design that commits a request's
    audit entry with it must do (no context, no policies, no chain, one narrow table without indexes).
    The *context floor*: the same with the service's context opened first (`haven_open_context` as the
    app role: the session check and the context row that row-level security reads), the least a design
    that keeps the trust boundary's context per transaction must do. Each floor's ratio to the bare
    statement is the best such a design could reach; haven/context is what Haven spends beyond it."""
    against_base(title, goal, [
        ("haven", haven),
        ("context", lambda: pgbench(args, script, 1, False, audited=True, context=(args.app_url, session))),
        ("floor", lambda: pgbench(args, script, 1, False, audited=True)),
        ("pgbench", lambda: pgbench(args, script, 1, False)),
    ], args.pairs, "context")
    print("  context/pgbench and floor/pgbench: the best a design with the context, or with the audit row"
          " alone, reaches")


def before_after(args, service):
    """This HavenBench, the one given by --before-bin and pgbench: each one's ratio to pgbench and
    after/before, with medians."""
    for title, command, script in (
        ("Write-draft of a 2 KiB note, 1 connection, synchronous_commit=off (per second)", "note-write", "insert"),
        ("Reading a note, 1 connection (per second)", "note-read", "select"),
    ):
        against_base(title, None, [
            ("after", lambda c=command: service(c)),
            ("before", lambda c=command: service(c, args.before_bin)),
            ("pgbench", lambda s=script: pgbench(args, s, 1, False)),
        ], args.pairs, "before")


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
