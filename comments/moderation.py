"""Who may comment on a post, and which comments wait for the author's approval.

Registered with django-comments-xtd's moderator (not django-comments' own, whose hooks never
fire for xtd's confirmation flow) in `CommentsConfig.ready()`.
"""

import datetime
import re

from django.conf import settings
from django.utils import timezone
from django_comments_xtd.moderation import SpamModerator

from comments.models import BlockedWord, Comment

# "http://…", "https://…", "www.…" and Markdown/mail links: what a reader would click.
LINK = re.compile(r"(?:https?://|www\.|mailto:)\S+", re.IGNORECASE)


def closes_at(post) -> datetime.datetime | None:
    """When a post stops taking comments by itself (COMMENTS_CLOSE_AFTER_DAYS after publishing)."""
    if post.publish_at is None:
        return None
    return post.publish_at + datetime.timedelta(days=settings.COMMENTS_CLOSE_AFTER_DAYS)


def comments_are_open(post, *, now=None) -> bool:
    """Open: published, not closed by the author, and not past the automatic closing date."""
    now = now or timezone.now()
    if not post.comments_open or not post.is_published:
        return False
    closing = closes_at(post)
    return closing is None or now < closing


def count_links(text: str) -> int:
    return len(LINK.findall(text))


def blocked_words_in(*texts: str) -> list[str]:
    """Blocklisted words or phrases found in the texts, matched as whole words."""
    haystack = " ".join(texts).lower()
    return [
        word
        for word in BlockedWord.objects.values_list("word", flat=True)
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", haystack)
    ]


def hold_reasons(comment) -> list[str]:
    """Why a new comment must wait for the author's approval (empty: publish it)."""
    reasons = []
    if count_links(comment.comment) >= settings.COMMENTS_HOLD_LINKS:
        reasons.append("links")
    if blocked_words_in(comment.comment, comment.user_name, comment.user_url or ""):
        reasons.append("blocked words")
    if (
        settings.COMMENTS_HOLD_FIRST_FROM_NEW_ADDRESS
        and not Comment.objects.public().filter(user_email__iexact=comment.user_email).exists()
    ):
        reasons.append("first comment")
    return reasons


class PostModerator(SpamModerator):
    """Rules for comments on posts: open/closed, automatic closing and holding rules.

    `allow()` refuses comments on closed posts (the posting view answers with a friendly page
    before it gets here); `moderate()` holds comments for approval. SpamModerator also refuses
    addresses from django-comments-xtd's BlackListedDomain list.
    """

    email_notification = False  # the post's author is told by comments.notifications instead

    def allow(self, comment, content_object, request):
        return comments_are_open(content_object) and super().allow(comment, content_object, request)

    def moderate(self, comment, content_object, request):
        return bool(hold_reasons(comment)) or super().moderate(comment, content_object, request)
