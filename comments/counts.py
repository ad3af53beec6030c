"""How many public comments a post has: the one count the site shows and ranks by.

"Public" is `comments.models.PUBLIC` (published and not removed) everywhere: the listing
cards, the post page's comment section, the admin's post list and the newsletter's ranking.
Other apps use this module (the newsletter ranks the week's posts by it) instead of reading
comment rows themselves.

The numbers are stored (`Discussion`, one row per saved or commented post), so reading them
costs the same for 10 comments or 10,000; so is the comment section a signed-out reader sees
(`comments.sections.store_sections`). `recount` is the one writer: the `Comment` save and
delete receivers call it, and so does every path that changes what a thread shows with a
queryset update (flags that hide, likes, an edit, a reader deleting their own comment).
It counts the post's rows again rather than adding or subtracting one, so a path that calls
it twice, or a comment that was already hidden, cannot push the number off. `repair` (the
`repair_comment_counts` command) recounts every post and reports what it put right.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import Coalesce

from blog.articles import outdate_articles
from blog.models import Post
from comments.models import PUBLIC, Comment, Discussion


def with_public_comment_count(posts):
    """`posts` (a Post queryset) annotated with `public_comment_count`, in the same query."""
    return posts.annotate(
        public_comment_count=Coalesce(
            F("discussion__comment_count"), Value(0), output_field=IntegerField()
        )
    )


def post_stats(posts) -> dict[int, tuple[int, int]]:
    """(public comments, top-level threads) per post, for any number of posts, in one query.

    Listing cards read the first number; the post page reads both. A removed comment that
    started a thread still counts as a thread: it stays as a placeholder above its replies.
    """
    ids = {post.pk for post in posts if post is not None}
    if not ids:
        return {}
    stats = dict.fromkeys(ids, (0, 0))
    rows = Discussion.objects.filter(post_id__in=ids).values_list(
        "post_id", "comment_count", "thread_count"
    )
    stats.update({pk: (comments, threads) for pk, comments, threads in rows})
    return stats


def _counted(post_ids) -> dict[int, tuple[int, int]]:
    """(public comments, threads) per post, counted from the comment rows."""
    rows = (
        Comment.objects.filter(post_pk__in=post_ids, is_public=True)
        .order_by()
        .values_list("post_pk")
        .annotate(
            comments=Count("pk", filter=PUBLIC), threads=Count("pk", filter=Q(starts_thread=True))
        )
    )
    counted = dict.fromkeys(post_ids, (0, 0))
    counted.update({pk: (comments, threads) for pk, comments, threads in rows})
    return counted


def recount(*post_ids: int | None) -> None:
    """Count the public comments and threads of these posts again and store the numbers.

    Inside the caller's transaction, after its change: the post's row is locked first
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer at a time), so of two
    comments posted at once the second count waits for the first and sees both.
    """
    ids = sorted({pk for pk in post_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        existing = list(Post.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if not existing:  # the post itself is being deleted: its row goes with it
            return
        Discussion.objects.bulk_create(
            [Discussion(post_id=pk) for pk in existing], ignore_conflicts=True
        )
        locked = Discussion.objects.select_for_update().filter(post_id__in=existing)
        shown = dict(locked.order_by("pk").values_list("post_id", "comment_count"))
        counted = _counted(existing)
        for pk, (comments, threads) in counted.items():
            Discussion.objects.filter(post_id=pk).update(
                comment_count=comments, thread_count=threads
            )
        # A post's stored card (related reading) shows its count.
        outdate_articles(pk for pk, (comments, _) in counted.items() if comments != shown[pk])
        # Imported here: the section module counts with this one.
        from comments.sections import store_sections

        store_sections(Post.objects.filter(pk__in=existing).defer(*Post.LARGE_FIELDS))


def recount_comments(comment_ids) -> None:
    """`recount` the posts of these comments (after a queryset update changed them)."""
    recount(*Comment.objects.filter(pk__in=list(comment_ids)).values_list("post_pk", flat=True))


@dataclass
class Repair:
    post_id: int
    title: str
    stored: tuple[int, int]
    counted: tuple[int, int]


def repair() -> list[Repair]:
    """Recount every post; store and return the numbers that were wrong (none: all right)."""
    post_ids = list(Post.objects.values_list("pk", flat=True))
    stored = post_stats(Post(pk=pk) for pk in post_ids)
    fixed = []
    for start in range(0, len(post_ids), 500):
        batch = post_ids[start : start + 500]
        for pk, counted in _counted(batch).items():
            if stored[pk] != counted:
                fixed.append(Repair(pk, "", stored[pk], counted))
    titles = dict(Post.objects.filter(pk__in=[r.post_id for r in fixed]).values_list("pk", "title"))
    for item in fixed:
        item.title = titles[item.post_id]
        recount(item.post_id)
    return fixed


def store_outdated_sections(*, now=None) -> int:
    """Store again every section stored under another key (an older release, other settings,
    a renamed post, comments closed since); returns how many. Sections read meanwhile are
    rendered live."""
    from comments.moderation import comments_are_open
    from comments.sections import section_key

    # What decides openness, the post's address and the stored key; never the stored HTML.
    posts = (
        Post.objects.filter(discussion__isnull=False)
        .select_related("discussion")
        .only(
            "slug",
            "status",
            "publish_at",
            "created_at",
            "comments_open",
            "discussion__first_page_key",
        )
    )
    outdated = [
        post.pk
        for post in posts.iterator(chunk_size=500)
        if post.discussion.first_page_key
        != section_key(post, is_open=comments_are_open(post, now=now))
    ]
    for pk in outdated:
        recount(pk)
    return len(outdated)
