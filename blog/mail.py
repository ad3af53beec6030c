"""Email that survives a mail-server outage: stored on send, delivered by the worker.

`QueuedEmailBackend` is the `default` MAILERS backend in production. Django code (and
django-comments-xtd, which never chooses a mailer) sends as usual; the message is stored as an
`OutgoingEmail` row and, once the transaction commits, a task hands it to the real transport
(`MAILERS["transport"]`). A failed attempt is retried with exponential backoff; a permanent
refusal (a 5xx answer) is recorded as failed at once.
"""

import datetime
import email
import email.policy
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from blog.models import OutgoingEmail

RETRYABLE = (smtplib.SMTPException, OSError)


class StoredEmailMessage(EmailMessage):
    """A message already rendered to bytes, re-sent exactly as it was stored."""

    def __init__(self, raw: bytes, *, from_email: str, recipients: list[str]):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        super().__init__(subject=parsed.get("Subject", ""), from_email=from_email)
        self._raw = raw
        self._recipients = list(recipients)
        self.to = list(recipients)

    def recipients(self):
        return self._recipients

    def message(self, *, policy=email.policy.default):
        return email.message_from_bytes(self._raw, policy=policy)


class QueuedEmailBackend(BaseEmailBackend):
    def __init__(self, *, deliver_using: str = "transport", **kwargs):
        super().__init__(**kwargs)
        self.deliver_using = deliver_using

    def send_messages(self, email_messages):
        from blog.tasks import deliver_outgoing_email

        stored = []
        for message in email_messages:
            if not message.recipients():
                continue
            stored.append(
                OutgoingEmail(
                    mailer=self.deliver_using,
                    from_email=message.from_email,
                    recipients=message.recipients(),
                    subject=str(message.subject)[:300],
                    message=message.message(policy=email.policy.SMTP).as_bytes(),
                )
            )
        with transaction.atomic():
            OutgoingEmail.objects.bulk_create(stored)
            for row in stored:
                transaction.on_commit(
                    lambda pk=row.pk: deliver_outgoing_email.enqueue(pk), robust=True
                )
        return len(stored)


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff: base, 2×base, 4×base… capped at EMAIL_RETRY_MAX_SECONDS."""
    seconds = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return datetime.timedelta(seconds=min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


def is_permanent(error: Exception) -> bool:
    """A 5xx answer means the server will never take this message (RFC 5321 §4.2.1)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def claim(pk: int) -> OutgoingEmail | None:
    """Mark one due message as being sent; None if another worker has it or it is done."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return None
        row.status = OutgoingEmail.Status.SENDING
        row.attempts += 1
        # While sending, next_attempt_at is the lease: past it, the send is presumed dead.
        row.next_attempt_at = now + datetime.timedelta(
            seconds=settings.EMAIL_SENDING_TIMEOUT_SECONDS
        )
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
    return row


def deliver(row: OutgoingEmail) -> OutgoingEmail.Status:
    """Send one claimed message; record the outcome and when to try again."""
    message = StoredEmailMessage(
        bytes(row.message), from_email=row.from_email, recipients=row.recipients
    )
    try:
        with mailers[row.mailer] as connection:
            connection.send_messages([message])
    except RETRYABLE as error:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if is_permanent(error) or row.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            row.status = OutgoingEmail.Status.FAILED
        else:
            row.status = OutgoingEmail.Status.PENDING
            row.next_attempt_at = timezone.now() + retry_delay(row.attempts)
    else:
        row.status = OutgoingEmail.Status.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
    row.save(update_fields=["status", "next_attempt_at", "last_error", "sent_at"])
    return row.status


def due_messages():
    """Waiting messages whose time has come, and sends that died mid-way (at-least-once)."""
    now = timezone.now()
    OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lte=now
    ).update(status=OutgoingEmail.Status.PENDING)
    return OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
