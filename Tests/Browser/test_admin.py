"""The admin pages in a real browser: the overview, staff, TOTP policy and keys pages, the audit log
with a filter chosen in its form and the older-entries link, the chain check; a counselor is refused
every admin page; no client's name on any of them. Staff changes: an admin disables and re-enables an
account; a counselor role proposed by one admin and approved by a second; an admin creates a
front-desk account and its member sets their own password with the one-time link in a fresh browser.
The practice's reminders: an admin turns a kind off and sets the appointment reminder's hours; a
number out of range comes back beside the field as typed."""
import secrets
import urllib.error
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import (BASE, DANA, OFFICE, PASSWORD, api, check_page, client_names, new_browser, sign_in,
                      sign_out, submit)

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


def operator_adds(email, name, role):
    """An operator adds an account on the server host (`haven staff add`, the owner role); its id."""
    import os
    import subprocess
    subprocess.run([os.environ["HAVEN_BIN"], "staff", "add", "--email", email, "--name", name, "--role", role,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    return next(member["id"] for member in api("/v1/staff", email=OFFICE)["staff"] if member["email"] == email)


def open_person(driver, name):
    """Opens a staff member's page from the staff list by their name."""
    driver.get(BASE + "/admin/staff")
    submit(driver, driver.find_element(By.LINK_TEXT, name))


def test_an_admin_disables_and_re_enables_an_account(driver):
    names = client_names()
    suffix = secrets.token_hex(3)
    email = "desk-%s@demo.haven" % suffix
    name = "Front Desk %s" % suffix
    operator_adds(email, name, "scheduler")
    sign_in(driver, OFFICE)
    open_person(driver, name)
    check_page(driver, "admin-person", names)
    submit(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Disable the account']"))
    assert "Disabled: the account" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "disabled" in driver.find_element(By.CSS_SELECTOR, ".admin-facts").text
    check_page(driver, "admin-person-disabled", names)
    try:
        api("/v1/me", email=email)
        assert False, "a disabled account signs in"
    except urllib.error.HTTPError as error:
        assert error.code == 401, error.code
    submit(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Re-enable the account']"))
    assert "Re-enabled" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert api("/v1/me", email=email)["email"] == email


def test_two_admins_propose_and_approve_a_counselor_role(driver):
    names = client_names()
    suffix = secrets.token_hex(3)
    second = "second-%s@demo.haven" % suffix
    trainee = "Trainee %s" % suffix
    operator_adds(second, "Second Admin %s" % suffix, "admin")
    trainee_id = operator_adds("trainee-%s@demo.haven" % suffix, trainee, "scheduler")

    sign_in(driver, OFFICE)
    open_person(driver, trainee)
    driver.find_element(By.ID, "role-counselor").click()
    submit(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Save roles']"))
    assert "waits for a second admin" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert not driver.find_elements(By.XPATH, "//button[normalize-space()='Approve']"), "the proposer cannot approve"
    check_page(driver, "admin-person-proposed", names)
    sign_out(driver)

    sign_in(driver, second)
    driver.get(BASE + "/admin/staff")
    check_page(driver, "admin-staff-waiting", names)
    waiting = driver.find_element(By.XPATH, "//li[contains(., 'Grant counselor to %s')]" % trainee)
    submit(driver, waiting.find_element(By.XPATH, ".//button[normalize-space()='Approve']"))
    assert "Approved" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    member = next(m for m in api("/v1/staff", email=OFFICE)["staff"] if m["id"] == trainee_id)
    assert member["roles"] == ["counselor", "scheduler"], member


def test_an_admin_creates_a_front_desk_account_whose_member_sets_their_password(driver):
    names = client_names()
    suffix = secrets.token_hex(3)
    email = "front-%s@demo.haven" % suffix
    sign_in(driver, OFFICE)
    driver.get(BASE + "/admin/staff")
    driver.find_element(By.ID, "new-email").send_keys(email)
    driver.find_element(By.ID, "new-name").send_keys("Front %s" % suffix)
    submit(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Create the account']"))
    assert "in person or by a channel you trust" in driver.find_element(By.TAG_NAME, "main").text
    path = urllib.parse.urlparse(driver.find_element(By.CSS_SELECTOR, "code.secret").text).path
    assert path.startswith("/welcome/") and len(path) == len("/welcome/") + 43, path
    check_page(driver, "admin-link", names)

    member = new_browser()  # the new member's own browser: no cookie of the admin's
    try:
        member.get(BASE + path)
        assert email in member.find_element(By.TAG_NAME, "main").text
        check_page(member, "welcome", names)
        chosen = "their own password " + secrets.token_hex(4)
        member.find_element(By.ID, "password").send_keys(chosen)
        member.find_element(By.ID, "confirm").send_keys(chosen)
        submit(member, member.find_element(By.XPATH, "//button[normalize-space()='Set my password']"))
        assert member.current_url == BASE + "/sign-in?reason=password-set", member.current_url
        assert "Your password is set" in member.find_element(By.CSS_SELECTOR, "[role=status]").text
        sign_in(member, email, password=chosen)
        member.get(BASE + path)  # spent
        assert "does not work" in member.find_element(By.TAG_NAME, "main").text
    finally:
        member.quit()


def reminder_form(driver):
    return driver.find_element(By.CSS_SELECTOR, "form[action='/admin/reminders']")


def save_reminders(driver, kind, send, hours):
    """Sets one kind's box and the hours on /admin/reminders and saves."""
    driver.get(BASE + "/admin/reminders")
    box = driver.find_element(By.CSS_SELECTOR, "input[name='send-%s']" % kind)
    if box.is_selected() != send:
        box.click()
    field = driver.find_element(By.ID, "appointment-hours")
    field.clear()
    field.send_keys(str(hours))
    submit(driver, reminder_form(driver).find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert driver.current_url == BASE + "/admin/reminders?done=saved", driver.current_url


def test_an_admin_turns_off_a_reminder_kind_and_sets_the_appointment_hours(driver):
    names = client_names()
    kind = "homework-overdue"
    sign_in(driver, OFFICE)
    driver.get(BASE + "/admin/reminders")
    check_page(driver, "admin-reminders", names)
    was_on = driver.find_element(By.CSS_SELECTOR, "input[name='send-%s']" % kind).is_selected()
    was_hours = driver.find_element(By.ID, "appointment-hours").get_attribute("value")
    hours = "36" if was_hours != "36" else "30"
    try:
        save_reminders(driver, kind, not was_on, hours)
        assert "saved" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
        driver.get(BASE + "/admin/reminders")
        assert driver.find_element(By.CSS_SELECTOR, "input[name='send-%s']" % kind).is_selected() == (not was_on)
        assert driver.find_element(By.ID, "appointment-hours").get_attribute("value") == hours

        # 0 hours: the browser's own check (min=1) stops the form first...
        field = driver.find_element(By.ID, "appointment-hours")
        field.clear()
        field.send_keys("0")
        reminder_form(driver).find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        assert driver.current_url == BASE + "/admin/reminders"
        assert driver.execute_script("return document.getElementById('appointment-hours').validity.valid") is False
        # ...and without it (a browser that does not check) the server answers beside the field, the
        # typed value kept, nothing saved.
        driver.execute_script("arguments[0].noValidate = true;", reminder_form(driver))
        submit(driver, reminder_form(driver).find_element(By.CSS_SELECTOR, "button[type=submit]"))
        error = driver.find_element(By.ID, "appointment-hours-error")
        assert "“0”" in error.text and "from 1 to 168" in error.text, error.text
        field = driver.find_element(By.ID, "appointment-hours")
        assert field.get_attribute("value") == "0"
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby") == "appointment-hours-error"
        fieldset = driver.find_element(By.XPATH, "//fieldset[.//input[@id='appointment-hours']]")
        assert fieldset.find_element(By.ID, "appointment-hours-error") == error
        check_page(driver, "admin-reminders-hours-error", names)
        driver.get(BASE + "/admin/reminders")
        assert driver.find_element(By.ID, "appointment-hours").get_attribute("value") == hours
    finally:
        # The demo practice as it was, for the other tests.
        save_reminders(driver, kind, was_on, was_hours)
