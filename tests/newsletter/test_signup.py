import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from newsletter import tokens
from newsletter.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from newsletter.forms import SignupForm
from newsletter.models import Subscriber
from tests.newsletter.factories import SubscriberFactory
from tests.newsletter.support import post_signup, signup_data

pytestmark = pytest.mark.django_db


def test_signup_without_javascript_redirects_to_the_check_your_inbox_page(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client)
    assert response.status_code == 303
    assert response["Location"] == reverse("newsletter:check-inbox")
    page = client.get(response["Location"])
    assert "Check your inbox" in page.content.decode()


def test_signup_makes_a_pending_subscriber_and_sends_exactly_one_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("  Reader@Example.ORG "))
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Reader@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Reader@example.org"]


def test_signup_records_the_consent_shown_and_where(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, ip="198.51.100.7")
    subscriber = Subscriber.objects.get()
    assert subscriber.signup_source == "Form under a post"
    assert subscriber.signup_url == "/2026/11/a-post/"
    assert subscriber.consent_text_version == CURRENT_CONSENT_VERSION
    assert subscriber.consent_text == CONSENT_TEXTS[CURRENT_CONSENT_VERSION]
    assert subscriber.signup_ip == "198.51.100.7"
    assert subscriber.signed_up_at is not None
    assert subscriber.confirmation_sent_at is not None


def test_with_javascript_the_answer_is_json_for_the_inline_message(client):
    response = post_signup(client, json=True)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert "Check your inbox" in response.json()["message"]


def test_an_invalid_address_gets_a_clear_message_tied_to_the_field(client):
    response = post_signup(client, signup_data("not-an-address"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a complete email address" in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="signup-post-email-error signup-post-consent"' in html
    assert Subscriber.objects.count() == 0


def test_an_invalid_address_with_javascript_gets_the_field_error_as_json(client):
    response = post_signup(client, signup_data("name@"), json=True)
    assert response.status_code == 400
    assert response.json()["errors"]["email"] == [
        "Enter a complete email address, like name@example.org."
    ]


def test_the_same_address_ten_times_in_a_minute_sends_one_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for attempt in range(10):
            # Ten different networks: a bomber is not slowed by the per-network limit.
            response = post_signup(
                client, signup_data("victim@example.org"), ip=f"10.0.{attempt}.1"
            )
            assert response.status_code == 303
    assert len(mail.outbox) == 1
    assert Subscriber.objects.count() == 1


def test_a_pending_address_gets_a_new_email_after_a_day(client, django_capture_on_commit_callbacks):
    SubscriberFactory(
        pending=True,
        email="slow@example.org",
        confirmation_long_ago=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("SLOW@example.org"))
    assert len(mail.outbox) == 1


def test_the_sixth_signup_from_one_network_within_an_hour_gets_429(client):
    for number in range(5):
        response = post_signup(client, signup_data(f"r{number}@example.org"), ip="192.0.2.1")
        assert response.status_code == 303
    response = post_signup(client, signup_data("r6@example.org"), ip="192.0.2.99")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Too many signups" in response.content.decode()
    assert not Subscriber.objects.filter(email="r6@example.org").exists()
    assert post_signup(client, signup_data("other@example.org"), ip="192.0.3.1").status_code == 303


def test_a_filled_honeypot_makes_no_row_and_no_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client, signup_data(website="http://spam.example"))
    assert response.status_code == 303
    assert Subscriber.objects.count() == 0
    assert mail.outbox == []


def test_a_form_sent_faster_than_a_person_types_is_refused(
    client, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_MIN_SUBMIT_SECONDS = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client)
    assert response.status_code == 400
    assert "wait a few seconds" in response.content.decode()
    assert Subscriber.objects.count() == 0
    assert mail.outbox == []


def test_a_form_older_than_its_maximum_age_is_refused(client, monkeypatch):
    data = signup_data()
    later = datetime.datetime.now().timestamp() + 25 * 3600
    monkeypatch.setattr("time.time", lambda: later)
    response = post_signup(client, data)
    assert response.status_code == 400
    assert "out of date" in response.content.decode()


def test_a_forged_stamp_is_refused(client):
    response = post_signup(client, signup_data(stamp="signup:1abc:forged"))
    assert response.status_code == 400
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("status", ["new", "pending", "active", "unsubscribed"])
def test_the_answer_is_identical_whatever_the_address_state(client, status):
    if status != "new":
        SubscriberFactory(email="known@example.org", status=status, confirmed_at=timezone.now())
    plain = post_signup(client, signup_data("known@example.org"))
    as_json = post_signup(client, signup_data("known@example.org"), json=True, ip="203.0.114.1")
    assert (plain.status_code, plain["Location"]) == (303, reverse("newsletter:check-inbox"))
    answer = as_json.json()
    assert tokens.check_form_stamp(answer.pop("stamp")) is not tokens.Stamp.INVALID
    assert answer == {
        "ok": True,
        "message": (
            "Thank you! Check your inbox: we have sent a link to confirm your subscription, "
            "unless that address is already subscribed. The link works for 48 hours."
        ),
    }


def test_an_active_subscriber_signing_up_again_gets_no_email_and_stays_active(
    client, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(email="fan@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("FAN@example.org"))
    assert mail.outbox == []
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_someone_who_unsubscribed_can_come_back_through_confirmation(
    client, django_capture_on_commit_callbacks
):
    subscriber = SubscriberFactory(
        email="back@example.org",
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribed_at=timezone.now(),
        unsubscribe_method="link",
        confirmation_long_ago=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("back@example.org"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None
    assert len(mail.outbox) == 1


def test_a_cross_site_post_is_refused(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client, origin="https://evil.example")
    assert response.status_code == 403
    assert Subscriber.objects.count() == 0
    assert mail.outbox == []


def test_a_post_with_neither_origin_nor_referer_is_refused(client):
    assert post_signup(client, origin=None).status_code == 403


def test_internationalised_domains_are_stored_in_ascii_and_match_their_unicode_form(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("zoe@bücher.example"))
        post_signup(client, signup_data("ZOE@XN--BCHER-KVA.example"), ip="198.51.100.1")
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["zoe@xn--bcher-kva.example"]
    assert len(mail.outbox) == 1


def test_a_pages_form_prints_every_field_the_signup_form_reads(client):
    """A page's empty form is printed without building a SignupForm: the template must name
    each of its fields, or a signup from that page would fail."""
    html = client.get(reverse("newsletter:subscribe")).content.decode()
    form_html = html.split('class="signup-form ', 1)[1].split("</form>", 1)[0]
    printed = set(re.findall(r'name="([a-z_]+)"', form_html))
    optional = {name for name, field in SignupForm.base_fields.items() if not field.required}
    assert set(SignupForm.base_fields) - optional <= printed
    assert printed <= set(SignupForm.base_fields)
