"""Every page a person can reach by following links fits a 360 px phone: no page is wider
than the screen (an invite link or a table that pushes the page sideways hides its end)."""
from urllib.parse import urljoin, urlsplit

import pytest

from tests.e2e.conftest import MENTOR_PASSWORD, MENTORS, new_page, screenshot

# Who signs in (login, password): a mentor with a mentee tree, a trainer and an admin.
PEOPLE = {
    "mentor": (MENTORS["phone"], MENTOR_PASSWORD),
    "trainer": ("trainer@example.com", "quiet-harbour-lamp-71"),
    "admin": ("admin@example.com", "amber-meadow-kite-52"),
}
SKIP = ("/logout", "/static/", "/assets/", "/media/", "/api/", "/language")
DOWNLOADS = (".pdf", ".png", ".json", ".zip", ".svg", ".csv", ".md")
MAX_PAGES = 45  # per person: enough to reach every kind of page from the menus


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        parts = urlsplit(url)
        if not url.startswith(base) or parts.path.startswith(SKIP) or parts.path.endswith(DOWNLOADS):
            continue
        found.append(url)
    return found


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_no_reachable_page_is_wider_than_a_phone(browser, server, who):
    page = new_page(browser, "phone", f"phone-width-{who}")
    try:
        login, password = PEOPLE[who]
        page.goto(server.base_url + "/login")
        page.get_by_label("手机号或邮箱").fill(login)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state()
        queue, seen, too_wide = [server.base_url + "/"], set(), []
        while queue and len(seen) < MAX_PAGES:
            url = queue.pop(0)
            # One page per route shape: /courses/a/x and /courses/a/y look alike.
            shape = tuple(p if not any(c.isdigit() for c in p) else "#"
                          for p in urlsplit(url).path.split("/")[:3])
            if url in seen or shape in {s for s, _u in too_wide}:
                continue
            seen.add(url)
            response = page.goto(url)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                screenshot(page, urlsplit(url).path.strip("/").replace("/", "-") or "home")
                too_wide.append((shape, f"{urlsplit(url).path}: {width}px"))
            queue += [link for link in _links(page, server.base_url) if link not in seen]
        assert len(seen) >= 8, seen  # the walk found the pages, not just the home page
        assert [where for _shape, where in too_wide] == []
    finally:
        page.context.close()
