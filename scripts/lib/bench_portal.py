#!/usr/bin/python3
"""`scripts/bench portal`: the partner portal's numbers (issue #16).

1. Pages: 32 fictional couples on Dana's caseload, each with a completed session, a joint homework
   item and a session booked ahead; each partner invited on the chart's page and accepted on the
   invitation's page as a partner would (64 partner accounts, each signed in with its own cookie). Then
   the portal's home page and a homework answer page: sequential requests (one partner at a time,
   median and p99 of the answer time on loopback) and wrk at 64 connections, each request as the next
   of the 64 partners in turn (requests per second, median and p99; any answer other than 200 counts
   as an error, so a session that lapsed cannot pass as a fast redirect).
2. The outbox: 500 more joint assignments queue 1,000 "new item" messages (one per partner each);
   `haven notify run` sends them through the local SMTP server (scripts/lib/smtp_sink.py). Prints
   messages per second, and checks that the server received exactly one message per `sent` row: per
   recipient, the messages stored equal the rows marked sent (a row sent twice would show as one more).

Run by scripts/bench (release build, a private PostgreSQL, the demo practice seeded, the SMTP sink
started); needs wrk.
"""
import argparse
import collections
import email
import glob
import json
import os
import re
import statistics
import subprocess
import time
import urllib.parse
import urllib.request

from bench_web import Browser, api, browser_session

PARTNERS_PER_RUN = 64


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def seed_couples(base, token, count):
    """`count` couples, each with a completed session, a joint assignment and a session booked ahead.
    Returns [(couple, partner ids, assignment)]."""
    prompts = api(base, "/v1/homework/prompts?limit=200", token)["items"]
    joint = next(p for p in prompts if p["joint"])
    today = time.strftime("%Y-%m-%d")
    due = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 10 * 86400))
    couples = []
    for number in range(count):
        a = api(base, "/v1/clients", token, {"legalName": "Fictional Portal A%d" % number, "intakeDate": today})["id"]
        b = api(base, "/v1/clients", token, {"legalName": "Fictional Portal B%d" % number, "intakeDate": today})["id"]
        couple = api(base, "/v1/couples", token, {"partnerAId": a, "partnerBId": b, "startDate": today})["id"]
        # Sessions at distinct times (the calendar refuses overlaps): yesterday's, completed, and one
        # eight days ahead.
        past = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(time.time() - 86400 - number * 3600))
        session = api(base, "/v1/therapy-sessions", token,
                      {"coupleId": couple, "start": past, "durationMinutes": 50, "format": "in_person"})["id"]
        api(base, "/v1/therapy-sessions/%s/status" % session, token, {"status": "completed"})
        ahead = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(time.time() + 8 * 86400 + number * 3600))
        api(base, "/v1/therapy-sessions", token,
            {"coupleId": couple, "start": ahead, "durationMinutes": 50, "format": "in_person"})
        assignment = api(base, "/v1/homework/assignments", token,
                         {"promptId": joint["id"], "coupleId": couple, "sessionId": session, "dueOn": due})["id"]
        couples.append((couple, (a, b), assignment, session, joint["id"], due))
    return couples


