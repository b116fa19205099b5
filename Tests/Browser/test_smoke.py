"""Signing in and out in a real browser: the root, the cookie's flags as Chromium keeps them on
http://127.0.0.1, the stylesheet under the CSP, sign-out ending the session, and the keyboard alone."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, DANA, PASSWORD, check_page, sign_in, sign_out, submit


def test_sign_in_today_and_sign_out(driver):
    driver.get(BASE + "/")
    assert driver.current_url == BASE + "/sign-in", "the root sends a signed-out browser to /sign-in"
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)", "the same-origin stylesheet applies under the CSP"
    check_page(driver, "sign-in")
    sign_in(driver, DANA)
    assert driver.current_url == BASE + "/today", driver.current_url
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Today")
    cookie = driver.get_cookie("__Host-haven-session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert driver.execute_script("return document.cookie") == "", "page scripts cannot read the cookies"
    check_page(driver, "today")
    sign_out(driver)
    assert driver.get_cookie("__Host-haven-session") is None, "signing out drops the session cookie"
    driver.get(BASE + "/today")
    assert driver.current_url == BASE + "/sign-in?next=%2Ftoday", "after sign-out /today asks to sign in again"


def test_a_wrong_password_keeps_the_email_and_says_so(driver):
    driver.get(BASE + "/sign-in")
    driver.find_element(By.ID, "email").send_keys(DANA)
    driver.find_element(By.ID, "password").send_keys("not the password")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]"))
    assert driver.find_element(By.CSS_SELECTOR, "[role=alert]").text.startswith("Wrong email or password")
    assert driver.find_element(By.ID, "email").get_attribute("value") == DANA
    assert driver.get_cookie("__Host-haven-session") is None


def test_sign_in_and_reach_the_caseload_by_keyboard_alone(driver):
    """Keyboard use: Tab reaches the sign-in fields in order with a visible focus, Enter sends the form,
    and the navigation's links are reached and followed with Tab and Enter."""
    def tab_to(predicate, limit=40):
        for _ in range(limit):
            ActionChains(driver).send_keys(Keys.TAB).perform()
            if driver.execute_script("return " + predicate):
                return driver.switch_to.active_element
        raise AssertionError("Tab never reached %s" % predicate)

    def outlined(element):
        return driver.execute_script(
            "var s = getComputedStyle(arguments[0]); return s.outlineStyle !== 'none' && s.outlineWidth !== '0px'"
            " || s.boxShadow !== 'none';", element)

    driver.get(BASE + "/sign-in")
    email = tab_to("document.activeElement.id === 'email'")
    assert outlined(email), "the focused field shows its focus"
    email.send_keys(DANA)
    ActionChains(driver).send_keys(Keys.TAB).perform()
    password = driver.switch_to.active_element
    assert password.get_attribute("id") == "password"
    password.send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(driver, 30).until(lambda d: d.current_url == BASE + "/today")
    link = tab_to("document.activeElement.getAttribute('href') === '/caseload'")
    assert outlined(link), "the focused link shows its focus"
    link.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30).until(lambda d: d.current_url == BASE + "/caseload")
    sign_out(driver)
