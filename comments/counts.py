"""How many public comments a post has: the one count the site shows and ranks by.

"Public" is `comments.models.PUBLIC` (published and not removed) everywhere: the listing
cards, the post page's comment section, the admin's post list and the newsletter's ranking.
Other apps use this module (the newsletter ranks the week's posts by it) instead of reading
comment rows themselves.
"""

from django.db.models import CharField, Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from comments.models import PUBLIC, Comment


def with_public_comment_count(posts):
    """`posts` (a Post queryset) annotated with `public_comment_count`, in the same query."""
    counts = (
        Comment.objects.public()
        .on_posts()
        .filter(object_pk=Cast(OuterRef("pk"), CharField()))
        .order_by()
        .values("object_pk")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return posts.annotate(
        public_comment_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def post_stats(posts) -> dict[int, tuple[int, int]]:
    """(public comments, top-level threads) per post, for any number of posts, in one query.

    Listing cards read the first number; the post page reads both. A removed comment that
    started a thread still counts as a thread: it stays as a placeholder above its replies.
    """
    ids = {str(post.pk) for post in posts if post is not None}
    if not ids:
        return {}
    rows = (
        Comment.objects.on_posts()
        .filter(object_pk__in=ids, is_public=True)
        .order_by()
        .values_list("object_pk")
        .annotate(comments=Count("pk", filter=PUBLIC), threads=Count("pk", filter=Q(level=0)))
    )
    stats = dict.fromkeys((int(pk) for pk in ids), (0, 0))
    stats.update({int(pk): (comments, threads) for pk, comments, threads in rows})
    return stats
