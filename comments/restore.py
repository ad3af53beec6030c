"""Restoring comments from our own archive (core.transfer.archive), before the generic
comments applier: threads rebuilt in their order, each comment public, held or removed as it
was, with its dates, reactions counts and follow-up choice. Registered for the platform
"archive" only, at order 15 (after the posts, order 5).

Nobody is emailed: receivers stay silent while an import writes (`appliers.is_importing`).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django_comments.models import Comment as BaseComment
from django_comments_xtd.models import MaxThreadLevelExceededException

from blog.models import Post
from comments.counts import recount
from comments.models import Comment
from core.transfer import appliers, archive, records
from core.transfer.appliers import Line
from core.transfer.archive import PLATFORM, ArchiveDocument


def _when(value):
    return parse_datetime(value) if value else None


def _restore(
    row: dict, *, post: Post, parent: Comment | None, content_type, keep_id: bool
) -> Comment:
    """One comment, saved; with `keep_id`, at the id (and thread place) it had, so that its
    permalink `#c<id>` still reaches it. Parents come before their replies."""
    comment = Comment(
        content_type=content_type,
        object_pk=str(post.pk),
        site_id=settings.SITE_ID,
        user=post.author if row.get("by_post_author") else None,
        user_name=row.get("name", "")[:50],
        user_email=row.get("email", ""),
        user_url=row.get("url", ""),
        comment=row.get("body", ""),
        submit_date=_when(row.get("submitted_at")),
        is_public=row.get("state") != "held",
        is_removed=row.get("state") == "removed",
        followup=bool(row.get("followup")),
        parent_id=parent.pk if parent is not None else 0,
    )
    if keep_id:
        # xtd computes the thread place of a new comment only; a kept id is placed as it was.
        comment.pk = row["id"]
        comment.thread_id = int(row["thread"])
        comment.parent_id = parent.pk if parent is not None else row["id"]
        comment.level = int(row["level"])
        comment.order = int(row["order"])
    comment.save()
    comment.published_at = _when(row.get("published_at"))
    comment.edited_at = _when(row.get("edited_at"))
    comment.like_count = max(0, int(row.get("like_count") or 0))
    comment.dislike_count = max(0, int(row.get("dislike_count") or 0))
    comment.show_on(post)
    # A comment its writer deleted keeps no card, as `comments.views.own.delete` leaves it.
    deleted = comment.is_removed and not comment.comment
    comment.card_html = "" if deleted else comment.render_card()
    Comment.objects.filter(pk=comment.pk).update(
        published_at=comment.published_at,
        edited_at=comment.edited_at,
        like_count=comment.like_count,
        dislike_count=comment.dislike_count,
        card_html=comment.card_html,
        **({"nested_count": max(0, int(row.get("nested_count") or 0))} if keep_id else {}),
    )
    return comment


def _ids_are_free(items) -> bool:
    """Whether every archived comment can keep its id: all or none, as threads name ids."""
    ids = [item.record.get("id") for item in items]
    if not all(isinstance(pk, int) and pk > 0 for pk in ids):
        return False
    return not BaseComment.objects.filter(pk__in=ids).exists()


def apply(document, *, context) -> list[Line]:
    if context.platform != PLATFORM or not isinstance(document, ArchiveDocument):
        return []
    lines: list[Line] = []
    content_type = ContentType.objects.get_for_model(Post)
    posts: dict[str, Post | None] = {}
    new = [
        item
        for item in document.comments
        if records.find(context, "comment", item.source_id) is None
    ]
    keep_ids = _ids_are_free(new)
    for item in document.comments:
        row = item.record
        label = f"by {item.author_name or 'someone'} on {row.get('post')}"
        if records.find(context, "comment", item.source_id) is not None:
            lines.append(Line("skipped", "comment", label, "imported before"))
            continue
        if item.post_source_id not in posts:
            posts[item.post_source_id] = records.target(context, "post", item.post_source_id, Post)
        post = posts[item.post_source_id]
        if post is None:
            lines.append(Line("skipped", "comment", label, "its post was not imported"))
            continue
        parent = None
        if item.parent_source_id:
            parent = records.target(context, "comment", item.parent_source_id, Comment)
            if parent is None:
                lines.append(Line("skipped", "comment", label, "its parent was not imported"))
                continue
        try:
            with transaction.atomic():
                comment = _restore(
                    row, post=post, parent=parent, content_type=content_type, keep_id=keep_ids
                )
        except MaxThreadLevelExceededException:
            lines.append(Line("failed", "comment", label, "nested deeper than this site allows"))
            continue
        records.remember(context, "comment", item.source_id, comment)
        lines.append(Line("created", "comment", label))
    if keep_ids:
        archive.reset_sequences(BaseComment)
    # Each save counted its post before its card and likes were put back: count them again.
    recount(*(post.pk for post in posts.values() if post is not None))
    return lines


def register() -> None:
    appliers.register("comments-archive", apply=apply, order=15)
