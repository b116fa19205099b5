"""The partner portal in a real browser (docs/portal.md, docs/web.md "/portal"): a counselor gives
each partner of a couple a code from the chart's "Portal access" section; each partner, in a fresh
browser of their own, enters the code, chooses a passphrase, signs in and sees their homework and
the next appointment; neither sees what is the other's alone; sign-out ends the session, and the
counselor's discharge of the couple on the chart ("Care status", after its confirmation page) ends both. The
everyday way back in is a sign-in link by email, read here from the test SMTP server's directory.
The idle logoff warns, keeps the session on "Stay signed in" and saves the answer being written before
it signs out; a partner turns off an email kind on /portal/settings (also at a phone's width)."""
import datetime
import os
import random
import re
import secrets
import time
from collections import Counter

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import (BASE, DANA, MORGAN, ARTIFACTS, api, assert_no_csp_violation, check_page, client_names, fetch,
                      new_browser, next_unused_step, sign_in, submit, totp)


def setup_couple(ids=None, counselor=DANA):
    """A new couple of `counselor`'s (two new clients with fake names, so each test has partners no other
    test invited and no flag another test raised), with an individual assignment for each partner, a
    joint one, and a session booked a few days ahead. `ids`, when given, receives each assignment's id
    under the same keys as the titles."""
    # Yesterday on this machine's clock: never after the practice's today, whatever its time zone, so
    # what a partner answers today falls inside the chart's report period (its start to today).
    started = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    partners = [
        api("/v1/clients", email=counselor, method="POST", body={
            "legalName": "%s Portaltest%s" % (first, secrets.token_hex(3)), "intakeDate": started,
        })["id"]
        for first in ("Wren", "Robin")
    ]
    made = api("/v1/couples", email=counselor, method="POST", body={
        "partnerAId": partners[0], "partnerBId": partners[1], "startDate": started,
    })
    couple = api("/v1/couples/%s" % made["id"], email=counselor)
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=random.randint(20, 60)))
    start = start.replace(hour=random.randint(8, 18), minute=random.choice([0, 30]), second=0, microsecond=0)
    session = api("/v1/therapy-sessions", email=counselor, method="POST", body={
        "coupleId": couple["id"], "start": start.strftime("%Y-%m-%dT%H:%M:00Z"), "durationMinutes": 50,
        "format": "video", "allowOverlap": True,
    })["id"]
    prompts = api("/v1/homework/prompts", email=counselor)["items"]
    individual = [p for p in prompts if not p["joint"]]
    joint = next(p for p in prompts if p["joint"])
    due = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
    titles = {}
    for partner, prompt in [(couple["partnerA"], individual[0]), (couple["partnerB"], individual[1]), (None, joint)]:
        body = {"promptId": prompt["id"], "coupleId": couple["id"], "sessionId": session, "dueOn": due}
        if partner is not None:
            body["partnerId"] = partner["id"]
        assigned = api("/v1/homework/assignments", email=counselor, method="POST", body=body)
        titles[partner["id"] if partner else "joint"] = prompt["title"]
        if ids is not None:
            ids[partner["id"] if partner else "joint"] = assigned["id"]
    return couple, titles


def phone(browser):
    """From now on `browser` is a phone's width (390 CSS pixels, as a recent phone held upright)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})


def check_phone_page(browser, name, names):
    """The page shown fits a phone's width without scrolling sideways, and passes every page's checks."""
    width = browser.execute_script("return window.innerWidth")
    assert width <= 420, width
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "%s is %d px wider than a phone" % (browser.current_url, overflow)
    check_page(browser, name, names)


def give_code(driver, couple, partner):
    """Dana's "Give a code" for `partner` on the chart: the code shown once."""
    driver.get(BASE + "/couples/%s#portal" % couple["id"])
    form = driver.find_element(
        By.XPATH,
        "//section[@id='portal']//form[.//input[@name='client'][@value='%s']][.//input[@name='how'][@value='code']]"
        % partner["id"])
    submit(driver, form.find_element(By.TAG_NAME, "button"))
    return driver.find_element(By.CSS_SELECTOR, "code.secret").text


def accept_and_sign_in(browser, code, email, names, screenshot="portal-welcome"):
    browser.get(BASE + "/portal/welcome")
    check_page(browser, screenshot, names)
    passphrase = "a passphrase of their own " + secrets.token_hex(4)
    browser.find_element(By.ID, "code").send_keys(code.lower().replace("-", " "))
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "passphrase").send_keys(passphrase)
    browser.find_element(By.ID, "confirm").send_keys(passphrase)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.current_url == BASE + "/portal/sign-in?reason=passphrase-set", browser.current_url
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "passphrase").send_keys(passphrase)
    # The passphrase form (with mail configured the page asks for a sign-in link first).
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form[action='/portal/sign-in'] button[type=submit]"))
    assert browser.current_url == BASE + "/portal", browser.current_url
    assert browser.get_cookie("__Host-haven-portal") is not None
    assert browser.get_cookie("__Host-haven-session") is None
    return passphrase


