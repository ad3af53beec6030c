"""The author's side: compose, preview, test, send or schedule, and watch the progress."""

import json
import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from newsletter import delivery, editions
from newsletter.models import Delivery, Edition, Headline, HeadlineFeed, LinkClick
from tests.factories import PostFactory, UserFactory
from tests.newsletter.editions_support import admin_url, make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_new_weekly_edition_composes_a_draft_and_opens_it(client, author):
    PostFactory(title="Ferries before flyovers")
    changelist = client.get(admin_url("changelist")).content.decode()
    assert "New weekly edition" in changelist
    assert client.get(admin_url("compose")).status_code == 405
    response = client.post(admin_url("compose"))
    edition = Edition.objects.get()
    assert response.status_code == 302 and response["Location"] == admin_url("change", edition.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Ferries before flyovers" in page
    assert "Status: <span" in page and "Draft" in page


def test_the_author_edits_items_and_intro_through_the_inlines(client, author):
    edition = make_edition(posts=2, headlines=1)
    first, second = edition.items.all()
    link = edition.headline_links.get()
    data = {
        "subject": "Edited subject",
        "preheader": "Edited",
        "intro": "Hello *readers*.",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "2",
        "items-0-id": first.pk,
        "items-0-edition": edition.pk,
        "items-0-post": first.post_id,
        "items-0-position": "2",
        "items-0-note": "",
        "items-1-id": second.pk,
        "items-1-edition": edition.pk,
        "items-1-post": second.post_id,
        "items-1-position": "1",
        "items-1-note": "Read this first",
        "headline_links-TOTAL_FORMS": "1",
        "headline_links-INITIAL_FORMS": "1",
        "headline_links-0-id": link.pk,
        "headline_links-0-edition": edition.pk,
        "headline_links-0-headline": link.headline_id,
        "headline_links-0-position": "1",
        "headline_links-0-DELETE": "on",
    }
    response = client.post(admin_url("change", edition.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    edition.refresh_from_db()
    assert edition.intro_html == "<p>Hello <em>readers</em>.</p>"
    assert [item.post_id for item in edition.items.all()] == [second.post_id, first.post_id]
    assert not edition.headline_links.exists()


def test_preview_shows_the_exact_email_in_a_sandboxed_frame(client, author):
    edition = make_edition()
    page = client.get(admin_url("preview", edition.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<iframe" in html and "sandbox" in html
    assert "THIS WEEK’S ARTICLES" in html  # the plain-text part, shown beside it
    email = client.get(admin_url("preview_email", edition.pk))
    assert email.status_code == 200
    assert email.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "'unsafe-inline'" in email.headers["Content-Security-Policy"]
    assert "script-src" not in email.headers["Content-Security-Policy"]
    assert "max-width:600px" in email.content.decode()


def test_send_a_test_to_me_reaches_only_the_author_marked_test(client, author, smtp_server):
    SubscriberFactory()
    edition = make_edition()
    response = client.post(admin_url("send_test", edition.pk))
    assert response.status_code == 302
    [message] = smtp_server.messages
    assert message["To"] == "author@example.org"
    assert message["Subject"].startswith("[Test] ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT and not Delivery.objects.exists()


def test_send_needs_a_confirmation_and_pressing_it_twice_sends_once(client, author):
    readers = [SubscriberFactory() for _ in range(3)]
    edition = make_edition()
    confirm = client.get(admin_url("send", edition.pk)).content.decode()
    assert "send it now to 3 subscribers" in confirm
    assert not mail.outbox
    for _ in range(2):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(transaction, "on_commit", lambda callback, **kwargs: callback())
            client.post(admin_url("send_now", edition.pk))
    assert sorted(message.to[0] for message in mail.outbox) == sorted(r.email for r in readers)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_schedule_and_cancel_the_schedule(client, author, tomorrow):
    edition = make_edition()
    when = timezone.localtime(tomorrow)
    response = client.post(
        admin_url("schedule", edition.pk),
        {"send_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SCHEDULED
    assert abs((edition.send_at - when).total_seconds()) < 60
    client.post(admin_url("unschedule", edition.pk))
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT and edition.send_at is None


def test_scheduling_in_the_past_is_refused_with_a_message(client, author, yesterday):
    edition = make_edition()
    when = timezone.localtime(yesterday)
    response = client.post(
        admin_url("schedule", edition.pk),
        {"send_at": when.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "Choose a time in the future" in response.content.decode()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


def test_an_edition_with_a_draft_post_cannot_be_sent_from_the_admin(client, author):
    SubscriberFactory()
    edition = make_edition()
    post = edition.items.first().post
    post.status = post.Status.DRAFT
    post.save()
    page = client.get(admin_url("send", edition.pk)).content.decode()
    assert "not published yet" in page and admin_url("send_now", edition.pk) not in page
    client.post(admin_url("send_now", edition.pk))
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


@pytest.mark.parametrize("action", ["send_now", "schedule", "unschedule", "resume", "send_test"])
def test_sending_buttons_take_post_only_and_a_get_changes_nothing(client, author, action):
    SubscriberFactory()
    edition = make_edition()
    assert client.get(admin_url(action, edition.pk)).status_code == 405
    assert client.head(admin_url(action, edition.pk)).status_code == 405
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT and not Delivery.objects.exists()
    assert not mail.outbox


def test_progress_json_is_for_staff_only(client):
    edition = make_edition()
    url = admin_url("progress", edition.pk)
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(UserFactory(username="reader"))
    assert client.get(url).status_code == 302


def test_the_edition_page_shows_progress_errors_and_clicks(client, author):
    for _ in range(4):
        SubscriberFactory()
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=timezone.now())
    delivery.claim_batch(edition=edition, now=timezone.now(), size=1)
    Delivery.objects.filter(status=Delivery.Status.PENDING).update(
        status="sent", sent_at=timezone.now()
    )
    Edition.objects.filter(pk=edition.pk).update(
        temporary_errors=2, last_error="ConnectionRefusedError: [Errno 111] Connection refused"
    )
    LinkClick.objects.create(edition=edition, url="https://news.example.org/b", count=7)

    state = json.loads(client.get(admin_url("progress", edition.pk)).content)
    assert state | {"status_label": None, "last_error": None} == {
        "total": 4,
        "sent": 3,
        "failed": 0,
        "skipped": 0,
        "remaining": 1,
        "done": 3,
        "percent": 75,
        "status": "sending",
        "status_label": None,
        "temporary_errors": 2,
        "last_error": None,
    }
    page = client.get(admin_url("change", edition.pk)).content.decode()
    assert '<progress id="edition-progress" max="4" value="3"' in page
    assert "Connection refused" in page and "unreachable" in page
    assert "edition-progress.js" in page and "<script>" not in page
    assert "https://news.example.org/b" in page and ">7<" in page
    listing = client.get(admin_url("changelist")).content.decode()
    assert '<td class="field-clicks">7</td>' in listing


def test_headline_quick_add_and_bulk_approve(client, author):
    changelist = reverse("admin:newsletter_headline_changelist")
    assert "Quick add a headline" in client.get(changelist).content.decode()
    client.post(
        reverse("admin:newsletter_headline_quick_add"),
        {"url": "https://herald.example/bridge?utm_source=x", "title": "Bridge closes"},
    )
    headline = Headline.objects.get()
    assert headline.url == "https://herald.example/bridge" and headline.status == "approved"
    candidate = Headline.objects.create(
        title="Strike",
        url="https://herald.example/strike",
        source_name="Herald",
        status="candidate",
    )
    client.post(changelist, {"action": "approve", "_selected_action": [candidate.pk]})
    candidate.refresh_from_db()
    assert candidate.status == Headline.Status.APPROVED


def test_a_feed_shows_its_last_error(client, author):
    HeadlineFeed.objects.create(name="Herald", url="https://herald.example/rss", last_error="Boom")
    page = client.get(reverse("admin:newsletter_headlinefeed_changelist")).content.decode()
    assert "Boom" in page


def test_adding_a_known_headline_in_another_spelling_is_a_form_error(client, author):
    Headline.objects.create(
        title="Bridge closes", url="https://herald.example/bridge", source_name="Herald"
    )
    response = client.post(
        reverse("admin:newsletter_headline_add"),
        {
            "title": "Bridge closes (again)",
            "url": "https://HERALD.example/bridge?utm_campaign=x#top",
            "source_name": "Herald",
            "published_at_0": "2026-11-27",
            "published_at_1": "09:00:00",
            "summary": "",
            "status": "approved",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Headline.objects.count() == 1


def test_new_weekly_edition_twice_opens_the_same_draft_with_a_warning(client, author):
    PostFactory(title="Ferries before flyovers")
    first = client.post(admin_url("compose"))
    second = client.post(admin_url("compose"), follow=True)
    edition = Edition.objects.get()
    assert first["Location"] == admin_url("change", edition.pk)
    assert second.redirect_chain[0][0] == admin_url("change", edition.pk)
    assert "This week already has an open draft" in second.content.decode()


def test_the_preview_shows_the_email_at_600_and_375_px_and_the_text_part_escaped(client, author):
    edition = make_edition()
    html = client.get(admin_url("preview", edition.pk)).content.decode()
    email_url = admin_url("preview_email", edition.pk)
    frames = re.findall(r"<iframe [^>]+>", html)
    assert len(frames) == 2
    assert all("sandbox" in frame and f'src="{email_url}"' in frame for frame in frames)
    assert "edition-preview__frame--600" in frames[0] and "edition-preview__frame--375" in frames[1]
    # The intro's link, shown in the text part as "<https://…>", is text, not a tag.
    assert "the agenda &lt;https://example.org/agenda&gt;." in html


def test_only_staff_can_get_the_email_preview(client):
    edition = make_edition()
    response = client.get(admin_url("preview_email", edition.pk))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
