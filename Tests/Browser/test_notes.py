"""Notes in a real browser (docs/web.md, "Notes"): the editor's stage and step pickers and its
autosave (with the note's version: a second tab that saved first stops the first tab's autosave with
a visible message and keeps its text), signing behind the confirmation, an addendum, and a
supervisor co-signing a pre-licensed counselor's note from the queue."""
import random

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BASE, DANA, MORGAN, SAM, api, check_page, sign_in, sign_out, submit, submit_raw


def completed_session(email):
    """A session of one of `email`'s couples without a high-risk flag, in the past, marked completed."""
    couples = [c for c in api("/v1/couples?limit=200", email=email)["items"] if not c.get("highRisk")]
    assert couples, "%s has a couple without a high-risk flag" % email
    couple = couples[0]["id"]
    start = "2026-%02d-%02dT%02d:%02d:00Z" % (
        random.randint(1, 10), random.randint(1, 28), random.randint(8, 20), random.choice([0, 15, 30, 45]))
    session = api("/v1/therapy-sessions", email=email, method="POST", body={
        "coupleId": couple, "start": start, "durationMinutes": 50, "format": "video", "allowOverlap": True,
    })["id"]
    api("/v1/therapy-sessions/%s/status" % session, email=email, method="POST", body={"status": "completed"})
    return session


def wait_saved(driver, version):
    WebDriverWait(driver, 20).until(
        lambda d: ("version %s." % version) in d.find_element(By.ID, "autosave-status").text)


def test_write_autosave_sign_and_add_an_addendum(driver):
    session = completed_session(DANA)
    sign_in(driver, DANA)
    driver.get(BASE + "/sessions/%s/note" % session)
    check_page(driver, "note-editor")
    stage = Select(driver.find_element(By.ID, "stage"))
    step = driver.find_element(By.ID, "step")
    partner = driver.find_element(By.ID, "partner-field")
    stage.select_by_value("2")
    visible = [o.get_attribute("value") for o in step.find_elements(By.CSS_SELECTOR, "optgroup:not([disabled]) option")]
    assert visible == ["5", "6", "7"], "step options follow the stage: %r" % visible
    assert not partner.is_displayed()
    Select(step).select_by_value("5")
    assert partner.is_displayed(), "steps 5–7 ask which partner"
    Select(driver.find_element(By.ID, "stepPartner")).select_by_index(1)
    driver.find_element(By.CSS_SELECTOR, "label[for='interventions-validating']").click()
    Select(driver.find_element(By.ID, "riskLevel")).select_by_value("none")
    driver.find_element(By.ID, "body").send_keys("Fictional session note written in the browser.")
    wait_saved(driver, 1)
    # The idle logoff's hook saves at once and resolves.
    driver.find_element(By.ID, "body").send_keys(" More.")
    assert driver.execute_async_script(
        "var done = arguments[0]; window.havenBeforeSignOut().then(function () { done(true); });")
    wait_saved(driver, 2)
    driver.refresh()
    assert driver.find_element(By.ID, "body").get_attribute("value").endswith("browser. More.")
    assert driver.find_element(By.ID, "partner-field").is_displayed()
    submit(driver, driver.find_element(By.CSS_SELECTOR, "button[value=review]"))
    assert driver.current_url.endswith("/note/sign"), driver.current_url
    assert "can no longer be changed" in driver.find_element(By.TAG_NAME, "main").text
    check_page(driver, "note-sign")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/note/sign'] button"))
    assert "/notes/" in driver.current_url, driver.current_url
    check_page(driver, "note-signed")
    driver.find_element(By.ID, "reason").send_keys("Fictional late entry")
    driver.find_element(By.ID, "text").send_keys("Fictional addendum text.")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/addenda'] button"))
    assert "Fictional addendum text." in driver.find_element(By.TAG_NAME, "main").text
    # The editor now opens the signed note.
    driver.get(BASE + "/sessions/%s/note" % session)
    assert "/notes/" in driver.current_url
    sign_out(driver)


def test_a_second_tab_that_saved_first_stops_autosave_and_keeps_the_text(driver):
    session = completed_session(DANA)
    sign_in(driver, DANA)
    page = BASE + "/sessions/%s/note" % session
    driver.get(page)
    Select(driver.find_element(By.ID, "stage")).select_by_value("1")
    Select(driver.find_element(By.ID, "step")).select_by_value("2")
    driver.find_element(By.ID, "body").send_keys("Fictional first tab.")
    wait_saved(driver, 1)
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(page)
    driver.find_element(By.ID, "body").send_keys(" Second tab.")
    wait_saved(driver, 2)
    driver.close()
    driver.switch_to.window(first)
    driver.find_element(By.ID, "body").send_keys(" Typed in the first tab.")
    conflict = driver.find_element(By.ID, "note-conflict")
    WebDriverWait(driver, 20).until(lambda d: conflict.is_displayed())
    assert "Another tab or window saved this note first" in conflict.text
    assert driver.find_element(By.ID, "body").get_attribute("value") == "Fictional first tab. Typed in the first tab."
    # The form then shows the conflict page, text kept, at the version now current (its bytes checked
    # as sent: a refused save changes nothing, so the raw copy of the request is safe to send first).
    save = driver.find_element(By.CSS_SELECTOR, "button[value=save]")
    refused = submit_raw(driver, save)
    assert refused[0] == 409 and b"Typed in the first tab." in refused[2], refused[0]
    submit(driver, save)
    check_page(driver, "note-conflict", status=409, fetched=refused)
    assert "Typed in the first tab." in driver.find_element(By.ID, "body").get_attribute("value")
    assert driver.find_element(By.NAME, "version").get_attribute("value") == "2"
    sign_out(driver)


def test_a_supervisor_cosigns_from_the_queue(driver):
    session = completed_session(SAM)
    sign_in(driver, SAM)
    driver.get(BASE + "/sessions/%s/note" % session)
    Select(driver.find_element(By.ID, "stage")).select_by_value("1")
    Select(driver.find_element(By.ID, "step")).select_by_value("3")
    Select(driver.find_element(By.ID, "riskLevel")).select_by_value("low")
    driver.find_element(By.ID, "body").send_keys("Fictional supervised note.")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "button[value=review]"))
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/note/sign'] button"))
    assert driver.current_url.endswith("?cosignature=pending"), driver.current_url
    assert "waits for your supervisor" in driver.find_element(By.TAG_NAME, "main").text
    note = driver.current_url.split("/notes/")[1].split("?")[0]
    sign_out(driver)
    sign_in(driver, MORGAN)
    driver.get(BASE + "/cosign")
    check_page(driver, "cosign")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/notes/%s/cosign'] button" % note))
    assert driver.current_url == BASE + "/cosign"
    assert not driver.find_elements(By.CSS_SELECTOR, "form[action='/notes/%s/cosign']" % note)
    driver.get(BASE + "/notes/%s" % note)
    assert "Co-signed by" in driver.find_element(By.TAG_NAME, "main").text
    sign_out(driver)
