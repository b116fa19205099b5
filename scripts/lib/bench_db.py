"""Drives `scripts/bench db`: Haven's Postgres layer beside pgbench and postgres-nio, runs interleaved.

Disk fsync latency on these machines varies a lot from run to run, so every comparison alternates
its sides (A B, then B A; more sides rotate), prints every number of each round, the ratios per round
and the median ratios. postgres-nio (Benchmarks/PeerPostgresNIO, named prepared statements as pgbench
-M prepared) runs the same primary-key SELECT and 2 KiB INSERT, a second reference from Swift.
Haven's layer runs two ways: a task per checkout, and each worker beside its connection
(`ConnectionPool.withAffinity`, as a pgbench client keeps a connection of its own).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

PAYLOAD_HEX = "".join(f"{(i * 7) & 0xFF:02x}" for i in range(2048))


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("url", "host", "port", "user", "database", "bench-bin", "haven-bin", "work"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--peer-bin", help="PeerPostgresNIO (postgres-nio) binary; its column is left out without it")
    p.add_argument("--static-haven-bin", default="",
                   help="haven built as shipped (--static-swift-stdlib); its cold start is measured too")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--pairs", type=int, default=3)
    return p.parse_args()


def environment(durable):
    env = dict(os.environ)
    if not durable:
        env["PGOPTIONS"] = "-c synchronous_commit=off"
    return env


def ours(args, command, connections, durable, extra=()):
    out = subprocess.run(
        [args.bench_bin, command, "--url", args.url, "--connections", str(connections),
         "--seconds", str(args.seconds), *extra],
        env=environment(durable), check=True, capture_output=True, text=True,
    ).stdout
    match = re.search(r"rate=([0-9.]+)", out)
    if not match:
        sys.exit(f"unexpected HavenBench output: {out}")
    return float(match.group(1))


def peer(args, command, connections, durable):
    out = subprocess.run(
        [args.peer_bin, command, "--host", args.host, "--port", str(args.port), "--user", args.user,
         "--database", args.database, "--connections", str(connections), "--seconds", str(args.seconds)],
        env=environment(durable), check=True, capture_output=True, text=True,
    ).stdout
    match = re.search(r"rate=([0-9.]+)", out)
    if not match:
        sys.exit(f"unexpected PeerPostgresNIO output: {out}")
    return float(match.group(1))


# One audit row as `bench core`'s floor writes it beside the bare statement (table made by scripts/bench).
AUDIT_ROW = ("INSERT INTO bench_audit (action, entity_id, client_ids) "
             "VALUES ('note.read', gen_random_uuid(), ARRAY[gen_random_uuid(), gen_random_uuid()]);\n")


def pgbench(args, script, connections, durable, audited=False, context=None):
    """pgbench -M prepared running the bare INSERT or SELECT; with `audited`, in one transaction with one
    audit row, sent as one pipeline (one round trip, as Haven sends a use case). `context` (the app
    role's URL and a live session's hash in hex) adds the service's context, `haven_open_context`,
    first in that transaction, run as the app role."""
    path = os.path.join(args.work, f"{script}{'-audited' if audited else ''}{'-context' if context else ''}.sql")
    with open(path, "w") as f:
        if script != "insert":
            f.write("\\set id random(1, 10000)\n")
        if audited:
            f.write("\\startpipeline\nBEGIN;\n")
        if context:
            f.write("SELECT 1 FROM haven_open_context(:session::bytea, false, 'bench', 'bench-context-floor');\n")
        if script == "insert":
            f.write("INSERT INTO bench_rows (payload) VALUES (:payload::bytea);\n")
        else:
            f.write("SELECT payload FROM bench_rows WHERE id = :id;\n")
        if audited:
            f.write(AUDIT_ROW + "COMMIT;\n\\endpipeline\n")
    target = ["-h", args.host, "-p", str(args.port), "-U", args.user, args.database]
    variables = ["-D", f"payload=\\x{PAYLOAD_HEX}"]
    if context:
        url, session = context
        target = [url]
        variables += ["-D", f"session=\\x{session}"]
    result = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", str(connections),
         "-T", str(int(args.seconds)), "-f", path, *variables, *target],
        env=environment(durable), capture_output=True, text=True,
    )
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if result.returncode != 0 or not match:
        sys.exit(f"unexpected pgbench output: {result.stdout}\n{result.stderr}")
    return float(match.group(1))


def compare(title, goal, left_name, left, right_name, right, pairs):
    print(f"\n{title}")
    print(f"  {'pair':>4}  {left_name:>14}  {right_name:>14}  {'ratio':>6}")
    ratios = []
    for index in range(pairs):
        # A B, then B A: neither side always runs second.
        if index % 2 == 0:
            a = left()
            b = right()
        else:
            b = right()
            a = left()
        ratios.append(a / b)
        print(f"  {index + 1:>4}  {a:>14.1f}  {b:>14.1f}  {a / b:>6.2f}")
    median = statistics.median(ratios)
    verdict = "meets" if median >= goal else "BELOW"
    print(f"  median ratio {median:.2f} (goal >= {goal}: {verdict})")
    return {"title": title, "ratios": ratios, "median": median, "goal": goal}


def rotating_rounds(runs, pairs):
    """Runs every side once per round, in an order that rotates each round (no side always first or
    last); yields each round's rates in the order of `runs`."""
    for index in range(pairs):
        rates = [0.0] * len(runs)
        for step in range(len(runs)):
            position = (index + step) % len(runs)
            rates[position] = runs[position]()
        yield index, rates


