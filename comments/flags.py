"""Readers' "flag as inappropriate" hides a comment once enough of them agree.

django-comments-xtd records a signed-in reader's flag as a django-comments `CommentFlag`
("removal suggestion"; one per reader and comment) and, at most, mails MANAGERS about each
one. Here a comment flagged by COMMENTS_HIDE_AFTER_FLAGS distinct readers leaves the public
pages until the author has looked at it, and the author hears of it once.

Flags count from the author's last decision on the comment (a "moderator approval" or
"moderator deletion" flag): a comment the author approved is only hidden again if that many
readers flag it afterwards.

`hide_after_removal_suggestions` is connected in `CommentsConfig.ready()`.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django_comments.models import Comment as BaseComment
from django_comments.models import CommentFlag
from django_comments_xtd.models import publish_or_unpublish_nested_comments

from comments.counts import recount
from comments.models import Comment
from core.links import absolute_url
from core.mail import subject_line, templated_message
from core.pagecache import refresh_public_pages

logger = logging.getLogger(__name__)

MODERATOR_DECISIONS = (CommentFlag.MODERATOR_APPROVAL, CommentFlag.MODERATOR_DELETION)
# Our own flag, beside django-comments' three: the author marked the comment as spam.
SPAM = "spam"


def open_removal_suggestions():
    """Readers' removal suggestions the author has not ruled on yet (none decided after them)."""
    decided_later = CommentFlag.objects.filter(
        comment=OuterRef("comment"),
        flag__in=MODERATOR_DECISIONS,
        flag_date__gte=OuterRef("flag_date"),
    )
    return CommentFlag.objects.filter(flag=CommentFlag.SUGGEST_REMOVAL).filter(
        ~Exists(decided_later)
    )


def with_open_flags(queryset):
    """Annotate `open_flags` on comments: one correlated subquery, no query per comment."""
    counts = (
        open_removal_suggestions()
        .filter(comment=OuterRef("pk"))
        .order_by()
        .values("comment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        open_flags=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def hide_if_flagged_enough(*, comment_id: int) -> bool:
    """Hide a public comment that enough readers flagged; True if this call hid it.

    The switch is a compare-and-set on `is_public`, so of two flags arriving together only
    one hides the comment and only one notification goes out.
    """
    count = open_removal_suggestions().filter(comment_id=comment_id).count()
    if count < settings.COMMENTS_HIDE_AFTER_FLAGS:
        return False
    comment = Comment.objects.select_related(None).filter(pk=comment_id).first()
    if comment is None:
        return False
    with transaction.atomic():
        hidden = BaseComment.objects.filter(pk=comment_id, is_public=True, is_removed=False).update(
            is_public=False
        )
        if not hidden:
            return False
        comment.is_public = False
        # What xtd does when a comment is unpublished by save(): its replies go with it.
        publish_or_unpublish_nested_comments(comment, are_public=False)
        recount(comment.post_pk)
    transaction.on_commit(refresh_public_pages)
    notify_comment_hidden(comment=comment, flags=count)
    return True


def moderators_of(comment) -> list[str]:
    """Who answers for a comment: the post's author and MANAGERS, each address once."""
    post = comment.content_object
    addresses = [getattr(getattr(post, "author", None), "email", "")]
    # Email strings; (name, email) pairs are deprecated since Django 6.0 but still accepted.
    addresses += [entry if isinstance(entry, str) else entry[1] for entry in settings.MANAGERS]
    unique = {}
    for address in addresses:
        if address:
            unique.setdefault(address.lower(), address)
    return list(unique.values())


def notify_comment_hidden(*, comment, flags: int) -> None:
    """Tell the author a comment left the public pages and where to review it, after commit."""
    recipients = moderators_of(comment)
    if not recipients:
        logger.warning("Comment %s was hidden by flags; nobody to notify.", comment.pk)
        return
    post = comment.content_object
    message = templated_message(
        template="emails/moderation/comment_hidden",
        subject=subject_line(f"A comment on “{post}” was hidden after {flags} readers flagged it"),
        to=recipients,
        context={
            "comment": comment,
            "post": post,
            "flags": flags,
            "review_url": absolute_url(reverse("admin:comments_comment_change", args=[comment.pk])),
        },
    )
    transaction.on_commit(message.send, robust=True)


def hide_after_removal_suggestions(sender, instance, created, raw=False, **kwargs):
    """Every path that flags (xtd's flag page, its REST API, the admin) saves a CommentFlag."""
    if raw or not created or instance.flag != CommentFlag.SUGGEST_REMOVAL:
        return
    hide_if_flagged_enough(comment_id=instance.comment_id)
