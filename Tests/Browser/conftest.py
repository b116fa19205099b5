"""The browser suite's shared parts (docs/web.md, "Tests"): a headless Chromium that can reach only
the server under test, and the checks every page passes.

`scripts/test` runs this suite against a `haven serve` it starts on the demo practice (see
scripts/lib/browser_tests.sh, which sets the HAVEN_BROWSER_* variables read here). Each test gets a
fresh browser (no cookies carried over); at its end the browser's console must hold no Content
Security Policy violation and every request the page made must have stayed on the server's origin.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
import urllib.parse
import urllib.request

import html5lib
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("HAVEN_BROWSER_BASE", "http://127.0.0.1:8080")
PASSWORD = open(os.environ.get("HAVEN_BROWSER_PASSWORD_FILE", ".haven/demo.pw")).read().strip()
ARTIFACTS = os.environ.get("HAVEN_BROWSER_ARTIFACTS", ".build/browser-artifacts")
AXE_SCRIPT = os.environ.get("HAVEN_BROWSER_AXE")

# The demo practice's staff (scripts/start prints the same list).
DANA = "dana@demo.haven"  # counselor
SAM = "sam@demo.haven"  # pre-licensed counselor, supervised by Morgan
MORGAN = "morgan@demo.haven"  # supervisor
OFFICE = "office@demo.haven"  # admin


def new_browser():
    """Headless Chromium from Debian with its driver. Every host name but the loopback address
    resolves nowhere and every non-loopback address goes to a dead proxy, so no request can leave
    the machine; the performance log records every request for `assert_same_origin`."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


@pytest.fixture
def driver():
    browser = new_browser()
    try:
        yield browser
        assert_no_csp_violation(browser)
        assert_same_origin(browser)
    finally:
        browser.quit()


