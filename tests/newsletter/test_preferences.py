import json

import pytest
from django.urls import reverse

from newsletter import tokens
from newsletter.models import Subscriber, Suppression
from tests.newsletter.factories import SubscriberFactory
from tests.newsletter.support import ORIGIN

pytestmark = pytest.mark.django_db


def preferences_url(subscriber) -> str:
    return reverse(
        "newsletter:preferences", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )


def test_weekly_is_the_default_cadence():
    assert SubscriberFactory().cadence == Subscriber.Cadence.WEEKLY


def test_a_subscriber_chooses_every_new_post_as_well(client):
    subscriber = SubscriberFactory()
    url = preferences_url(subscriber)
    page = client.get(url).content.decode()
    assert "The weekly edition only" in page
    assert "The weekly edition and every new post" in page
    response = client.post(url, {"cadence": "every_post"}, headers={"origin": ORIGIN})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?saved=1"
    subscriber.refresh_from_db()
    assert subscriber.cadence == Subscriber.Cadence.EVERY_POST
    assert "Saved." in client.get(response["Location"]).content.decode()


def test_a_cross_site_post_cannot_change_preferences(client):
    subscriber = SubscriberFactory()
    response = client.post(
        preferences_url(subscriber),
        {"cadence": "every_post"},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.cadence == Subscriber.Cadence.WEEKLY


def test_the_preferences_page_offers_unsubscribing_and_a_data_download(client):
    subscriber = SubscriberFactory()
    html = client.get(preferences_url(subscriber)).content.decode()
    unsubscribe = reverse(
        "newsletter:unsubscribe", kwargs={"token": tokens.make_unsubscribe_token(subscriber)}
    )
    export = reverse(
        "newsletter:export-data", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )
    assert f'action="{unsubscribe}"' in html
    assert f'href="{export}"' in html


def test_the_data_export_holds_the_whole_consent_record(client):
    subscriber = SubscriberFactory(email="zoe@example.org")
    response = client.get(
        reverse(
            "newsletter:export-data", kwargs={"token": tokens.make_preferences_token(subscriber)}
        )
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["email"] == "zoe@example.org"
    assert data["status"] == "active"
    assert data["consent"]["ip"] == "203.0.113.5"
    assert data["consent"]["consent_text_version"] == subscriber.consent_text_version
    assert set(data["consent"]) >= {"signed_up_at", "confirmed_at", "unsubscribe_method"}


def test_an_unsubscribed_reader_sees_how_to_come_back_instead_of_choices(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    html = client.get(preferences_url(subscriber)).content.decode()
    assert "not subscribed at the moment" in html
    assert 'name="cadence"' not in html


def test_a_subscriber_deletes_their_data_and_only_a_suppression_entry_remains(client):
    subscriber = SubscriberFactory(email="erase-me@example.org")
    token = tokens.make_preferences_token(subscriber)
    erase = reverse("newsletter:erase", kwargs={"token": token})
    assert f'action="{erase}"' in client.get(preferences_url(subscriber)).content.decode()
    assert client.get(erase).status_code == 405
    assert client.post(erase, headers={"origin": "https://evil.example"}).status_code == 403
    response = client.post(erase, headers={"origin": ORIGIN})
    assert response.status_code == 200
    assert "Your data is deleted" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert Suppression.objects.matching("erase-me@example.org").exists()
    assert client.get(preferences_url(subscriber)).status_code == 404
