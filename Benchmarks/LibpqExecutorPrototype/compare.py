"""Run by run.sh: the prototype's three ways and pgbench, in an order that rotates each round."""
import os, re, statistics, subprocess, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "lib"))
from bench_db import pgbench
class A: pass
args = A(); args.work = os.environ["WORK"]; args.host = "127.0.0.1"; args.port = os.environ["PORT"]; args.user = "bench"; args.database = "bench"; args.seconds = float(os.environ.get("BENCH_SECONDS", "5"))
url = os.environ["URL"]; nb = os.path.join(here, ".build", "release", "NB"); pairs = int(os.environ.get("BENCH_PAIRS", "3"))
def proto(mode, c):
    def run():
        out = subprocess.run([nb, mode, url, str(c), str(args.seconds)], check=True, capture_output=True, text=True).stdout
        m = re.search(r"rate=([0-9.]+) user_us_per_op=([0-9.]+) sys_us_per_op=([0-9.]+)", out)
        return float(m.group(1)), f"{m.group(2)}u/{m.group(3)}s"
    return run
def pg(c):
    def run():
        # CPU of pgbench itself per op, from /usr/bin/time
        t0 = os.times(); r = pgbench(args, "select", c, True); t1 = os.times()
        return r, ""
    return run
for c in (1, 4):
    sides = [("thread", proto("thread", c)), ("epoll", proto("epoll", c)), ("loop", proto("loop", c)), ("pgbench", pg(c))]
    print(f"\nPK SELECT, {c} connection(s): thread hop | non-blocking + epoll thread | non-blocking on an event-loop task executor | pgbench", flush=True)
    rr = {n: [] for n in ("thread", "epoll", "loop")}
    for i in range(pairs):
        res = [None] * 4
        for step in range(4):
            pos = (i + step) % 4
            res[pos] = sides[pos][1]()
        g = res[3][0]
        line = f"  {i+1}"
        for k, name in enumerate(("thread", "epoll", "loop")):
            r, cpu = res[k]; rr[name].append(r / g)
            line += f"  {name} {r:8.1f} ({cpu}) {r/g:.2f}"
        print(line + f"  pgbench {g:8.1f}", flush=True)
    print("  medians vs pgbench: " + "  ".join(f"{n} {statistics.median(v):.2f}" for n, v in rr.items()), flush=True)
