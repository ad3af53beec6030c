"""One of every email the site sends, as the bytes a mail server would receive.

Each is made by the code path that sends it in production (confirmation requests by posting a
comment, notifications by the functions the signals call), so a test of "every email" keeps
covering a new one only if it is added here: `EVERY_EMAIL` names them all.
"""

import email
import email.policy
from email.message import EmailMessage

from django.core import mail
from django.test import Client
from django.utils import timezone

from blog.images import make_renditions
from comments import flags, notifications
from comments.accounts.signin import send_sign_in_email
from core.staff import send_code
from newsletter import emails, rendering
from newsletter.models import Edition, EditionItem
from tests.comments.support import add_comment, post_comment
from tests.factories import ImageFactory, PostFactory, StaffFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

EVERY_EMAIL = [
    "comment confirmation request",
    "reply notification",
    "author notification",
    "comment hidden after flags",
    "reader sign-in link",
    "staff sign-in code",
    "newsletter confirmation",
    "weekly edition",
    "weekly edition test send",
    "new post email",
]

COMMENT = (
    "I *disagree* with the **second point**: the [bus report](https://example.org/buses) "
    "says otherwise.\n\n> Ferries before flyovers\n\n- one\n- two\n\n`code`"
)


def _bytes_of(message) -> EmailMessage:
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def _last(run) -> EmailMessage:
    mail.outbox.clear()
    run()
    assert mail.outbox, "nothing was sent"
    return _bytes_of(mail.outbox[-1])


def every_email(capture_on_commit) -> dict[str, EmailMessage]:
    """{name: parsed message} for each of `EVERY_EMAIL`; needs the database and locmem mail.

    `capture_on_commit` is pytest-django's `django_capture_on_commit_callbacks`.
    """
    post = PostFactory(
        title="Ferries before flyovers", author__email="author@example.org", author__is_staff=True
    )
    ImageFactory(post=post, is_cover=True)
    sent = {}

    def on_commit(run):
        def wrapped():
            with capture_on_commit(execute=True):
                run()

        return wrapped

    sent["comment confirmation request"] = _last(
        on_commit(lambda: post_comment(Client(), post, comment=COMMENT))
    )
    add_comment(post, user_email="follower@example.org", followup=True)
    reply = add_comment(post, user_email="replier@example.org", text=COMMENT)
    sent["reply notification"] = _last(on_commit(lambda: notifications.notify_followers(reply)))
    sent["author notification"] = _last(on_commit(lambda: notifications.notify_post_author(reply)))
    sent["comment hidden after flags"] = _last(
        on_commit(lambda: flags.notify_comment_hidden(comment=reply, flags=3))
    )
    sent["reader sign-in link"] = _last(
        lambda: send_sign_in_email(
            email="reader@example.org", url="https://testserver/accounts/sign-in/" + "t" * 300
        )
    )
    staff = StaffFactory(email="writer@example.org")
    sent["staff sign-in code"] = _last(
        on_commit(
            lambda: send_code(
                user=staff, user_agent="Mozilla/5.0 Firefox/133.0", now=timezone.now()
            )
        )
    )
    subscriber = SubscriberFactory(pending=True)
    sent["newsletter confirmation"] = _last(lambda: emails.confirmation_message(subscriber).send())
    edition = make_edition(posts=3, headlines=2)
    for item in edition.items.all():
        make_renditions(
            ImageFactory(post=item.post, is_cover=True, file__width=1400, file__height=900)
        )
    reader = SubscriberFactory()
    content = rendering.stored_content(edition)
    sent["weekly edition"] = _last(
        lambda: rendering.edition_message(
            edition=edition, subscriber=reader, content=content
        ).send()
    )
    sent["weekly edition test send"] = _last(
        lambda: rendering.edition_message(
            edition=edition, subscriber=reader, content=content, test=True
        ).send()
    )
    announcement = Edition.objects.create(
        kind=Edition.Kind.POST, post=post, subject=post.title, preheader=post.description
    )
    EditionItem.objects.create(edition=announcement, post=post, position=1)
    sent["new post email"] = _last(
        lambda: rendering.edition_message(
            edition=announcement, subscriber=reader, content=rendering.stored_content(announcement)
        ).send()
    )
    assert sorted(sent) == sorted(EVERY_EMAIL)
    return sent


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()
