"""RFC 8058 one-click unsubscribe, the GET page, tampered tokens, key rotation."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsletter import emails, subscriptions, tokens
from newsletter.models import Subscriber
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def unsubscribe_path(subscriber) -> str:
    return reverse(
        "newsletter:unsubscribe", kwargs={"token": tokens.make_unsubscribe_token(subscriber)}
    )


@pytest.fixture
def bare_client():
    """A mail program's POST: no cookie, no CSRF token, no Origin, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_at_once_with_200(bare_client, encoding):
    subscriber = SubscriberFactory()
    url = unsubscribe_path(subscriber)
    if encoding == "urlencoded":
        response = bare_client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = bare_client.post(url, {"List-Unsubscribe": "One-Click"})
        assert response.wsgi_request.content_type == "multipart/form-data"
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.ONE_CLICK
    assert subscriber.unsubscribed_at is not None


def test_the_page_button_unsubscribes_and_records_the_link_method(bare_client):
    subscriber = SubscriberFactory()
    response = bare_client.post(unsubscribe_path(subscriber))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.LINK


def test_a_second_one_click_post_is_still_200_and_changes_nothing(bare_client):
    subscriber = SubscriberFactory()
    url = unsubscribe_path(subscriber)
    bare_client.post(url, {"List-Unsubscribe": "One-Click"})
    subscriber.refresh_from_db()
    first = subscriber.unsubscribed_at
    assert bare_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == first


def test_get_shows_a_button_and_leaves_the_subscription_alone(client):
    subscriber = SubscriberFactory()
    response = client.get(unsubscribe_path(subscriber))
    assert response.status_code == 200
    assert '<button class="button" type="submit">Unsubscribe</button>' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: "1",
        lambda token: "2:" + token.split(":")[1],
    ],
    ids=["changed-signature", "changed-key", "no-signature", "sequential-id", "other-key"],
)
def test_a_tampered_token_is_refused_and_changes_nothing(bare_client, mangle):
    subscriber = SubscriberFactory()
    url = reverse(
        "newsletter:unsubscribe",
        kwargs={"token": mangle(tokens.make_unsubscribe_token(subscriber))},
    )
    assert bare_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code in (400, 404)
    assert bare_client.get(url).status_code in (400, 404)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_preferences_token_does_not_unsubscribe(bare_client):
    subscriber = SubscriberFactory()
    url = reverse(
        "newsletter:unsubscribe", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )
    assert bare_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_links_in_old_emails_work_after_a_secret_key_rotation(bare_client, settings):
    subscriber = SubscriberFactory()
    old_url = unsubscribe_path(subscriber)
    old_preferences = reverse(
        "newsletter:preferences", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-key-" + "r0tat3d" * 8
    assert unsubscribe_path(subscriber) != old_url
    assert bare_client.get(old_preferences).status_code == 200
    assert bare_client.post(old_url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_without_the_fallback_an_old_link_stops_working(bare_client, settings):
    subscriber = SubscriberFactory()
    old_url = unsubscribe_path(subscriber)
    settings.SECRET_KEY = "a-brand-new-key-" + "r0tat3d" * 8
    settings.SECRET_KEY_FALLBACKS = []
    assert bare_client.post(old_url, {"List-Unsubscribe": "One-Click"}).status_code == 404


def test_list_headers_follow_rfc_8058_and_2919(settings):
    settings.SITE_URL = "https://opinion.example.org"
    settings.SITE_NAME = "The Dispatch"
    subscriber = SubscriberFactory()
    headers = emails.list_headers(subscriber)
    token = tokens.make_unsubscribe_token(subscriber)
    assert headers == {
        "List-Unsubscribe": f"<https://opinion.example.org/newsletter/u/{token}/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": '"The Dispatch" <newsletter.opinion.example.org>',
    }


def test_an_unsubscribed_address_gets_no_confirmation_when_the_admin_resends(
    django_capture_on_commit_callbacks,
):
    SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = subscriptions.resend_confirmations(
            subscribers=Subscriber.objects.all(), now=timezone.now()
        )
    assert (queued, skipped, mail.outbox) == (0, 0, [])
