"""The caseload and a couple's chart in a real browser (docs/web.md, `/caseload`, `/couples/{id}`):
Dana's caseload, a search by name sent as a POST (the name never in the address), a new client
refused with what was typed kept, then opened; a couple's chart with its sections, the report's SVG
charts drawn under the CSP, and the page readable at a tablet's width."""
from selenium.webdriver.common.by import By

from conftest import BASE, DANA, check_page, client_names, sign_in, submit


def set_value(driver, element_id, value):
    """Sets a date field as a user's picker would (typing into one is locale-bound)."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def test_caseload_search_and_a_new_client(driver):
    sign_in(driver, DANA)
    driver.find_element(By.CSS_SELECTOR, "nav[aria-label=Main] a[href='/caseload']").click()
    assert driver.current_url == BASE + "/caseload", driver.current_url
    names = client_names()
    check_page(driver, "caseload", names)
    couples = driver.find_elements(By.CSS_SELECTOR, "#couples-heading ~ table tbody th a")
    assert couples, "Dana's caseload lists couples"

    # Search for the first couple by a part of a partner's name: a POST, no name in the address.
    first = couples[0].text
    needle = first.split(" ")[0]
    driver.find_element(By.ID, "q").send_keys(needle)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.caseload-search button[type=submit]"))
    assert driver.current_url == BASE + "/caseload/search", driver.current_url
    found = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#couples-heading ~ table tbody th a")]
    assert first in found, (first, found)
    assert driver.find_element(By.ID, "q").get_attribute("value") == needle

    # A new client refused (intake after a birth date that follows it): the typed values stay.
    driver.get(BASE + "/caseload")
    driver.find_element(By.ID, "legalName").send_keys("Wrenna Hallowby")
    driver.find_element(By.ID, "pronouns").send_keys("they/them")
    set_value(driver, "dateOfBirth", "2030-01-02")
    set_value(driver, "intakeDate", "2026-10-01")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/caseload/clients'] button[type=submit]"))
    alert = driver.find_element(By.CSS_SELECTOR, "form[action='/caseload/clients']").find_element(
        By.XPATH, "preceding-sibling::p[@role='alert']")
    assert "dateOfBirth" in alert.text, alert.text
    assert driver.find_element(By.ID, "legalName").get_attribute("value") == "Wrenna Hallowby"
    assert driver.find_element(By.ID, "pronouns").get_attribute("value") == "they/them"

    # Fixed and sent: the new client's chart.
    set_value(driver, "dateOfBirth", "1990-01-02")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/caseload/clients'] button[type=submit]"))
    assert driver.current_url.startswith(BASE + "/clients/"), driver.current_url
    assert driver.find_element(By.TAG_NAME, "h1").text == "Wrenna Hallowby"
    check_page(driver, "client-chart", names)


def test_a_couples_chart(driver):
    sign_in(driver, DANA)
    driver.get(BASE + "/caseload")
    names = client_names()
    driver.find_element(By.CSS_SELECTOR, "#couples-heading ~ table tbody th a").click()
    assert driver.current_url.startswith(BASE + "/couples/"), driver.current_url
    # The risk section comes first, then the table of contents; every entry leads to its section.
    sections = driver.find_elements(By.CSS_SELECTOR, "main > section, main > nav")
    assert sections[0].get_attribute("id") == "risk"
    for link in driver.find_elements(By.CSS_SELECTOR, "nav.chart-contents a"):
        target = link.get_attribute("href").split("#", 1)[1]
        assert driver.find_elements(By.ID, target), target
    # The report's charts are drawn (SVG under the CSP: presentation attributes only).
    for svg in driver.find_elements(By.CSS_SELECTOR, "figure.chart-figure svg"):
        assert svg.size["width"] > 100 and svg.size["height"] > 50
    check_page(driver, "couple-chart", names)
    # A tablet's width: nothing scrolls sideways.
    driver.set_window_size(768, 1024)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    check_page(driver, "couple-chart-tablet", names)
