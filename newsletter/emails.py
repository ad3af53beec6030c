"""Newsletter email: multipart (plain text first, then HTML), with RFC 8058 list headers.

Every message to a subscriber is built by `newsletter_message`, so each one carries
`List-Unsubscribe` (one https URI, RFC 2369), `List-Unsubscribe-Post` (RFC 8058), `List-Id`
(RFC 2919) and a visible unsubscribe link in both bodies, written unencoded on the wire
(core.mail.UnfoldedHeader). Editions use it with the `bulk` mailer and `bulk=True`
(Precedence: bulk, Reply-To to the writer); the confirmation goes through `default`, which
queues and retries delivery.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from core import identity
from core.links import absolute_url
from core.mail import templated_message
from newsletter import tokens
from newsletter.models import Subscriber


def unsubscribe_url(subscriber) -> str:
    token = tokens.make_unsubscribe_token(subscriber)
    return absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": token}))


def preferences_url(subscriber) -> str:
    token = tokens.make_preferences_token(subscriber)
    return absolute_url(reverse("newsletter:preferences", kwargs={"token": token}))


def confirm_url(subscriber) -> str:
    token = tokens.make_confirm_token(subscriber)
    return absolute_url(reverse("newsletter:confirm", kwargs={"token": token}))


def list_id() -> str:
    host = urlsplit(settings.SITE_URL).hostname
    name = identity.current().site_name.replace("<", "").replace(">", "").replace('"', "")
    return f'"{name}" <newsletter.{host}>'


def list_headers(subscriber) -> dict[str, str]:
    """The headers mail programs use for their own "Unsubscribe" button (RFC 8058, 2369, 2919)."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(),
    }


def newsletter_message(
    *, subscriber, subject: str, template: str, context: dict, bulk: bool = False
) -> EmailMultiAlternatives:
    """A message to one subscriber from `emails/newsletter/<template>.txt` and `.html`.

    `bulk` for what goes to the whole list (editions, post emails): core.mail.dress.
    """
    return templated_message(
        template=f"emails/newsletter/{template}",
        subject=subject,
        to=[subscriber.email],
        headers=list_headers(subscriber),
        bulk=bulk,
        context={
            **context,
            "postal_address": identity.current().postal_address,
            "unsubscribe_url": unsubscribe_url(subscriber),
            "preferences_url": preferences_url(subscriber),
        },
    )


def confirmation_message(subscriber) -> EmailMultiAlternatives:
    """The double opt-in email.

    Nothing in it was typed by the visitor (no name, no message): whoever enters someone
    else's address can only make us send our own words, never theirs.
    """
    return newsletter_message(
        subscriber=subscriber,
        subject=f"Confirm your subscription to {identity.current().site_name}",
        template="confirm",
        context={
            "confirm_url": confirm_url(subscriber),
            "valid_hours": settings.NEWSLETTER_CONFIRM_MAX_AGE // 3600,
        },
    )


def send_confirmation(*, subscriber_id: int) -> None:
    """Build and hand over the confirmation email for a subscriber still waiting for it.

    Looked up by id when it runs (after commit, or in the worker for an import), so an address
    confirmed, erased or re-requested in the meantime gets nothing stale.
    """
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not subscriber.confirmation_nonce:
        return
    confirmation_message(subscriber).send()
