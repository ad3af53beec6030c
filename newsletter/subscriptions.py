"""What changes a subscription: signing up, confirming, leaving, importing, erasing.

Each function writes atomically and sends mail only after the transaction commits, through the
`default` mailer (stored, then delivered and retried by the worker: see core/mail.py).
"""

import datetime
import ipaddress
import logging
import secrets
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When

from core import outbox
from core.addresses import mailbox_key, normalise_email
from core.text import strip_invisible
from newsletter import emails
from newsletter.addresses import suppression_digest
from newsletter.consent import CONSENT_TEXTS
from newsletter.models import Subscriber, Suppression

logger = logging.getLogger(__name__)

# One confirmation email per address per day, however often the form is sent: someone typing a
# stranger's address into the form again and again gets them one email a day, not a flood.
CONFIRMATION_RESEND_INTERVAL = datetime.timedelta(hours=24)
IMPORT_BATCH_SIZE = 1000


def _queue_confirmation(subscriber: Subscriber, *, now: datetime.datetime) -> None:
    subscriber.confirmation_nonce = secrets.token_urlsafe(12)
    subscriber.confirmation_sent_at = now
    transaction.on_commit(
        partial(emails.send_confirmation, subscriber_id=subscriber.pk), robust=True
    )


def _may_send_confirmation(subscriber: Subscriber, *, now: datetime.datetime) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is None or now - sent >= CONFIRMATION_RESEND_INTERVAL


@transaction.atomic
def request_subscription(
    *,
    email: str,
    source: str,
    page_url: str,
    consent_version: str,
    ip: str | None,
    now: datetime.datetime,
    source_post_id: int | None = None,
) -> None:
    """A visitor asked to subscribe: pending plus one confirmation email, at most one a day.

    Returns nothing on purpose: the caller answers the same way whether the address was new,
    pending, active or had left (no address enumeration).
    """
    address = normalise_email(email)
    subscriber = Subscriber.objects.select_for_update().with_email(address).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(email=address, signed_up_at=now)
        except IntegrityError:  # the same address, sent twice at the same moment
            subscriber = Subscriber.objects.select_for_update().with_email(address).get()
    if subscriber.is_active or not _may_send_confirmation(subscriber, now=now):
        return
    subscriber.status = Subscriber.Status.PENDING
    subscriber.signed_up_at = now
    subscriber.signup_source = source
    subscriber.signup_url = page_url
    subscriber.source_post_id = source_post_id
    subscriber.consent_text_version = consent_version
    subscriber.consent_text = CONSENT_TEXTS[consent_version]
    subscriber.signup_ip = ip
    subscriber.confirmed_at = subscriber.confirmed_ip = None
    _queue_confirmation(subscriber, now=now)
    subscriber.save()


class Confirmation:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    REPLACED = "replaced"


@transaction.atomic
def confirm_subscription(
    *, subscriber: Subscriber, nonce: str, ip: str | None, now: datetime.datetime
) -> str:
    """Confirm with the nonce from the link; a link works once and only the newest one works."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.PENDING or not subscriber.confirmation_nonce:
        return Confirmation.ALREADY if subscriber.is_active else Confirmation.REPLACED
    if not secrets.compare_digest(subscriber.confirmation_nonce, nonce):
        return Confirmation.REPLACED
    _activate(subscriber, confirmed_at=now, ip=ip)
    return Confirmation.CONFIRMED


def _activate(subscriber: Subscriber, *, confirmed_at: datetime.datetime, ip: str | None) -> None:
    """The owner of the address has proven it: mail may go there, and any opt-out is over."""
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.confirmed_at = confirmed_at
    subscriber.confirmed_ip = ip
    subscriber.confirmation_nonce = ""
    subscriber.unsubscribed_at = None
    subscriber.unsubscribe_method = ""
    subscriber.save()
    Suppression.objects.matching(subscriber.email).delete()


def unsubscribe(*, subscriber: Subscriber, method: str, now: datetime.datetime) -> bool:
    """Stop every email to this subscriber at once (RFC 8058 one-click, links, the admin)."""
    return subscriber.unsubscribe(method=method, now=now)


@transaction.atomic
def resend_confirmations(*, subscribers, now: datetime.datetime) -> tuple[int, int]:
    """The admin's "resend confirmation": (queued, skipped), still at most one a day each."""
    queued = skipped = 0
    for subscriber in subscribers.select_for_update().pending():
        if _may_send_confirmation(subscriber, now=now):
            _queue_confirmation(subscriber, now=now)
            subscriber.save(
                update_fields=["confirmation_nonce", "confirmation_sent_at", "updated_at"]
            )
            queued += 1
        else:
            skipped += 1
    return queued, skipped


@transaction.atomic
def erase_subscribers(*, subscribers) -> int:
    """Delete subscribers and everything about them but a hash that keeps them off the list.

    Their messages still in the outbox (a confirmation, a test edition) go too.
    """
    addresses = list(subscribers.values_list("email", flat=True))
    outbox.forget_addresses(addresses)
    digests = {suppression_digest(address) for address in addresses}
    Suppression.objects.bulk_create(
        [Suppression(digest=digest, reason=Suppression.Reason.ERASED) for digest in digests],
        ignore_conflicts=True,
    )
    deleted, _ = subscribers.delete()
    return deleted


