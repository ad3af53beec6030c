"""What happens around a comment once it exists: notifications and the newsletter hand-off.

Every message goes through the `default` mailer (queued, delivered by the worker with
retries) and only after the transaction that made the comment public has committed.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comments.links import notify_comment_followers
from comments.signals import newsletter_consent_given
from core.links import absolute_url
from core.mail import subject_line, templated_message

NEWSLETTER_CONSENT_TEXT = "Also send me the weekly newsletter"


def notify_followers(comment) -> None:
    """Follow-up mail for a comment that just became public.

    Our confirmation flow calls this when a confirmed or signed-in comment is published at
    once; a moderator approving a held comment must call it, or nobody hears of the reply.
    Recipients are the addresses that asked for follow-ups on the post (every stored comment
    comes from a confirmed address or a signed-in reader), each with its own mute link.
    """
    post = comment.content_object
    if not comment.is_visible or not getattr(post, "is_published", False):
        return  # a post taken back to draft: its address (headline) stays unmailed
    transaction.on_commit(lambda: notify_comment_followers(comment), robust=True)


def notify_post_author(comment) -> None:
    """Tell the post's author about a new comment (COMMENTS_NOTIFY_AUTHOR), after commit."""
    post = comment.content_object
    author = getattr(post, "author", None)
    if not settings.COMMENTS_NOTIFY_AUTHOR or author is None or not author.email:
        return
    if comment.user_id == author.pk or comment.user_email.lower() == author.email.lower():
        return
    subject = subject_line(
        f"New comment on “{post.title}”"
        if comment.is_visible
        else f"Comment awaiting moderation on “{post.title}”"
    )
    message = templated_message(
        template="emails/comments/author_notification",
        subject=subject,
        to=[author.email],
        context={
            "comment": comment,
            "post": post,
            "comment_url": absolute_url(comment.get_absolute_url()),
        },
    )
    transaction.on_commit(message.send, robust=True)


def send_newsletter_consent(comment, *, confirmed_at=None) -> None:
    """Hand a proven address that asked for the newsletter to whoever listens (newsletter).

    Sent once the address is proven: the confirmation link was followed, or a signed-in
    reader posted. One consent record, no second confirmation mail.
    """
    if not comment.newsletter_optin:
        return
    post = comment.content_object
    kwargs = {
        "email": comment.user_email,
        "name": comment.user_name,
        "ip": comment.ip_address,
        "source_url": absolute_url(post.get_absolute_url()),
        "consent_text": NEWSLETTER_CONSENT_TEXT,
        "confirmed_at": confirmed_at or timezone.now(),
    }
    transaction.on_commit(
        lambda: newsletter_consent_given.send(sender=type(comment), **kwargs), robust=True
    )