def assert_no_csp_violation(browser):
    violations = [
        entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert violations == [], "CSP violations: %r" % violations


def requested_urls(browser):
    """Every URL the browser asked for since the last call (the performance log drains on read)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_same_origin(browser):
    """Every request of the test stayed on the origin, and none carried text in its address: paths
    and queries hold ids, dates and choices only, so a space or the tests' "Fictional" clinical text
    in one would be something a person typed."""
    urls = requested_urls(browser)
    foreign = [url for url in urls if not (url.startswith(BASE + "/") or url == BASE)]
    foreign = [url for url in foreign if not url.startswith("data:") and not url.startswith("about:")]
    assert foreign == [], "requests left the origin: %r" % foreign
    texts = [url for url in urls if url.startswith(BASE)]
    texts = [url for url in texts if re.search(r"\s|fictional", urllib.parse.unquote_plus(url), re.IGNORECASE)]
    assert texts == [], "typed text in a requested address: %r" % texts


def totp(secret_base32, at=None, step=30, digits=6):
    """RFC 6238 TOTP (SHA-1, 6 digits), for signing in with a code app the test enrolled."""
    key = base64.b32decode(secret_base32.replace(" ", "").upper() + "=" * (-len(secret_base32.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % (10**digits)).zfill(digits)


def next_unused_step(used_step):
    """The 30-second step whose code to type after a code of `used_step` was accepted: the current step,
    or the next while the current is still `used_step`. The server takes the current step's code and one
    step either side, never a step at or before the last it accepted (Sources/Sealing/TOTP.swift), so no
    test waits for the clock; the code then has 30 s or more to reach the server."""
    return max(int(time.time() // 30), used_step + 1)


def sign_in(browser, email, password=PASSWORD, code_secret=None, code_step=None):
    """Signs in through the sign-in page (and its code step when the account has a code app: the code of
    `code_step`, else of the current step)."""
    browser.get(BASE + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]"))
    if code_secret is not None:
        browser.find_element(By.ID, "code").send_keys(totp(code_secret, at=None if code_step is None else code_step * 30))
        submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.get_cookie("__Host-haven-session") is not None, "signed in as %s at %s" % (email, browser.current_url)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "idle_logoff: waits out a page's idle count (about 90 s) as Morgan, whom no other test changes; "
        "scripts/lib/browser_tests.sh runs these in a second pytest beside the rest")
    config.addinivalue_line(
        "markers", "server_log: reads the server's log after every other test (run last, and alone after a split run)")


def pytest_collection_modifyitems(items):
    """Tests marked server_log run after all others of the same run."""
    items.sort(key=lambda item: item.get_closest_marker("server_log") is not None)


def api(path, email=DANA, method="GET", body=None):
    """A JSON API call as `email` (a fresh API session each time; the API and the pages share the
    same sessions, so tests can set up through one and look through the other)."""
    login = json.dumps({"email": email, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        BASE + "/v1/auth/sessions", data=login, headers={"Content-Type": "application/json"})
    token = json.load(urllib.request.urlopen(request, timeout=30))["token"]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        BASE + path, data=data, method=method,
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    logout = urllib.request.Request(
        BASE + "/v1/auth/sessions/current", method="DELETE", headers={"Authorization": "Bearer " + token})
    urllib.request.urlopen(logout, timeout=30).read()
    return json.loads(text) if text else None


def client_names(email=DANA):
    """Every name of every client `email` sees: none may appear in a URL or the server's log."""
    names = set()
    for client in api("/v1/clients?limit=200", email=email)["items"]:
        for key, value in client.items():
            if "name" in key.lower() and isinstance(value, str) and len(value) >= 3:
                names.update(part for part in value.split() if len(part) >= 3)
    return sorted(names)


def submit(browser, button, leaving=True):
    """Clicks a form's submit button and waits until the browser has left the page (a click returns
    before the navigation it starts has finished)."""
    old = browser.find_element(By.TAG_NAME, "html")
    button.click()
    if leaving:
        WebDriverWait(browser, 30).until(lambda b: b.find_element(By.TAG_NAME, "html") != old)


def sign_out(browser):
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.sign-out button"))
    assert browser.current_url == BASE + "/sign-in"


def fetch(browser, path, form=None):
    """The raw response for `path` with the browser's cookies: status, headers, bytes (the DOM that
    Selenium shows is the browser's repair of the HTML, so strict parsing needs the bytes). With
    `form` (a dict or a list of pairs), a same-origin POST of it, as the browser sends a page's form."""
    cookies = "; ".join("%s=%s" % (c["name"], c["value"]) for c in browser.get_cookies())
    headers = {"Cookie": cookies}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers.update({"Origin": BASE, "Sec-Fetch-Site": "same-origin",
                        "Content-Type": "application/x-www-form-urlencoded"})
    request = urllib.request.Request(BASE + path, data=data, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


REQUIRED_HEADERS = {
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def submit_raw(browser, button):
    """What the server answers to `button`'s form as the browser would send it (the form's fields
    and the button's own name and value), as raw bytes: for the answer to a form Haven refuses or
    cannot act on (422, 409, 401), which a GET of the page's address would not show. Send only a
    request that changes nothing, or one the test then sends again through the browser."""
    action, fields = browser.execute_script(
        "var b = arguments[0], f = b.form;"
        "return [f.getAttribute('action'), Array.from(new FormData(f, b).entries())];",
        button,
    )
    return fetch(browser, action, [tuple(pair) for pair in fields])


def check_page(browser, name, names_to_hide=(), status=200, fetched=None):
    """The checks every page passes (docs/web.md): strict HTML5, the security headers, no inline
    script or style anywhere, no name in its URL, no serious or critical accessibility violation
    (axe-core), and a screenshot kept under the artefacts folder. `status` is the one the page's
    address answers (404 for a not-found page the browser shows); `fetched` the raw answer to check
    when the page shown was a form's answer (`submit_raw`), not its address's."""
    url = browser.current_url
    assert url.startswith(BASE + "/"), url
    path = url[len(BASE) :]
    for hidden in names_to_hide:
        assert hidden.lower() not in urllib.parse.unquote(url).lower(), "a name in a URL: %s" % path
    answered, headers, body = fetched or fetch(browser, path)
    assert answered == status, "%s answered %s" % (path, answered)
    check_html(path, headers, body)
    if AXE_SCRIPT:
        browser.execute_script(open(AXE_SCRIPT).read())
        result = browser.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(function (r) { done(r.violations); },"
            " function (e) { done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]); });"
        )
        serious = [
            "%s (%s): %s — %s" % (v["id"], v["impact"], v["help"], [n.get("target") for n in v["nodes"]][:3])
            for v in result
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], "%s has accessibility violations: %s" % (path, serious)
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))


def check_html(path, headers, body):
    """A response's headers and bytes pass the page rules: the security headers, strict HTML5, no
    inline script or style, no event handler, no link off the origin. For pages the browser cannot
    re-fetch with a GET (a refused form's answer), call it on `fetch(browser, path, form)`."""
    for header, start in REQUIRED_HEADERS.items():
        assert (headers.get(header) or "").startswith(start), "%s: %s is %r" % (path, header, headers.get(header))
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, csp
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        document = parser.parse(body)
    except html5lib.html5parser.ParseError as error:
        raise AssertionError("%s is not strict HTML5: %s" % (path, error))
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        assert tag != "style", "%s has an inline <style>" % path
        if tag == "script":
            assert element.get("src", "").startswith("/static/"), "%s has an inline or foreign script" % path
        for attribute in element.attrib:
            assert attribute != "style", "%s has a style= attribute on <%s>" % (path, tag)
            assert not attribute.startswith("on"), "%s has an event handler %s= on <%s>" % (path, attribute, tag)
        if tag in ("a", "link", "img", "form") and element.get("href" if tag in ("a", "link") else "src" if tag == "img" else "action"):
            target = element.get("href" if tag in ("a", "link") else "src" if tag == "img" else "action")
            assert target.startswith(("/", "#", "?", BASE)) and not target.startswith("//"), (
                "%s links off the origin: %s" % (path, target))
