"""Every public newsletter view answers garbage with a 4xx and words, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsletter import tokens
from newsletter.models import Subscriber
from tests.newsletter.factories import SubscriberFactory
from tests.newsletter.support import ORIGIN, signup_data

pytestmark = pytest.mark.django_db

LONG = "a" * 20_000
ODD = "\u202eevil\u200b😀\ufeff\U0010ffff"


@pytest.fixture
def raising_client():
    """Any exception in a view fails the test instead of turning into a 500 page."""
    return Client(raise_request_exception=True, headers={"origin": ORIGIN})


def signup(client, data, **kwargs):
    return client.post(reverse("newsletter:signup"), data, REMOTE_ADDR="198.51.100.3", **kwargs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter your email address."),
        (signup_data(email=None), "Enter your email address."),
        (signup_data(""), "Enter your email address."),
        (signup_data(LONG + "@example.org"), "too long"),
        (signup_data("x@" + LONG + ".org"), "too long"),
        (signup_data(ODD + "@example.org"), "valid email address"),
        (signup_data("zoë@" + ODD), "valid domain name"),
        (signup_data("a\x00b@example.org"), "Null characters are not allowed"),
        (signup_data("@@@"), "complete email address"),
        (signup_data(stamp=None), "out of date"),
        (signup_data(stamp=LONG), "out of date"),
        (signup_data(stamp=ODD), "out of date"),
        (signup_data(source="nowhere"), "out of date"),
        (signup_data(source=None), "out of date"),
        (signup_data(consent_version="1999"), "out of date"),
        (signup_data(page=LONG), "out of date"),
        (signup_data(page=ODD), None),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_signup_answers_garbage_with_a_4xx_and_a_message(raising_client, data, message, as_json):
    headers = {"accept": "application/json"} if as_json else {}
    response = signup(raising_client, data, headers=headers)
    if message is None:  # an odd page path is simply not recorded
        assert response.status_code == 303 or response.status_code == 200
        assert Subscriber.objects.get().signup_url == ""
        return
    assert 400 <= response.status_code < 500
    body = response.content.decode()
    assert message in body
    assert Subscriber.objects.count() == 0


def test_signup_answers_a_multi_valued_field(raising_client):
    response = signup(raising_client, {**signup_data(), "email": ["a@example.org", LONG]})
    assert response.status_code in (303, 400)


def test_signup_answers_a_body_that_is_not_a_form(raising_client):
    response = raising_client.post(
        reverse("newsletter:signup"), "\xff\xfe{not a form", content_type="application/json"
    )
    assert response.status_code == 400
    assert "Enter your email address." in response.content.decode()


@pytest.fixture
def urls():
    subscriber = SubscriberFactory(pending=True)
    return {
        "subscribe": reverse("newsletter:subscribe"),
        "check-inbox": reverse("newsletter:check-inbox"),
        "signup": reverse("newsletter:signup"),
        "confirm": reverse(
            "newsletter:confirm", kwargs={"token": tokens.make_confirm_token(subscriber)}
        ),
        "unsubscribe": reverse(
            "newsletter:unsubscribe", kwargs={"token": tokens.make_unsubscribe_token(subscriber)}
        ),
        "preferences": reverse(
            "newsletter:preferences", kwargs={"token": tokens.make_preferences_token(subscriber)}
        ),
        "export-data": reverse(
            "newsletter:export-data", kwargs={"token": tokens.make_preferences_token(subscriber)}
        ),
        "erase": reverse(
            "newsletter:erase", kwargs={"token": tokens.make_preferences_token(subscriber)}
        ),
    }


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("subscribe", "post"),
        ("subscribe", "put"),
        ("check-inbox", "post"),
        ("signup", "get"),
        ("signup", "delete"),
        ("confirm", "put"),
        ("unsubscribe", "delete"),
        ("unsubscribe", "patch"),
        ("preferences", "put"),
        ("export-data", "post"),
        ("erase", "get"),
    ],
)
def test_a_wrong_method_gets_405_with_a_page_that_says_what_to_do(
    raising_client, urls, name, method
):
    response = getattr(raising_client, method)(urls[name])
    assert response.status_code == 405
    assert "This address cannot be used this way" in response.content.decode()
    assert response["Allow"]


@pytest.mark.parametrize("view", ["confirm", "unsubscribe", "preferences", "export-data", "erase"])
@pytest.mark.parametrize(
    "token",
    ["x", "1", "a" * 5000, "😀" * 50, "%00", "a:b:c", "..", "eyJrIjoxfQ:1abc:xyz", " "],
)
def test_a_garbage_token_gets_a_4xx_with_a_message(raising_client, view, token):
    url = reverse(f"newsletter:{view}", kwargs={"token": token})
    responses = [] if view == "erase" else [raising_client.get(url)]
    if view != "export-data":
        responses.append(
            raising_client.post(url, {"List-Unsubscribe": "One-Click", "cadence": LONG})
        )
    for response in responses:
        assert response.status_code in (400, 404)
        assert b"<h1" in response.content


def test_preferences_answer_a_garbage_cadence_with_400_and_the_form_error(raising_client, urls):
    Subscriber.objects.update(status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now())
    subscriber = Subscriber.objects.get()
    for cadence in (LONG, ODD, ""):
        response = raising_client.post(urls["preferences"], {"cadence": cadence})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode() or "required" in (
            response.content.decode()
        )
    subscriber.refresh_from_db()
    assert subscriber.cadence == Subscriber.Cadence.WEEKLY


def test_a_garbage_forwarded_address_is_not_recorded(client, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    response = client.post(
        reverse("newsletter:signup"),
        signup_data(),
        headers={"origin": ORIGIN, "x-forwarded-for": "not-an-ip"},
    )
    assert response.status_code == 303
    assert Subscriber.objects.get().signup_ip is None
