import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import outbox, periodic
from core.models import OutgoingEmail
from core.tasks import deliver_outgoing_email
from newsletter.emails import send_confirmation

pytestmark = pytest.mark.django_db(transaction=True)


class OutageBackend(locmem.EmailBackend):
    """The locmem transport (`mail.outbox`), refusing to connect while `down`, as a mail server
    that is off does. The real thing is tested against an SMTP server in the `slow` tests."""

    down = False

    def send_messages(self, messages):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().send_messages(messages)


@pytest.fixture
def transport(settings, monkeypatch):
    """Mail takes the production path: stored by `default`, delivered by the task."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "core.mail.QueuedEmailBackend",
            "OPTIONS": {"deliver_using": "transport"},
        },
        "transport": {"BACKEND": f"{__name__}.OutageBackend"},
    }
    monkeypatch.setattr(OutageBackend, "down", False)
    return OutageBackend


class Clock:
    def __init__(self, start: datetime.datetime):
        self.current = start

    def __call__(self) -> datetime.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch, tomorrow):
    """`timezone.now()` stands still until advanced. It starts a day ahead of the wall clock, so
    a row stamped with the real time by a model default is already in its past."""
    fake = Clock(tomorrow)
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def deliver_due_mail():
    call_command("send_queued_email", stdout=StringIO())


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


@pytest.mark.slow
def test_mail_server_down_keeps_the_message_and_a_later_run_delivers_it(smtp_server):
    smtp_server.stop()
    send_hello()
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.PENDING
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    smtp_server.start()
    deliver_due_mail()
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_an_unreachable_server_gets_the_message_once_the_backoff_has_passed(
    transport, clock, settings
):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    transport.down = True
    send_hello()
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts) == (OutgoingEmail.Status.PENDING, 1)
    assert row.next_attempt_at == clock() + datetime.timedelta(seconds=30)
    assert "ConnectionRefusedError" in row.last_error

    transport.down = False
    clock.advance(29)
    deliver_due_mail()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.PENDING
    assert mail.outbox == []

    clock.advance(1)
    deliver_due_mail()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]


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


def test_a_send_that_died_midway_is_picked_up_once_its_lease_has_run_out(
    transport, clock, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    send_hello()
    outbox.claim(OutgoingEmail.objects.get().pk)  # and the worker is killed before sending

    clock.advance(settings.EMAIL_SENDING_TIMEOUT_SECONDS - 1)
    deliver_due_mail()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENDING
    assert mail.outbox == []

    clock.advance(1)
    deliver_due_mail()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert len(mail.outbox) == 1


# Erasure and retention ------------------------------------------------------------------


def queued_to(*recipients, subject="Hello", body="A plain note."):
    message = mail.EmailMessage(
        subject=subject, body=body, from_email="news@example.org", to=list(recipients)
    )
    message.send()
    return OutgoingEmail.objects.latest("pk")


def test_erasing_a_subscriber_removes_their_waiting_confirmation_from_the_outbox(transport):
    from newsletter.models import Subscriber
    from newsletter.subscriptions import erase_subscribers
    from tests.newsletter.factories import SubscriberFactory

    transport.down = True  # the confirmation waits in the outbox, with its signed links
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


def test_erasure_keeps_the_other_recipients_of_a_shared_message(transport):
    transport.down = True
    shared = queued_to("editor@example.org", "ZOE@example.org", body="Zoe@example.org wrote.")
    assert outbox.forget_addresses(["zoe@example.org"]) == 1
    shared.refresh_from_db()
    assert shared.recipients == ["editor@example.org"]
    assert b"zoe@example.org" not in bytes(shared.message).lower()
    assert b"editor@example.org" in bytes(shared.message)


def test_the_worker_purges_sent_and_failed_mail_past_the_retention_period(transport, settings, now):
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


def test_a_send_cut_off_by_a_killed_worker_is_sent_by_the_periodic_job(transport, now):
    row = queued_to("reader@example.org")
    mail.outbox.clear()
    # What a worker killed mid-send leaves: "sending", its lease run out, no task queued.
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=OutgoingEmail.Status.SENDING, next_attempt_at=now - datetime.timedelta(seconds=1)
    )
    assert "outbox-due" in periodic.run_due(now=now)
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert len(mail.outbox) == 1


# The outbox in the admin -------------------------------------------------------------


def test_the_outbox_admin_lists_messages_by_status_and_changes_nothing(admin_client, transport):
    transport.down = True
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


def test_retry_now_sends_a_failed_message_at_once(admin_client, transport, settings):
    settings.EMAIL_MAX_ATTEMPTS = 1
    transport.down = True
    row = queued_to("reader@example.org")
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.FAILED
    transport.down = False
    response = admin_client.post(
        reverse("admin:core_outgoingemail_changelist"),
        {"action": "retry_now", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 message(s) handed to the worker again." in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]


def test_erasure_finds_the_address_however_it_was_spelled(transport):
    transport.down = True
    queued_to('"zoe"@EXAMPLE.org')
    kept = queued_to("someone@example.org")
    assert outbox.forget_addresses(["Zoe@example.org"]) == 1
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_periodic_job_requeues_only_messages_whose_task_was_lost(transport, settings, now):
    """A message due a moment ago waits for its queued task; one overdue for long gets a new
    task, once: the job does not pile a task per message per minute behind a busy queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    waiting, lost = queued_to("waiting@example.org"), queued_to("lost@example.org")
    OutgoingEmail.objects.filter(pk=waiting.pk).update(
        next_attempt_at=now - datetime.timedelta(minutes=1)
    )
    OutgoingEmail.objects.filter(pk=lost.pk).update(
        next_attempt_at=now - outbox.LOST_TASK_AFTER - datetime.timedelta(seconds=1)
    )
    DBTaskResult.objects.all().delete()

    assert "outbox-due" in periodic.run_due(now=now)
    next_minute = now + datetime.timedelta(minutes=1)
    assert "outbox-due" in periodic.run_due(now=next_minute)

    deliveries = DBTaskResult.objects.filter(task_path=deliver_outgoing_email.module_path)
    queued = [task.args_kwargs["args"] for task in deliveries]
    assert queued == [[lost.pk]]
