"""No page scrolls sideways. Each demo person's portal is crawled from their dashboard (every
link of the navigation and of the pages), and each kind of page (one address per kind, the
first person who reaches it) is measured at 320, 390 and 1280 px: the document is never
wider than the window. Each kind of page also goes through axe-core at phone width, menu
open. The people are crawled in an order that reaches most pages first (the coordinator)."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import MOBILE, LiveServer, accessibility_problems, sign_in

pytestmark = pytest.mark.browser

PEOPLE = (
    "coordination@ccas-concarneau.demo",
    "social@ccas-concarneau.demo",
    "siao@siao29.demo",
    "bailleur@finistere-habitat.demo",
    "conseil@mission-locale.demo",
    "etat@ddets29.demo",
    "proprietaire@exemple.demo",
)
WIDTHS = (320, 390, 1280)
# The coordinator reaches most kinds of pages; the others add their own dashboard and the
# pages of their role, found near it.
PAGES_PER_PERSON = {"coordination@ccas-concarneau.demo": 40}
OTHERS_PAGES = 12
# Downloads and sign-out are not pages to lay out.
NOT_PAGES = re.compile(r"\.(pdf|csv|ics|docx|odt|json)$|/download|/export|/logout|/attachments/")
# Kinds of pages already measured, by whoever reached them first (the module's people run
# in order on one worker).
MEASURED: set[str] = set()


def kind_of(path: str) -> str:
    """/cases/12/edit and /cases/13/edit are one kind of page."""
    return re.sub(r"/\d+", "/N", path)


def links_of(page: Page, live_server: LiveServer) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        url = urlsplit(urljoin(page.url, href))
        if url.netloc == urlsplit(live_server.url).netloc and not NOT_PAGES.search(url.path):
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


# The element reaching furthest right past the window: where to look.
WIDEST_ELEMENT = """(width) => {
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const right = el.getBoundingClientRect().right;
    const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
    if (right > width + 1 && (!worst || right > worst[1])) worst = [name, right];
  }
  return worst ? worst[0] : '?';
}"""


def too_wide(page: Page) -> list[str]:
    """At each width, the document's width beyond the window's, if any, and the widest
    element sticking out (to say where to look)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        extra = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if extra > 0:
            culprit = page.evaluate(WIDEST_ELEMENT, width)
            problems.append(f"{width} px: {extra} px too wide ({culprit})")
    return problems


@pytest.mark.parametrize("email", PEOPLE)
def test_no_page_scrolls_sideways(page: Page, live_server: LiveServer, email):
    sign_in(page, live_server, email)
    queue, seen, problems, visited = deque(["/"]), set(), [], 0
    while queue and visited < PAGES_PER_PERSON.get(email, OTHERS_PAGES):
        path = queue.popleft()
        kind = kind_of(path.split("?")[0])
        if kind in seen:
            continue
        seen.add(kind)
        page.set_viewport_size({"width": 1280, "height": 800})
        response = page.goto(live_server.at(path))
        if (
            response is None
            or response.status != 200
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        visited += 1
        queue.extend(links_of(page, live_server))
        kind = kind_of(urlsplit(page.url).path)
        if kind not in MEASURED or kind == "/":  # each dashboard differs by role
            MEASURED.add(kind)
            problems += [f"{path}: {p}" for p in too_wide(page)]
            page.set_viewport_size(MOBILE)
            opener = page.locator(".menu-open")
            if opener.is_visible():
                opener.click()
            problems += [f"{path} (axe, 390 px): {p}" for p in accessibility_problems(page)]
    assert visited >= 8, f"{email}: only {visited} pages reached"
    assert not problems, f"{email}:\n" + "\n".join(problems)
