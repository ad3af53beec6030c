"""Writing an imported site's subscribers, their state kept (issue 14).

Registered with `core.transfer.appliers` in `NewsletterConfig.ready()`. Nobody is emailed:
an address subscribed on the old platform is active here with the consent record saying
where it came from; one that unsubscribed, bounced or was suppressed there stays stopped
here; an address erased here on request is never brought back; an address already on the
list keeps its status.
"""

from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from core.addresses import normalise_email
from core.transfer import document as doc
from core.transfer import records
from core.transfer.appliers import Context, Line
from newsletter.models import Subscriber, Suppression

STOPPED = {
    "unsubscribed": (Subscriber.Status.UNSUBSCRIBED, ""),
    "suppressed": (Subscriber.Status.UNSUBSCRIBED, Subscriber.UnsubscribeMethod.ADMIN),
    "bounced": (Subscriber.Status.BOUNCED, Subscriber.UnsubscribeMethod.BOUNCE),
}


def apply(document: doc.Document, *, context: Context) -> list[Line]:
    lines: list[Line] = []
    imported_on = f"Imported from {context.platform_label} on {context.now:%Y-%m-%d}"
    for item in document.subscribers:
        try:
            email = normalise_email(item.email)
        except ValidationError:
            lines.append(Line("failed", "subscriber", item.email[:80], "not an email address"))
            continue
        if records.find(context, "subscriber", email.lower()) is not None:
            lines.append(Line("skipped", "subscriber", email, "imported before"))
            continue
        if Suppression.objects.matching(email).exists():
            lines.append(
                Line("skipped", "subscriber", email, "erased here on request: never re-added")
            )
            continue
        existing = Subscriber.objects.with_email(email).first()
        if existing is not None:
            lines.append(
                Line(
                    "skipped",
                    "subscriber",
                    email,
                    f"already on the list ({existing.get_status_display().lower()}): kept as is",
                )
            )
            continue
        subscriber = _subscriber(item, email, imported_on=imported_on, context=context)
        subscriber.save()
        records.remember(context, "subscriber", email.lower(), subscriber)
        state = "active" if item.status == "subscribed" else f"{item.status}, not mailed"
        lines.append(Line("created", "subscriber", email, state))
    return lines


def _subscriber(item: doc.Subscriber, email: str, *, imported_on: str, context) -> Subscriber:
    since = item.subscribed_at or context.now
    source = item.consent_source or context.platform_label
    subscriber = Subscriber(
        email=email,
        signed_up_at=since,
        signup_source=f"{imported_on} ({source})"[:200],
        consent_text=item.consent_text
        or (
            f"{imported_on}: subscribed on {context.platform_label} since "
            f"{date_format(since, 'DATE_FORMAT')}; status there: {item.status}."
        ),
    )
    if item.status in STOPPED:
        subscriber.status, subscriber.unsubscribe_method = STOPPED[item.status]
        subscriber.unsubscribed_at = item.unsubscribed_at or context.now
    else:
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = since
    return subscriber
