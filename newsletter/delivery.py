"""The delivery engine: every recipient gets an edition once, whatever crashes on the way.

How a send works, and why it cannot skip anyone or send twice:

1. **Freeze** (newsletter/editions.py). One `Delivery` row per recipient, unique per
   (edition, subscriber), and the body rendered once; the edition moves to `sending`.
2. **Claim.** Pending rows whose time has come become `sending` with a lease (`lease_token`,
   `lease_expires_at`). PostgreSQL reads them `FOR UPDATE SKIP LOCKED`, so parallel workers
   take disjoint batches without waiting; SQLite has no row locks, but every write transaction
   starts with `BEGIN IMMEDIATE` (config/env.py), which serialises claims. On both, the
   claiming UPDATE only takes rows still `pending`, and a worker sends exactly the rows that
   carry its own lease token.
3. **Send.** One SMTP connection per batch (`mailers["bulk"]`). Each delivery is marked `sent`
   in its own committed UPDATE right after the server accepted the message (250 after DATA);
   if the database is away at that moment, the worker waits for it to record the mark.
   The recipient's status is read just before sending, so someone who unsubscribed a moment
   ago is `skipped`.
4. **Recover.** A worker killed mid-batch leaves rows `sending`; once their lease expires any
   worker puts them back to `pending`. A worker stops before its own lease runs out, so a
   live worker's rows are never re-sent by another one. Only the message *in flight* when a
   worker dies (accepted, but not yet marked `sent`) can arrive twice: at most one per crash
   (`MAX_DUPLICATES_PER_CRASH`, asserted by tests/newsletter/test_delivery_crash.py). Nothing
   is skipped: a row leaves `pending`/`sending` only as `sent`, `failed` or `skipped`.

Errors: an unreachable server, a dropped connection or a 4xx for the whole transaction stop
the batch; its unsent rows go back to `pending` with an exponential backoff and the edition
records the error (shown in the admin). A 4xx for one recipient retries that recipient later;
a 5xx for one recipient fails that delivery (RFC 5321 §4.2.1: 5yz is permanent), and
NEWSLETTER_HARD_BOUNCE_LIMIT such refusals in a row mark the subscriber bounced.

This module runs a little past our ~400-line guide on purpose: the protocol above and the
code that keeps it belong in one place, read together.
"""

import datetime
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.mail import mailers
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core import smtp
from core.pagecache import refresh_public_pages
from newsletter import rendering
from newsletter.models import Delivery, Edition, Subscriber

logger = logging.getLogger(__name__)

MAX_DUPLICATES_PER_CRASH = 1
# A worker stops sending this long before its lease runs out, so that a message it starts
# always finishes (or times out) while the rows are still its own.
LEASE_SAFETY_SECONDS = 5
# The database is unreachable (a restart, a network cut), as opposed to a query being wrong.
DATABASE_AWAY = (OperationalError, InterfaceError)


def retry_delay(failures: int) -> datetime.timedelta:
    """Backoff: NEWSLETTER_RETRY_BASE_SECONDS doubling up to NEWSLETTER_RETRY_MAX_SECONDS."""
    return smtp.backoff(
        failures,
        base=settings.NEWSLETTER_RETRY_BASE_SECONDS,
        cap=settings.NEWSLETTER_RETRY_MAX_SECONDS,
    )


class Pacer:
    """This worker's clock: at most `rate` messages per second (0: as fast as the server takes).

    `clock` and `sleep` are the wall clock's unless a test passes a fake one, so the rate limit
    and the lease deadline (`send_batch`) can be checked without waiting.
    """

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_slot = clock()

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next_slot > now:
            self.sleep(self.next_slot - now)
        self.next_slot = max(self.next_slot, now) + self.interval


