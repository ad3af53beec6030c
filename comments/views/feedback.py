"""Like, dislike and flag: xtd's views behind our checks, and their "done" pages.

xtd's views show and act on any comment by id, held or removed ones and those on drafts
included, to any signed-in reader. Here a reader reaches only public comments on published
posts (moderators every comment); a POST must also come from one of our pages (on top of the
CSRF token) and stay within a per-network rate limit.
"""

from functools import wraps

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_comments_xtd import views as xtd_views

from blog.models import Post
from comments.models import Comment
from core import ratelimit
from core.origin import cross_site_refusal, is_same_origin

FEEDBACK_PER_MINUTE = 30


def is_moderator(request) -> bool:
    return request.user.is_authenticated and request.user.has_perm("django_comments.can_moderate")


def visible_comment(request, pk) -> Comment | None:
    """The comment if this visitor may see it: public on a published post, or a moderator."""
    try:
        comment = Comment.objects.select_related(None).get(pk=int(pk))
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    if is_moderator(request):
        return comment
    post = comment.content_object
    if not comment.is_visible or not isinstance(post, Post) or not post.is_published:
        return None
    return comment


def checked(view):
    """Public comments only; same-origin, rate-limited POSTs; GET shows, POST acts."""

    @never_cache
    @require_http_methods(["GET", "HEAD", "POST"])
    @wraps(view)
    def wrapped(request, comment_id):
        if visible_comment(request, comment_id) is None:
            raise Http404("No such comment.")
        if request.method == "POST":
            if not is_same_origin(request):
                return cross_site_refusal(request)
            allowed = ratelimit.allow(
                "comments-feedback",
                ratelimit.client_network(request),
                limit=FEEDBACK_PER_MINUTE,
                period=60,
            )
            if not allowed:
                return ratelimit.too_many_requests(
                    request,
                    message="Too many reactions were sent from your network in the last minute.",
                    retry_after=60,
                )
        return view(request, comment_id)

    return wrapped


like = checked(xtd_views.like)
dislike = checked(xtd_views.dislike)
flag = checked(xtd_views.flag)


def done_page(template):
    """The thanks page after a reaction or flag; names the comment only if it is visible."""

    @never_cache
    @require_safe
    def done(request):
        comment = visible_comment(request, request.GET.get("c"))
        return TemplateResponse(request, template, {"comment": comment})

    return done


like_done = done_page("django_comments_xtd/liked.html")
dislike_done = done_page("django_comments_xtd/disliked.html")
flag_done = done_page("comments/flagged.html")


@require_safe
def permalink(request, content_type_id, object_pk):
    """django-comments' `cr/<ct>/<pk>/` shortcut, for published posts only.

    The stock shortcut redirects to any object's URL, so it revealed the slug (headline) of
    drafts and scheduled posts to anyone counting through primary keys.
    """
    try:
        is_post = ContentType.objects.get_for_id(int(content_type_id)).model_class() is Post
        post = Post.objects.published().get(pk=int(object_pk)) if is_post else None
    except (ContentType.DoesNotExist, Post.DoesNotExist, ValueError, OverflowError):
        post = None
    if post is None:
        raise Http404("Nothing to show here.")
    return redirect(post)
