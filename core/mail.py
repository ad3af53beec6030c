"""Email that survives a mail-server outage: stored on send, delivered by the worker.

`QueuedEmailBackend` is the `default` MAILERS backend in production. Django code (and
django-comments-xtd, which never chooses a mailer) sends as usual; the message is stored as an
`OutgoingEmail` row and, once the transaction commits, a task hands it to the real transport
(`MAILERS["transport"]`). What happens next is in `core.outbox`.

`templated_message` is how the site's own emails are built: a plain-text part and an HTML
part from one pair of templates, both extending `emails/base.*`.
"""

import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string

from core.models import OutgoingEmail
from core.tasks import deliver_outgoing_email


class QueuedEmailBackend(BaseEmailBackend):
    def __init__(self, *, deliver_using: str = "transport", **kwargs):
        super().__init__(**kwargs)
        self.deliver_using = deliver_using

    def send_messages(self, email_messages):
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


def templated_message(
    *,
    template: str,
    subject: str,
    to: list[str],
    context: dict,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    reply_to: list[str] | None = None,
) -> EmailMultiAlternatives:
    """A multipart message from `<template>.txt` (first) and `<template>.html`.

    Both parts get the site's name and address, which the shared email layout shows.
    """
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=from_email,
        to=to,
        headers=headers,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
