"""Drives `scripts/bench audit`: one practice's audited transactions at 1, 16 and 64 clients with
durable commits, through the chain as migration 0063 appends (an append never waits for another's
commit; a busy chain lock leaves the entry pending for the lock's next holder) beside the append every
migration before it used (`haven_audit_write` as 0043 defined it: wait for the practice's lock, hold
it through the commit), in two databases of one server, interleaved pairs. Then chains what the runs
left pending and verifies the chain with `haven audit verify`."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = os.path.join(HERE, "..", "..", "sql", "migrations")


def psql(args, database, sql):
    return subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p", str(args.port), "-U",
         args.user, "-d", database, "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def before_definition():
    """`haven_audit_write`'s 13-argument form as migration 0043 created it (the lock waited for and
    held through the commit), from the migration file itself."""
    text = open(os.path.join(MIGRATIONS, "0043_partner_portal.sql")).read()
    match = re.search(r"CREATE FUNCTION haven_audit_write\(\s*practice uuid.*?partner uuid\s*\).*?\n\$\$;", text, re.S)
    if not match:
        sys.exit("bench_audit: 0043's haven_audit_write was not found")
    return match.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def pgbench(args, database, script, clients):
    out = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-h", args.host, "-p", str(args.port), "-U", args.user, "-c",
         str(clients), "-j", str(min(clients, 2)), "-T", str(args.seconds), "-f", script, database],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    for name in ("host", "user", "database", "work", "haven-bin", "owner-url"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()

    after, before = args.database, args.database + "_before"  # scripts/bench made the second as a copy
    psql(args, before, before_definition())
    practice = {}
    for database in (after, before):
        practice[database] = psql(args, database, "INSERT INTO practices (name) VALUES ('Bench Practice') RETURNING id")
    scripts = {}
    for database in (after, before):
        path = os.path.join(args.work, f"audit-{database}.sql")
        with open(path, "w") as f:
            f.write(
                "BEGIN;\n"
                f"SELECT seq FROM haven_audit_write('{practice[database]}'::uuid, NULL, '{{}}', false, 'bench', NULL, "
                "'note.read', 'note', gen_random_uuid(), '{}', 'success', NULL, NULL);\n"
                "COMMIT;\n"
            )
        scripts[database] = path

    def pending():
        return int(psql(args, after, f"SELECT count(*) FROM audit_log WHERE practice_id = '{practice[after]}' AND seq IS NULL"))

    print("| clients | before (0043: lock through commit), per s | after (0063), per s | after / before | after: pending at each run's end |")
    print("|---|---|---|---|---|")
    for clients in (1, 16, 64):
        rates = {after: [], before: []}
        ratios = []
        left = []
        for pair in range(args.pairs):
            order = (before, after) if pair % 2 == 0 else (after, before)
            for database in order:
                rates[database].append(pgbench(args, database, scripts[database], clients))
                if database == after:
                    left.append(pending())
            ratios.append(rates[after][-1] / rates[before][-1])
        print(
            f"| {clients} | {' / '.join(f'{r:,.0f}' for r in rates[before])} "
            f"| {' / '.join(f'{r:,.0f}' for r in rates[after])} "
            f"| **{statistics.median(ratios):.2f}** ({', '.join(f'{r:.2f}' for r in ratios)}) "
            f"| {' / '.join(f'{n:,}' for n in left)} |"
        )
        sys.stdout.flush()

    total = int(psql(args, after, f"SELECT count(*) FROM audit_log WHERE practice_id = '{practice[after]}'"))
    pending_now = pending()
    start = time.monotonic()
    psql(args, after, "SELECT haven_audit_chain_pending()")
    elapsed = (time.monotonic() - start) * 1000
    chained = pending_now - pending()
    print(f"\nafter the runs: {total:,} entries, {pending_now:,} still pending; the pass chained {chained:,} in {elapsed:.0f} ms")
    verify = subprocess.run(
        [args.haven_bin, "audit", "verify", "--practice", practice[after]],
        env=dict(os.environ, HAVEN_OWNER_DATABASE_URL=args.owner_url), capture_output=True, text=True,
    )
    print(f"haven audit verify: {(verify.stdout + verify.stderr).strip()}")
    if verify.returncode != 0 or f"Intact: {total} entries" not in verify.stdout:
        sys.exit("bench_audit: the chain does not verify with every entry")


if __name__ == "__main__":
    main()