def against_base(title, goal, sides, pairs, versus=None):
    """Every side of `sides` (`(name, run)` pairs, the base last) in an order that rotates each round;
    prints every round's rates, each side over the base and the first side over `versus` (another side's
    name), then their medians. The goal, when given, applies to the first side (what the issue measures)
    and is shown for every Haven side."""
    names = [name for name, _ in sides]
    base = names[-1]
    ratio_names = [f"{name}/{base}" for name in names[:-1]]
    if versus:
        ratio_names.append(f"{names[0]}/{versus}")
    columns = names + ratio_names
    widths = [max(9, len(column)) for column in columns]
    print(f"\n{title}")
    print(f"  {'round':>5}" + "".join(f"  {column:>{width}}" for column, width in zip(columns, widths)))
    ratios = [[] for _ in ratio_names]
    for index, rates in rotating_rounds([run for _, run in sides], pairs):
        round_ratios = [rate / rates[-1] for rate in rates[:-1]]
        if versus:
            round_ratios.append(rates[0] / rates[names.index(versus)])
        for values, ratio in zip(ratios, round_ratios):
            values.append(ratio)
        cells = [f"{rate:.1f}" for rate in rates] + [f"{ratio:.2f}" for ratio in round_ratios]
        print(f"  {index + 1:>5}" + "".join(f"  {cell:>{width}}" for cell, width in zip(cells, widths)))
    medians = [statistics.median(values) for values in ratios]
    print("  medians: " + ", ".join(f"{column} {median:.2f}" for column, median in zip(ratio_names, medians)))
    if goal is not None:
        for name, median in zip(ratio_names, medians):
            if name.startswith("haven") and name.endswith(f"/{base}"):
                print(f"  goal {name} >= {goal}: {'meets' if median >= goal else 'BELOW'}")
    return {"title": title, "ratios": medians, "median": medians[0], "goal": goal}


def reference_comparison(args, title, goal, command, connections, durable, pgbench_run):
    """Haven's layer two ways (a task per checkout, as most callers; a task beside its connection,
    `ConnectionPool.withAffinity`, as a pgbench client keeps its own), postgres-nio when its binary was built,
    and pgbench."""
    sides = [
        ("haven", lambda: ours(args, command, connections, durable)),
        ("haven-beside", lambda: ours(args, command, connections, durable, ("--affinity",))),
    ]
    if args.peer_bin:
        sides.append(("postgres-nio", lambda: peer(args, command, connections, durable)))
    sides.append(("pgbench", pgbench_run))
    return against_base(title, goal, sides, args.pairs, "postgres-nio" if args.peer_bin else None)


def main():
    args = parse_args()
    summary = []
    for durable in (True, False):
        mode = "durable commits" if durable else "synchronous_commit=off"
        for connections in (1, 4):
            summary.append(reference_comparison(
                args, f"INSERT 2 KiB bytea, {connections} connection(s), {mode} (tx/s)", 0.9,
                "insert", connections, durable,
                lambda c=connections, d=durable: pgbench(args, "insert", c, d),
            ))
    for connections in (1, 4):
        summary.append(reference_comparison(
            args, f"Primary-key SELECT, {connections} connection(s) (queries/s)", 0.9,
            "select", connections, True,
            lambda c=connections: pgbench(args, "select", c, True),
        ))
    for durable in (False, True):
        mode = "durable commits" if durable else "synchronous_commit=off"
        summary.append(compare(
            f"Ten INSERTs in one transaction, 1 connection, {mode} (tx/s)", 2.5,
            "pipelined", lambda d=durable: ours(args, "transaction", 1, d, ("--pipelined",)),
            "plain", lambda d=durable: ours(args, "transaction", 1, d),
            args.pairs,
        ))

    cold_start(args)


def cold_start(args):
    """`haven --version` with hyperfine: the shipped (static) build when given, and the dynamic one."""
    print("\n`haven --version` cold start (hyperfine, 100 runs each, one after the other)")
    binaries = [("as shipped (--static-swift-stdlib, the Dockerfile's build)", args.static_haven_bin),
                ("dynamic (swift build -c release)", args.haven_bin)]
    for label, binary in binaries:
        if not binary:
            continue
        export = os.path.join(args.work, "hyperfine.json")
        subprocess.run(
            ["hyperfine", "--warmup", "10", "--runs", "100", "-N", "--export-json", export, f"{binary} --version"],
            check=True, capture_output=True, text=True,
        )
        with open(export) as f:
            result = json.load(f)["results"][0]
        mean_ms = result["mean"] * 1000
        print(f"  {label}: mean {mean_ms:.1f} ms, median {result['median'] * 1000:.1f} ms, "
              f"min {result['min'] * 1000:.1f} ms (goal < 30 ms: {'meets' if mean_ms < 30 else 'BELOW'})")


if __name__ == "__main__":
    main()