def test_each_partner_gets_a_code_signs_in_and_sees_only_their_own(driver):
    couple, titles = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    listed = api("/v1/couples/%s/homework?limit=200" % couple["id"])["items"]
    codes = [give_code(driver, couple, couple["partnerA"]), give_code(driver, couple, couple["partnerB"])]
    # Twelve characters in groups of four, for reading out (ABCD-EFGH-JKMN).
    assert all(len(code) == 14 and code[4] == "-" and code[9] == "-" for code in codes), codes
    partners = [new_browser(), new_browser()]
    signed_in_as = []
    try:
        for index, browser in enumerate(partners):
            email = "partner%d-%s@example.org" % (index, secrets.token_hex(4))
            signed_in_as.append((email, accept_and_sign_in(browser, codes[index], email, names)))
            check_page(browser, "portal-home-%d" % index, names)
            main = browser.find_element(By.TAG_NAME, "main").text
            own = couple["partnerA" if index == 0 else "partnerB"]
            assert titles[own["id"]] in main and titles["joint"] in main, main
            # Exactly the couple's assignments for this partner or for both: none of the other's own.
            expected = Counter(a["promptTitle"] for a in listed if a.get("partnerId") in (None, own["id"]))
            shown = Counter(h.text for h in browser.find_elements(By.CSS_SELECTOR, "article.assignment h3"))
            assert shown == expected, (shown, expected)
            assert "Next appointment" in main and "No appointment is booked yet" not in main, main
            for person in (couple["partnerA"], couple["partnerB"]):
                assert person["name"] not in main, "a client's name on the portal page"
        # Sign-out ends the first partner's session; the second's stays.
        submit(partners[0], partners[0].find_element(By.CSS_SELECTOR, "form.sign-out button"))
        assert partners[0].current_url == BASE + "/portal/sign-in?reason=signed-out"
        partners[0].get(BASE + "/portal")
        assert partners[0].current_url == BASE + "/portal/sign-in"
        partners[1].get(BASE + "/portal")
        assert partners[1].current_url == BASE + "/portal"
        # The portal session opens no staff page.
        partners[1].get(BASE + "/today")
        assert partners[1].current_url.startswith(BASE + "/sign-in")
        # The counselor discharges the couple from the chart's "Care status", through its confirmation
        # page: both partners, signed in, are signed out at once.
        sign_in_again(partners[0], *signed_in_as[0])
        for browser in partners:
            browser.get(BASE + "/portal")
            assert browser.current_url == BASE + "/portal", browser.current_url
        discharge(driver, couple, names)
        for browser in partners:
            browser.get(BASE + "/portal")
            assert browser.current_url == BASE + "/portal/sign-in", browser.current_url
    finally:
        for browser in partners:
            browser.quit()


def sign_in_again(browser, email, passphrase):
    """The portal's passphrase sign-in for a partner who accepted their invitation before."""
    browser.get(BASE + "/portal/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "passphrase").send_keys(passphrase)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form[action='/portal/sign-in'] button[type=submit]"))
    assert browser.current_url == BASE + "/portal", browser.current_url


def discharge(driver, couple, names):
    """Dana discharges `couple` on its chart page: the "Discharge…" button, the confirmation page that
    says what it does, its button, and back on the chart with the new status."""
    chart = BASE + "/couples/%s" % couple["id"]
    driver.get(chart)
    assert driver.find_element(By.ID, "care-status-now").text == "active"
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.care-status-choices button[value='discharged']"))
    assert driver.current_url == chart + "/status?set=discharged", driver.current_url
    check_page(driver, "care-status-confirm", names)
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "signed out of the portal at once" in main and "stay on the calendar" in main, main
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.care-status-set button[type=submit]"))
    assert driver.current_url == chart + "#care-status", driver.current_url
    assert driver.find_element(By.ID, "care-status-now").text == "discharged"
    check_page(driver, "chart-discharged", names)