def invite_and_accept(base, counselor, couple, client, number):
    """The counselor invites `client` by email on the chart's page (the server has no mail configured,
    so the page shows the link to pass on); the partner opens it and sets a passphrase on its page,
    then signs in. Links, not codes: codes are answered at most 100 tries per 10 minutes across the
    database (docs/portal.md), and 64 acceptances take two tries each. Returns the signed-in browser."""
    address = "bench-partner-%d@example.org" % number
    page = counselor.open(base + "/couples/" + couple).read().decode()
    form = urllib.parse.urlencode({"csrf": csrf_of(page), "client": client, "how": "email", "email": address}).encode()
    answer = counselor.open(base + "/couples/%s/portal/invite" % couple, data=form)
    body = answer.read().decode()
    assert answer.status == 201, answer.status
    link = re.search(r'<code class="secret">([^<]+)</code>', body).group(1)
    path = urllib.parse.urlparse(link).path
    partner = Browser()
    page = partner.open(base + path).read().decode()
    passphrase = "fictional bench passphrase %d" % number
    form = urllib.parse.urlencode({"csrf": csrf_of(page), "email": address, "passphrase": passphrase,
                                   "confirm": passphrase}).encode()
    answer = partner.open(base + path, data=form)
    text = answer.read().decode()
    assert answer.status == 303, (number, answer.status, re.findall(r'role="alert"[^>]*>([^<]*)', text))
    if "__Host-haven-portal" not in partner.cookies:
        page = partner.open(base + "/portal/sign-in").read().decode()
        form = urllib.parse.urlencode({"csrf": csrf_of(page), "email": address, "passphrase": passphrase}).encode()
        answer = partner.open(base + "/portal/sign-in", data=form)
        assert answer.status == 303 and "__Host-haven-portal" in partner.cookies, answer.status
    home = partner.open(base + "/portal")
    assert home.status == 200 and b"Fictional" not in home.read(), home.status
    return partner


def sequential(partners, base, paths, count):
    """One request at a time, each as the next partner; (median, p99) in ms."""
    samples = []
    for index in range(count + 20):
        browser = partners[index % len(partners)]
        started = time.perf_counter()
        answer = browser.open(base + paths[index % len(partners)])
        answer.read()
        assert answer.status == 200, answer.status
        if index >= 20:
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


