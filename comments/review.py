"""The author's decisions on comments: approve, remove, mark as spam, block a sender's domain.

Each decision is recorded the way django-comments records it (a "moderator approval" or
"moderator deletion" `CommentFlag` by the moderator), so readers' earlier flags count as
reviewed (comments/flags.py). Approving also does what django-comments-xtd leaves out: the
readers following the post hear of a comment that was held for moderation.
"""

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django_comments.models import CommentFlag
from django_comments_xtd.models import BlackListedDomain

from comments.flags import SPAM
from comments.models import Comment
from comments.notifications import notify_followers


def record_decision(*, comment, moderator, flag: str) -> None:
    """One flag per (moderator, comment, kind), dated by the latest decision."""
    CommentFlag.objects.update_or_create(
        comment=comment, user=moderator, flag=flag, defaults={"flag_date": timezone.now()}
    )


def approve_comment(*, comment, moderator) -> bool:
    """Publish a held, hidden or removed comment; True when it was not public before.

    Followers are notified only when the comment is public for the first time: a comment
    hidden by readers' flags and then approved was already announced once.
    """
    was_visible = comment.is_visible
    first_publication = comment.published_at is None
    with transaction.atomic():
        record_decision(comment=comment, moderator=moderator, flag=CommentFlag.MODERATOR_APPROVAL)
        if not was_visible:
            comment.is_public = True
            comment.is_removed = False
            comment.save()
            if first_publication:
                notify_followers(comment)
    return not was_visible


def remove_comment(*, comment, moderator, spam: bool = False) -> bool:
    """Take a comment off the site (it stays in the admin); True when it was not removed yet."""
    was_removed = comment.is_removed
    with transaction.atomic():
        record_decision(comment=comment, moderator=moderator, flag=CommentFlag.MODERATOR_DELETION)
        if spam:
            record_decision(comment=comment, moderator=moderator, flag=SPAM)
        if not was_removed:
            comment.is_removed = True
            comment.save()
    return not was_removed


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def block_sender_domains(*, comments) -> tuple[list[str], list[str]]:
    """Refuse future comments from the senders' email domains; returns (blocked, spared).

    django-comments-xtd's SpamModerator (our PostModerator's base) refuses any address whose
    domain is in BlackListedDomain. A domain that other readers' public comments come from
    (a big mail provider, a university) is spared: blocking it would silence them too.
    """
    senders = {comment.user_email.lower() for comment in comments if comment.user_email}
    domains = sorted({email_domain(address) for address in senders} - {""})
    blocked, spared = [], []
    for domain in domains:
        others = (
            Comment.objects.public()
            .filter(user_email__iendswith=f"@{domain}")
            .annotate(address=Lower("user_email"))
            .exclude(address__in=senders)
        )
        if others.exists():
            spared.append(domain)
            continue
        BlackListedDomain.objects.get_or_create(domain=domain)
        blocked.append(domain)
    return blocked, spared
