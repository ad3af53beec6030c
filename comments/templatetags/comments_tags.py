from django import template

from blog.models import Post, public_name
from comments.counts import post_stats
from comments.forms import CommentForm, FlagForm
from comments.moderation import closes_at, comments_are_open
from comments.threads import (
    ORDERS,
    load_threads,
    page_number,
    render_context,
    request_stats,
    stored_first_page,
)
from comments.views.base import signed_in as reader_signed_in

register = template.Library()


@register.inclusion_tag("comments/section.html", takes_context=True)
def comment_section(context, post):
    """The post's comment section: count, threads (first page), form or "closed" note."""
    request = context.get("request")
    if context.get("is_preview"):
        return {"preview": True}
    signed_in = request is not None and reader_signed_in(request)
    user = request.user if signed_in else None
    order = request.GET.get("order", "oldest") if request else "oldest"
    number = page_number(request.GET.get("cpage")) if request else 1
    is_open = comments_are_open(post)
    if not signed_in and order == "oldest" and number == 1:
        stats, stored = stored_first_page(post, is_open=is_open)
    else:
        stats, stored = request_stats(request, post), None
    if stored is not None:
        page, items_html = stored
    else:
        page = load_threads(post, order=order, page=number, user=user, stats=stats)
        items_html = None
    csrf_token = str(context.get("csrf_token", "")) if signed_in else ""
    return render_context(
        post,
        page,
        signed_in=signed_in,
        is_open=is_open,
        csrf_token=csrf_token,
        items_html=items_html,
    ) | {
        "orders": ORDERS,
        "commenter_name": public_name(user) if user else "",
        "closes_at": closes_at(post),
        "form": CommentForm(post) if is_open else None,
        # The flag dialog's form (comments.js); without the script, Flag opens its own page.
        "flag_form": FlagForm() if signed_in else None,
    }


def _listed_posts(context) -> list:
    posts = [context.get("featured_post"), context.get("object")]
    for name in ("post_list", "related_posts", "object_list"):
        value = context.get(name)
        if value:
            posts.extend(value)
    return [post for post in posts if isinstance(post, Post)]


@register.simple_tag
def comment_counts(posts):
    """`{% comment_counts post_list as counts %}` then `{{ counts|count_for:post }}`."""
    return {pk: comments for pk, (comments, _) in post_stats(posts).items()}


@register.filter
def count_for(counts, post):
    return counts.get(post.pk, 0)


@register.simple_tag(takes_context=True)
def comment_count(context, post):
    """One post's public comment count inside a listing: one query for the whole page.

    The first card asks for every post the page shows (the listed posts, the featured one,
    and on a post page the post itself, whose comment section then reuses the answer).
    """
    return request_stats(context.get("request"), post, also=_listed_posts(context))[0]
