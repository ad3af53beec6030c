"""Newsletter mail as the receiving server gets it: the header bytes, not the parsed values.

Python's email library folds a `List-Unsubscribe` line longer than 78 characters into RFC 2047
encoded words (`=?utf-8?q?=3Chttps=3A//…?=`, CPython #85725); a parser decodes them again, so
only the raw DATA shows it, and Gmail and Yahoo ignore the header in that form.
"""

import email
import email.policy
import re

import pytest
from django.utils import timezone

from core.models import OutgoingEmail
from newsletter import editions, emails, tasks
from newsletter.models import Edition, Subscriber
from tests.factories import PostFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "https://opinion.example.org"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.SITE_NAME = "The Dispatch"
    settings.DEFAULT_FROM_EMAIL = "The Dispatch <letters@opinion.example.org>"


def header_block(raw: bytes) -> list[bytes]:
    """The top-level header lines (continuation lines kept apart), as sent."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    return head.splitlines()


def field(head: list[bytes], name: bytes) -> list[bytes]:
    """Every line of the `name` header as sent: its first line and its continuation lines."""
    lines, inside = [], False
    for line in head:
        if line[:1] in (b" ", b"\t"):
            if inside:
                lines.append(line)
            continue
        inside = line.lower().startswith(name.lower() + b":")
        if inside:
            lines.append(line)
    return lines


def assert_list_headers_raw(raw: bytes):
    head = header_block(raw)
    unsubscribe = [line for line in head if line.startswith(b"List-Unsubscribe:")]
    assert len(unsubscribe) == 1
    assert unsubscribe[0].startswith(b"List-Unsubscribe: <https://opinion.example.org/")
    assert unsubscribe[0].endswith(b">")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head
    for name in (b"List-Unsubscribe", b"List-Unsubscribe-Post", b"List-Id"):
        assert not [line for line in field(head, name) if b"=?" in line], name
    # The header parses to the one https URI the unsubscribe view answers.
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert re.fullmatch(
        r"<https://opinion\.example\.org/newsletter/\S+>", message["List-Unsubscribe"]
    )


def test_an_edition_reaches_the_server_with_list_unsubscribe_unencoded(site, smtp_server):
    reader = SubscriberFactory()
    edition = make_edition()
    assert tasks.send_now(edition=edition, now=timezone.now()) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    [raw] = smtp_server.raw
    assert_list_headers_raw(raw)
    assert smtp_server.collector.envelopes[0][1] == [reader.email]


def test_an_edition_is_bulk_automated_mail_from_the_site_with_replies_to_the_writer(
    site, smtp_server
):
    SubscriberFactory()
    tasks.send_now(edition=make_edition(), now=timezone.now())
    head = header_block(smtp_server.raw[0])
    assert b"Precedence: bulk" in head
    assert b"Auto-Submitted: auto-generated" in head
    assert b"Reply-To: letters@opinion.example.org" in head
    assert b'From: "The Dispatch" <letters@opinion.example.org>' in head or (
        b"From: The Dispatch <letters@opinion.example.org>" in head
    )
    [message_id] = [line for line in head if line.startswith(b"Message-ID:")]
    assert message_id.endswith(b"@opinion.example.org>")
    assert b"localhost" not in b"\n".join(head)


def test_a_new_posts_email_reaches_the_server_with_list_unsubscribe_unencoded(site, smtp_server):
    SubscriberFactory(cadence=Subscriber.Cadence.EVERY_POST)
    PostFactory(publish_at=timezone.now())
    [raw] = smtp_server.raw
    assert_list_headers_raw(raw)
    assert b"Precedence: bulk" in header_block(raw)


def test_a_test_send_to_the_writer_carries_the_same_raw_header(site, smtp_server):
    edition = make_edition()
    editions.send_test(edition=edition, to="writer@opinion.example.org")
    [raw] = smtp_server.raw
    assert_list_headers_raw(raw)


def test_the_confirmation_email_is_stored_and_delivered_without_encoded_words(
    site, smtp_server, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(status="pending", confirmation_nonce="n1")
    with django_capture_on_commit_callbacks(execute=True):
        emails.send_confirmation(subscriber_id=subscriber.pk)
    stored = bytes(OutgoingEmail.objects.get().message)
    assert_list_headers_raw(stored)
    [raw] = smtp_server.raw
    assert_list_headers_raw(raw)
    # Transactional, not bulk: no Precedence, but automated.
    head = header_block(raw)
    assert b"Auto-Submitted: auto-generated" in head
    assert not [line for line in head if line.startswith(b"Precedence:")]


def test_an_unsubscribe_url_longer_than_a_line_is_still_one_unencoded_line(site, smtp_server):
    subscriber = SubscriberFactory(email="a-very-long-local-part-" + "x" * 120 + "@example.org")
    message = emails.newsletter_message(
        subscriber=subscriber, subject="Hello", template="confirm", context={"confirm_url": "/"}
    )
    message.send(using="bulk")
    [raw] = smtp_server.raw
    assert_list_headers_raw(raw)


def test_a_copy_sent_again_after_a_crash_carries_the_same_message_id(site, smtp_server):
    """The ledger lost the record of two accepted messages (a worker killed between the
    server's "250" and the commit): they go again, and each is the same message as before."""
    from newsletter import delivery
    from newsletter.models import Delivery

    SubscriberFactory.create_batch(2)
    edition = make_edition()
    tasks.send_now(edition=edition, now=timezone.now())
    first = {field(header_block(raw), b"Message-ID")[0] for raw in smtp_server.raw}
    assert len(first) == 2, "each subscriber's copy has its own id"

    Delivery.objects.filter(edition=edition).update(status=Delivery.Status.PENDING, sent_at=None)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENDING)
    assert delivery.deliver(edition=edition) == 2
    again = {field(header_block(raw), b"Message-ID")[0] for raw in smtp_server.raw[2:]}
    assert again == first
    assert all(b"@opinion.example.org>" in line for line in first)
