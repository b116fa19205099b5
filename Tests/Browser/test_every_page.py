"""Every page a staff member can reach by following links, for each role in the demo practice:
each passes `check_page` (strict HTML5, security headers, no inline script or style, no name in the
URL, no serious or critical axe-core violation) and no name reaches a URL. Pages added later are
covered without touching this file: the crawl follows the navigation and every same-origin link."""
import urllib.parse

import pytest
from selenium.webdriver.common.by import By

from conftest import BASE, DANA, MORGAN, OFFICE, SAM, check_page, client_names, sign_in, sign_out

# Links that do something or leave the HTML pages (downloads, files, the API) are not crawled.
SKIPPED = ("/static/", "/v1/", "/openapi.yaml", "/health", "/ready")
DOWNLOADS = (".html", ".md", ".json", ".pdf", ".csv", ".svg")
LIMIT = 40


def page_name(role, path):
    slug = path.strip("/").replace("/", "-").split("?")[0] or "root"
    return "%s-%s" % (role, slug)


@pytest.mark.parametrize(
    "role,email", [("counselor", DANA), ("pre-licensed", SAM), ("supervisor", MORGAN), ("admin", OFFICE)]
)
def test_every_reachable_page_passes_the_page_checks(driver, role, email):
    names = client_names()
    sign_in(driver, email)
    queue, seen, shapes = ["/"], set(), set()
    while queue and len(seen) < LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        driver.get(BASE + path)
        here = driver.current_url[len(BASE):]
        assert not here.startswith("/sign-in"), "%s sent %s back to sign in" % (path, role)
        assert "Something went wrong" not in driver.title and "Not done" not in driver.title, (
            "%s shows %s an error page: %s" % (path, role, driver.title))
        # One check per page shape (/couples/<id> once, not once per couple).
        shape = "/".join("{id}" if len(part) == 36 and part.count("-") == 4 else part for part in here.split("?")[0].split("/"))
        if shape not in shapes:
            shapes.add(shape)
            check_page(driver, page_name(role, shape.replace("{id}", "id")), names)
        for link in driver.find_elements(By.CSS_SELECTOR, "a[href]"):
            href = link.get_attribute("href")
            if not href.startswith(BASE + "/"):
                continue
            target = href[len(BASE):].split("#")[0]
            for name in names:
                assert name.lower() not in urllib.parse.unquote(target).lower(), "a name in a link: %s" % target
            if target.startswith(SKIPPED) or target.split("?")[0].endswith(DOWNLOADS) or target in seen:
                continue
            queue.append(target)
    assert len(shapes) >= 2, "the crawl as %s found only %s" % (role, sorted(shapes))
    sign_out(driver)
