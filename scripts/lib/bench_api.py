"""Drives `scripts/bench api`: wrk on loopback against a release `haven serve` on the demo practice,
an authenticated GET of a couple's chart and a POST of a draft note, at 16 and 64 connections; beside
each, pgbench running the very SQL that request runs (captured from PostgreSQL's statement log, values
included) at the same concurrency. Prints requests per second, p50/p99 latency, errors, the ratio to
pgbench, and the server's RSS after every run and through a soak."""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from bench_sql_capture import capture, pgbench, pgbench_script


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
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{args.seconds}s", "--latency", "-s", script, url],
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


def serve(args, port, log_name, extra_env=None, binary=None):
    """Starts `haven serve` (16 pool connections; this build's unless `binary`) on `port` and waits
    until it is ready."""
    env = dict(os.environ, HAVEN_LOG_LEVEL="warning", **(extra_env or {}))
    server = subprocess.Popen(
        [binary or args.haven_bin, "serve", "--port", str(port), "--connections", "16"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(args.work, log_name), "w"),
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2)
            break
        except Exception:
            time.sleep(0.2)
    return server


def side_by_side(args, sides, couple, get_script, post_script, rounds=1):
    """The same requests against each server in `sides` ((label, base URL) pairs: connected directly
    with named statements, directly with unnamed ones, behind PgBouncer; or this build and another),
    one wrk run each per row, in an order that rotates from row to row; each side's rate over the
    first's. With `rounds`, every row runs that many times (the order still rotating)."""
    header = f"{'request':<24}{'conns':>6}"
    for label, _ in sides:
        header += f"   {label + ' req/s':>22}{'p50':>7}{'p99':>7}{'err':>4}"
    first = sides[0][0].split()[0]
    print(header + "".join(f" {label.split()[0] + '/' + first:>16}" for label, _ in sides[1:]))
    row = 0
    for name, path, script in (
        ("GET /v1/couples/{id}", f"/v1/couples/{couple}", get_script),
        ("POST /v1/notes (2 KiB)", "/v1/notes", post_script),
    ):
        for connections in [count for count in args.connections for _ in range(rounds)]:
            runs = [None] * len(sides)
            for step in range(len(sides)):
                index = (row + step) % len(sides)
                runs[index] = wrk(args, sides[index][1] + path, connections, script)
            row += 1
            line = f"{name:<24}{connections:>6}"
            for rate, p50, p99, errors in runs:
                line += f"   {rate:>22.1f}{p50:>7.2f}{p99:>7.2f}{errors:>4}"
            print(line + "".join(f" {run[0] / runs[0][0]:>16.2f}" for run in runs[1:]))
    print("last columns: each side's requests per second over the first side's")


