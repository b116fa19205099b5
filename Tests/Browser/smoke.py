#!/usr/bin/python3
"""A first browser check of the counselor web app (docs/web.md, "Tests"): sign in, today, sign out.

Run against a running `haven serve` with the demo practice (scripts/start), under Debian's
/usr/bin/python3 with Debian's chromium, chromium-driver and python3-selenium, headless, offline:

    /usr/bin/python3 Tests/Browser/smoke.py http://127.0.0.1:8080 .haven/demo.pw [screenshot-dir]

Exits non-zero on the first failure. Wiring it into scripts/test is the next step.
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def check(condition, what):
    if not condition:
        raise SystemExit("FAILED: " + what)
    print("ok   " + what)


def csp_violations(driver):
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def main():
    base, password_file = sys.argv[1], sys.argv[2]
    shots = sys.argv[3] if len(sys.argv) > 3 else None
    password = open(password_file).read().strip()
    driver = browser()
    try:
        driver.get(base + "/")
        check(driver.current_url == base + "/sign-in", "the root sends a signed-out browser to /sign-in")
        background = driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor")
        check(background == "rgb(246, 247, 249)", "the same-origin stylesheet applies under the CSP")
        if shots:
            driver.save_screenshot(os.path.join(shots, "sign-in.png"))
        driver.find_element(By.ID, "email").send_keys("dana@demo.haven")
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button").click()
        check(driver.current_url == base + "/today", "signing in lands on /today (at %s)" % driver.current_url)
        check(driver.find_element(By.TAG_NAME, "h1").text.startswith("Today"), "the Today page shows")
        cookie = driver.get_cookie("__Host-haven-session")
        check(cookie is not None, "Chromium kept the __Host- session cookie on http://127.0.0.1")
        check(cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict",
              "the session cookie is Secure, HttpOnly, SameSite=Strict")
        check(driver.execute_script("return document.cookie") == "", "page scripts cannot read the cookies")
        if shots:
            driver.save_screenshot(os.path.join(shots, "today.png"))
        driver.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
        check(driver.current_url == base + "/sign-in", "signing out returns to /sign-in")
        check(driver.get_cookie("__Host-haven-session") is None, "signing out drops the session cookie")
        driver.get(base + "/today")
        check(driver.current_url == base + "/sign-in", "after sign-out /today asks to sign in again")
        violations = csp_violations(driver)
        check(violations == [], "no CSP violation reported: " + repr(violations))
    finally:
        driver.quit()
    print("all passed")


if __name__ == "__main__":
    main()
