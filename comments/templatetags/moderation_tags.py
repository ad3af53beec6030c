"""The admin index's reminder of comments waiting for the author (templates/admin/index.html)."""

from django import template
from django.db.models import Count
from django.urls import reverse

from comments.admin.filters import AWAITING, FLAGGED
from comments.flags import with_open_flags
from comments.models import Comment

register = template.Library()


@register.inclusion_tag("admin/comments/moderation_summary.html", takes_context=True)
def moderation_summary(context) -> dict:
    """Comments to review: those awaiting moderation plus public ones readers flagged, counted
    in one query."""
    request = context["request"]
    user = request.user
    if not (user.has_perm("comments.view_comment") or user.has_perm("comments.change_comment")):
        return {"show": False}
    counts = with_open_flags(Comment.objects.order_by()).aggregate(
        awaiting=Count("pk", filter=AWAITING), flagged=Count("pk", filter=FLAGGED)
    )
    changelist = reverse("admin:comments_comment_changelist")
    return {
        "show": True,
        "to_review": counts["awaiting"] + counts["flagged"],
        "awaiting": counts["awaiting"],
        "flagged": counts["flagged"],
        "review_url": f"{changelist}?status=review",
        "awaiting_url": f"{changelist}?status=awaiting",
        "flagged_url": f"{changelist}?status=public&flagged=yes",
    }
