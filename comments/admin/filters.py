"""The comment queue's filters: status, readers' flags, post."""

from django.contrib import admin
from django.db.models import Q

from blog.models import Post
from comments.models import Comment

AWAITING = Q(is_public=False, is_removed=False)
# Public comments readers flagged that the author has not ruled on (needs `with_open_flags`).
FLAGGED = Q(is_public=True, is_removed=False, open_flags__gt=0)


class ModerationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("review", "To review (awaiting or flagged)"),
            ("awaiting", "Awaiting moderation"),
            ("public", "Public"),
            ("removed", "Removed"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "review":
                return queryset.filter(AWAITING | FLAGGED)
            case "awaiting":
                return queryset.filter(AWAITING)
            case "public":
                return queryset.public()
            case "removed":
                return queryset.filter(is_removed=True)
        return queryset


class FlaggedFilter(admin.SimpleListFilter):
    title = "readers' flags"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged, not reviewed yet"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(open_flags__gt=0)
            case "no":
                return queryset.filter(open_flags=0)
        return queryset


class PostFilter(admin.SimpleListFilter):
    """Posts that have comments, newest first (two queries, however many comments)."""

    title = "post"
    parameter_name = "post"

    def lookups(self, request, model_admin):
        commented = Comment.objects.on_posts().values("object_pk")
        post_ids = {
            int(pk) for pk in commented.distinct().order_by().values_list("object_pk", flat=True)
        }
        posts = Post.objects.filter(pk__in=post_ids).order_by("-publish_at", "-pk")
        return [(str(post.pk), post.title) for post in posts.only("pk", "title")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.on_posts().filter(object_pk=self.value())
        return queryset
