"""No edition goes to subscribers until the site says who sends it (sender, postal address).

A test to the writer still goes: that is how they check the email before filling anything in.
"""

import datetime

import lxml.html
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core import checklist
from core.models import SiteIdentity
from newsletter import editions
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import PostFactory
from tests.newsletter.editions_support import admin_url, make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

IDENTITY_PAGE = reverse("admin:core_siteidentity_change", args=[1])


@pytest.fixture
def unconfigured(settings):
    """A fresh site: the shipped sender (noreply@ the site's host) and no postal address."""
    settings.DEFAULT_FROM_EMAIL = "The Dispatch <noreply@testserver>"
    settings.NEWSLETTER_POSTAL_ADDRESS = ""


def test_sender_and_postal_address_are_checklist_items_that_block_sending(unconfigured):
    blocking = {item.key for item in checklist.missing(before_sending=True)}
    assert blocking == {"sender-address", "postal-address"}
    assert "site-name" in {item.key for item in checklist.missing()}


def test_send_now_is_refused_with_a_message_linking_to_what_to_fill_in(
    client, author, unconfigured
):
    SubscriberFactory()
    edition = make_edition()
    page = client.get(admin_url("send", edition.pk)).content.decode()
    note = lxml.html.fromstring(page).find_class("errornote")[0]
    assert "sender address" in note.text_content() and "postal address" in note.text_content()
    assert {a.get("href") for a in note.iter("a")} == {IDENTITY_PAGE}
    assert "Yes, send it now" not in page

    response = client.post(admin_url("send_now", edition.pk), follow=True)
    text = response.content.decode()
    assert f'<a href="{IDENTITY_PAGE}">sender address</a>' in text
    assert f'<a href="{IDENTITY_PAGE}">postal address</a>' in text
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_scheduling_is_refused_too(client, author, unconfigured, tomorrow):
    edition = make_edition()
    when = timezone.localtime(tomorrow).strftime("%Y-%m-%dT%H:%M")
    response = client.post(admin_url("schedule", edition.pk), {"send_at": when})
    assert "postal address" in response.content.decode()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT


def test_a_scheduled_edition_due_before_the_sender_was_set_goes_back_to_draft(unconfigured, now):
    SubscriberFactory()
    edition = make_edition(status=Edition.Status.SCHEDULED, send_at=now - datetime.timedelta(1))
    assert editions.start_if_due(edition=edition, now=now) is False
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT
    assert "sender address" in edition.last_error
    assert mail.outbox == []


def test_a_new_post_is_announced_only_once_the_sender_is_set(unconfigured, settings, now):
    SubscriberFactory(cadence=Subscriber.Cadence.EVERY_POST)
    post = PostFactory(publish_at=now)
    assert mail.outbox == []
    assert editions.announce_post(post_id=post.pk, now=now) is None
    SiteIdentity.objects.create(
        sender_address="letters@dispatch.example", postal_address="1 Harbour Street"
    )
    edition = editions.announce_post(post_id=post.pk, now=now)
    assert edition.status == Edition.Status.SENDING
    assert [row.subscriber for row in edition.deliveries.all()] == [Subscriber.objects.get()]


def test_a_test_to_the_writer_still_goes(client, author, unconfigured):
    edition = make_edition()
    response = client.post(admin_url("send_test", edition.pk), follow=True)
    assert "Test sent to author@example.org" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["author@example.org"]]


def test_once_filled_in_the_admin_the_edition_goes(client, author, unconfigured):
    reader = SubscriberFactory()
    edition = make_edition()
    response = client.post(
        IDENTITY_PAGE,
        {
            "site_name": "The Dispatch",
            "sender_name": "Ada at The Dispatch",
            "sender_address": "ada@dispatch.example",
            "reply_to_address": "",
            "postal_address": "1 Harbour Street, Portsmouth",
        },
    )
    assert response.status_code == 302
    assert checklist.missing(before_sending=True) == []
    client.post(admin_url("send_now", edition.pk))
    [message] = mail.outbox
    assert message.to == [reader.email]
    assert message.from_email == "Ada at The Dispatch <ada@dispatch.example>"
    assert message.reply_to == ["ada@dispatch.example"]
    assert "1 Harbour Street, Portsmouth" in message.body
