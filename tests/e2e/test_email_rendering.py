"""Every email's HTML part, as received, through the Nu checker, axe-core and Chromium.

The messages come from tests/mail_samples.py (one of each email the site sends, as bytes).
Chromium opens each at 600 px (desktop and webmail) and 375 px (a phone), light and dark:
nothing scrolls sideways, the preheader is never shown, dark mode recolours the card and the
text. Screenshots go to var/screenshots/email-*.png for a person to look at.
"""

import json
import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import AXE, SCREENSHOTS, VNU, check_page, screenshot, sign_in_to_admin
from tests.factories import StaffFactory
from tests.mail_samples import every_email, html_part
from tests.newsletter.editions_support import make_edition

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIGHT_CARD, DARK_CARD = "rgb(255, 255, 255)", "rgb(31, 30, 27)"


@pytest.fixture
def emails(django_capture_on_commit_callbacks, settings, live_server, tmp_path):
    settings.SITE_URL = live_server.url  # the lead image loads from the live server's media
    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        name: html_part(message)
        for name, message in every_email(django_capture_on_commit_callbacks).items()
    }


def nu_errors(documents: dict[str, str], folder) -> dict[str, list[str]]:
    """Nu checker errors per document, from one run of vnu.jar over all of them."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("HTML validation needs java and node_modules/vnu-jar (run `make e2e`).")
    files = {}
    for index, (name, html) in enumerate(documents.items()):
        path = folder / f"email-{index}.html"
        path.write_text(html, encoding="utf-8")
        files[path.as_uri()] = name
    completed = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, folder.glob("*"))],
        capture_output=True,
        timeout=180,
    )
    errors = {name: [] for name in documents}
    for message in json.loads(completed.stderr or b'{"messages": []}')["messages"]:
        name = files.get(
            message.get("url", "").replace("file:/", "file:///", 1), message.get("url")
        )
        errors.setdefault(name, []).append(f"line {message.get('lastLine')}: {message['message']}")
    return {name: found for name, found in errors.items() if found}


def test_the_html_part_of_every_email_passes_the_nu_checker(emails, tmp_path):
    folder = tmp_path / "nu"
    folder.mkdir()
    assert nu_errors(emails, folder) == {}


def test_the_nu_run_reports_an_invalid_email(tmp_path):
    folder = tmp_path / "nu"
    folder.mkdir()
    errors = nu_errors(
        {"broken": "<!doctype html><title>x</title><p style='mso-hide:all'>"}, folder
    )
    assert list(errors) == ["broken"]


def _axe(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_email_in_chromium_at_600_and_375_px(emails, browser, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    violations = {}
    for width in (600, 375):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        for name, html in emails.items():
            page.set_content(html, wait_until="load")
            slug = re.sub(r"\W+", "-", name)
            page.screenshot(path=SCREENSHOTS / f"email-{slug}-{width}-{scheme}.png", full_page=True)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            assert page.locator(".em-preheader").is_hidden(), name
            card = page.locator(".em-card").evaluate("el => getComputedStyle(el).backgroundColor")
            assert card == (DARK_CARD if scheme == "dark" else LIGHT_CARD), name
            text = page.locator(".em-text").evaluate("el => getComputedStyle(el).color")
            assert (text == "rgb(236, 232, 225)") == (scheme == "dark"), (name, text)
            for image in page.locator("img").all():
                assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
                assert image.bounding_box()["width"] <= width - 2 * 12 - 2 * 32, name
            if found := _axe(page):
                violations[f"{name} at {width}px"] = found
        context.close()
    assert violations == {}


def test_the_admin_preview_shows_the_email_at_600_and_375_px_side_by_side(
    page, live_server, settings
):
    settings.SITE_URL = live_server.url
    StaffFactory(username="author", email="author@example.org")
    edition = make_edition()
    sign_in_to_admin(page, "author")
    response = page.goto(f"/admin/newsletter/edition/{edition.pk}/preview/")
    wide = page.frame_locator("iframe.edition-preview__frame--600")
    narrow = page.frame_locator("iframe.edition-preview__frame--375")
    for frame in (wide, narrow):
        frame.get_by_role("heading", name=edition.subject).wait_for()
    assert wide.locator("html").evaluate("el => innerWidth") == 600
    assert narrow.locator("html").evaluate("el => innerWidth") == 375
    boxes = [page.locator(f"iframe.edition-preview__frame--{w}").bounding_box() for w in (600, 375)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] + 600 < boxes[1]["x"]
    check_page(page, response)
    screenshot(page, "admin-edition-preview-widths")
