"""`"x"@domain` and `x@domain` are one subscriber, wherever an address comes in (item 12).

The equivalences themselves are tested in tests/core/test_addresses.py; here, every path that
stores or compares a newsletter address: the signup form, the CSV import, the consent from the
comment form, erasure and its suppression digest.
"""

import pytest
from django.utils import timezone

from comments.signals import newsletter_consent_given
from newsletter import subscriptions
from newsletter.addresses import suppression_digest
from newsletter.imports import parse_subscriber_csv
from newsletter.models import Subscriber, Suppression
from tests.newsletter.factories import SubscriberFactory
from tests.newsletter.support import post_signup, signup_data

pytestmark = pytest.mark.django_db

SPELLINGS = ['"zoe"@Example.org', '"\\zoe"@EXAMPLE.ORG.', "zoe@example.org"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_signup_form_finds_the_subscriber_whatever_the_spelling(client, spelling):
    """Item 12: a quoted local part made a second subscriber for the same mailbox."""
    SubscriberFactory(email="zoe@example.org")
    assert post_signup(client, signup_data(email=spelling)).status_code == 303
    assert Subscriber.objects.count() == 1


def test_two_spellings_signed_up_in_turn_are_one_pending_subscriber(client):
    post_signup(client, signup_data(email='"zoe"@example.org'))
    post_signup(client, signup_data(email="zoe@Example.org"), ip="198.51.100.1")
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["zoe@example.org"]


def test_an_import_knows_a_quoted_spelling_of_a_listed_address(now):
    SubscriberFactory(email="zoe@example.org")
    parsed = parse_subscriber_csv('email\n"""zoe""@EXAMPLE.org"\n"""ann""@example.org"\n')
    assert parsed.errors == []
    report = subscriptions.import_subscribers(
        rows=parsed.rows, mode=Subscriber.Status.PENDING, consent_source="", now=now
    )
    assert (report.created, report.already_listed) == (1, 1)
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "ann@example.org",
        "zoe@example.org",
    ]


def test_an_import_counts_two_spellings_in_one_file_as_one_address():
    parsed = parse_subscriber_csv('email\nzoe@example.org\n"""zoe""@Example.ORG"\n')
    assert [row.email for row in parsed.rows] == ["zoe@example.org"]
    assert parsed.duplicates[0][2] == "same address as line 2"


def test_consent_from_the_comment_form_finds_the_subscriber():
    subscriber = SubscriberFactory(email="zoe@example.org", pending=True)
    newsletter_consent_given.send(
        sender=None,
        email='"zoe"@EXAMPLE.org',
        name="Zoë",
        ip="198.51.100.9",
        source_url="http://testserver/2026/11/a-post/#comments",
        consent_text="Also send me the weekly newsletter.",
        confirmed_at=timezone.now(),
    )
    assert Subscriber.objects.count() == 1
    subscriber.refresh_from_db()
    assert subscriber.is_active


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_erased_address_is_suppressed_in_every_spelling(client, spelling):
    subscriber = SubscriberFactory(email="zoe@example.org")
    subscriptions.erase_subscribers(subscribers=Subscriber.objects.filter(pk=subscriber.pk))
    assert suppression_digest(spelling) == Suppression.objects.get().digest
    assert Suppression.objects.matching(spelling).exists()
    parsed = parse_subscriber_csv(f'email\n"{spelling.replace(chr(34), chr(34) * 2)}"\n')
    report = subscriptions.import_subscribers(
        rows=parsed.rows, mode=Subscriber.Status.PENDING, consent_source="", now=timezone.now()
    )
    assert report.created == 0 and len(report.skipped) == 1