@transaction.atomic
def purge_pending(*, now: datetime.datetime) -> tuple[int, int]:
    """Drop requests never confirmed in time: (deleted, returned to their earlier opt-out).

    A pending address that had unsubscribed (or bounced) before asking again goes back to that
    state, so its opt-out record survives; one that was never on the list is deleted.
    """
    cutoff = now - datetime.timedelta(days=settings.NEWSLETTER_PENDING_PURGE_DAYS)
    stale = Subscriber.objects.unconfirmed_before(cutoff)
    returned = stale.filter(unsubscribed_at__isnull=False).update(
        status=Case(
            When(
                unsubscribe_method=Subscriber.UnsubscribeMethod.BOUNCE,
                then=Value(Subscriber.Status.BOUNCED),
            ),
            default=Value(Subscriber.Status.UNSUBSCRIBED),
        ),
        confirmation_nonce="",
        updated_at=now,
    )
    deleted, _ = stale.filter(unsubscribed_at__isnull=True).delete()
    return deleted, returned


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None


@transaction.atomic
def record_outside_consent(
    *,
    email: str,
    source: str,
    source_url: str,
    consent_text: str,
    ip: str | None,
    confirmed_at: datetime.datetime,
) -> Subscriber | None:
    """Someone proved they own the address elsewhere (the comment form) and asked to subscribe.

    No second confirmation email: the address was confirmed by the comment's link.
    """
    try:
        address = normalise_email(email)
    except ValidationError:
        logger.warning("Newsletter consent for an invalid address ignored.")
        return None
    subscriber = Subscriber.objects.select_for_update().with_email(address).first()
    if subscriber is None:
        subscriber = Subscriber(email=address)
    elif subscriber.is_active:
        return subscriber
    subscriber.signed_up_at = confirmed_at
    # What another app hands over is text no reader typed on purpose only after this (item 15).
    subscriber.signup_source = strip_invisible(source)[:200]
    subscriber.signup_url = strip_invisible(source_url)[:500]
    subscriber.consent_text_version = ""
    subscriber.consent_text = strip_invisible(consent_text)
    subscriber.signup_ip = _valid_ip(ip)
    subscriber.confirmation_sent_at = None
    _activate(subscriber, confirmed_at=confirmed_at, ip=subscriber.signup_ip)
    return subscriber


def subscriber_data(subscriber: Subscriber) -> dict:
    """Everything stored about one subscriber (GDPR Art. 15 and 20), as JSON-ready values."""

    def when(value):
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "cadence": subscriber.cadence,
        "consent": {
            "signed_up_at": when(subscriber.signed_up_at),
            "source": subscriber.signup_source,
            "page": subscriber.signup_url,
            "consent_text_version": subscriber.consent_text_version,
            "consent_text": subscriber.consent_text,
            "ip": subscriber.signup_ip,
            "confirmation_sent_at": when(subscriber.confirmation_sent_at),
            "confirmed_at": when(subscriber.confirmed_at),
            "confirmed_ip": subscriber.confirmed_ip,
            "unsubscribed_at": when(subscriber.unsubscribed_at),
            "unsubscribe_method": subscriber.unsubscribe_method,
        },
        "created_at": when(subscriber.created_at),
        "updated_at": when(subscriber.updated_at),
    }


@dataclass
class ImportReport:
    created: int = 0
    already_listed: int = 0
    confirmations_queued: int = 0
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    # New pending subscribers whose confirmation email is still to be sent.
    to_confirm: list[int] = field(default_factory=list)


@transaction.atomic
def import_subscribers(
    *, rows: list, mode: str, consent_source: str, now: datetime.datetime
) -> ImportReport:
    """Add validated CSV rows in one transaction: all of them, or none if anything fails.

    `mode` "pending" queues a confirmation email to each new address; "active" records the
    author's stated consent source. Addresses already on the list are left unchanged; erased
    (suppressed) addresses are skipped; rows that say an address unsubscribed or bounced keep
    that status, so an import can never turn an opt-out back into a subscription.
    """
    report = ImportReport()
    existing = {
        mailbox_key(address) for address in Subscriber.objects.values_list("email", flat=True)
    }
    suppressed = set(Suppression.objects.values_list("digest", flat=True))
    new = []
    for row in rows:
        if mailbox_key(row.email) in existing:
            report.already_listed += 1
            continue
        if suppression_digest(row.email) in suppressed:
            report.skipped.append((row.line, row.email, "erased earlier: must sign up again"))
            continue
        new.append(row.to_subscriber(mode=mode, consent_source=consent_source, now=now))
    created = Subscriber.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)
    report.created = len(created)
    report.to_confirm = [subscriber.pk for subscriber in created if subscriber.confirmation_nonce]
    report.confirmations_queued = len(report.to_confirm)
    return report
