"""A post's comment section, and the one every signed-out reader gets, stored (issue 12).

The section (count, order links, the first page of threads, the form, the closing date) is
the same for every signed-out reader of the first page, oldest first, until a comment or the
post changes, except for the form's signed timestamp and hash (django-comments checks they
are at most two hours old). `comments.counts.recount`, which every change to a thread calls,
renders it then (`store_sections`) with a mark where those fields go, and stores it on the
post's `Discussion`; a page view reads it in the query that reads the counts and puts the
fields in (`stored_section`).

What shapes it besides the comments is its key (`section_key`): a format number raised
whenever the section prints differently, the thread settings, the URLs it links to (the
post's own included), whether comments are open, when they close and the time zone that
date is shown in, the script's hashed name and the form's limits. A section stored under
another key is rendered live, so a new release, a renamed post, comments closed since or other
settings are never shown stale; `migrate`, an hourly job and `repair_comment_counts` store it
again (`comments.counts.store_outdated_sections`).
"""

import functools
import hashlib

from django.conf import settings
from django.db import connections, router
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from blog.models import public_name
from comments.forms import CommentForm, FlagForm
from comments.models import Comment, Discussion
from comments.moderation import closes_at, comments_are_open
from comments.signals import newsletter_consent_given
from comments.threads import ORDERS, action_urls, load_threads, render_context
from core.links import reversing_context

TEMPLATE = "comments/section.html"
# Raise it whenever the section a signed-out reader gets prints differently: sections stored by
# an older release are then rendered live until they are stored again.
FORMAT = 2
# Where the form's signed fields go in a stored section. Readers' text in it is escaped (and
# Markdown's HTML is sanitised without comments), so nothing they write can look like it.
SECURITY_MARK = "<!--comment-form-security-->"


def section_context(
    post, *, page, items_html=None, signed_in=False, user=None, csrf_token="", is_open=None
) -> dict:
    """What `comments/section.html` needs to show this page of the post's threads."""
    is_open = comments_are_open(post) if is_open is None else is_open
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


def section_key(post, *, is_open: bool) -> str:
    """What shapes a signed-out reader's section besides the comments themselves."""
    closing = closes_at(post)
    parts = [
        FORMAT,
        settings.COMMENTS_THREADS_PER_PAGE,
        settings.COMMENTS_XTD_MAX_THREAD_LEVEL,
        settings.COMMENT_MAX_LENGTH,
        settings.TIME_ZONE,
        "open" if is_open else "closed",
        closing.isoformat() if closing else "",
        post.get_absolute_url(),
        static("js/comments.js"),
        newsletter_consent_given.has_listeners(Comment),
        *reversing_context(),
        *action_urls().values(),
    ]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def store_sections(posts) -> None:
    """Render each post's section as a signed-out reader gets it, and store it.

    Called by `comments.counts.recount`, after the counts it reads are stored.
    """
    for post in posts:
        is_open = comments_are_open(post)
        context = section_context(post, page=load_threads(post), is_open=is_open)
        html = render_to_string(
            f"{TEMPLATE}#section", context | {"security_mark": mark_safe(SECURITY_MARK)}
        )
        Discussion.objects.filter(post_id=post.pk).update(
            first_page_html=html, first_page_key=section_key(post, is_open=is_open)
        )


@functools.cache
def _stored_row_sql(alias: str) -> str:
    """The one query every uncached view of a post makes for its comments, as SQL written
    once per database: the ORM built it afresh on each view, which cost more than running
    it (issue 12)."""
    quote = connections[alias].ops.quote_name
    meta = Discussion._meta
    fields = ("comment_count", "thread_count", "first_page_key", "first_page_html")
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.get_field('post').column)} = %s"
    )


def stored_section(post, *, is_open: bool):
    """The post's (comments, threads) and its stored section, in one query: (stats, HTML with
    fresh signed fields), or (stats, None) when the section must be rendered live."""
    alias = router.db_for_read(Discussion)
    with connections[alias].cursor() as cursor:
        cursor.execute(_stored_row_sql(alias), [post.pk])
        row = cursor.fetchone()  # at most one: post_id is the primary key
    if row is None:
        return (0, 0), None
    comment_count, thread_count, key, html = row
    stats = (comment_count, thread_count)
    if key != section_key(post, is_open=is_open):
        return stats, None
    before, mark, after = html.partition(SECURITY_MARK)
    if not mark:  # comments closed: no form
        return stats, mark_safe(html)
    fields = get_template("comments/includes/form.html#security").render(
        CommentForm.security_data(post)
    )
    # Rendered by our own templates, which escaped what readers wrote.
    return stats, mark_safe(f"{before}{fields}{after}")