def mailed_link(address, previous=None, timeout=60):
    """The path of the newest sign-in link the test SMTP server received for `address` (the server
    sends it on a task of its own, after the page answered), other than `previous`."""
    directory = os.environ["HAVEN_TEST_SMTP_DIR"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = None
        for name in sorted(n for n in os.listdir(directory) if n.endswith(".json")):
            message = os.path.join(directory, name[: -len(".json")] + ".eml")
            with open(os.path.join(directory, name)) as handle:
                if '"%s"' % address not in handle.read() or not os.path.exists(message):
                    continue
            with open(message, "rb") as handle:
                text = handle.read().decode("utf-8").replace("=\r\n", "")
            match = re.search(r"/portal/sign-in/[A-Za-z0-9_-]{43}", text)
            if match:
                found = match.group(0)
        if found and found != previous:
            return found
        time.sleep(0.2)
    raise AssertionError("no sign-in link arrived for the partner")


def test_a_partner_signs_in_with_a_link_from_their_mail(driver):
    # A new couple: its partners have no portal accounts yet.
    couple, _ = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    code = give_code(driver, couple, couple["partnerA"])
    email = "linked-%s@example.org" % secrets.token_hex(4)
    asking, opening, late = new_browser(), new_browser(), new_browser()
    try:
        accept_and_sign_in(asking, code, email, names)
        submit(asking, asking.find_element(By.CSS_SELECTOR, "form.sign-out button"))
        # The sign-in page asks the address first; the answer does not say whether it is known.
        asking.get(BASE + "/portal/sign-in")
        check_page(asking, "portal-sign-in", names)
        asking.find_element(By.ID, "link-email").send_keys(email)
        submit(asking, asking.find_element(By.CSS_SELECTOR, "main form[action='/portal/sign-in-link'] button"))
        assert "a sign-in link is on its way" in asking.find_element(By.TAG_NAME, "main").text
        path = mailed_link(email)
        # A fresh browser opens the link from the message: the page spends nothing until its POST.
        opening.get(BASE + path)
        check_page(opening, "portal-sign-in-link", names)
        assert opening.get_cookie("__Host-haven-portal") is None
        submit(opening, opening.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert opening.current_url == BASE + "/portal", opening.current_url
        assert opening.get_cookie("__Host-haven-portal") is not None
        assert "Next appointment" in opening.find_element(By.TAG_NAME, "main").text
        # The link worked once.
        late.get(BASE + path)
        submit(late, late.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert late.current_url == BASE + path and "does not work" in late.find_element(By.TAG_NAME, "main").text
        assert late.get_cookie("__Host-haven-portal") is None
    finally:
        for browser in (asking, opening, late):
            browser.quit()


def test_a_shared_answer_reaches_the_other_partner_a_private_one_only_the_counselor(driver):
    """Partner A drafts an answer (saved by the autosave script, kept over a reload) and submits it
    shared; partner B reads it, and answers privately; A sees nothing of B's answer; the counselor's
    chart shows both, marked, and from that read A can no longer unshare. Then a high-risk flag puts
    the portal in safety mode: nothing shared is shown, sharing is off, the safety page is linked."""
    ids = {}
    couple, titles = setup_couple(ids=ids)
    names = client_names()
    sign_in(driver, DANA)
    codes = [give_code(driver, couple, couple["partnerA"]), give_code(driver, couple, couple["partnerB"])]
    a, b = new_browser(), new_browser()
    page = "/portal/homework/%s" % ids["joint"]
    shared = "We listened without fixing it " + secrets.token_hex(4)
    private = "PRIVATE-ANSWER " + secrets.token_hex(4)
    try:
        for index, browser in enumerate((a, b)):
            accept_and_sign_in(browser, codes[index], "answer%d-%s@example.org" % (index, secrets.token_hex(4)), names)
        a.get(BASE + "/portal")
        a.find_element(By.CSS_SELECTOR, "article.assignment h3 a[href='%s']" % page).click()
        WebDriverWait(a, 30).until(lambda x: x.current_url == BASE + page)
        assert "Only your counselor sees this answer." in a.find_element(By.ID, "share-state").text
        a.find_element(By.ID, "text").send_keys(shared)
        status = a.find_element(By.ID, "autosave-status")
        WebDriverWait(a, 30).until(lambda x: "Draft saved" in status.text)
        a.refresh()
        assert a.find_element(By.ID, "text").get_attribute("value") == shared
        a.find_element(By.ID, "share").click()
        assert a.find_element(By.ID, "share-state").text == "Your partner can read this answer once you submit it."
        submit(a, a.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]"))
        assert a.current_url == BASE + page + "?done=submitted", a.current_url
        assert a.find_element(By.ID, "submitted-state").text == "Your partner can read this answer."
        check_page(a, "portal-answer", names)

        # B answers on a phone: the home page, the answer page and what follows fit its width.
        phone(b)
        b.get(BASE + "/portal")
        check_phone_page(b, "portal-home-phone", names)
        b.get(BASE + page)
        check_phone_page(b, "portal-answer-phone", names)
        assert shared in b.find_element(By.CSS_SELECTOR, "section[aria-labelledby=shared-heading]").text
        b.find_element(By.ID, "text").send_keys(private)
        submit(b, b.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]"))
        assert b.find_element(By.ID, "submitted-state").text == "Only your counselor sees this answer."
        check_phone_page(b, "portal-answer-private", names)

        # A sees nothing of B's private answer, not even that it exists.
        a.get(BASE + page)
        main = a.find_element(By.TAG_NAME, "main").text
        assert private not in main and "Nothing is shared with you on this exercise." in main, main
        for path in (page, "/portal"):
            assert private.encode() not in fetch(a, path)[2]

        # The counselor's chart shows both answers, marked; that read makes A's sharing final.
        driver.get(BASE + "/couples/%s#homework" % couple["id"])
        homework = driver.find_element(By.ID, "homework").text
        assert shared in homework and private in homework, homework
        assert "shared with partner" in homework and "private" in homework, homework
        a.get(BASE + page)
        main = a.find_element(By.TAG_NAME, "main").text
        assert "so it and who can read it are final" in main, main
        assert a.find_elements(By.CSS_SELECTOR, "form[action$='/share']") == []
        assert a.find_elements(By.ID, "text") == []
        b.get(BASE + page)
        assert shared in b.find_element(By.TAG_NAME, "main").text

        # Dana's latest note screens high risk: the couple's portal is in safety mode. What A shared is
        # hidden from B, sharing is off with its reason, and every portal page links the safety page.
        start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
        session = api("/v1/therapy-sessions", method="POST", body={
            "coupleId": couple["id"], "start": start.strftime("%Y-%m-%dT%H:00:00Z"), "durationMinutes": 50,
            "format": "video", "allowOverlap": True,
        })["id"]
        api("/v1/therapy-sessions/%s/status" % session, method="POST", body={"status": "completed"})
        api("/v1/notes", method="POST", body={
            "sessionId": session, "stage": 1, "step": 2, "riskLevel": "high",
            "riskDetail": "Fictional risk detail.", "body": "Fictional note.",
        })
        b.get(BASE + page)
        assert shared not in b.find_element(By.TAG_NAME, "main").text
        b.get(BASE + "/portal/homework/%s" % ids[couple["partnerB"]["id"]])
        assert b.find_element(By.ID, "share").get_attribute("disabled") is not None
        assert "Sharing is switched off" in b.find_element(By.ID, "share-off").text
        check_phone_page(b, "portal-answer-safety-mode", names)
        submit(b, b.find_element(By.CSS_SELECTOR, ".safety-banner a[href='/portal/safety']"))
        assert b.current_url == BASE + "/portal/safety", b.current_url
        assert "emergency" in b.find_element(By.TAG_NAME, "main").text
        check_phone_page(b, "portal-safety", names)
    finally:
        for browser in (a, b):
            browser.quit()


def schedule_csi4(driver, couple, partner, trend):
    """Dana asks `partner` for a CSI-4 before every session from the chart's measures section; `trend`:
    whether the partner may see their own scores."""
    driver.get(BASE + "/couples/%s#measures" % couple["id"])
    form = driver.find_element(By.CSS_SELECTOR, "form.portal-measure-schedule")
    form.find_element(By.CSS_SELECTOR, "#schedule-form option[value='CSI-4']").click()
    form.find_element(By.CSS_SELECTOR, "#schedule-partner option[value='%s']" % partner["id"]).click()
    form.find_element(By.CSS_SELECTOR, "#schedule-cadence option[value='every_session']").click()
    if trend:
        form.find_element(By.ID, "schedule-trend").click()
    submit(driver, form.find_element(By.TAG_NAME, "button"))
    assert "CSI-4 for %s, before every session" % partner["name"] in driver.find_element(By.ID, "measures").text


def fill_csi4(browser, values, check=None):
    """The partner opens the CSI-4 due on their portal home and sends `values` (items 1 to 4); `check`
    runs on the questionnaire's page before it is filled."""
    browser.get(BASE + "/portal")
    link = browser.find_element(By.CSS_SELECTOR, ".measure-due a")
    assert link.text == "CSI-4 questionnaire (4 questions)", link.text
    link.click()
    WebDriverWait(browser, 30).until(lambda x: "/portal/measures/" in x.current_url)
    page = browser.current_url
    if check:
        check()
    for item, value in zip(range(1, 5), values):
        browser.find_element(By.ID, "item%d" % item).send_keys(value)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.current_url == BASE + "/portal/measures?done=submitted", browser.current_url
    return page


def test_a_partner_fills_a_scheduled_csi4_measure_and_the_chart_shows_the_score(driver):
    """Dana asks partner A for a CSI-4 from the chart's measures section; A fills it in item by item on
    the portal (scored on the server, final once sent) and sees their trend, as Dana allowed; B sees
    nothing of it. Then B is asked too (without the trend), fills it and sees neither score. The chart
    and the progress report show both partners' scores as from the portal."""
    couple, _ = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    codes = [give_code(driver, couple, couple["partnerA"]), give_code(driver, couple, couple["partnerB"])]
    schedule_csi4(driver, couple, couple["partnerA"], trend=True)
    a, b = new_browser(), new_browser()
    try:
        for index, browser in enumerate((a, b)):
            accept_and_sign_in(browser, codes[index], "measure%d-%s@example.org" % (index, secrets.token_hex(4)), names)
        b.get(BASE + "/portal")
        assert b.find_elements(By.CSS_SELECTOR, ".measure-due a") == []
        page = fill_csi4(a, ("4", "3", "3", "2"), check=lambda: check_page(a, "portal-measure", names))
        assert page[len(BASE):].encode() not in fetch(b, "/portal")[2]
        main = a.find_element(By.TAG_NAME, "main").text
        assert "12 of 21" in main, main
        check_page(a, "portal-measures", names)
        # Final once sent: the page is gone, and B reaches nothing of it.
        a.get(page)
        assert "There is no such questionnaire" in a.find_element(By.TAG_NAME, "main").text
        b.get(page)
        assert "There is no such questionnaire" in b.find_element(By.TAG_NAME, "main").text
        b.get(BASE + "/portal/measures")
        assert "12 of 21" not in b.find_element(By.TAG_NAME, "main").text

        # B's own CSI-4, without the trend: sent, and B sees neither score afterwards.
        schedule_csi4(driver, couple, couple["partnerB"], trend=False)
        phone(b)
        fill_csi4(b, ("2", "2", "2", "1"), check=lambda: check_phone_page(b, "portal-measure-phone", names))
        main = b.find_element(By.TAG_NAME, "main").text
        assert "7 of 21" not in main and "12 of 21" not in main, main
        check_phone_page(b, "portal-measures-no-trend", names)
        a.get(BASE + "/portal/measures")
        assert "7 of 21" not in a.find_element(By.TAG_NAME, "main").text

        # Without the fragment: the browser is still on the chart's #measures, which would not reload.
        driver.get(BASE + "/couples/%s" % couple["id"])
        answers = driver.find_element(By.ID, "portal-measure-answers").text
        assert couple["partnerA"]["name"] in answers and "CSI-4 (from the portal)" in answers, answers
        assert "12 of 21" in answers and "7 of 21" in answers, answers
        # The progress report's CSI-4 table: both partners' totals.
        driver.get(BASE + "/couples/%s/report?audience=clinical" % couple["id"])
        scores = driver.find_element(By.XPATH, "//table[caption='CSI-4 scores']").text
        for partner, total in ((couple["partnerA"], "12"), (couple["partnerB"], "7")):
            row = [line for line in scores.splitlines() if line.startswith(partner["name"])]
            assert row and row[0].endswith(" " + total), scores
        check_page(driver, "portal-measures-report", names)
    finally:
        for browser in (a, b):
            browser.quit()


def test_a_partner_answers_a_practice_measure_as_one_number(driver):
    """An operator defines a practice's own measure (`haven measure define`, 0 to 10); Dana asks partner A
    for it from the chart's measures section; A answers one number on the portal (the measure's name and
    range on the page, a number outside it refused as typed), final once sent; the chart shows it as from
    the portal (migration 0081)."""
    import subprocess
    name = "Closeness scale " + secrets.token_hex(3)
    subprocess.run([os.environ["HAVEN_BIN"], "measure", "define", "--code", "CL-" + secrets.token_hex(3), "--name",
                    name, "--min", "0", "--max", "10"], check=True, capture_output=True, text=True)
    couple, _ = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    code = give_code(driver, couple, couple["partnerA"])
    driver.get(BASE + "/couples/%s#measures" % couple["id"])
    form = driver.find_element(By.CSS_SELECTOR, "form.portal-measure-schedule")
    option = next(o for o in form.find_elements(By.CSS_SELECTOR, "#schedule-form option") if name in o.text)
    assert option.get_attribute("value").startswith("practice:"), option.get_attribute("value")
    option.click()
    form.find_element(By.CSS_SELECTOR, "#schedule-partner option[value='%s']" % couple["partnerA"]["id"]).click()
    form.find_element(By.CSS_SELECTOR, "#schedule-cadence option[value='once']").click()
    form.find_element(By.ID, "schedule-trend").click()
    submit(driver, form.find_element(By.TAG_NAME, "button"))
    assert "%s for %s, once" % (name, couple["partnerA"]["name"]) in driver.find_element(By.ID, "measures").text
    a = new_browser()
    try:
        accept_and_sign_in(a, code, "practice-measure-%s@example.org" % secrets.token_hex(4), names)
        a.get(BASE + "/portal")
        link = a.find_element(By.CSS_SELECTOR, ".measure-due a")
        assert link.text == "%s (one number from 0 to 10)" % name, link.text
        link.click()
        WebDriverWait(a, 30).until(lambda x: "/portal/measures/" in x.current_url)
        page = a.current_url
        assert a.find_element(By.ID, "measure-heading").text == name
        check_page(a, "portal-practice-measure", names)
        # Out of the range: the browser's own check is the min/max; the server's answer is the page again.
        a.execute_script("document.getElementById('score').removeAttribute('max')")
        a.find_element(By.ID, "score").send_keys("12")
        submit(a, a.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert "the answer must be a number from 0 to 10" in a.find_element(By.TAG_NAME, "main").text
        assert a.find_element(By.ID, "score").get_attribute("value") == "12"
        score = a.find_element(By.ID, "score")
        score.clear()
        score.send_keys("6.5")
        submit(a, a.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert a.current_url == BASE + "/portal/measures?done=submitted", a.current_url
        main = a.find_element(By.TAG_NAME, "main").text
        assert "6.5 (from 0 to 10)" in main, main
        a.get(page)
        assert "There is no such questionnaire" in a.find_element(By.TAG_NAME, "main").text

        driver.get(BASE + "/couples/%s" % couple["id"])
        answers = driver.find_element(By.ID, "portal-measure-answers").text
        assert "%s (from the portal)" % name in answers and "6.5 (from 0 to 10)" in answers, answers
    finally:
        a.quit()


def test_a_series_shows_the_partner_its_first_step_only_and_they_answer_it(driver):
    """Dana assigns the emotional-safety practice from the couple's homework page (a step a week); the
    page shows step 1 open and the other five upcoming. The partner's portal shows the series as one item
    with step 1 and a count of what is to come, never a later step's prompt or questions; step 1's page
    lists its questions, and the partner answers it there."""
    couple, _ = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    driver.get(BASE + "/couples/%s/homework/new" % couple["id"])
    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/homework/series']")
    assert "Emotional-safety practice" in form.find_element(By.ID, "series").text
    assert form.find_element(By.ID, "intervalDays").get_attribute("value") == "7"
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert driver.current_url.endswith("/homework/new?series=1"), driver.current_url
    assigned = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=assigned-heading]").text
    assert "Step 1 of 6 · Emotional-safety practice · opened" in assigned, assigned
    assert "Step 6 of 6 · Emotional-safety practice · opens" in assigned, assigned
    assert assigned.count("upcoming") == 5, assigned
    check_page(driver, "homework-series", names)

    code = give_code(driver, couple, couple["partnerA"])
    a = new_browser()
    answer = "We took twenty minutes on Sunday " + secrets.token_hex(4)
    try:
        accept_and_sign_in(a, code, "series-%s@example.org" % secrets.token_hex(4), names)
        a.get(BASE + "/portal")
        series = a.find_element(By.CSS_SELECTOR, "article.series")
        assert "Emotional-safety practice" in series.text and "0 of 6 steps done" in series.text, series.text
        assert "5 more steps open later, one at a time." in series.text, series.text
        links = series.find_elements(By.CSS_SELECTOR, "ul.series-steps li a")
        assert [link.text for link in links] == ["Step 1: Weekly check-in"], [link.text for link in links]
        # Nothing of a later step reaches the partner: neither its prompt nor its questions.
        body = fetch(a, "/portal")[2].decode()
        for later in ("Ten minutes of just listening", "The softer feeling", "Making a repair",
                      "What part of the exchange did you own?", "softer feeling was behind it"):
            assert later not in body, later
        check_page(a, "portal-home-series", names)
        page = links[0].get_attribute("href")
        links[0].click()
        WebDriverWait(a, 30).until(lambda x: x.current_url == page)
        assert a.find_element(By.CSS_SELECTOR, ".series-step").text == "Step 1 of 6 · Emotional-safety practice"
        questions = a.find_elements(By.CSS_SELECTOR, "ol.series-questions li")
        assert len(questions) == 3 and "close to your partner" in questions[0].text, [q.text for q in questions]
        check_page(a, "portal-answer-series", names)
        a.find_element(By.ID, "text").send_keys(answer)
        submit(a, a.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]"))
        assert a.current_url == page + "?done=submitted", a.current_url
        assert a.find_element(By.ID, "submitted-state").text == "Only your counselor sees this answer."
        a.get(BASE + "/portal")
        series = a.find_element(By.CSS_SELECTOR, "article.series")
        assert "1 of 6 steps done" in series.text and "done" in series.find_element(
            By.CSS_SELECTOR, ".step-state").text, series.text
    finally:
        a.quit()
    # The counselor's page shows the answer under step 1.
    driver.get(BASE + "/couples/%s/homework/new" % couple["id"])
    assert answer in driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=assigned-heading]").text


def test_a_partner_sets_up_a_code_app_and_signs_in_with_its_code_totp(driver):
    couple, titles = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    code = give_code(driver, couple, couple["partnerA"])
    browser = new_browser()
    try:
        email = "totp-%s@example.org" % secrets.token_hex(4)
        passphrase = "a passphrase of their own " + secrets.token_hex(4)
        browser.get(BASE + "/portal/welcome")
        browser.find_element(By.ID, "code").send_keys(code)
        browser.find_element(By.ID, "email").send_keys(email)
        browser.find_element(By.ID, "passphrase").send_keys(passphrase)
        browser.find_element(By.ID, "confirm").send_keys(passphrase)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))

        def sign_in_with_passphrase():
            browser.get(BASE + "/portal/sign-in")
            browser.find_element(By.ID, "email").send_keys(email)
            browser.find_element(By.ID, "passphrase").send_keys(passphrase)
            submit(browser, browser.find_element(
                By.CSS_SELECTOR, "main form[action='/portal/sign-in'] button[type=submit]"))

        sign_in_with_passphrase()
        assert browser.current_url == BASE + "/portal", browser.current_url
        # Set up: the QR code and the key as text, shown once; the app's code confirms it.
        browser.get(BASE + "/portal/settings")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/portal/settings/code-app/start'] button"))
        assert browser.find_element(By.CSS_SELECTOR, "#code-app svg") is not None
        secret = browser.find_element(By.ID, "code-app-secret").text
        # The current step's code; the sign-in below types a later step's (a code works once).
        confirmed_at = time.time()
        browser.find_element(By.ID, "confirm-code").send_keys(totp(secret, at=confirmed_at))
        submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/portal/settings/code-app/confirm'] button"))
        assert browser.current_url == BASE + "/portal/settings?reason=code-app-on", browser.current_url
        check_page(browser, "portal-settings-code-app", names)
        # Signed out and in again: the passphrase leads to the code page; the code, home.
        browser.get(BASE + "/portal")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "form.sign-out button"))
        sign_in_with_passphrase()
        assert browser.current_url == BASE + "/portal/code", browser.current_url
        check_page(browser, "portal-code", names)
        # A code works once: the step after the confirmation's.
        browser.find_element(By.ID, "code").send_keys(totp(secret, at=next_unused_step(int(confirmed_at // 30)) * 30))
        submit(browser, browser.find_element(By.CSS_SELECTOR, "main form[action='/portal/code'] button"))
        assert browser.current_url == BASE + "/portal", browser.current_url
        main = browser.find_element(By.TAG_NAME, "main").text
        assert titles[couple["partnerA"]["id"]] in main, main
    finally:
        browser.quit()


# Shortens the idle timeout a page counts to 60 seconds before haven.js reads it (warning at 30 s,
# sign-out at 54 s: 24 s to see the warning, take its screenshot and stay, which 8 s did not always
# give a loaded machine); the server's own timeout stays 15 minutes (as test_auth.py does for staff).
SHORT_IDLE = """
    new MutationObserver(function (changes, observer) {
        if (document.body) {
            if (document.body.hasAttribute('data-idle-seconds')) document.body.setAttribute('data-idle-seconds', '60');
            observer.disconnect();
        }
    }).observe(document, {childList: true, subtree: true});
"""


@pytest.mark.idle_logoff
def test_the_portal_idle_logoff_warns_keeps_the_session_and_saves_the_answer_first(driver):
    ids = {}
    couple, _ = setup_couple(ids=ids, counselor=MORGAN)
    names = client_names(MORGAN)
    sign_in(driver, MORGAN)
    code = give_code(driver, couple, couple["partnerA"])
    page = "/portal/homework/%s" % ids[couple["partnerA"]["id"]]
    answer = "Written just before the timeout " + secrets.token_hex(4)
    partner = new_browser()
    try:
        partner.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SHORT_IDLE})
        email = "idle-%s@example.org" % secrets.token_hex(4)
        passphrase = accept_and_sign_in(partner, code, email, names, screenshot="portal-welcome-idle")
        body = partner.find_element(By.TAG_NAME, "body")
        assert body.get_attribute("data-idle-seconds") == "60"
        assert body.get_attribute("data-idle-keepalive") == "/portal/session/keepalive"
        assert body.get_attribute("data-idle-signed-out") == "/portal/sign-in?reason=idle"
        partner.get(BASE + page)
        loaded = time.time()
        warning = WebDriverWait(partner, 60).until(lambda b: b.find_element(By.CSS_SELECTOR, ".idle-warning"))
        WebDriverWait(partner, 5).until(lambda b: warning.is_displayed())
        assert "signed out in two minutes" in warning.text, warning.text
        partner.save_screenshot(os.path.join(ARTIFACTS, "portal-idle-warning.png"))
        partner.find_element(By.ID, "idle-stay").click()
        WebDriverWait(partner, 5).until(lambda b: not warning.is_displayed())
        # "Stay signed in" restarted the count: the page outlives the first count's sign-out (54 s).
        time.sleep(max(0, loaded + 57 - time.time()))
        assert partner.current_url == BASE + page, partner.current_url
        assert partner.get_cookie("__Host-haven-portal") is not None
        # The answer is put in without an input event, so the autosave's own timer never saves it:
        # only the sign-out's last save (window.havenBeforeSignOut) can.
        partner.execute_script("document.getElementById('text').value = arguments[0];", answer)
        WebDriverWait(partner, 90).until(lambda b: b.current_url == BASE + "/portal/sign-in?reason=idle")
        notice = partner.find_element(By.CSS_SELECTOR, "[role=status]").text
        assert "signed out after 15 minutes without activity" in notice, notice
        assert "saved as a draft" in notice, notice
        assert partner.get_cookie("__Host-haven-portal") is None
        check_page(partner, "portal-signed-out-idle", names)
        # Signed in again: the answer is there as a draft.
        partner.find_element(By.ID, "email").send_keys(email)
        partner.find_element(By.ID, "passphrase").send_keys(passphrase)
        submit(partner, partner.find_element(By.CSS_SELECTOR, "main form[action='/portal/sign-in'] button[type=submit]"))
        partner.get(BASE + page)
        assert partner.find_element(By.ID, "text").get_attribute("value") == answer
        assert_no_csp_violation(partner)
    finally:
        partner.quit()


def test_a_partner_turns_off_an_email_kind_and_the_page_shows_it_off(driver):
    couple, _ = setup_couple()
    names = client_names()
    sign_in(driver, DANA)
    code = give_code(driver, couple, couple["partnerA"])
    partner = new_browser()
    try:
        accept_and_sign_in(partner, code, "settings-%s@example.org" % secrets.token_hex(4), names)
        partner.get(BASE + "/portal")
        submit(partner, partner.find_element(By.LINK_TEXT, "Email settings"))
        assert partner.current_url == BASE + "/portal/settings", partner.current_url
        check_page(partner, "portal-settings", names)
        box = partner.find_element(By.CSS_SELECTOR, "input[name='send-homework-due']")
        assert box.is_selected() and box.is_enabled()
        box.click()
        submit(partner, partner.find_element(By.CSS_SELECTOR, "form[action='/portal/settings'] button[type=submit]"))
        assert partner.current_url == BASE + "/portal/settings?reason=saved", partner.current_url
        assert "saved" in partner.find_element(By.CSS_SELECTOR, "[role=status]").text
        partner.get(BASE + "/portal/settings")
        assert not partner.find_element(By.CSS_SELECTOR, "input[name='send-homework-due']").is_selected()
        others = partner.find_elements(By.CSS_SELECTOR, "form[action='/portal/settings'] input[type=checkbox]")
        # Only that kind changed (a kind the practice turned off is disabled, not the partner's choice).
        off = [b.get_attribute("name") for b in others if b.is_enabled() and not b.is_selected()]
        assert off == ["send-homework-due"], off
        # At a phone's width the page fits without scrolling sideways (and passes the same checks).
        phone(partner)
        partner.get(BASE + "/portal/settings")
        check_phone_page(partner, "portal-settings-phone", names)
        assert_no_csp_violation(partner)
    finally:
        partner.quit()
