"""Captures the SQL one API request runs, values included, from PostgreSQL's own statement log, and
turns it into a pgbench script: `scripts/bench api` runs it beside wrk so the server's rate is
compared with the database doing exactly the same work and nothing else."""
import os
import re
import subprocess

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] (LOG|DETAIL):  (.*)$")
PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def superuser(work, pg_port, sql):
    env = dict(os.environ, PGPASSWORD=open(os.path.join(work, "superuser.pw")).read().strip())
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
         "-d", "postgres", "-c", sql],
        env=env, check=True, capture_output=True,
    )


def statements(log_text):
    """(sql, {n: literal}) for each statement logged, in order."""
    entries = []  # [pid, kind, text]
    for line in log_text.splitlines():
        match = ENTRY.match(line)
        if match:
            entries.append([match.group(1), match.group(2), match.group(3)])
        elif line.startswith("\t") and entries:
            entries[-1][2] += "\n" + line[1:]
    result = []
    latest = {}  # pid -> that backend's latest statement: its DETAIL line follows it, maybe after others'
    for pid, kind, text in entries:
        if kind == "LOG":
            match = re.match(r"(?:execute [^:]+|statement): (.*)$", text, re.S)
            if match:
                result.append([match.group(1), {}])
                latest[pid] = result[-1]
        elif kind == "DETAIL" and text.startswith("parameters: ") and pid in latest:
            latest[pid][1] = {int(n): value for n, value in PARAMETER.findall(text)}
    return result


def substitute(sql, parameters):
    for number in sorted(parameters, reverse=True):
        sql = re.sub(rf"\${number}(?!\d)", lambda _: parameters[number], sql)
    return sql


def capture(work, pg_port, run_request):
    """Runs `run_request` with every statement logged and returns its statements as SQL text.

    The request runs once unlogged first, so the logged run is a steady-state one: work the server
    does at most every 30 or 60 seconds (refreshing a session's idle clock, rereading a cached key)
    is not charged to every pgbench transaction."""
    log = os.path.join(work, "postgres.log")
    run_request()
    superuser(work, pg_port, "ALTER SYSTEM SET log_statement = 'all'")
    superuser(work, pg_port, "SELECT pg_reload_conf()")
    start = os.path.getsize(log)
    run_request()
    superuser(work, pg_port, "ALTER SYSTEM RESET log_statement")
    superuser(work, pg_port, "SELECT pg_reload_conf()")
    with open(log) as f:
        f.seek(start)
        text = f.read()
    found = [substitute(sql, parameters) for sql, parameters in statements(text)]
    # Not the request's: the capture's own settings, and `haven serve`'s audit chaining pass.
    background = ("pg_reload_conf", "log_statement", "haven_audit_chain_pending")
    return [sql for sql in found if not any(name in sql for name in background)]


LITERAL = re.compile(r"'(?:[^']|'')*'")


def hide_colons(sql):
    """pgbench reads `:name` as a variable even inside a quoted literal ('couple:a30e…' became a second
    parameter): a literal holding a colon before a letter is spelled as a concatenation instead."""
    def spell(match):
        literal = match.group(0)
        if not re.search(r":[A-Za-z_]", literal):
            return literal
        return "(" + " || ':' || ".join(f"'{part}'" for part in literal[1:-1].split(":")) + ")"
    return LITERAL.sub(spell, sql)


def pgbench_script(sqls, replacements=(), header=()):
    """A pgbench script running `sqls` as one pipeline (the fewest round trips: generous to pgbench).
    `replacements` swap literal text (e.g. a new row's id) for an expression of pgbench variables."""
    lines = list(header) + ["\\startpipeline"]
    for sql in sqls:
        sql = hide_colons(sql)
        for old, new in replacements:
            sql = sql.replace(old, new)
        lines.append(sql.rstrip().rstrip(";") + ";")
    lines.append("\\endpipeline")
    return "\n".join(lines) + "\n"


def pgbench(work, pg_port, database_url, script_path, connections, seconds):
    """Runs pgbench as the application role; returns (tps, p50 ms, p99 ms, failed)."""
    match = re.match(r"postgresql://([^:]+):([^@]+)@[^/]+/(\w+)", database_url)
    user, password, database = match.groups()
    prefix = os.path.join(work, f"pgbench-{connections}")
    for name in os.listdir(work):
        if name.startswith(os.path.basename(prefix) + "."):
            os.remove(os.path.join(work, name))
    out = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", "2", "-T", str(seconds),
         "-f", script_path, "-l", "--log-prefix", prefix, "-h", "127.0.0.1", "-p", str(pg_port), "-U", user,
         database],
        env=dict(os.environ, PGPASSWORD=password), capture_output=True, text=True, cwd=work,
    )
    if out.returncode != 0:
        raise SystemExit(f"pgbench failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    out = out.stdout
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    latencies = []
    for name in os.listdir(work):
        if name.startswith(os.path.basename(prefix) + "."):
            with open(os.path.join(work, name)) as f:
                latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] / 1000 if latencies else float("nan")

    return tps, percentile(0.50), percentile(0.99), int(failed.group(1)) if failed else 0
