"""The main pages at 200% zoom: a 1280-pixel window zoomed to 200% lays pages out in 640 CSS pixels,
so each page is loaded at that width and must fit it without scrolling sideways (a wide table may
scroll inside its own region, not the page), with the navigation and sign-out still on screen."""
from selenium.webdriver.common.by import By

from conftest import BASE, DANA, api, sign_in

PAGES = ["/today", "/caseload", "/calendar", "/homework"]


def test_the_main_pages_fit_at_200_percent_zoom(driver):
    couple = api("/v1/couples?limit=200")["items"][0]["id"]
    sign_in(driver, DANA)
    driver.set_window_size(640, 900)
    width = driver.execute_script("return window.innerWidth")
    assert width <= 660, width
    for path in PAGES + ["/couples/" + couple, "/couples/%s/report" % couple]:
        driver.get(BASE + path)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, "%s is %d px wider than a 200%% zoomed window" % (path, overflow)
        assert driver.find_element(By.CSS_SELECTOR, "form.sign-out button").is_displayed(), path
