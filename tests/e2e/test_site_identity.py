"""A fresh site: the send page says who must be named first, the writer fills it in, it goes."""

import re

import pytest

from core import identity
from newsletter.models import Edition
from tests.e2e.conftest import SCREENSHOTS, check_page, screenshot, sign_in_to_admin
from tests.factories import StaffFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def widths(page, name: str):
    """The page at the two widths a writer uses, desktop and phone, for a person to look at."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_fresh_site_names_its_sender_before_the_first_edition_goes(
    page, live_server, settings, smtp_server
):
    settings.SITE_URL = live_server.url
    settings.DEFAULT_FROM_EMAIL = f"The Dispatch <{identity.fallback_sender_address()}>"
    settings.NEWSLETTER_POSTAL_ADDRESS = ""
    StaffFactory(username="author", email="author@example.org")
    reader = SubscriberFactory()
    edition = make_edition()
    sign_in_to_admin(page, "author")

    response = page.goto(f"/admin/newsletter/edition/{edition.pk}/send/")
    check_page(page, response)
    note = page.locator(".errornote")
    assert "Fill in the sender address and postal address first" in note.inner_text()
    assert page.get_by_role("button", name=re.compile("Yes, send it now")).count() == 0
    screenshot(page, "admin-edition-send-needs-sender")
    widths(page, "mailwire-send-needs-sender")

    note.get_by_role("link", name="postal address").click()
    page.wait_for_url(re.compile(r"/admin/core/siteidentity/1/change/$"))
    check_page(page, page.context.request.get(page.url))
    widths(page, "mailwire-site-identity")
    page.get_by_label("Site name").fill("Calder Bay Notes")
    page.get_by_label("Sender address").fill("ada@calderbay.example")
    page.get_by_label("Postal address").fill("1 Harbour Street, Portsmouth PO1 2AB")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/core/siteidentity/1/change/$"))
    page.get_by_text("Saved: every page and email uses it from now on.").wait_for()
    assert page.get_by_role("banner").get_by_text("Calder Bay Notes — writing desk").count() == 1
    screenshot(page, "admin-site-identity-saved")
    widths(page, "mailwire-site-identity-saved")

    page.goto(f"/admin/newsletter/edition/{edition.pk}/send/")
    page.get_by_role("button", name="Yes, send it now to 1 subscriber").click()
    page.wait_for_url(re.compile(r"/admin/newsletter/edition/\d+/change/$"))
    edition.refresh_from_db()
    assert edition.status in {Edition.Status.SENDING, Edition.Status.SENT}
    [raw] = [raw for raw in smtp_server.raw if reader.email.encode() in raw]
    assert b"From: Calder Bay Notes <ada@calderbay.example>" in raw
    assert b"Reply-To: ada@calderbay.example" in raw
