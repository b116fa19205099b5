#!/usr/bin/python3
"""`scripts/bench web`: the counselor web app's pages under a counselor with 40 couples, one of them
with 200 sessions (issue #15's numbers). Prints, for the caseload page and that couple's chart: the
server's answer time on loopback (sequential requests after a warm-up: median and p99), the page
weight (HTML plus the stylesheets and scripts it loads) and the time to interactive in headless
Chromium (Navigation Timing's domInteractive, median of 10 loads), and every request the page made
that left the origin (goal: none). Goals: chart page < 30 ms median, page weight < 150 KB.

Run by scripts/bench (release build, a private PostgreSQL, the demo practice seeded); needs Debian's
chromium, chromium-driver and python3-selenium for the last column.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import time
import urllib.parse
import urllib.request


def api(base, path, token, body=None, headers=None):
    request = urllib.request.Request(
        base + path, data=None if body is None else json.dumps(body).encode(),
        headers=dict({"Authorization": "Bearer " + token, "Content-Type": "application/json"}, **(headers or {})),
        method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def seed(base, token, couples_wanted, sessions_wanted):
    """Tops Dana's caseload up to `couples_wanted` couples; opens one couple with `sessions_wanted`
    completed weekly sessions, each with a note as a chart of that age holds them: signed (each opened
    for its integrity check when the chart is read), all but the last four; a CSI-4 of each partner
    every fourth session. Returns that couple's id."""
    have = len(api(base, "/v1/couples?limit=200", token)["items"])
    def client(name, intake):
        return api(base, "/v1/clients", token, {"legalName": name, "intakeDate": intake})["id"]
    def couple(a, b, start):
        return api(base, "/v1/couples", token, {"partnerAId": a, "partnerBId": b, "startDate": start})["id"]
    for number in range(max(0, couples_wanted - have - 1)):
        couple(client("Fictional Bench A%d" % number, "2025-01-06"), client("Fictional Bench B%d" % number, "2025-01-06"),
               "2025-01-06")
    partners = [client("Fictional Long A", "2021-01-04"), client("Fictional Long B", "2021-01-04")]
    big = couple(partners[0], partners[1], "2021-01-04")
    start = time.mktime(time.strptime("2021-01-05 15:00", "%Y-%m-%d %H:%M"))
    for week in range(sessions_wanted):
        at = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(start + week * 7 * 86400))
        session = api(base, "/v1/therapy-sessions", token,
                      {"coupleId": big, "start": at, "durationMinutes": 50, "format": "in_person"})["id"]
        api(base, "/v1/therapy-sessions/%s/status" % session, token, {"status": "completed"})
        note = api(base, "/v1/notes", token, {"sessionId": session, "stage": 1, "step": 2, "riskLevel": "none",
                                              "interventions": ["tracking_the_cycle"],
                                              "body": "Fictional bench note: tracked the cycle. " * 20})
        if week < sessions_wanted - 4:
            api(base, "/v1/notes/%s/sign" % note["id"], token, {}, headers={"If-Match": '"1"'})
        if week % 4 == 0:
            for index, partner in enumerate(partners):
                items = [3 + (week // 4 + index) % 3, 2, 3, 2 + (week // 8) % 2]
                api(base, "/v1/clients/%s/measures" % partner, token,
                    {"code": "CSI-4", "administeredOn": at[:10], "items": items, "sessionId": session})
    return big


class Browser:
    """A cookie jar that keeps `Secure` cookies on http://127.0.0.1 as Chromium does (Python's
    cookiejar drops them), and does not follow redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = {}
        self.opener = urllib.request.build_opener(Browser.NoRedirect)

    def open(self, url, data=None, timeout=30):
        headers = {"Cookie": "; ".join("%s=%s" % item for item in self.cookies.items())}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = self.opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


def browser_session(base, email, password):
    """Signs in through the sign-in form as a browser would; returns the browser holding the cookie."""
    browser = Browser()
    page = browser.open(base + "/sign-in").read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "email": email, "password": password}).encode()
    answer = browser.open(base + "/sign-in", data=form)
    assert answer.status == 303 and "__Host-haven-session" in browser.cookies, answer.status
    return browser


def timed(opener, url, warm, count):
    for _ in range(warm):
        answer = opener.open(url, timeout=30)
        assert answer.status == 200, (url, answer.status)
        answer.read()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        body = opener.open(url, timeout=30).read()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1], body


def weight(opener, base, html):
    total = len(html)
    for asset in sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', html))):
        total += len(opener.open(base + asset.decode(), timeout=30).read())
    return total


def interactive(base, email, password, paths):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        return {path: None for path in paths}
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    results = {}
    try:
        driver.get(base + "/sign-in")
        driver.find_element(By.ID, "email").send_keys(email)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]").click()
        time.sleep(1)
        for path in paths:
            samples = []
            driver.get_log("performance")
            for _ in range(10):
                driver.get(base + path)
                samples.append(driver.execute_script(
                    "var t = performance.getEntriesByType('navigation')[0]; return t.domInteractive;"))
            foreign = []
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message.get("method") == "Network.requestWillBeSent":
                    url = message["params"]["request"]["url"]
                    if not url.startswith(base) and not url.startswith("data:"):
                        foreign.append(url)
            results[path] = (statistics.median(samples), foreign)
    finally:
        driver.quit()
    return results


def main():
    parser = argparse.ArgumentParser()
    for name in ("haven-bin", "work", "port"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    base = "http://127.0.0.1:%s" % args.port
    password = open(os.path.join(args.work, "demo.pw")).read().strip()
    server = subprocess.Popen([args.haven_bin, "serve", "--port", args.port],
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
        big = seed(base, token, 40, 200)
        couples = len(api(base, "/v1/couples?limit=200", token)["items"])
        print("seeded through the API in %.1f s: %d couples for Dana, one with 200 completed sessions and notes"
              % (time.perf_counter() - started, couples))
        # What autovacuum does within a minute of a bulk load: without statistics the planner reads the
        # just-seeded tables badly (the chart's JSON read measured 42.6 ms before, 18.5 ms after), and a
        # practice's database is measured in its steady state, not in its first minute.
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", os.environ["HAVEN_OWNER_DATABASE_URL"],
                        "-c", "SET client_min_messages = error", "-c", "VACUUM ANALYZE"],
                       check=True, stdout=subprocess.DEVNULL)
        opener = browser_session(base, "dana@demo.haven", password)
        pages = (("caseload (%d couples)" % couples, "/caseload"), ("chart (200 sessions)", "/couples/" + big))
        tti = interactive(base, "dana@demo.haven", password, [path for _, path in pages])
        print("%-24s%10s%10s%12s%12s%10s" % ("page", "p50 ms", "p99 ms", "weight KB", "TTI ms", "foreign"))
        for label, path in pages:
            p50, p99, html = timed(opener, base + path, 20, args.requests)
            kb = weight(opener, base, html) / 1024
            ready, foreign = tti.get(path) or (None, [])
            print("%-24s%10.2f%10.2f%12.1f%12s%10d" % (label, p50, p99, kb,
                                                       "-" if ready is None else "%.0f" % ready, len(foreign)))
        # The same read as JSON through the API: what the page adds is rendering (and its chrome).
        api_opener = urllib.request.build_opener()
        api_opener.addheaders = [("Authorization", "Bearer " + token)]
        p50, p99, body = timed(api_opener, base + "/v1/couples/%s/chart" % big, 20, args.requests)
        print("%-24s%10.2f%10.2f%12.1f%12s%10s" % ("  same read, API JSON", p50, p99, len(body) / 1024, "-", "-"))
        print("goals: chart p50 < 30 ms, weight < 150 KB, no request off the origin "
              "(sequential requests on loopback, %d after 20 warm-up)" % args.requests)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
