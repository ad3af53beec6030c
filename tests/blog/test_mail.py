import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from blog.models import OutgoingEmail

pytestmark = pytest.mark.django_db(transaction=True)


def send_hello():
    message = mail.EmailMultiAlternatives(
        subject="Confirm your address — “The Dispatch”",
        body="Plain text: Zoë’s note…",
        from_email="The Dispatch <news@example.org>",
        to=["reader@example.org"],
    )
    message.attach_alternative("<p>HTML: Zoë’s note…</p>", "text/html")
    message.send()


def test_mail_is_stored_then_delivered_by_the_task_to_a_real_smtp_server(smtp_server):
    send_hello()
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.SENT
    received = smtp_server.messages[0]
    assert received["Subject"] == "Confirm your address — “The Dispatch”"
    assert received.get_body(("plain",)).get_content().strip() == "Plain text: Zoë’s note…"
    assert received.get_body(("html",)).get_content().strip() == "<p>HTML: Zoë’s note…</p>"


def test_mail_server_down_keeps_the_message_and_a_later_run_delivers_it(smtp_server):
    smtp_server.stop()
    send_hello()
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.PENDING
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    smtp_server.start()
    call_command("send_queued_email", stdout=StringIO())
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_backoff_doubles_and_is_capped(settings):
    from blog.mail import retry_delay

    settings.EMAIL_RETRY_BASE_SECONDS = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(50) == datetime.timedelta(seconds=settings.EMAIL_RETRY_MAX_SECONDS)


def test_permanent_refusal_is_not_retried(smtp_server, monkeypatch):
    import smtplib

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"reader@example.org": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.backends.smtp.EmailBackend.send_messages", refuse)
    send_hello()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.FAILED


def test_a_send_that_died_midway_is_picked_up_again(smtp_server):
    from django.utils import timezone

    smtp_server.stop()
    send_hello()
    smtp_server.start()
    OutgoingEmail.objects.update(
        status=OutgoingEmail.Status.SENDING,
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    call_command("send_queued_email", stdout=StringIO())
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
