"""Pages Haven answers when it does not do what was asked, checked as every page is (docs/web.md):
a form refused for what was typed (422), a form without its token (403), a form that arrives after
its session ended (401, the text shown back to copy), and an address with nothing behind it (404).
Their bytes are parsed strictly as sent, not as a later GET of the address would answer."""
import uuid

from selenium.webdriver.common.by import By

from conftest import BASE, DANA, SAM, api, check_html, check_page, fetch, sign_in, submit, submit_raw


def test_a_refused_form_and_an_ended_sessions_form_are_strict_pages(driver):
    couple = api("/v1/couples", SAM)["items"][0]["id"]
    grants = len(api("/v1/break-glass-grants", DANA)["items"])
    sign_in(driver, DANA)
    driver.get(BASE + "/break-glass?couple=" + couple)
    driver.find_element(By.ID, "reason").send_keys("Too short.")
    button = driver.find_element(By.CSS_SELECTOR, "form[action='/break-glass'] button")
    refused = submit_raw(driver, button)  # refused: opens no grant
    assert refused[0] == 422 and b"at least" in refused[2], refused[0]
    submit(driver, button)
    check_page(driver, "break-glass-refused", status=422, fetched=refused)
    assert "Too short." in driver.find_element(By.ID, "reason").get_attribute("value")

    # The same form after the session is gone: the reason comes back to copy, nothing is opened.
    driver.delete_cookie("__Host-haven-session")
    button = driver.find_element(By.CSS_SELECTOR, "form[action='/break-glass'] button")
    kept = submit_raw(driver, button)
    assert kept[0] == 401 and b"Too short." in kept[2], kept[0]
    submit(driver, button)
    check_page(driver, "kept-text", status=401, fetched=kept)
    assert len(api("/v1/break-glass-grants", DANA)["items"]) == grants


def test_a_form_without_its_token_and_an_unknown_address_are_strict_pages(driver):
    sign_in(driver, DANA)
    status, headers, body = fetch(driver, "/sign-out", {})
    assert status == 403, status
    check_html("/sign-out", headers, body)
    driver.get(BASE + "/today")  # still signed in: the forged sign-out did nothing
    assert driver.current_url == BASE + "/today"
    driver.get(BASE + "/clients/" + str(uuid.uuid4()))
    check_page(driver, "client-not-found", status=404)
    assert "ask for break-glass access" in driver.find_element(By.TAG_NAME, "main").text
    driver.get(BASE + "/no-such-page")
    check_page(driver, "not-found", status=404)
