"""The calendar in a real browser (docs/web.md, `/calendar`): Dana's week, a session scheduled through
the form, completing it before it starts refused in the page with the typed values kept, cancelling
it, and the week readable at a tablet's width with the days stacked."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE, DANA, check_page, client_names, sign_in, submit


def set_value(driver, element_id, value):
    """Sets a date, time or number field as a user's picker would (typing into them is locale-bound)."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def test_a_week_schedule_refuse_and_cancel(driver):
    sign_in(driver, DANA)
    driver.find_element(By.CSS_SELECTOR, "nav[aria-label=Main] a[href='/calendar']").click()
    assert driver.current_url.startswith(BASE + "/calendar"), driver.current_url
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Calendar")
    names = client_names()
    check_page(driver, "calendar", names)

    # A week far ahead, chosen with the page's own picker (a GET form of ids and a date).
    set_value(driver, "pick-week", "2031-03-05")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.cal-pick button[type=submit]"))
    assert "week=2031-03-05" in driver.current_url, driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "section.cal-day h2").text == "Monday, March 3"

    # Schedule through the form.
    chart = Select(driver.find_element(By.ID, "book-chart"))
    chart.select_by_index(1)
    chosen = chart.first_selected_option.text
    set_value(driver, "book-date", "2031-03-04")
    set_value(driver, "book-time", "07:10")
    Select(driver.find_element(By.ID, "book-format")).select_by_value("video")
    driver.find_element(By.ID, "book-code").send_keys("90847")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.cal-schedule button[type=submit]"))
    assert "/calendar?week=2031-03-03" in driver.current_url, driver.current_url
    session = driver.find_element(By.CSS_SELECTOR, "li.cal-session")
    assert session.find_element(By.CSS_SELECTOR, ".when").text == "07:10–08:00"
    assert chosen in session.text and "scheduled" in session.text
    check_page(driver, "calendar-week", names)

    # Completed before it starts: refused in the service's words, at the session, its form open.
    session.find_element(By.TAG_NAME, "summary").click()
    submit(driver, session.find_element(By.CSS_SELECTOR, "button[value=completed]"))
    alert = driver.find_element(By.CSS_SELECTOR, "li.cal-session [role=alert]")
    assert "has not started yet" in alert.text, alert.text
    assert "scheduled" in driver.find_element(By.CSS_SELECTOR, "li.cal-session .cal-status").text

    # Cancelled: back on the week, the session cancelled.
    session = driver.find_element(By.CSS_SELECTOR, "li.cal-session")
    submit(driver, session.find_element(By.CSS_SELECTOR, "button[value=cancelled]"))
    assert "/calendar?week=2031-03-03" in driver.current_url, driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "li.cal-session .cal-status").text == "cancelled"

    # A tablet's width: the days stack (one column, each day under the one before).
    driver.set_window_size(768, 1024)
    days = driver.find_elements(By.CSS_SELECTOR, "section.cal-day")
    assert len(days) == 7
    assert days[1].location["y"] > days[0].location["y"] and days[1].location["x"] == days[0].location["x"]
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    check_page(driver, "calendar-tablet", names)


def test_a_bad_week_is_said_on_the_page(driver):
    sign_in(driver, DANA)
    driver.get(BASE + "/calendar?week=2031-02-30")
    assert "not a date like" in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
