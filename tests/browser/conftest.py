"""Real-browser harness: the portal served on loopback, driven by Debian's Chromium.

Playwright cannot download its own browser here, so it drives ``/usr/bin/chromium``.
Without it the browser tests skip, except when ``REQUIRE_BROWSER=1`` (CI), where a
missing browser is a failure.
"""

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.two_factor import DEMO_TOTP_SECRET, STEP_SECONDS
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.extensions import db
from tests.conftest import config_for

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}

# axe-core impacts that fail a page; "minor" and "moderate" ones are left to review.
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass
class LiveServer:
    url: str
    app: Flask

    def at(self, path: str) -> str:
        return self.url + path


# When Chromium drops a request half-way (the favicon, as a page navigates away), the
# development server thread leaves the static file it was sending to the garbage collector.
# Only that message, and only for the portal's own static files, is let through.
STATIC_FILE_LEFT_OPEN = (
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/static/[^']*' mode='rb'"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.filterwarnings(STATIC_FILE_LEFT_OPEN))


@pytest.fixture(scope="module")
def browser() -> Browser:
    """One Chromium per test module. Not per session: while Playwright's sync API is
    active, asyncio sees its event loop as running in this thread, and ``asyncio.run()``
    in any later, unrelated test would fail."""
    if not CHROMIUM.exists():
        message = (
            f"Chromium is not installed at {CHROMIUM}: browser tests need it "
            "(apt-get install chromium)."
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " REQUIRE_BROWSER=1 makes this a failure.", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> LiveServer:
    """The portal with its demo data, on a file SQLite database (the server thread needs
    its own connections) and with CSRF switched on, as a real browser meets it. Each test
    module starts from fresh demo data."""
    folder = tmp_path_factory.mktemp("live-server")
    config = config_for(
        "sqlite",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'portal.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        UPLOAD_FOLDER=str(folder / "uploads"),
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_demo_data()
        db.session.commit()
    USED_STEPS.clear()  # a new database: no code used yet
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def page(browser) -> Page:
    """A fresh context (no cookies) per test, so that one journey's session never leaks
    into the next; contexts are cheap, the browser is shared by the module."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def mobile_page(browser) -> Page:
    context = browser.new_context(
        viewport=MOBILE, locale="fr-FR", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# Helpers ---------------------------------------------------------------------------------

_axe = Axe()


def accessibility_problems(page: Page) -> list[str]:
    """Run axe-core on the page as it stands; one readable line per serious or critical
    violation and element.

    The app's Content-Security-Policy forbids inline scripts, but Playwright's
    ``evaluate`` goes through the DevTools protocol, which CSP does not govern: axe is
    injected without ``bypass_csp``, so the pages are checked under their real policy.
    """
    results = _axe.run(page).response
    if "violations" not in results or "testEngine" not in results:
        raise AssertionError(f"axe-core did not run on {page.url}: {results!r}")
    problems = []
    for violation in results["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            problems.append(
                f"[{violation['impact']}] {violation['id']}: {violation['help']}\n"
                f"    element: {target}\n"
                f"    html: {node['html'][:200]}\n"
                f"    {summary}\n"
                f"    {violation['helpUrl']}"
            )
    return problems


def assert_accessible(page: Page) -> None:
    problems = accessibility_problems(page)
    if problems:
        pytest.fail(
            f"{len(problems)} serious or critical accessibility problem(s) on {page.url}:\n"
            + "\n".join(problems),
            pytrace=False,
        )


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str) -> None:
    """What every visited page goes through: a screenshot to look at, then axe-core."""
    screenshot(page, name)
    assert_accessible(page)


# The last TOTP time step each demo account used: a code is accepted once, so a second
# sign-in within the same 30 seconds gives the next step's code (accepted one step ahead),
# or waits for a new one.
USED_STEPS: dict[str, int] = {}


def demo_totp_code(email: str) -> str:
    now = time.time()
    current = int(now // STEP_SECONDS)
    step = max(current, USED_STEPS.get(email, -1) + 1)
    if step > current + 1:
        time.sleep((step - 1) * STEP_SECONDS - now + 0.5)
    USED_STEPS[email] = step
    return pyotp.TOTP(DEMO_TOTP_SECRET).at(step * STEP_SECONDS)


def sign_in(page: Page, live_server: LiveServer, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the real form (real CSRF token), give the demo second factor when
    asked, and wait for the dashboard."""
    page.goto(live_server.at("/login"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    if page.url.startswith(live_server.at("/login/second-factor")):
        page.get_by_label("Code de vérification").fill(demo_totp_code(email))
        page.get_by_role("main").get_by_role("button", name="Valider").click()
    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Bonjour "))


def earlier_step_missing(message: str):
    """A journey's later test without its first steps (run alone, or on another worker):
    a skip when exploring, a failure in CI, where every step must have run."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Navigation principale")


def open_nav(page: Page, role: str, name: str):
    """The target of the main navigation, made reachable as a person would: « Menu » on a
    phone, then the group it is in."""
    # Before the stylesheet applies, « Menu » shows at every width: decide once it has.
    page.wait_for_load_state("load")
    opener = page.locator(".menu-open")
    if opener.is_visible():
        opener.click()
    target = main_nav(page).get_by_role(role, name=name, exact=True)
    if not target.is_visible():  # in a closed group: not in the accessibility tree yet
        tag = "a" if role == "link" else "button"
        inside = page.locator(tag, has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
        main_nav(page).locator(".nav-group details").filter(has=inside).locator("summary").click()
    return target


def go_to(page: Page, name: str) -> None:
    """Follow the main navigation's link called ``name``."""
    open_nav(page, "link", name).click()


def sign_out(page: Page) -> None:
    open_nav(page, "button", "Se déconnecter").click()