def main():
    parser = argparse.ArgumentParser()
    for name in ("haven-bin", "work", "port", "pg-port"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--soak-rounds", type=int, default=6)
    parser.add_argument("--pooled-url", help="haven_app URL through PgBouncer: compare direct and pooled")
    parser.add_argument("--pooled-port", help="port for the `haven serve` behind PgBouncer")
    parser.add_argument("--unnamed-port", help="port for the `haven serve` with unnamed statements, direct")
    parser.add_argument("--before-bin", default="", help="another build of haven: compare the two, rotating")
    parser.add_argument("--before-port", help="port for the other build's `haven serve`")
    parser.add_argument("--connections", default="16,64", help="wrk connection counts, comma-separated")
    args = parser.parse_args()
    args.connections = [int(count) for count in args.connections.split(",")]
    base = f"http://127.0.0.1:{args.port}"
    server = serve(args, args.port, "serve.log")
    others = []
    try:
        if args.pooled_url:
            # The pooler setting alone (unnamed statements, direct), then PgBouncer's hop on top of it.
            others.append(serve(args, args.unnamed_port, "serve-unnamed.log", {"HAVEN_DATABASE_POOLER": "transaction"}))
            others.append(serve(args, args.pooled_port, "serve-pgbouncer.log",
                                {"HAVEN_DATABASE_URL": args.pooled_url, "HAVEN_DATABASE_POOLER": "transaction"}))
        elif args.before_bin:
            others.append(serve(args, args.before_port, "serve-before.log", binary=args.before_bin))
        password = open(os.path.join(args.work, "demo.pw")).read().strip()
        token = request(base, "/v1/auth/sessions", {"email": "dana@demo.haven", "password": password})["token"]
        couple = request(base, "/v1/couples", token=token)["items"][0]["id"]
        sessions = request(base, f"/v1/couples/{couple}/sessions", token=token)["items"]
        note = {"stage": 1, "step": 2, "interventions": ["tracking_the_cycle"],
                "body": "Fictional load-test note: tracked the cycle; reflected the fear under the anger. " * 24}
        # A completed session whose note is not signed yet: a signed note's author may not write
        # another on its session (409 signed-note-exists).
        for candidate in (s["id"] for s in sessions if s["status"] == "completed"):
            note["sessionId"] = candidate
            try:
                request(base, "/v1/notes", note, token=token)
                break
            except urllib.error.HTTPError as error:
                if error.code != 409:
                    raise
        else:
            sys.exit("no completed session of the demo couple takes another draft note")
        get_script = os.path.join(args.work, "get.lua")
        with open(get_script, "w") as f:
            f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        post_script = os.path.join(args.work, "post.lua")
        with open(post_script, "w") as f:
            f.write('wrk.method = "POST"\n')
            f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
            f.write('wrk.headers["Content-Type"] = "application/json"\n')
            f.write(f"wrk.body = {json.dumps(json.dumps(note))}\n")
        # Warm the pool, statement caches and key cache, then capture one request of each kind.
        for _ in range(20):
            request(base, f"/v1/couples/{couple}", token=token)
            request(base, "/v1/notes", note, token=token)
        if others:
            if args.before_bin:
                sides = [("this build", base), ("before", f"http://127.0.0.1:{args.before_port}")]
            else:
                sides = [("direct", base), ("unnamed direct", f"http://127.0.0.1:{args.unnamed_port}"),
                         ("PgBouncer", f"http://127.0.0.1:{args.pooled_port}")]
            for _, other in sides[1:]:
                for _ in range(20):
                    request(other, f"/v1/couples/{couple}", token=token)
                    request(other, "/v1/notes", note, token=token)
            side_by_side(args, sides, couple, get_script, post_script, rounds=3 if args.before_bin else 1)
            return
        get_sql = capture(args.work, args.pg_port, lambda: request(base, f"/v1/couples/{couple}", token=token))
        posted = {}
        post_sql = capture(args.work, args.pg_port, lambda: posted.update(request(base, "/v1/notes", note, token=token)))
        scripts = {}
        for name, sqls, header, replacements in (
            ("get", get_sql, (), ()),
            # Each run inserts a new note: its id becomes a random one per transaction.
            ("post", post_sql, ("\\set r random(1, 9223372036854775806)",), ((f"'{posted['id']}'", "md5(:r::text)::uuid"),)),
        ):
            path = os.path.join(args.work, f"{name}.sql")
            with open(path, "w") as f:
                f.write(pgbench_script(sqls, replacements, header))
            scripts[name] = path
            print(f"captured {name.upper()}: {len(sqls)} statements ({path})")
        database_url = os.environ["HAVEN_DATABASE_URL"]
        before = rss_kib(server.pid)
        print(f"server RSS after warm-up: {before / 1024:.1f} MiB")
        print(f"{'request':<30}{'conns':>6}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
              f"{'pgbench tps':>12}{'p50':>7}{'p99':>7}{'ratio':>7}{'RSS MiB':>9}")
        for label, url, script, sql in (
            ("GET /v1/couples/{id}", f"{base}/v1/couples/{couple}", get_script, scripts["get"]),
            ("POST /v1/notes (2 KiB)", f"{base}/v1/notes", post_script, scripts["post"]),
        ):
            for connections in args.connections:
                rate, p50, p99, errors = wrk(args, url, connections, script)
                rss = rss_kib(server.pid) / 1024
                tps, pg50, pg99, failed = pgbench(args.work, args.pg_port, database_url, sql, connections, args.seconds)
                print(f"{label:<30}{connections:>6}{rate:>9.1f}{p50:>8.2f}{p99:>8.2f}{errors:>7}"
                      f"{tps:>12.1f}{pg50:>7.2f}{pg99:>7.2f}{rate / tps:>7.2f}{rss:>9.1f}")
                if failed:
                    print(f"  pgbench: {failed} failed transactions")
        print("goals: ratio >= 0.7, p99 < 25 ms at 16 connections, zero errors, RSS flat")
        print(f"soak: {args.soak_rounds} rounds of GET then POST at 16 connections, {args.seconds} s each")
        samples = []
        for round_number in range(1, args.soak_rounds + 1):
            errors = 0
            for url, script in ((f"{base}/v1/couples/{couple}", get_script), (f"{base}/v1/notes", post_script)):
                errors += wrk(args, url, 16, script)[3]
            samples.append(rss_kib(server.pid) / 1024)
            print(f"  round {round_number}: RSS {samples[-1]:.1f} MiB, errors {errors}")
        if len(samples) >= 3:
            later = samples[len(samples) // 2:]
            growth = later[-1] - later[0]
            print(f"  RSS over the second half of the soak: {later[0]:.1f} -> {later[-1]:.1f} MiB ({growth:+.1f} MiB)")
    finally:
        for process in [server] + others:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