WRK_SCRIPT = """
local partners = %s
local threads = {}
local counter = 1
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  next_index = offset
end
function request()
  local p = partners[(next_index %% #partners) + 1]
  next_index = next_index + 2
  return wrk.format("GET", p.path, {["Cookie"] = p.cookie})
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("RESULT requests=%%d bad=%%d p50=%%.3f p99=%%.3f\\n", summary.requests, total,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def lua_table(partners, paths):
    rows = []
    for browser, path in zip(partners, paths):
        cookie = "; ".join("%s=%s" % item for item in browser.cookies.items())
        rows.append('{path=%s, cookie=%s}' % (json.dumps(path), json.dumps(cookie)))
    return "{" + ", ".join(rows) + "}"


def wrk(work, base, partners, paths, seconds, connections):
    script = os.path.join(work, "portal.lua")
    with open(script, "w") as handle:
        handle.write(WRK_SCRIPT % lua_table(partners, paths))
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", "%ds" % seconds, "-s", script, base],
                         check=True, capture_output=True, text=True).stdout
    result = dict(re.findall(r"(\w+)=([0-9.]+)", out.split("RESULT", 1)[1]))
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    errors = int(result["bad"])
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(group) for group in socket.groups())
    return rate, float(result["p50"]), float(result["p99"]), errors


def owner_sql(sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                           os.environ["HAVEN_OWNER_DATABASE_URL"], "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def outbox(args, base, token, couples):
    """Queues 1,000 "new item" messages through 500 joint assignments and sends them."""
    owner_sql("UPDATE notification_outbox SET state = 'skipped', finished_at = now(), last_error = 'bench' "
              "WHERE state = 'pending'")
    for number in range(500):
        couple, _, _, session, prompt, due = couples[number % len(couples)]
        api(base, "/v1/homework/assignments", token,
            {"promptId": prompt, "coupleId": couple, "sessionId": session, "dueOn": due})
    queued = int(owner_sql("SELECT count(*) FROM notification_outbox WHERE state = 'pending' AND due_at <= now()"))
    before = set(glob.glob(os.path.join(os.environ["HAVEN_TEST_SMTP_DIR"], "*.eml")))
    env = dict(os.environ, HAVEN_MAIL="smtp://127.0.0.1:%s" % os.environ["HAVEN_TEST_SMTP_PORT"],
               HAVEN_MAIL_STARTTLS="never", HAVEN_MAIL_FROM="noreply@harbor.example", HAVEN_LOG_LEVEL="warning")
    started = time.perf_counter()
    out = subprocess.run([args.haven_bin, "notify", "run", "--limit", "2000", "--portal-url", base + "/portal"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    elapsed = time.perf_counter() - started
    arrived = sorted(set(glob.glob(os.path.join(os.environ["HAVEN_TEST_SMTP_DIR"], "*.eml"))) - before)
    received = collections.Counter()
    for path in arrived:
        with open(path, "rb") as handle:
            received[email.message_from_binary_file(handle)["To"].strip().strip("<>").lower()] += 1
    sent = collections.Counter()
    for line in owner_sql("SELECT a.email, count(*) FROM notification_outbox o JOIN partner_accounts a "
                          "ON a.id = o.account_id WHERE o.state = 'sent' GROUP BY a.email").splitlines():
        address, count = line.split("|")
        sent[address] = int(count)
    return queued, len(arrived), sum(sent.values()), elapsed, out, received == sent


def main():
    parser = argparse.ArgumentParser()
    for name in ("haven-bin", "work", "port"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    base = "http://127.0.0.1:%s" % args.port
    password = open(os.path.join(args.work, "demo.pw")).read().strip()
    server = subprocess.Popen([args.haven_bin, "serve", "--port", args.port, "--connections", "16"],
                              env=dict(os.environ, HAVEN_LOG_LEVEL="warning"), stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(args.work, "serve.log"), "w"))
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/ready", timeout=2)
                break
            except Exception:
                time.sleep(0.2)
        token = json.load(urllib.request.urlopen(urllib.request.Request(
            base + "/v1/auth/sessions", data=json.dumps({"email": "dana@demo.haven", "password": password}).encode(),
            headers={"Content-Type": "application/json"}), timeout=30))["token"]
        started = time.perf_counter()
        couples = seed_couples(base, token, PARTNERS_PER_RUN // 2)
        counselor = browser_session(base, "dana@demo.haven", password)
        partners, answer_paths = [], []
        for index, (couple, clients, assignment, *_rest) in enumerate(couples):
            for side, client in enumerate(clients):
                partners.append(invite_and_accept(base, counselor, couple, client, index * 2 + side))
                answer_paths.append("/portal/homework/" + assignment)
        print("seeded in %.1f s: %d couples, %d partners invited, accepted and signed in"
              % (time.perf_counter() - started, len(couples), len(partners)))
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", os.environ["HAVEN_OWNER_DATABASE_URL"],
                        "-c", "SET client_min_messages = error", "-c", "VACUUM ANALYZE"],
                       check=True, stdout=subprocess.DEVNULL)
        print("%-30s%10s%10s%12s%10s%10s%8s" % ("page", "1 p50 ms", "1 p99 ms", "64: req/s", "p50 ms", "p99 ms",
                                              "errors"))
        for label, paths in (("home /portal", ["/portal"] * len(partners)),
                             ("answer /portal/homework/{id}", answer_paths)):
            p50, p99 = sequential(partners, base, paths, args.requests)
            rate, c50, c99, errors = wrk(args.work, base, partners, paths, args.seconds, len(partners))
            print("%-30s%10.2f%10.2f%12.0f%10.2f%10.2f%8d" % (label, p50, p99, rate, c50, c99, errors))
        print("(1: sequential requests, each as the next partner, %d after 20 warm-up; 64: wrk %d s, 64 connections,"
              " each request as the next of the 64 partners; answer times on loopback)" % (args.requests, args.seconds))
        queued, arrived, sent, elapsed, summary, matched = outbox(args, base, token, couples)
        print("outbox: %d messages due; `haven notify run`: %s in %.1f s = %.0f messages/s; the SMTP server stored"
              " %d; sent rows %d; one stored message per sent row, per recipient: %s"
              % (queued, summary, elapsed, arrived / elapsed if elapsed else 0, arrived, sent,
                 "yes" if matched and arrived == sent else "NO"))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