class ServerTrouble(Exception):
    """The mail server cannot take messages right now: stop the batch, retry later."""


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    error: str = ""

    def count(self, outcome: str) -> None:
        """One more delivery "sent", "skipped", "failed" or "retried"."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def _release(rows, **fields) -> int:
    """Rows a worker holds, or held, go back to `pending` for any worker to claim."""
    return rows.update(
        status=Delivery.Status.PENDING, lease_token="", lease_expires_at=None, **fields
    )


def claim_batch(
    *, edition: Edition, now: datetime.datetime, size: int
) -> tuple[str, list[tuple[int, int]]]:
    """Take up to `size` due deliveries for this worker: (lease token, [(pk, subscriber_id)])."""
    token = secrets.token_hex(16)
    lease_until = now + datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
    with transaction.atomic():
        # Rows left `sending` by a worker that died go back first (at-least-once).
        _release(Delivery.objects.filter(edition=edition).lease_expired(now=now))
        candidates = Delivery.objects.filter(edition=edition).due(now=now)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:size])
        if ids:
            Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SENDING,
                lease_token=token,
                claimed_at=now,
                lease_expires_at=lease_until,
            )
    if not ids:
        return token, []
    claimed = Delivery.objects.leased_by(token).order_by("pk")
    return token, list(claimed.values_list("pk", "subscriber_id"))


def _mark(pk: int, token: str, **fields) -> int:
    """Record one outcome, only while the row is still ours."""
    return Delivery.objects.filter(pk=pk, lease_token=token).update(
        lease_token="", lease_expires_at=None, **fields
    )


def _after_hard_bounce(subscriber_id: int, *, now: datetime.datetime) -> None:
    """NEWSLETTER_HARD_BOUNCE_LIMIT permanent refusals in a row: stop mailing the address."""
    limit = settings.NEWSLETTER_HARD_BOUNCE_LIMIT
    recent = Delivery.objects.latest_outcomes(subscriber_id=subscriber_id, limit=limit)
    if len(recent) == limit and all(recent):
        subscriber = Subscriber.objects.get(pk=subscriber_id)
        subscriber.unsubscribe(method=Subscriber.UnsubscribeMethod.BOUNCE, now=now)


def send_batch(
    *, edition: Edition, now: datetime.datetime, pacer: Pacer | None = None
) -> BatchResult:
    """Claim one batch and send it over one SMTP connection; see the module docstring."""
    token, claimed = claim_batch(edition=edition, now=now, size=settings.NEWSLETTER_BATCH_SIZE)
    result = BatchResult(claimed=len(claimed))
    if not claimed:
        return result
    pacer = pacer or Pacer(settings.NEWSLETTER_SEND_RATE)
    stop_at = pacer.clock() + settings.NEWSLETTER_LEASE_SECONDS - LEASE_SAFETY_SECONDS
    content = rendering.stored_content(edition)
    in_flight = None
    try:
        with mailers["bulk"] as mail_server:
            for pk, subscriber_id in claimed:
                if pacer.clock() > stop_at:
                    break
                in_flight = pk
                result.count(
                    _send_one(mail_server, edition, pk, subscriber_id, token, content, pacer)
                )
                in_flight = None
    except (ServerTrouble, *smtp.SEND_ERRORS) as error:
        result.error = str(error) if isinstance(error, ServerTrouble) else smtp.describe(error)
        _server_trouble(edition, token, in_flight=in_flight, error=result.error)
    finally:
        # Whatever stopped the batch early (lease deadline, error), unsent rows go back.
        _release(Delivery.objects.leased_by(token))
    if result.sent:
        Edition.objects.filter(pk=edition.pk).update(consecutive_errors=0)
    refresh_counts(edition=edition)
    return result


def _send_one(mail_server, edition, pk, subscriber_id, token, content, pacer) -> str:
    """Send one claimed delivery; its outcome: "sent", "skipped", "failed" or "retried".

    Raises ServerTrouble when the server, not this recipient, is the problem.
    """
    # Read now, not at freeze time: whoever left since gets nothing more.
    subscriber = (
        Subscriber.objects.receiving(edition)
        .only("email", "key", "status", "cadence")
        .filter(pk=subscriber_id)
        .first()
    )
    if subscriber is None:
        _mark(pk, token, status=Delivery.Status.SKIPPED)
        return "skipped"
    message = rendering.edition_message(edition=edition, subscriber=subscriber, content=content)
    pacer.wait()
    try:
        mail_server.send_messages([message])
    except (*smtp.SEND_ERRORS, ValueError) as error:
        kind = smtp.classify(error)
        if kind is smtp.Refusal.SERVER:
            raise ServerTrouble(smtp.describe(error)) from error
        return _record_refusal(pk, token, subscriber_id, kind=kind, error=error)
    sent_at = timezone.now()
    _mark_sent(
        pk,
        token,
        pacer=pacer,
        status=Delivery.Status.SENT,
        sent_at=sent_at,
        last_attempt_at=sent_at,
        attempts=F("attempts") + 1,
        last_error="",
    )
    return "sent"


def _mark_sent(pk: int, token: str, *, pacer: Pacer, **fields) -> None:
    """Record a message the server accepted, waiting out a database outage to do it.

    The message is out; if this UPDATE were lost, the row would be sent again once its lease
    ran out. While the database is away no other worker can take the row either, so keep
    trying (backoff up to 5 s) for as long as a lease lasts, then give up (at-least-once).
    """
    give_up_at = pacer.clock() + settings.NEWSLETTER_LEASE_SECONDS
    wait = 0.5
    while True:
        try:
            _mark(pk, token, **fields)
            return
        except DATABASE_AWAY as error:
            if pacer.clock() > give_up_at:
                raise
            if wait == 0.5:
                logger.warning(
                    "Delivery %s was accepted by the mail server but the database is away "
                    "(%s); recording it as soon as the database is back.",
                    pk,
                    type(error).__name__,
                )
            _drop_connection()
            pacer.sleep(wait)
            wait = min(wait * 2, 5.0)


def _drop_connection() -> None:
    """A connection broken by an outage is closed, so the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError:
        pass


