"""How many public comments a post has: the one count the site shows and ranks by.

Other apps use this module (the newsletter ranks the week's posts by it) instead of reading
comment rows themselves.
"""

from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from comments.models import Comment


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
