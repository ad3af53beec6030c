"""The "also subscribe me" box on the comment form: comments sends a signal, newsletter listens."""

import pytest
from django.core import mail
from django.utils import timezone

from comments.signals import newsletter_consent_given
from newsletter.models import Subscriber, Suppression
from newsletter.subscriptions import erase_subscribers
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

CONSENT = "Also send me the weekly newsletter (unsubscribe in one click)."


def send(email="Commenter@Example.org", **overrides):
    kwargs = {
        "email": email,
        "name": "Zoë",
        "ip": "198.51.100.9",
        "source_url": "http://testserver/2026/11/a-post/#comments",
        "consent_text": CONSENT,
        "confirmed_at": timezone.now(),
    }
    kwargs.update(overrides)
    newsletter_consent_given.send(sender=None, **kwargs)
    return kwargs


def test_a_confirmed_commenter_becomes_an_active_subscriber_without_a_second_email(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Commenter@example.org"
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.signup_source == "Comment form"
    assert subscriber.signup_url == sent["source_url"]
    assert subscriber.consent_text == CONSENT
    assert subscriber.confirmed_at == sent["confirmed_at"]
    assert subscriber.confirmed_ip == "198.51.100.9"
    assert mail.outbox == []


def test_a_pending_or_unsubscribed_address_is_made_active_with_the_new_consent():
    pending = SubscriberFactory(pending=True, email="a@example.org")
    gone = SubscriberFactory(
        status=Subscriber.Status.UNSUBSCRIBED,
        email="b@example.org",
        unsubscribed_at=timezone.now(),
        unsubscribe_method="link",
    )
    send("a@example.org")
    send("B@EXAMPLE.ORG")
    for subscriber in (pending, gone):
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.ACTIVE
        assert subscriber.signup_source == "Comment form"
        assert subscriber.unsubscribed_at is None


def test_an_active_subscriber_keeps_their_original_consent_record():
    subscriber = SubscriberFactory(email="fan@example.org", signup_source="Newsletter page")
    send("fan@example.org")
    subscriber.refresh_from_db()
    assert subscriber.signup_source == "Newsletter page"


def test_an_erased_address_that_consents_again_loses_its_suppression_entry():
    SubscriberFactory(email="erased@example.org")
    erase_subscribers(subscribers=Subscriber.objects.all())
    assert Suppression.objects.matching("ERASED@example.org").exists()
    send("Erased@example.org")
    assert Subscriber.objects.get().is_active
    assert Suppression.objects.count() == 0


def test_an_invalid_address_is_ignored():
    send("not an address")
    assert Subscriber.objects.count() == 0


def test_a_missing_or_garbage_ip_is_recorded_as_unknown():
    send("a@example.org", ip="")
    send("b@example.org", ip="10.0.0.999")
    assert list(Subscriber.objects.values_list("signup_ip", "confirmed_ip")) == [(None, None)] * 2