def _record_refusal(pk, token, subscriber_id, *, kind, error) -> str:
    """A refusal for this recipient: "failed" for good (5xx, or too many tries), or "retried"."""
    import smtplib  # imported on a refusal, not by every web worker (core.smtp)

    when = timezone.now()
    delivery = Delivery.objects.only("attempts").get(pk=pk)
    attempts = delivery.attempts + 1
    if kind is smtp.Refusal.PERMANENT or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        hard_bounce = kind is smtp.Refusal.PERMANENT and isinstance(
            error, smtplib.SMTPRecipientsRefused
        )
        _mark(
            pk,
            token,
            status=Delivery.Status.FAILED,
            attempts=attempts,
            last_attempt_at=when,
            hard_bounce=hard_bounce,
            last_error=smtp.describe(error),
        )
        if hard_bounce:
            _after_hard_bounce(subscriber_id, now=when)
        return "failed"
    _mark(
        pk,
        token,
        status=Delivery.Status.PENDING,
        attempts=attempts,
        last_attempt_at=when,
        available_at=when + retry_delay(attempts),
        last_error=smtp.describe(error),
    )
    return "retried"


def _server_trouble(edition: Edition, token: str, *, in_flight: int | None, error: str) -> None:
    """Put the batch back with a backoff and record the error on the edition."""
    when = timezone.now()
    Edition.objects.filter(pk=edition.pk).update(
        temporary_errors=F("temporary_errors") + 1,
        consecutive_errors=F("consecutive_errors") + 1,
        last_error=error[:500],
        last_error_at=when,
    )
    failures = Edition.objects.values_list("consecutive_errors", flat=True).get(pk=edition.pk)
    retry_at = when + retry_delay(failures)
    if in_flight is not None:
        Delivery.objects.filter(pk=in_flight, lease_token=token).update(
            attempts=F("attempts") + 1, last_attempt_at=when, last_error=error[:500]
        )
    _release(Delivery.objects.leased_by(token), available_at=retry_at)
    # The server is down for every recipient, not just this batch: the whole edition waits,
    # so the next batches do not each fail at once and push the backoff up for nothing.
    Delivery.objects.filter(
        edition=edition, status=Delivery.Status.PENDING, available_at__lt=retry_at
    ).update(available_at=retry_at)
    logger.warning(
        "Edition %s: mail server trouble, retrying at %s: %s", edition.pk, retry_at, error
    )


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int
    remaining: int
    status: str

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    def as_dict(self) -> dict:
        return {**asdict(self), "done": self.done, "percent": self.percent}


