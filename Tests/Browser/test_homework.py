"""Homework, measures and reports in a real browser (docs/web.md, "Homework, measures and reports"):
the library and its filters, assigning through the form, a partner's response, a CSI-4 item by item
with its score, and the report previewed with its own stylesheet under the CSP."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE, DANA, api, check_page, client_names, fetch, sign_in, sign_out, submit


def dana_couple():
    """A couple of Dana's from the demo (Taylor & Quinn), by id."""
    couples = api("/v1/couples?limit=200")["items"]
    return next(c for c in couples if c["partnerA"] == "Taylor")


def test_the_library_filters_and_assigning_and_responding_work(driver):
    couple = dana_couple()
    names = client_names()
    sign_in(driver, DANA)
    driver.get(BASE + "/homework")
    check_page(driver, "homework", names)
    total = driver.find_element(By.CSS_SELECTOR, "#library-heading ~ p.muted").text
    Select(driver.find_element(By.ID, "kind")).select_by_value("joint")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    assert "kind=joint" in driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "#library-heading ~ p.muted").text != total
    assert all("joint" in p.text for p in driver.find_elements(By.CSS_SELECTOR, "article.prompt p.detail"))

    driver.get(BASE + "/couples/%s/homework/new" % couple["id"])
    check_page(driver, "homework-couple", names)
    prompt = Select(driver.find_element(By.ID, "prompt"))
    individual = next(o for o in prompt.options if "(individual," in o.text)
    title = individual.text.split(" (")[0]
    prompt.select_by_value(individual.get_attribute("value"))
    Select(driver.find_element(By.ID, "partner")).select_by_index(1)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/homework/new'] button[type=submit]"))
    assert "assigned=1" in driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "p.notice").text.startswith("Assigned")
    article = next(
        a for a in driver.find_elements(By.CSS_SELECTOR, "article.assignment")
        if a.find_element(By.TAG_NAME, "h3").text == title
    )
    article.find_element(By.CSS_SELECTOR, "textarea[name=text]").send_keys("Fictional: we tried it twice.")
    submit(driver, article.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "responded=1" in driver.current_url
    assert "Fictional: we tried it twice." in driver.find_element(By.ID, "assigned-heading").find_element(By.XPATH, "..").text
    check_page(driver, "homework-couple-responded", names)


def test_a_csi4_is_recorded_item_by_item_and_scored(driver):
    couple = dana_couple()
    names = client_names()
    sign_in(driver, DANA)
    driver.get(BASE + "/couples/%s/measures/new?form=CSI-4" % couple["id"])
    check_page(driver, "measure-new", names)
    labels = [l.text for l in driver.find_elements(By.CSS_SELECTOR, "fieldset.items label")]
    assert labels[0] == "Item 1 (answer 0 to 6)" and len(labels) == 4, labels
    for number, answer in enumerate([4, 3, 3, 2], start=1):
        driver.find_element(By.ID, "item%d" % number).send_keys(str(answer))
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/measures/new'] button[type=submit]"))
    assert "recorded=1" in driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "dl.facts dd").text.startswith("12 of 21")
    check_page(driver, "measure-result", names)


def test_the_report_previews_with_its_stylesheet_and_offers_downloads(driver):
    couple = dana_couple()
    names = client_names()
    sign_in(driver, DANA)
    for audience in ("clinical", "client"):
        driver.get(BASE + "/couples/%s/report?audience=%s" % (couple["id"], audience))
        check_page(driver, "report-" + audience, names)
        heading = driver.find_element(By.CSS_SELECTOR, "article.report h1")
        assert "Georgia" in heading.value_of_css_property("font-family"), "report.css applies inside the report"
        body = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert body == "rgb(246, 247, 249)", "report.css leaves the app's own page alone"
        for link in driver.find_elements(By.CSS_SELECTOR, "ul.downloads a"):
            status, headers, _ = fetch(driver, link.get_attribute("href")[len(BASE):])
            assert status == 200 and headers["Content-Disposition"].startswith("attachment"), link.get_attribute("href")


def test_text_sent_after_signing_out_in_another_tab_comes_back_to_copy(driver):
    """docs/web.md, "The browser session": a form posted after its session ended shows its text back."""
    couple = dana_couple()
    sign_in(driver, DANA)
    driver.get(BASE + "/couples/%s/report?audience=clinical" % couple["id"])
    typed = "Fictional summary <b>typed</b> before signing out elsewhere."
    area = driver.find_element(By.ID, "report-summary")
    area.clear()
    area.send_keys(typed)
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(BASE + "/today")
    sign_out(driver)
    driver.close()
    driver.switch_to.window(first)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/report/summary'] button[type=submit]"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "You were signed out"
    assert driver.find_element(By.ID, "kept-summary").get_attribute("value") == typed
    assert driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in']").get_attribute("target") == "_blank"
