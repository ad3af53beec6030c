import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from core.addresses import normalise_email
from newsletter import subscriptions, tokens
from newsletter.models import Subscriber, Suppression
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Zoe@Example.ORG\t", "Zoe@example.org"),
        ("zoe@bücher.example", "zoe@xn--bcher-kva.example"),
        ("zoe@BÜCHER.example.", "zoe@xn--bcher-kva.example"),
    ],
)
def test_addresses_are_normalised(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "zoe", "zoe@", "@example.org", "zoe@exa mple.org"])
def test_invalid_addresses_get_a_message(typed):
    with pytest.raises(ValidationError) as caught:
        normalise_email(typed)
    assert "email address" in caught.value.messages[0] or "domain" in caught.value.messages[0]


def test_email_is_unique_whatever_its_case():
    SubscriberFactory(email="zoe@example.org")
    with pytest.raises(IntegrityError):
        Subscriber.objects.bulk_create([Subscriber(email="ZOE@example.org")])


def test_an_active_subscriber_must_be_confirmed_in_the_database():
    with pytest.raises(IntegrityError):
        Subscriber.objects.bulk_create(
            [Subscriber(email="x@example.org", status=Subscriber.Status.ACTIVE)]
        )


def test_the_active_queryset_and_the_instance_agree():
    for status in Subscriber.Status.values:
        SubscriberFactory(status=status)
    active = set(Subscriber.objects.active())
    assert active == {s for s in Subscriber.objects.all() if s.is_active}
    assert len(active) == 1


def test_status_counts_cover_every_status():
    SubscriberFactory.create_batch(2)
    SubscriberFactory(pending=True)
    assert Subscriber.objects.status_counts() == {
        "pending": 1,
        "active": 2,
        "unsubscribed": 0,
        "bounced": 0,
    }


def test_with_email_finds_any_spelling():
    subscriber = SubscriberFactory(email="zoe@xn--bcher-kva.example")
    assert Subscriber.objects.with_email(" ZOE@bücher.example").get() == subscriber


def test_a_bounce_is_recorded_as_bounced():
    subscriber = SubscriberFactory()
    assert subscriber.unsubscribe(method="bounce", now=timezone.now())
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_erasure_keeps_only_a_hash_that_stops_future_imports():
    SubscriberFactory(email="gone@example.org")
    assert subscriptions.erase_subscribers(subscribers=Subscriber.objects.all()) == 1
    assert Subscriber.objects.count() == 0
    entry = Suppression.objects.get()
    assert "gone" not in entry.digest
    assert Suppression.objects.matching("GONE@example.org").exists()


def test_a_confirmation_link_stops_working_when_a_newer_one_is_sent(
    django_capture_on_commit_callbacks, now
):
    subscriber = SubscriberFactory(pending=True, confirmation_long_ago=True)
    old_nonce = subscriber.confirmation_nonce
    subscriptions.resend_confirmations(subscribers=Subscriber.objects.all(), now=now)
    outcome = subscriptions.confirm_subscription(
        subscriber=subscriber, nonce=old_nonce, ip=None, now=now
    )
    assert outcome == subscriptions.Confirmation.REPLACED
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_confirm_tokens_are_salted_apart_from_other_tokens():
    subscriber = SubscriberFactory(pending=True)
    assert tokens.read_confirm_token(tokens.make_unsubscribe_token(subscriber))[0] is (
        tokens.Link.INVALID
    )
    assert tokens.read_unsubscribe_token(tokens.make_preferences_token(subscriber)) is None
    assert tokens.read_confirm_token(tokens.make_confirm_token(subscriber)) == (
        tokens.Link.VALID,
        {"k": subscriber.key, "n": subscriber.confirmation_nonce},
    )


def test_purge_drops_old_unconfirmed_signups_and_restores_earlier_opt_outs(settings, now):
    settings.NEWSLETTER_PENDING_PURGE_DAYS = 7
    old = now - datetime.timedelta(days=8)
    never_confirmed = SubscriberFactory(pending=True, signed_up_at=old)
    came_back = SubscriberFactory(
        pending=True, signed_up_at=old, unsubscribed_at=old, unsubscribe_method="link"
    )
    bounced_before = SubscriberFactory(
        pending=True, signed_up_at=old, unsubscribed_at=old, unsubscribe_method="bounce"
    )
    recent = SubscriberFactory(pending=True)
    active = SubscriberFactory(signed_up_at=old)
    out = StringIO()
    call_command("purge_pending_subscribers", stdout=out)
    assert "1 unconfirmed address(es) deleted, 2 returned" in out.getvalue()
    assert not Subscriber.objects.filter(pk=never_confirmed.pk).exists()
    statuses = dict(Subscriber.objects.values_list("pk", "status"))
    assert statuses == {
        came_back.pk: "unsubscribed",
        bounced_before.pk: "bounced",
        recent.pk: "pending",
        active.pk: "active",
    }