def progress(edition: Edition) -> Progress:
    """Where a send stands, counted from the deliveries (one grouped query)."""
    counts = Delivery.objects.filter(edition=edition).status_counts()
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(Delivery.Status.SENT, 0),
        failed=counts.get(Delivery.Status.FAILED, 0),
        skipped=counts.get(Delivery.Status.SKIPPED, 0),
        remaining=counts.get(Delivery.Status.PENDING, 0) + counts.get(Delivery.Status.SENDING, 0),
        status=Edition.objects.values_list("status", flat=True).get(pk=edition.pk),
    )


def refresh_counts(*, edition: Edition) -> Progress:
    """Copy the sent and failed counts onto the edition (the admin's list shows them)."""
    state = progress(edition)
    Edition.objects.filter(pk=edition.pk).update(sent_count=state.sent, failed_count=state.failed)
    return state


def finish_if_done(*, edition: Edition, now: datetime.datetime) -> bool:
    """Mark the edition sent (or failed, if nobody could be reached) once no row is left."""
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.SENDING:
            edition.refresh_from_db()
            return locked.status in (Edition.Status.SENT, Edition.Status.FAILED)
        state = progress(locked)
        if state.remaining:
            return False
        failed_all = state.failed and not state.sent
        Edition.objects.filter(pk=locked.pk).update(
            status=Edition.Status.FAILED if failed_all else Edition.Status.SENT,
            finished_at=now,
            sent_count=state.sent,
            failed_count=state.failed,
            updated_at=now,
        )
        transaction.on_commit(refresh_public_pages)
    edition.refresh_from_db()
    return True


def retry_now(*, edition: Edition, now: datetime.datetime) -> int:
    """Rows waiting out a backoff become due at once (the author's "resume" after an outage)."""
    return Delivery.objects.filter(
        edition=edition, status=Delivery.Status.PENDING, available_at__gt=now
    ).update(available_at=now)


def next_wake_up(edition: Edition) -> datetime.datetime | None:
    """When there may be work again: the next retry, or the next lease to run out."""
    return Delivery.objects.filter(edition=edition).next_wake_up()


def deliver(
    *,
    edition: Edition,
    wait: bool = False,
    seconds: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    pacer: Pacer | None = None,
) -> int:
    """Send batch after batch until the edition is done; returns the messages sent.

    `wait=True` (the `send_edition` command) sleeps through retry backoffs and other workers'
    leases until the edition is complete; otherwise (the task) it returns when nothing is due,
    or after `seconds`, and the caller re-enqueues itself for later.
    """
    pacer = pacer or Pacer(settings.NEWSLETTER_SEND_RATE)
    deadline = pacer.clock() + seconds if seconds else None
    sent = 0
    while True:
        edition.refresh_from_db(fields=["status", "content_html", "content_text", "frozen_at"])
        if edition.status != Edition.Status.SENDING:
            break
        result = send_batch(edition=edition, now=timezone.now(), pacer=pacer)
        sent += result.sent
        if on_progress:
            on_progress(progress(edition))
        if finish_if_done(edition=edition, now=timezone.now()):
            if on_progress:
                on_progress(progress(edition))
            break
        if deadline and pacer.clock() > deadline:
            break
        if result.claimed and not result.error:
            continue
        if not wait:
            break
        wake_up = next_wake_up(edition)
        pause = (wake_up - timezone.now()).total_seconds() if wake_up else 1.0
        pacer.sleep(min(max(pause, 0.05), 1.0))
    return sent
