"""Writing an imported site's comments, threads and moderation state kept (issue 14).

Registered with `core.transfer.appliers` in `CommentsConfig.ready()`, after blog's applier:
a comment finds its post through the import record blog left. Approved comments are public
from their original date; pending ones wait in moderation; spam is left out. No one is
notified: `comments.receivers.comment_saved` stays silent while an import runs.
"""

from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django_comments_xtd.models import max_thread_level_for_content_type

from blog.models import Post
from comments.models import Comment
from core.transfer import document as doc
from core.transfer import html, records
from core.transfer.appliers import Context, Line

MAX_COMMENT_LENGTH = 3000


def apply(document: doc.Document, *, context: Context) -> list[Line]:
    lines: list[Line] = []
    post_type = ContentType.objects.get_for_model(Post)
    site = Site.objects.get_current()
    max_level = max_thread_level_for_content_type(post_type)
    for item in _parents_first(document.comments):
        label = f"#{item.source_id} by {item.author_name or 'anonymous'}"[:80]
        if records.find(context, "comment", item.source_id) is not None:
            lines.append(Line("skipped", "comment", label, "imported before"))
            continue
        if item.status == "spam":
            lines.append(Line("skipped", "comment", label, "marked as spam on the old site"))
            continue
        post = records.target(context, "post", item.post_source_id, Post) or records.target(
            context, "page", item.post_source_id, Post
        )
        if post is None:
            lines.append(Line("skipped", "comment", label, "its post was not imported"))
            continue
        text = html.to_text(item.body)[:MAX_COMMENT_LENGTH]
        if not text:
            lines.append(Line("failed", "comment", label, "it has no text"))
            continue
        parent = _parent(context, item, max_level)
        comment = Comment(
            content_type=post_type,
            object_pk=str(post.pk),
            site=site,
            user_name=item.author_name[:50] or "Anonymous",
            user_email=item.author_email[:254],
            user_url=item.author_url[:200],
            comment=text,
            submit_date=item.submitted_at or context.now,
            is_public=item.status == "approved",
            is_removed=False,
            parent_id=parent.pk if parent else 0,
        )
        if comment.is_public:
            comment.published_at = comment.submit_date
        comment.save()
        records.remember(context, "comment", item.source_id, comment)
        reason = "" if comment.is_public else "held for moderation, as it was"
        if item.parent_source_id and parent is None:
            reason = "its parent was not imported: shown as a new thread"
        lines.append(Line("created", "comment", label, reason))
    return lines


def _parent(context: Context, item: doc.Comment, max_level: int) -> Comment | None:
    """The imported parent; one nested deeper than threads go here hangs from the deepest
    ancestor allowed (COMMENTS_XTD_MAX_THREAD_LEVEL)."""
    if not item.parent_source_id:
        return None
    parent = records.target(context, "comment", item.parent_source_id, Comment)
    while parent is not None and parent.level >= max_level:
        parent = Comment.objects.filter(pk=parent.parent_id).first()
    return parent


def _parents_first(comments: list[doc.Comment]) -> list[doc.Comment]:
    """Comments ordered so that each comes after its parent (then by date)."""
    by_id = {comment.source_id: comment for comment in comments}
    ordered, placed = [], set()

    def place(comment, trail=()):
        if comment.source_id in placed or comment.source_id in trail:
            return
        parent = by_id.get(comment.parent_source_id)
        if parent is not None:
            place(parent, (*trail, comment.source_id))
        placed.add(comment.source_id)
        ordered.append(comment)

    for comment in sorted(comments, key=lambda c: (c.submitted_at is None, c.submitted_at)):
        place(comment)
    return ordered
