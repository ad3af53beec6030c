"""Browser journey: the author composes the weekly edition, previews it, sends a test, sends
it and watches the progress reach 100%; readers find it in the archive.

How the sending runs here: "Send now" freezes the recipients in the request, exactly as in
production, and hands the sending to the task queue. In this test the enqueue is replaced by
nothing, and the test thread runs the delivery engine itself (`send_batch`, then `deliver`)
while the admin page stays open, so the page's own script has to pick the progress up from
the JSON endpoint: the bar is seen moving from 0 to one batch to 100% without a reload.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from newsletter import delivery, tasks
from newsletter.models import Edition, Headline
from tests.e2e.conftest import check_page, screenshot, sign_in_to_admin
from tests.factories import PostFactory, StaffFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

READERS = 30


@pytest.fixture
def week(settings, live_server, smtp_server, monkeypatch):
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_BATCH_SIZE = 10
    monkeypatch.setattr(tasks, "enqueue_at", lambda edition_id, when: None)
    now = timezone.now()
    PostFactory(
        title="Ferries before flyovers",
        featured=True,
        publish_at=now - datetime.timedelta(days=2),
    )
    PostFactory(title="The budget’s quiet cuts", publish_at=now - datetime.timedelta(days=1))
    PostFactory(title="A draft nobody may see", draft=True)
    Headline.objects.create(
        title="Harbour bridge closes for repairs",
        url="https://news.example.org/bridge",
        source_name="Calder Bay Herald",
        published_at=now - datetime.timedelta(days=1),
    )
    for _ in range(READERS):
        SubscriberFactory()
    StaffFactory(username="author", email="author@example.org")


def progress_of(page) -> tuple[int, int]:
    bar = page.locator("#edition-progress")
    return int(float(bar.evaluate("el => el.value"))), int(float(bar.evaluate("el => el.max")))


def test_author_composes_previews_tests_sends_and_watches_progress(page, week, smtp_server):
    """The weekly edition from composing to sending, with its progress page.

    One long journey on purpose (longer than our 60-line rule): each step starts from the state
    the previous one left, as the author's own session would; split, the steps would each have
    to rebuild that state by hand and stop proving the flow.
    """
    sign_in_to_admin(page, "author")
    page.goto("/admin/newsletter/edition/")
    screenshot(page, "admin-edition-list-empty")
    page.get_by_role("button", name="New weekly edition").click()
    page.wait_for_url(re.compile(r"/admin/newsletter/edition/\d+/change/$"))
    edition = Edition.objects.get()
    assert [item.post.title for item in edition.items.all()] == [
        "Ferries before flyovers",
        "The budget’s quiet cuts",
    ]
    page.get_by_label("Intro").fill("Two pieces this week, and one bridge.")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url(re.compile(r"/admin/newsletter/edition/\d+/change/$"))
    assert "Status: Draft" in page.locator(".edition-status__title").inner_text()
    screenshot(page, "admin-edition-draft")

    page.get_by_role("link", name="Preview and test").click()
    page.wait_for_url(re.compile(r"/preview/$"))
    frame = page.frame_locator("iframe.edition-preview__frame--600")
    frame.get_by_role("heading", name=edition.subject).wait_for()
    assert frame.get_by_role("link", name="Ferries before flyovers").first.is_visible()
    screenshot(page, "admin-edition-preview")
    page.get_by_role("button", name="Send a test to me (author@example.org)").click()
    page.get_by_text("Test sent to author@example.org.").wait_for()
    [test] = smtp_server.messages
    assert test["To"] == "author@example.org" and test["Subject"].startswith("[Test] ")

    page.get_by_role("link", name="Send or schedule…").first.click()
    page.wait_for_url(re.compile(r"/send/$"))
    screenshot(page, "admin-edition-send-confirm")
    page.get_by_role("button", name=f"Yes, send it now to {READERS} subscribers").click()
    page.wait_for_url(re.compile(r"/admin/newsletter/edition/\d+/change/$"))
    assert progress_of(page) == (0, READERS)
    assert "Sending" in page.locator(".edition-status__title").inner_text()

    edition.refresh_from_db()
    delivery.send_batch(edition=edition, now=timezone.now())
    expect(page.locator('[data-field="sent"]')).to_have_text("10", timeout=10_000)
    assert progress_of(page) == (10, READERS)
    screenshot(page, "admin-edition-sending")

    delivery.deliver(edition=edition)
    expect(page.locator('[data-field="percent"]')).to_have_text("100", timeout=10_000)
    expect(page.locator('[data-field="status_label"]')).to_have_text("Sent")
    assert page.locator('[data-field="remaining"]').inner_text() == "0"
    assert progress_of(page) == (READERS, READERS)
    screenshot(page, "admin-edition-sent")
    assert len(smtp_server.messages) == 1 + READERS

    response = page.goto(edition.get_absolute_url())
    assert page.get_by_role("heading", level=1).inner_text() == edition.subject
    assert page.get_by_role("link", name="Ferries before flyovers").count() == 1
    assert "A draft nobody may see" not in page.content()
    check_page(page, response)
    screenshot(page, "edition-web-version")

    response = page.goto("/newsletter/editions/")
    check_page(page, response)
    page.get_by_role("link", name=edition.subject).wait_for()
    screenshot(page, "edition-archive")

    response = page.goto("/newsletter/")
    page.get_by_role("link", name="past editions").click()
    page.wait_for_url(re.compile(r"/newsletter/editions/$"))
