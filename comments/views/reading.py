"""The reply page (and its depth limit), more threads for the "load more" script, and
muting follow-up emails."""

from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from blog.models import Post, public_name
from comments import links
from comments.forms import CommentForm
from comments.models import Comment
from comments.moderation import comments_are_open
from comments.threads import load_threads, page_number, render_context
from comments.views.base import refuse, refuse_closed, signed_in
from core.origin import same_origin_post
from core.seo import noindex
from core.tokens import BadToken, Expired


@require_http_methods(["GET", "HEAD"])
def reply(request, cid):
    """The reply page (the no-script way to reply), for public comments on open posts only.

    xtd's own view shows any comment by id, held and removed ones included.
    """
    comment = get_object_or_404(Comment.objects.public(), pk=cid)
    post = comment.content_object
    if not isinstance(post, Post) or not post.is_published:
        raise Http404("No such comment.")
    if not comments_are_open(post):
        return refuse_closed(request, post)
    if not comment.allow_thread():
        return too_deep(request, comment, post)
    user = request.user if signed_in(request) else None
    context = {
        "comment": comment,
        "form": CommentForm(post, comment=comment),
        "cid": cid,
        "signed_in": user is not None,
        "commenter_name": public_name(user) if user else "",
    }
    return TemplateResponse(request, "django_comments_xtd/reply.html", context)


def too_deep(request, comment, post):
    """Replies nest COMMENTS_MAX_THREAD_LEVEL deep: the page says so and offers the reply
    one level up (to the comment this one answers), in the site's layout."""
    parent = None
    if comment.parent_id != comment.pk:
        parent = Comment.objects.public().filter(pk=comment.parent_id).first()
    context = {"comment": comment, "post": post, "parent": parent}
    return TemplateResponse(request, "comments/too_deep.html", context, status=403)


@require_http_methods(["GET", "HEAD"])
def threads(request, post_pk):
    """More top-level threads, as list items the script appends ("Load more comments").

    Without the script the same link opens the post page with `?cpage=`.
    """
    post = get_object_or_404(Post.objects.published().select_related("author"), pk=post_pk)
    user = request.user if signed_in(request) else None
    number = page_number(request.GET.get("page"))
    page = load_threads(post, order=request.GET.get("order", "oldest"), page=number, user=user)
    context = render_context(
        post,
        page,
        signed_in=user is not None,
        is_open=comments_are_open(post),
        csrf_token=get_token(request) if user is not None else "",
    )
    response = HttpResponse(context["items_html"])
    if page.has_next:
        response.headers["X-Next-Page"] = str(page.next_page)
    return response


@noindex
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def mute(request, key):
    """Stop follow-up emails, after a click on a button rather than on the link itself.

    django-comments-xtd mutes on a plain GET, which a mail scanner that prefetches the links
    in a message would trigger on the reader's behalf; the GET here only asks. The link is a
    signed JSON token (`comments.links`), valid for COMMENTS_MUTE_LINK_MAX_AGE_DAYS.
    """
    if links.is_legacy_link(key):
        if not links.is_genuine_legacy_link(key):
            raise Http404("This link is not valid.")
        return refuse(
            request,
            title="This link is no longer valid",
            message="It was sent before we changed how these links work. The next reply "
            "email about this discussion has a link that works.",
            status=410,
        )
    try:
        target = links.read_mute(key)
    except Expired:
        return refuse(
            request,
            title="This link has expired",
            message="The next reply email about this discussion has a fresh link.",
            status=410,
        )
    except BadToken:
        target = None
    if target is None:
        raise Http404("This link is not valid.")
    post, email = target
    if request.method == "POST":
        links.mute(post=post, email=email)
        return TemplateResponse(request, "django_comments_xtd/muted.html", {"content_object": post})
    return TemplateResponse(request, "comments/mute_confirm.html", {"post": post})
