"""A counselor's whole day in a real browser, in the order issue #15 lists it, every step through the
pages (nothing set up through the API): enrol a code app and sign in with it, the day, a new chart
from the caseload, a session scheduled and marked completed in the calendar, the note written with
autosave and a high-risk screen, signed, an addendum, homework for the now high-risk couple (refused
without the override reason, the typed values kept; assigned with it), a CSI-4, the report previewed
and printed, sign-out. The other files test each area's refusals and corners; this one shows the
pages join up."""
import datetime
import os
import subprocess
import time
import zoneinfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, DANA, api, check_page, client_names, next_unused_step, sign_in, sign_out, submit, totp

ZONE = zoneinfo.ZoneInfo("America/Chicago")  # the demo practice's


def set_value(driver, element_id, value):
    """Sets a date or time field as a picker would (typing into them depends on the locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def select_containing(select, text):
    option = next(o for o in select.options if text in o.text)
    select.select_by_value(option.get_attribute("value"))


def test_a_counselors_day(driver):
    dana_id = api("/v1/me")["staffId"]
    # Read before Dana enrols a code app (the API's one-call sign-in then needs a code too).
    names = client_names()
    stamp = str(int(time.time()))[-5:]
    partner_a, partner_b = "Fictional Rowan%s" % stamp, "Fictional Emery%s" % stamp
    today = datetime.datetime.now(ZONE).date()
    yesterday = today - datetime.timedelta(days=1)
    try:
        # Sign in, enrol a code app, and sign in again with its code.
        sign_in(driver, DANA)
        driver.get(BASE + "/account/code-app")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/account/code-app/start'] button"))
        secret = driver.find_element(By.CSS_SELECTOR, ".secret").text.replace(" ", "")
        enrolled_at = time.time()
        driver.find_element(By.ID, "code").send_keys(totp(secret, at=enrolled_at))
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/account/code-app'] button"))
        sign_out(driver)
        # A code works once: the step after the enrolment's.
        sign_in(driver, DANA, code_secret=secret, code_step=next_unused_step(int(enrolled_at // 30)))

        # The day.
        assert driver.current_url == BASE + "/today", driver.current_url
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Today")

        # A new chart from the caseload: two clients, then the couple.
        driver.find_element(By.CSS_SELECTOR, "nav[aria-label=Main] a[href='/caseload']").click()
        for name in (partner_a, partner_b):
            driver.find_element(By.ID, "legalName").send_keys(name)
            set_value(driver, "intakeDate", (today - datetime.timedelta(days=30)).isoformat())
            submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/caseload/clients'] button"))
            driver.get(BASE + "/caseload")
        select_containing(Select(driver.find_element(By.ID, "partnerA")), partner_a)
        select_containing(Select(driver.find_element(By.ID, "partnerB")), partner_b)
        set_value(driver, "startDate", (today - datetime.timedelta(days=30)).isoformat())
        driver.find_element(By.ID, "concerns").send_keys("Fictional: distance after a move.")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/caseload/couples'] button"))
        assert driver.current_url.startswith(BASE + "/couples/"), driver.current_url
        couple = driver.current_url[len(BASE + "/couples/"):].split("?")[0].split("#")[0]
        names += [partner_a.split()[1], partner_b.split()[1]]
        check_page(driver, "day-new-chart", names)

        # The calendar: yesterday's session booked after the fact, then marked completed.
        driver.get(BASE + "/calendar?week=" + yesterday.isoformat())
        select_containing(Select(driver.find_element(By.ID, "book-chart")), partner_a.split()[1])
        set_value(driver, "book-date", yesterday.isoformat())
        set_value(driver, "book-time", "07:05")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form.cal-schedule button[type=submit]"))
        session = next(s for s in driver.find_elements(By.CSS_SELECTOR, "li.cal-session") if partner_a.split()[1] in s.text)
        session.find_element(By.TAG_NAME, "summary").click()
        submit(driver, session.find_element(By.CSS_SELECTOR, "button[value=completed]"))
        session = next(s for s in driver.find_elements(By.CSS_SELECTOR, "li.cal-session") if partner_a.split()[1] in s.text)
        assert session.find_element(By.CSS_SELECTOR, ".cal-status").text == "completed"
        check_page(driver, "day-calendar", names)

        # The note: pickers, a high-risk screen with its sealed detail, autosave, then sign.
        session.find_element(By.CSS_SELECTOR, "a.cal-note").click()
        assert driver.current_url.endswith("/note"), driver.current_url
        Select(driver.find_element(By.ID, "stage")).select_by_value("1")
        Select(driver.find_element(By.ID, "step")).select_by_value("1")
        Select(driver.find_element(By.ID, "riskLevel")).select_by_value("high")
        driver.find_element(By.ID, "riskDetail").send_keys("Fictional: safety plan made in session.")
        driver.find_element(By.ID, "body").send_keys("Fictional note: the cycle named for the first time.")
        WebDriverWait(driver, 20).until(
            lambda d: "version 1." in d.find_element(By.ID, "autosave-status").text)
        check_page(driver, "day-note", names)
        submit(driver, driver.find_element(By.CSS_SELECTOR, "button[value=review]"))
        check_page(driver, "day-note-sign", names)
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/note/sign'] button"))
        driver.find_element(By.ID, "reason").send_keys("Fictional late entry")
        driver.find_element(By.ID, "text").send_keys("Fictional addendum: called the next morning.")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/addenda'] button"))
        assert "Fictional addendum: called the next morning." in driver.find_element(By.TAG_NAME, "main").text

        # The chart now leads with the open high-risk flag; the day lists the couple too.
        driver.get(BASE + "/couples/" + couple)
        assert "high-risk" in driver.find_element(By.CSS_SELECTOR, "main").text.lower()
        driver.get(BASE + "/today")
        assert partner_a.split()[1] in driver.find_element(By.TAG_NAME, "main").text

        # Homework: a joint exercise for a high-risk couple needs the override reason.
        driver.get(BASE + "/couples/%s/homework/new" % couple)
        assert "Open high-risk flag" in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
        prompt = Select(driver.find_element(By.ID, "prompt"))
        joint = next(o for o in prompt.options if "(joint," in o.text).get_attribute("value")
        prompt.select_by_value(joint)
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/homework/new'] button[type=submit]"))
        assert "assigned=1" not in driver.current_url
        assert Select(driver.find_element(By.ID, "prompt")).first_selected_option.get_attribute("value") == joint
        driver.find_element(By.ID, "riskOverrideReason").send_keys(
            "Fictional: both partners asked for it and the safety plan covers the exercise.")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/homework/new'] button[type=submit]"))
        assert "assigned=1" in driver.current_url, driver.current_url
        check_page(driver, "day-homework", names)

        # A CSI-4, item by item.
        driver.get(BASE + "/couples/%s/measures/new?form=CSI-4" % couple)
        for number, answer in enumerate([5, 4, 4, 3], start=1):
            driver.find_element(By.ID, "item%d" % number).send_keys(str(answer))
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/measures/new'] button[type=submit]"))
        assert driver.find_element(By.CSS_SELECTOR, "dl.facts dd").text.startswith("16 of 21")

        # The report, previewed and printed: the print stylesheet hides the app's bar.
        driver.get(BASE + "/couples/%s/report?audience=clinical" % couple)
        check_page(driver, "day-report", names)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert driver.find_element(By.CSS_SELECTOR, "header.bar").value_of_css_property("display") == "none"
        assert driver.find_element(By.CSS_SELECTOR, "article.report").is_displayed()
        driver.save_screenshot(os.path.join(os.environ.get("HAVEN_BROWSER_ARTIFACTS", ".build/browser-artifacts"),
                                            "day-report-print.png"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

        sign_out(driver)
        driver.get(BASE + "/couples/" + couple)
        assert driver.current_url.startswith(BASE + "/sign-in"), driver.current_url
    finally:
        # Leave Dana as the demo has her (password only) for the other tests.
        subprocess.run([os.environ["HAVEN_BIN"], "staff", "reset-totp", dana_id], check=True, capture_output=True)
