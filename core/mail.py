"""Email that survives a mail-server outage: stored on send, delivered by the worker.

`QueuedEmailBackend` is the `default` MAILERS backend in production. Django code (and
django-comments-xtd, which never chooses a mailer) sends as usual; the message is stored as an
`OutgoingEmail` row and, once the transaction commits, a task hands it to the real transport
(`MAILERS["transport"]`). What happens next is in `core.outbox`.

`templated_message` is how the site's own emails are built: a plain-text part and an HTML
part from one pair of templates, both extending `emails/base.*`.

`dress` gives every message the same headers, in this one place (docs/decisions.md): From the
site's sender (never @localhost), a Message-ID on the site's own domain, `Auto-Submitted:
auto-generated` (RFC 3834: no out-of-office replies to us), and for newsletter mail
`Precedence: bulk` and a Reply-To that reaches the writer. `templated_message` dresses what it
builds; the queued backend dresses anything else (Django's error mail).

List headers (`List-Unsubscribe` and friends) are written as they are (`UnfoldedHeader`):
Python's email library would turn a line longer than 78 characters into RFC 2047 encoded words
(`=?utf-8?q?=3Chttps=3A//…?=`, CPython #85725), which Gmail and Yahoo do not read as an
unsubscribe header at all.
"""

import email.policy
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string

from core import identity
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
            dress(message)
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


# RFC 5322 2.1.1: a line is at most 998 characters; a longer header cannot be sent unfolded.
MAX_LINE = 998
UNFOLDED_HEADERS = {"list-unsubscribe", "list-unsubscribe-post", "list-id", "list-archive"}


class UnfoldedHeader(str):
    """A header value the email library writes as it is: never encoded words, never refolded.

    `email.policy.EmailPolicy` stores a value that has a `name` and a `fold()` as is, and asks
    it to fold itself when the message is written (the same protocol as its own header
    objects). The value must be printable ASCII on one line; a list of `<…>` items is
    folded between items (at the whitespace after a comma) only when the line would be
    longer than 78 characters, so no URI is ever cut.
    """

    def __new__(cls, name: str, value: str):
        value = str(value)
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"{name} must be printable ASCII on one line.")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def __getnewargs__(self):  # copy and pickle (the locmem backend deep-copies messages)
        return (self.name, str(self))

    def fold(self, *, policy) -> str:
        items = self.split(", ") if self.startswith("<") else [str(self)]
        lines, line = [], f"{self.name}:"
        for index, item in enumerate(items):
            piece = item + ("," if index < len(items) - 1 else "")
            if line.endswith(":") or len(line) + 1 + len(piece) <= 78:
                line = f"{line} {piece}"
            else:
                lines.append(line)
                line = f" {piece}"
        lines.append(line)
        if any(len(text) > MAX_LINE for text in lines):
            raise ValueError(f"{self.name} is longer than {MAX_LINE} characters.")
        return policy.linesep.join(lines) + policy.linesep


def dress(message: EmailMessage, *, bulk: bool = False) -> EmailMessage:
    """The site's headers on `message` (idempotent: what the sender set is kept).

    `bulk` marks mail to the whole list (editions, post emails, tests of them): it gets
    `Precedence: bulk` and the writer's Reply-To. The subscription confirmation is not bulk:
    one person asked for it, and some servers delay bulk mail.
    """
    site = identity.current()
    if not message.from_email or message.from_email == settings.DEFAULT_FROM_EMAIL:
        message.from_email = site.from_header
    headers = {name.lower(): name for name in message.extra_headers}
    defaults = {
        "Message-ID": lambda: make_msgid(domain=identity.mail_domain()),
        "Auto-Submitted": lambda: "auto-generated",
    }
    if bulk:
        defaults["Precedence"] = lambda: "bulk"
        if not message.reply_to:
            message.reply_to = site.reply_to
    for name, value in defaults.items():
        if name.lower() not in headers:
            message.extra_headers[name] = value()
    for lower, name in headers.items():
        value = message.extra_headers[name]
        if (
            lower in UNFOLDED_HEADERS
            and not isinstance(value, UnfoldedHeader)
            and str(value).isascii()
        ):
            message.extra_headers[name] = UnfoldedHeader(name, value)
    return message


def subject_line(text: str) -> str:
    """An email's subject: `text` (naming the post, where there is one), then the site's name.

    "New reply on “Post title” · The Dispatch": the reader sees who writes and about what
    before opening it, where a bare "new comment posted" reads as spam.
    """
    return f"{text} · {identity.current().site_name}"


def templated_message(
    *,
    template: str,
    subject: str,
    to: list[str],
    context: dict,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    reply_to: list[str] | None = None,
    bulk: bool = False,
) -> EmailMultiAlternatives:
    """A multipart message from `<template>.txt` (first) and `<template>.html`, dressed.

    Both parts get the site's name and address, which the shared email layout shows, and the
    `subject`, which the HTML part's `<title>` prints (emails/base.html), so the two match.
    """
    site = identity.current()
    context = {
        "site_name": site.site_name,
        "site_url": settings.SITE_URL,
        **context,
        "subject": subject,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=from_email,
        to=to,
        headers=headers,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return dress(message, bulk=bulk)
