"""Real SMTP delivery, the confirmation link, SMTP outages."""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.models import OutgoingEmail
from newsletter.models import Subscriber
from tests.newsletter.support import ORIGIN, post_signup, signup_data

pytestmark = pytest.mark.django_db(transaction=True)


def link_in(message, path_part: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+{path_part}\S+/", text).group(0)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_the_confirmation_email_is_multipart_with_a_readable_text_part(client, smtp_server):
    post_signup(client, signup_data("zoe@example.org"))
    [message] = smtp_server.messages
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<a " not in text and "<" not in text
    assert "Confirm" in text and "48 hours" in text
    confirm = link_in(message, "/newsletter/confirm/")
    assert confirm.startswith("http://testserver/newsletter/confirm/")
    assert confirm in html
    assert message["To"] == "zoe@example.org"


def test_nothing_the_visitor_typed_appears_in_the_confirmation_email(client, smtp_server):
    post_signup(
        client,
        signup_data(
            "buy-cheap-pills-at-spam.example@example.org",
            page="/visit-spam-example-now/",
            source="footer",
        ),
    )
    [message] = smtp_server.messages
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "spam" not in body
        assert "buy-cheap" not in body


def test_the_link_shows_a_confirm_button_and_a_get_never_confirms(client, smtp_server):
    post_signup(client, signup_data("zoe@example.org"))
    url = path_of(link_in(smtp_server.messages[0], "/newsletter/confirm/"))
    for _ in range(2):
        page = client.get(url)
        assert page.status_code == 200
        assert '<button class="button" type="submit">Confirm</button>' in page.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert "no-store" in page["Cache-Control"]


def test_confirming_activates_once_then_the_link_says_it_was_used(client, smtp_server):
    post_signup(client, signup_data("zoe@example.org"), ip="203.0.113.10")
    url = path_of(link_in(smtp_server.messages[0], "/newsletter/confirm/"))
    response = client.post(url, REMOTE_ADDR="198.51.100.20", headers={"origin": ORIGIN})
    assert response.status_code == 200
    assert "you are subscribed" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_ip == "198.51.100.20"
    confirmed_at = subscriber.confirmed_at

    again = client.post(url, REMOTE_ADDR="198.51.100.21", headers={"origin": ORIGIN})
    assert again.status_code == 200
    assert "Already confirmed" in again.content.decode()
    assert "already been used" in client.get(url).content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.confirmed_at, subscriber.confirmed_ip) == (confirmed_at, "198.51.100.20")


def test_an_expired_link_explains_what_to_do(client, smtp_server, settings, monkeypatch):
    post_signup(client, signup_data("zoe@example.org"))
    url = path_of(link_in(smtp_server.messages[0], "/newsletter/confirm/"))
    later = timezone.now().timestamp() + settings.NEWSLETTER_CONFIRM_MAX_AGE + 60
    monkeypatch.setattr("time.time", lambda: later)
    for response in (client.get(url), client.post(url, headers={"origin": ORIGIN})):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This confirmation link has expired" in html
        assert "send the form below again" in html
        assert 'action="/newsletter/signup/"' in html
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_a_cross_site_post_cannot_confirm(client, smtp_server):
    post_signup(client, signup_data("zoe@example.org"))
    url = path_of(link_in(smtp_server.messages[0], "/newsletter/confirm/"))
    assert client.post(url, headers={"origin": "https://evil.example"}).status_code == 403
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_the_whole_consent_record_is_filled_by_the_flow(client, smtp_server):
    post_signup(client, signup_data("zoe@example.org"), ip="203.0.113.10")
    message = smtp_server.messages[0]
    client.post(
        path_of(link_in(message, "/newsletter/confirm/")),
        REMOTE_ADDR="198.51.100.20",
        headers={"origin": ORIGIN},
    )
    client.post(path_of(link_in(message, "/newsletter/u/")), {"List-Unsubscribe": "One-Click"})
    subscriber = Subscriber.objects.get()
    record = {
        field: getattr(subscriber, field)
        for field in (
            "signed_up_at",
            "signup_source",
            "signup_url",
            "consent_text_version",
            "consent_text",
            "signup_ip",
            "confirmation_sent_at",
            "confirmed_at",
            "confirmed_ip",
            "unsubscribed_at",
            "unsubscribe_method",
        )
    }
    assert all(record.values()), record
    assert record["unsubscribe_method"] == "one-click"


def test_smtp_down_during_signup_still_answers_and_the_mail_goes_out_later(client, smtp_server):
    smtp_server.stop()
    response = post_signup(client, signup_data("zoe@example.org"), json=True)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.PENDING
    smtp_server.start()
    call_command("send_queued_email", stdout=StringIO())
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"].startswith("Confirm your subscription")


def test_smtp_down_then_up_the_worker_delivers_with_no_one_doing_anything(
    client, smtp_server, settings, now
):
    """The retry is a deferred task (run_after = the backoff): the worker alone delivers it."""

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    smtp_server.stop()
    assert post_signup(client, signup_data("zoe@example.org")).status_code == 303
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts) == (OutgoingEmail.Status.PENDING, 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after is not None and retry.run_after > now

    smtp_server.start()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=now)  # the backoff is over
    OutgoingEmail.objects.update(next_attempt_at=now)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    [message] = smtp_server.messages
    assert message["To"] == "zoe@example.org"
