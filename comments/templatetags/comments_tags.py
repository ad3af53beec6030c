from django import template

from blog.models import Post
from comments.counts import post_stats
from comments.moderation import comments_are_open
from comments.sections import section_context, stored_section
from comments.threads import load_threads, page_number, request_stats
from comments.views.base import signed_in as reader_signed_in

register = template.Library()


@register.inclusion_tag("comments/section.html", takes_context=True)
def comment_section(context, post):
    """The post's comment section: count, threads (first page), form or "closed" note.

    A signed-out reader of the first page gets the stored one (`comments.sections`)."""
    request = context.get("request")
    if context.get("is_preview"):
        return {"preview": True}
    signed_in = request is not None and reader_signed_in(request)
    user = request.user if signed_in else None
    order = request.GET.get("order", "oldest") if request else "oldest"
    number = page_number(request.GET.get("cpage")) if request else 1
    is_open = comments_are_open(post)
    if not signed_in and order == "oldest" and number == 1:
        stats, stored = stored_section(post, is_open=is_open)
        if stored is not None:
            return {"stored_section": stored}
    else:
        stats = request_stats(request, post)
    return section_context(
        post,
        page=load_threads(post, order=order, page=number, user=user, stats=stats),
        signed_in=signed_in,
        user=user,
        # Read only for signed-in readers: asking for a token sets the CSRF cookie.
        csrf_token=str(context.get("csrf_token", "")) if signed_in else "",
        is_open=is_open,
    )


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
