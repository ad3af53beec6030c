import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core import outbox, periodic
from core.models import OutgoingEmail
from newsletter.emails import send_confirmation

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
    from core.outbox import retry_delay

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

    smtp_server.stop()
    send_hello()
    smtp_server.start()
    OutgoingEmail.objects.update(
        status=OutgoingEmail.Status.SENDING,
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    call_command("send_queued_email", stdout=StringIO())
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT


# Erasure and retention ------------------------------------------------------------------


def queued_to(*recipients, subject="Hello", body="A plain note."):
    message = mail.EmailMessage(
        subject=subject, body=body, from_email="news@example.org", to=list(recipients)
    )
    message.send()
    return OutgoingEmail.objects.latest("pk")


def test_erasing_a_subscriber_removes_their_waiting_confirmation_from_the_outbox(smtp_server):
    from newsletter.models import Subscriber
    from newsletter.subscriptions import erase_subscribers
    from tests.newsletter.factories import SubscriberFactory

    smtp_server.stop()  # the confirmation waits in the outbox, with its signed links
    subscriber = SubscriberFactory(email="Zoe@Example.org", pending=True)
    send_confirmation(subscriber_id=subscriber.pk)
    other = queued_to("someone@example.org")
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).count() == 2

    erase_subscribers(subscribers=Subscriber.objects.filter(pk=subscriber.pk))

    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [other.pk]
    assert not any(
        b"zoe@example.org" in bytes(message).lower()
        for message in OutgoingEmail.objects.values_list("message", flat=True)
    )


def test_erasure_keeps_the_other_recipients_of_a_shared_message(smtp_server):
    smtp_server.stop()
    shared = queued_to("editor@example.org", "ZOE@example.org", body="Zoe@example.org wrote.")
    assert outbox.forget_addresses(["zoe@example.org"]) == 1
    shared.refresh_from_db()
    assert shared.recipients == ["editor@example.org"]
    assert b"zoe@example.org" not in bytes(shared.message).lower()
    assert b"editor@example.org" in bytes(shared.message)


def test_the_worker_purges_sent_and_failed_mail_past_the_retention_period(
    smtp_server, settings, now
):
    settings.OUTBOX_RETENTION_DAYS = 30
    rows = [queued_to(f"r{n}@example.org") for n in range(4)]
    old_sent, old_failed, old_waiting, recent_sent = rows
    OutgoingEmail.objects.filter(pk=old_failed.pk).update(status=OutgoingEmail.Status.FAILED)
    OutgoingEmail.objects.filter(pk=old_waiting.pk).update(status=OutgoingEmail.Status.PENDING)
    OutgoingEmail.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_waiting.pk]).update(
        created_at=now - datetime.timedelta(days=31)
    )
    OutgoingEmail.objects.filter(pk=recent_sent.pk).update(
        created_at=now - datetime.timedelta(days=29)
    )

    assert "outbox-purge" in periodic.run_due(now=now)

    remaining = set(OutgoingEmail.objects.values_list("pk", flat=True))
    assert old_sent.pk not in remaining and old_failed.pk not in remaining
    assert {old_waiting.pk, recent_sent.pk} <= remaining


def test_a_send_cut_off_by_a_killed_worker_is_sent_by_the_periodic_job(smtp_server, now):
    smtp_server.stop()
    row = queued_to("reader@example.org")
    smtp_server.start()
    # What a worker killed mid-send leaves: "sending", its lease run out, no task queued.
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=OutgoingEmail.Status.SENDING, next_attempt_at=now - datetime.timedelta(seconds=1)
    )
    assert "outbox-due" in periodic.run_due(now=now)
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert len(smtp_server.messages) == 1


# The outbox in the admin -------------------------------------------------------------


def test_the_outbox_admin_lists_messages_by_status_and_changes_nothing(admin_client, smtp_server):
    smtp_server.stop()
    row = queued_to("reader@example.org", subject="Your sign-in link", body="Secret link")
    changelist = reverse("admin:core_outgoingemail_changelist")
    page = admin_client.get(changelist, {"status__exact": "pending"}).content.decode()
    assert "Your sign-in link" in page and "reader@example.org" in page
    assert (
        "Your sign-in link"
        not in admin_client.get(changelist, {"status__exact": "sent"}).content.decode()
    )
    change = reverse("admin:core_outgoingemail_change", args=[row.pk])
    detail = admin_client.get(change).content.decode()
    assert 'name="_save"' not in detail
    assert "Secret link" not in detail  # the message itself is never shown
    assert admin_client.post(change, {"subject": "Altered"}).status_code == 403
    assert admin_client.get(reverse("admin:core_outgoingemail_add")).status_code == 403


def test_retry_now_sends_a_failed_message_at_once(admin_client, smtp_server, settings):
    settings.EMAIL_MAX_ATTEMPTS = 1
    smtp_server.stop()
    row = queued_to("reader@example.org")
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.FAILED
    smtp_server.start()
    response = admin_client.post(
        reverse("admin:core_outgoingemail_changelist"),
        {"action": "retry_now", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 message(s) handed to the worker again." in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert [m["To"] for m in smtp_server.messages] == ["reader@example.org"]
