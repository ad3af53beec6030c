"""Restoring subscribers from our own archive (core.transfer.archive), before the generic
newsletter applier: each address with its status, cadence and whole consent record, and the
hashes of erased addresses, which keep those addresses off the list here too. Registered for
the platform "archive" only, at order 25.

Nothing is sent: a pending address stays pending with no confirmation mailed (it may sign up
again), an unsubscribed or bounced one keeps its opt-out, and an address erased here, or in
the archive, is never added.
"""

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from core.transfer import appliers, records
from core.transfer.appliers import Line
from core.transfer.archive import PLATFORM, ArchiveDocument
from newsletter.models import Subscriber, Suppression

DIGEST = re.compile(r"[0-9a-f]{64}")


def _when(value):
    return parse_datetime(value) if value else None


def _ip(value):
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _subscriber(row: dict) -> Subscriber:
    consent = row.get("consent") or {}
    status = row.get("status")
    if status not in Subscriber.Status.values:
        raise ValidationError(f"unknown status {status!r}")
    confirmed_at = _when(consent.get("confirmed_at"))
    if status == Subscriber.Status.ACTIVE and confirmed_at is None:
        status = Subscriber.Status.PENDING  # never confirmed: not mailed until they do
    cadence = row.get("cadence")
    method = consent.get("unsubscribe_method") or ""
    return Subscriber(
        email=row["email"],
        status=status,
        cadence=cadence if cadence in Subscriber.Cadence.values else Subscriber.Cadence.WEEKLY,
        signed_up_at=_when(consent.get("signed_up_at")) or _when(row.get("created_at")),
        signup_source=str(consent.get("source", ""))[:200],
        signup_url=str(consent.get("page", ""))[:500],
        consent_text_version=str(consent.get("consent_text_version", ""))[:20],
        consent_text=str(consent.get("consent_text", "")),
        signup_ip=_ip(consent.get("ip")),
        confirmation_sent_at=_when(consent.get("confirmation_sent_at")),
        confirmed_at=confirmed_at,
        confirmed_ip=_ip(consent.get("confirmed_ip")),
        unsubscribed_at=_when(consent.get("unsubscribed_at")),
        unsubscribe_method=method if method in Subscriber.UnsubscribeMethod.values else "",
    )


def apply(document, *, context) -> list[Line]:
    if context.platform != PLATFORM or not isinstance(document, ArchiveDocument):
        return []
    lines: list[Line] = []
    digests = [digest for digest in document.erased if DIGEST.fullmatch(digest)]
    known = set(Suppression.objects.filter(digest__in=digests).values_list("digest", flat=True))
    Suppression.objects.bulk_create(
        [Suppression(digest=digest) for digest in digests if digest not in known],
        ignore_conflicts=True,
    )
    if len(digests) > len(known):
        lines.append(Line("created", "erasure", f"{len(digests) - len(known)} erased address(es)"))
    for item in document.subscribers:
        row = item.record
        email = row.get("email", "")
        if records.find(context, "subscriber", email.lower()) is not None:
            lines.append(Line("skipped", "subscriber", email, "imported before"))
            continue
        if Subscriber.objects.with_email(email).exists():
            lines.append(Line("skipped", "subscriber", email, "already on the list"))
            continue
        if Suppression.objects.matching(email).exists():
            lines.append(Line("skipped", "subscriber", email, "erased: must sign up again"))
            continue
        try:
            validate_email(email)
            subscriber = _subscriber(row)
        except (ValidationError, TypeError, ValueError) as err:
            reason = " ".join(getattr(err, "messages", [str(err)]))
            lines.append(Line("failed", "subscriber", email, reason))
            continue
        subscriber.save()
        Subscriber.objects.filter(pk=subscriber.pk).update(
            created_at=_when(row.get("created_at")) or subscriber.created_at
        )
        records.remember(context, "subscriber", email.lower(), subscriber)
        lines.append(Line("created", "subscriber", email, subscriber.get_status_display()))
    return lines


def register() -> None:
    appliers.register("newsletter-archive", apply=apply, order=25)
