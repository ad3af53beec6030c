"""Browser journeys in Debian's Chromium, driven by Playwright against pytest-django's live server.

Every page a test visits is checked three ways: axe-core finds no accessibility
violation of any impact, the Nu HTML checker finds no error, and no request leaves 127.0.0.1.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls in the tests are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (or run .ci/run).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.foreign_requests = []
    page.csp_violations = []

    def record(request):
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host in {"127.0.0.1", "localhost"}:
            return
        page.foreign_requests.append(request.url)

    def console(message):
        if "Content Security Policy" in message.text:
            page.csp_violations.append(message.text)

    page.on("request", record)
    page.on("console", console)
    yield page
    context.close()
    assert page.foreign_requests == [], "a page made a request to another host"
    assert page.csp_violations == [], "the page broke its own Content-Security-Policy"


def assert_accessible(page):
    """Run axe-core in the page: no violation of any impact is allowed."""
    # Evaluated through DevTools rather than a <script> tag: the page's CSP stays enforced.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    # Colours read mid-transition are neither scheme's (the admin's links fade for 0.15 s, e.g.
    # right after a switch between light and dark): let every transition end first.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=5000
    )
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
    ]
    assert bad == [], "\n".join(bad)


def assert_valid_html(html: str):
    """The Nu HTML checker (vnu.jar) reports no error for the served document."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("HTML validation needs java and node_modules/vnu-jar (run `make e2e`).")
    completed = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "-"],
        input=html.encode(),
        capture_output=True,
        timeout=120,
    )
    messages = json.loads(completed.stderr or b'{"messages": []}')["messages"]
    errors = [f"line {m.get('lastLine')}: {m['message']}" for m in messages]
    assert errors == [], "\n".join(errors)


def check_page(page, response):
    """Accessibility and HTML validity of the page just loaded."""
    assert_accessible(page)
    assert_valid_html(response.text())


def trust_browser(page, username: str):
    """Make the page's browser one that `username` has verified before (core.staff).

    For journeys about something else: their sign-in then needs no emailed code, exactly as
    for a writer at their own desk. tests/e2e/test_staff_verification.py covers the code.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.staff import trust_device

    user = get_user_model().objects.get_by_natural_key(username)
    _, token = trust_device(user=user, user_agent="Chromium on Linux", now=timezone.now())
    page.context.add_cookies(
        [{"name": settings.STAFF_DEVICE_COOKIE_NAME, "value": token, "url": page.url}]
    )


def screenshot(page, name: str):
    """Save desktop/phone × light/dark screenshots for a person to look at.

    At the 320 px phone width the page must not scroll sideways.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for label, size in (("desktop", (1280, 900)), ("phone", (320, 740))):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.screenshot(path=SCREENSHOTS / f"{name}-{label}-{scheme}.png", full_page=False)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size[0]}px"
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


PASSWORD = "a-long-test-password"  # tests.factories.StaffFactory's


def sign_in_to_admin(page, username: str = "author"):
    """Sign `username` in through the admin's login page, from a browser they trust."""
    page.goto("/admin/login/")
    trust_browser(page, username)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
