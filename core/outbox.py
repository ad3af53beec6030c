"""The outbox's life cycle: claim a due message, hand it to the transport, record the outcome.

Messages are stored by `core.mail.QueuedEmailBackend` and sent by the worker
(`core.tasks.deliver_outgoing_email`). A failed attempt is retried with exponential backoff; a
permanent refusal (a 5xx answer) is recorded as failed at once. Sent and failed rows are kept
for OUTBOX_RETENTION_DAYS, so the author can see what went out, then purged.
"""

import datetime
import email
import email.message
import email.policy
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone

from core import smtp
from core.addresses import mailbox_key
from core.models import OutgoingEmail

ERASED_ADDRESS = b"erased@invalid"


class _ParsedStoredMessage(email.message.EmailMessage):
    """The stored message, parsed for reading, written back byte for byte.

    Re-generating a parsed message would refold its long header lines, turning the raw
    `List-Unsubscribe` into encoded words again (core.mail.UnfoldedHeader).
    """

    stored_bytes: bytes = b""

    def as_bytes(self, unixfrom=False, policy=None):
        return self.stored_bytes if self.stored_bytes else super().as_bytes(unixfrom, policy)


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
        parsed = email.message_from_bytes(self._raw, _class=_ParsedStoredMessage, policy=policy)
        parsed.stored_bytes = self._raw
        return parsed


def retry_delay(attempts: int) -> datetime.timedelta:
    """Backoff between attempts: EMAIL_RETRY_BASE_SECONDS doubling up to EMAIL_RETRY_MAX_SECONDS."""
    return smtp.backoff(
        attempts, base=settings.EMAIL_RETRY_BASE_SECONDS, cap=settings.EMAIL_RETRY_MAX_SECONDS
    )


def claim(pk: int, *, now: datetime.datetime | None = None) -> OutgoingEmail | None:
    """Mark one due message as being sent; None if another worker has it or it is done."""
    now = now or timezone.now()
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
    except smtp.SEND_ERRORS as error:
        row.last_error = smtp.describe(error)
        permanent = smtp.classify(error) is smtp.Refusal.PERMANENT
        if permanent or row.attempts >= settings.EMAIL_MAX_ATTEMPTS:
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


def due_messages(*, now: datetime.datetime | None = None):
    """Waiting messages whose time has come, and sends that died mid-way (at-least-once)."""
    now = now or timezone.now()
    OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lte=now
    ).update(status=OutgoingEmail.Status.PENDING)
    return OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)


# A message due this long without being sent has lost its task (a killed worker, a lost
# deferral); a message due for less is presumably waiting for its task in a busy queue.
LOST_TASK_AFTER = datetime.timedelta(minutes=5)


def orphaned_messages(*, now: datetime.datetime) -> list[int]:
    """Messages whose task was lost: sends whose lease ran out, and messages overdue for more
    than LOST_TASK_AFTER. Each is marked due *now*, so the next sweep leaves it to the task
    it is about to get for another LOST_TASK_AFTER instead of queueing it again every minute."""
    dead_sends = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lte=now
    )
    overdue = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now - LOST_TASK_AFTER
    )
    with transaction.atomic():
        pks = [*dead_sends.values_list("pk", flat=True), *overdue.values_list("pk", flat=True)]
        OutgoingEmail.objects.filter(pk__in=pks).update(
            status=OutgoingEmail.Status.PENDING, next_attempt_at=now
        )
    return pks


def make_due_again(queryset, *, now: datetime.datetime) -> list[int]:
    """Failed or waiting messages go back to the front of the queue with a fresh attempt count."""
    pks = list(
        queryset.filter(
            status__in=[OutgoingEmail.Status.FAILED, OutgoingEmail.Status.PENDING]
        ).values_list("pk", flat=True)
    )
    OutgoingEmail.objects.filter(pk__in=pks).update(
        status=OutgoingEmail.Status.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    return pks


def purge_finished(*, now: datetime.datetime) -> int:
    """Delete sent and failed messages older than OUTBOX_RETENTION_DAYS; return how many."""
    cutoff = now - datetime.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutgoingEmail.objects.finished_before(cutoff).delete()
    return deleted


def forget_addresses(addresses: Iterable[str]) -> int:
    """Erase these addresses from the outbox (a right-to-erasure request); return rows touched.

    Messages only to erased addresses are deleted, sent or not: nothing may still go out to,
    or be kept about, an erased person. A message to several people keeps its other
    recipients, with the erased ones removed from the list and overwritten in the stored bytes.
    The outbox is bounded by OUTBOX_RETENTION_DAYS, so one pass over its recipient lists is cheap.
    """
    wanted = {mailbox_key(address) for address in addresses if address.strip()}
    if not wanted:
        return 0
    spellings = wanted | {address.strip().lower() for address in addresses if address.strip()}
    pattern = re.compile(
        b"|".join(re.escape(address.encode()) for address in sorted(spellings)), re.IGNORECASE
    )
    to_delete, touched = [], 0
    rows = OutgoingEmail.objects.values_list("pk", "recipients").iterator(chunk_size=2000)
    for pk, recipients in rows:
        kept = [r for r in recipients if mailbox_key(r) not in wanted]
        if len(kept) == len(recipients):
            continue
        if not kept:
            to_delete.append(pk)
            continue
        with transaction.atomic():
            row = OutgoingEmail.objects.select_for_update().get(pk=pk)
            row.recipients = kept
            row.message = pattern.sub(ERASED_ADDRESS, bytes(row.message))
            row.save(update_fields=["recipients", "message"])
        touched += 1
    OutgoingEmail.objects.filter(pk__in=to_delete).delete()
    return touched + len(to_delete)
