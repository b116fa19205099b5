"""The admin pages in a real browser: the overview, staff, TOTP policy and keys pages, the audit log
with a filter chosen in its form and the older-entries link, the chain check; a counselor is refused
every admin page; no client's name on any of them."""
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BASE, DANA, OFFICE, api, check_page, client_names, sign_in, submit

PAGES = ["/admin", "/admin/staff", "/admin/security", "/admin/keys", "/admin/audit", "/admin/audit/verification"]


def full_names():
    """Every demo client's full names (a first name alone may be a staff member's too: Morgan)."""
    return sorted({value for client in api("/v1/clients?limit=200")["items"] for key, value in client.items()
                   if "name" in key.lower() and isinstance(value, str) and " " in value.strip()})


def test_an_admin_walks_the_admin_pages(driver):
    names = client_names()
    full = full_names()
    assert full, "the demo has clients"
    sign_in(driver, OFFICE)
    for path in PAGES:
        driver.get(BASE + path)
        assert driver.current_url == BASE + path, driver.current_url
        check_page(driver, "admin" + path[len("/admin"):].replace("/", "-"), names)
        text = driver.find_element(By.TAG_NAME, "main").text
        for name in full:
            assert name not in text, "a client's name on %s" % path

    driver.get(BASE + "/admin/staff")
    table = driver.find_element(By.CSS_SELECTOR, ".admin-table table").text
    assert "Dana" in table and "Morgan" in table and "pre-licensed" in table, table

    driver.get(BASE + "/admin/audit/verification")
    assert driver.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Intact"), "the demo chain holds"

    # Choose an action in the form: the URL carries the action's name and ids only.
    driver.get(BASE + "/admin/audit")
    Select(driver.find_element(By.ID, "action")).select_by_value("staff.list")
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.admin-filters button[type=submit]"))
    query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)
    assert query.get("action") == ["staff.list"], driver.current_url
    check_page(driver, "admin-audit-filtered", names)
    actions = [row.find_elements(By.TAG_NAME, "td")[3].text
               for row in driver.find_elements(By.CSS_SELECTOR, ".admin-table tbody tr")]
    assert actions and set(actions) == {"staff.list"}, actions
    assert Select(driver.find_element(By.ID, "action")).first_selected_option.get_attribute("value") == "staff.list"

    # Unfiltered, the demo's log is longer than a page: the older-entries link pages back.
    driver.get(BASE + "/admin/audit")
    newest = [int(row.find_element(By.TAG_NAME, "th").text)
              for row in driver.find_elements(By.CSS_SELECTOR, ".admin-table tbody tr")]
    links = driver.find_elements(By.LINK_TEXT, "Older entries")
    if links:
        submit(driver, links[0])
        older = [int(row.find_element(By.TAG_NAME, "th").text)
                 for row in driver.find_elements(By.CSS_SELECTOR, ".admin-table tbody tr")]
        assert older and max(older) < min(newest), (newest[-3:], older[:3])
        check_page(driver, "admin-audit-older", names)


def test_a_counselor_is_refused_every_admin_page(driver):
    sign_in(driver, DANA)
    for path in PAGES:
        driver.get(BASE + path)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not for your role", path
