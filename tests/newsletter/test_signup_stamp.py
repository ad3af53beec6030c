"""The signup form's stamp: a short life, one use, and fresh even on cached pages (item 13).

Before: a stamp worked for 24 hours, any number of times, and the one in a cached page was
as old as the cached copy, so the minimum-time check measured nothing there. Now a stamp
lives NEWSLETTER_FORM_MAX_AGE (30 minutes), its nonce is claimed in the cache by the first
signup, and the form's script fetches a fresh stamp from `newsletter:signup-stamp`.
"""

import datetime

import pytest
from django.conf import settings as project_settings
from django.urls import reverse

from core.tokens import Signed
from newsletter import tokens
from newsletter.models import Subscriber
from tests.newsletter.support import post_signup, signup_data

pytestmark = pytest.mark.django_db


def fetch_stamp(client) -> dict:
    response = client.get(
        reverse("newsletter:signup-stamp"), headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    return response.json()


def test_a_stamp_lives_half_an_hour_at_most():
    """Item 13: the window was 24 hours."""
    assert project_settings.NEWSLETTER_FORM_MAX_AGE <= 30 * 60


def test_a_stamp_signs_up_once_and_its_replay_is_refused(client):
    """Item 13: a captured form could be posted again and again for a day."""
    data = signup_data("first@example.org")
    assert post_signup(client, data).status_code == 303
    replay = post_signup(client, {**data, "email": "second@example.org"}, ip="198.51.100.7")
    assert replay.status_code == 400
    assert "out of date" in replay.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["first@example.org"]


def test_the_refused_replay_page_carries_a_fresh_stamp_that_works(client):
    """Without JavaScript, a used stamp (two visitors of one cached page) costs one more click."""
    data = signup_data("first@example.org")
    post_signup(client, data)
    page = post_signup(client, {**data, "email": "second@example.org"}, ip="198.51.100.7")
    fresh = page.context["stamp"]
    assert fresh != data["stamp"]
    again = post_signup(client, {**data, "email": "second@example.org", "stamp": fresh})
    assert again.status_code == 303
    assert Subscriber.objects.count() == 2


def test_a_refused_replay_answers_the_script_with_a_new_stamp(client):
    data = signup_data("first@example.org")
    post_signup(client, data, json=True)
    replay = post_signup(client, {**data, "email": "b@example.org"}, json=True, ip="192.0.2.9")
    answer = replay.json()
    assert replay.status_code == 400 and "stamp" in answer["errors"]
    assert tokens.check_form_stamp(answer["stamp"]) is tokens.Stamp.OK


def test_the_stamp_endpoint_gives_every_visitor_a_fresh_one(client):
    first, second = fetch_stamp(client), fetch_stamp(client)
    assert first["stamp"] != second["stamp"]
    assert first["max_age"] == project_settings.NEWSLETTER_FORM_MAX_AGE
    assert post_signup(client, signup_data(stamp=first["stamp"])).status_code == 303


def test_the_minimum_time_counts_from_the_fetched_stamp(client, settings):
    """Item 13: on a cached page the stamp was old, so a bot passed the minimum time."""
    settings.NEWSLETTER_MIN_SUBMIT_SECONDS = 3
    stamp = fetch_stamp(client)["stamp"]
    response = post_signup(client, signup_data(stamp=stamp), json=True)
    assert response.status_code == 400
    assert "wait a few seconds" in response.json()["message"]
    assert "stamp" not in response.json(), "too fast is not stale: the same stamp will do"


def test_an_expired_stamp_is_refused(client, monkeypatch):
    data = signup_data()
    later = datetime.datetime.now().timestamp() + project_settings.NEWSLETTER_FORM_MAX_AGE + 5
    monkeypatch.setattr("time.time", lambda: later)
    response = post_signup(client, data)
    assert response.status_code == 400
    assert Subscriber.objects.count() == 0


def test_a_stamp_without_a_nonce_is_refused(client):
    """Stamps of the old kind (the same signed word for everyone) no longer work."""
    old_kind = Signed("newsletter.signup-form").sign("signup")
    assert post_signup(client, signup_data(stamp=old_kind)).status_code == 400


def test_the_form_tells_its_script_where_to_fetch_a_stamp(client):
    page = client.get(reverse("newsletter:subscribe")).content.decode()
    assert f'data-stamp-url="{reverse("newsletter:signup-stamp")}"' in page
