"""More threads for the "load more" script, and muting follow-up emails."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django_comments_xtd import signed as xtd_signed
from django_comments_xtd import views as xtd_views

from blog.models import Post
from comments.moderation import comments_are_open
from comments.threads import load_threads, render_context
from comments.views.base import signed_in


def threads(request, post_pk):
    """More top-level threads, as list items the script appends ("Load more comments").

    Without the script the same link opens the post page with `?cpage=`.
    """
    post = get_object_or_404(Post.objects.published().select_related("author"), pk=post_pk)
    try:
        page_number = int(request.GET.get("page", 1))
    except ValueError:
        page_number = 1
    user = request.user if signed_in(request) else None
    page = load_threads(post, order=request.GET.get("order", "oldest"), page=page_number, user=user)
    context = render_context(
        post, page, signed_in=user is not None, is_open=comments_are_open(post)
    )
    response = TemplateResponse(request, "comments/includes/thread_items.html", context)
    if page.has_next:
        response.headers["X-Next-Page"] = str(page.next_page)
    return response


@never_cache
def mute(request, key):
    """Stop follow-up emails, after a click on a button rather than on the link itself.

    django-comments-xtd mutes on a plain GET, which a mail scanner that prefetches the links
    in a message would trigger on the reader's behalf; the GET here only asks.
    """
    if request.method == "POST":
        return xtd_views.mute(request, key)
    try:
        muted = xtd_signed.loads(str(key), extra_key=settings.COMMENTS_XTD_SALT)
    except (ValueError, xtd_signed.BadSignature) as err:
        raise Http404("This link is not valid.") from err
    post = Post.objects.published().filter(pk=muted.object_pk).first()
    if post is None:
        raise Http404("This discussion is no longer published.")
    return TemplateResponse(request, "comments/mute_confirm.html", {"post": post})
