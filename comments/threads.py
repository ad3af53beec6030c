"""The comment section of a post, read in a fixed number of queries whatever its size.

django-comments-xtd 2.10 loads every comment of a post and renders them with a recursive
template (2 queries per comment by a registered user). Here top-level threads are paginated
("load more"): one grouped query counts comments and threads (shared with the listing cards
of the page), and one fetches the whole threads of the current page, ordered (thread_id,
order), with the reader's own flags as subqueries. The tree is then built in
Python and flattened into a list the template renders in a single loop.
"""

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_comments.models import CommentFlag
from django_comments_xtd.models import DISLIKEDIT_FLAG, LIKEDIT_FLAG

from comments.counts import post_stats
from comments.models import Comment
from core.links import reversing_context

ORDERS = ("oldest", "newest")
DISPLAY_FIELDS = (
    "id",
    "user_id",
    "user_name",
    "published_at",
    "card_html",
    "is_removed",
    "thread_id",
    "parent_id",
    "level",
    "like_count",
    "dislike_count",
)


@dataclass(slots=True)
class Item:
    """One comment as a thread shows it: its stored card plus what depends on the reader."""

    id: int
    cid: str  # the id as text: printed several times, and numbers would be localised
    level: str
    thread_id: int
    parent_id: int
    user_name: str
    card: str
    is_removed: bool
    can_reply: bool
    can_change: bool = False
    likes: int = 0
    dislikes: int = 0
    liked: bool = False
    disliked: bool = False
    flagged: bool = False
    own: bool = False  # the signed-in reader wrote it: no flag button
    closing: str = ""  # tags after the item: an opening <ol> for its replies, or closing ones
    children: list = field(default_factory=list)


@dataclass
class ThreadPage:
    items: list[Item]
    comment_count: int
    thread_count: int
    page: int
    order: str
    has_next: bool

    @property
    def next_page(self) -> int:
        return self.page + 1


# No post has this many pages of threads; a larger ?cpage= would overflow the database's
# OFFSET (a 500 on SQLite and PostgreSQL) instead of showing an empty page.
MAX_PAGE = 100_000


def page_number(value) -> int:
    """A `?cpage=`/`?page=` value as a page number from 1 to MAX_PAGE (1 if not a number)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(1, number), MAX_PAGE)


def editable_until(comment) -> datetime.datetime | None:
    if comment.published_at is None:
        return None
    return comment.published_at + datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)


def request_stats(request, post, *, also=()) -> tuple[int, int]:
    """`post_stats` for `post` (and `also`), remembered on the request for the whole render.

    The page's listing cards and its comment section then share one query.
    """
    memo = getattr(request, "_comment_stats", None) if request is not None else None
    if memo is None or post.pk not in memo:
        memo = (memo or {}) | post_stats([post, *also])
        if request is not None:
            request._comment_stats = memo
    return memo[post.pk]


def load_threads(
    post, *, order="oldest", page=1, user=None, now=None, thread_id=None, stats=None
) -> ThreadPage:
    """One page of top-level threads of a post, with all their replies, ready to render.

    One query, given the post's `stats` (else one more): the page's roots are a subquery,
    the reader's own flags (signed-in readers only) correlated subqueries. With
    `thread_id`, that one thread (to show a reply the reader just posted).
    """
    now = now or timezone.now()
    order = order if order in ORDERS else "oldest"
    per_page = settings.COMMENTS_THREADS_PER_PAGE
    page = min(max(1, page), MAX_PAGE)
    comment_count, thread_count = stats or post_stats([post])[post.pk]
    if thread_id is not None:
        page_ids, has_next = [thread_id], False
    else:
        # A thread's id is its first comment's: the index on (post_pk, starts_thread, id)
        # walks the post's threads in order, whatever else the post or the site holds.
        start = (page - 1) * per_page
        page_ids = (
            Comment.objects.filter(post_pk=post.pk, starts_thread=True, is_public=True)
            .order_by("-pk" if order == "newest" else "pk")
            .values("pk")[start : start + per_page]
        )
        has_next = thread_count > page * per_page

    rows = []
    if thread_count:
        # A thread's id names its post too: filtering on the post as well would let the
        # database walk every comment of the post instead of the page's threads.
        rows = Comment.objects.filter(thread_id__in=page_ids, is_public=True).order_by(
            "thread_id", "order"
        )
        if user is None:
            rows = rows.values(*DISPLAY_FIELDS)
        else:
            rows = _with_reader_flags(rows, user=user).values(
                *DISPLAY_FIELDS, *READER_FIELDS, "user_email"
            )
    roots = _build_tree(rows, user=user, now=now)
    roots.sort(key=lambda item: item.thread_id, reverse=order == "newest")
    return ThreadPage(
        items=flatten(roots),
        comment_count=comment_count,
        thread_count=thread_count,
        page=page,
        order=order,
        has_next=has_next,
    )


READER_FIELDS = ("liked", "disliked", "flagged")


def _with_reader_flags(queryset, *, user):
    """Whether the signed-in reader liked, disliked or flagged each comment."""

    def flags(flag):
        return Exists(CommentFlag.objects.filter(comment_id=OuterRef("pk"), flag=flag, user=user))

    return queryset.annotate(
        liked=flags(LIKEDIT_FLAG),
        disliked=flags(DISLIKEDIT_FLAG),
        flagged=flags(CommentFlag.SUGGEST_REMOVAL),
    )


def _build_tree(rows, *, user, now) -> list[Item]:
    max_level = settings.COMMENTS_XTD_MAX_THREAD_LEVEL
    user_id = user.pk if user is not None else None
    user_email = (getattr(user, "email", "") or "").lower()
    edit_window = datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)
    by_id: dict[int, Item] = {}
    roots: list[Item] = []
    for row in rows:
        pk, published_at = row["id"], row["published_at"]
        item = Item(
            id=pk,
            cid=str(pk),
            level=str(row["level"]),
            thread_id=row["thread_id"],
            parent_id=row["parent_id"],
            user_name=row["user_name"],
            card=mark_safe(row["card_html"]),  # rendered from our template on save
            is_removed=row["is_removed"],
            can_reply=row["level"] < max_level and not row["is_removed"],
            likes=row["like_count"],
            dislikes=row["dislike_count"],
        )
        if user_id is not None:
            item.liked, item.disliked, item.flagged = row["liked"], row["disliked"], row["flagged"]
            # As comments.views.feedback.is_own: their account, or the address they sign in with.
            item.own = row["user_id"] == user_id or (
                bool(user_email) and row["user_email"].lower() == user_email
            )
            item.can_change = (
                row["user_id"] == user_id
                and not item.is_removed
                and published_at is not None
                and now < published_at + edit_window
            )
        by_id[pk] = item
        if row["parent_id"] == pk:
            roots.append(item)
        elif row["parent_id"] in by_id:
            by_id[row["parent_id"]].children.append(item)
        # A reply whose parent is not public (held) is not shown until the parent is.
    return [root for root in roots if _prune_removed(root)]


def _prune_removed(item: Item) -> bool:
    """Keep a removed comment only as a placeholder for replies still shown under it."""
    item.children = [child for child in item.children if _prune_removed(child)]
    return not item.is_removed or bool(item.children)


REPLIES_OPEN = mark_safe('<ol class="comment-list comment-list--replies">')


def flatten(roots: list[Item]) -> list[Item]:
    """Pre-order list of the tree; each item carries the tags that follow it.

    The template renders the nested lists in one loop (no recursive includes, which cost
    most of xtd's render time): an item with replies opens an <ol>; the last reply at each
    level closes its own <li> and the lists it ends.
    """
    flat: list[Item] = []

    def visit(item: Item, lists_ending: int):
        flat.append(item)
        if item.children:
            item.closing = REPLIES_OPEN
            last = len(item.children) - 1
            for index, child in enumerate(item.children):
                visit(child, lists_ending + 1 if index == last else 0)
        else:
            item.closing = mark_safe("</li>" + "</ol></li>" * lists_ending)

    for root in roots:
        visit(root, 0)
    return flat


def action_urls() -> Mapping[str, str]:
    """URL prefixes for per-comment actions: reversed once per process and URLconf, not once
    per comment (what `reverse` reads is the key, as for `{% url %}`)."""
    return _action_urls(*reversing_context())


@functools.cache
def _action_urls(*key) -> Mapping[str, str]:
    names = {
        "reply": "comments-xtd-reply",
        "like": "comments-xtd-like",
        "dislike": "comments-xtd-dislike",
        "flag": "comments-flag",
        "edit": "comments:edit",
    }
    urls = {key: reverse(name, args=[0]).removesuffix("0/") for key, name in names.items()}
    return MappingProxyType(urls)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class ThreadHTML:
    """The thread's list items, written out in Python: one string per comment.

    Each comment's card (author, date, text) was rendered and stored when the comment
    changed (`Comment.card_html`); what is left per request is the action bar, which
    depends on the reader. Joining strings here costs a fraction of a template loop with
    its per-comment `if` trees, and the output is byte for byte what that loop printed
    (tests/comments/test_thread_html.py renders both).
    """

    def __init__(self, *, urls: Mapping[str, str], is_open: bool, signed_in: bool, csrf_token=""):
        self.urls = {key: escape(value) for key, value in urls.items()}
        self.is_open = is_open
        self.signed_in = signed_in
        # Read only for signed-in readers: asking for a token sets the CSRF cookie, and
        # anonymous pages are shared by every visitor.
        self.csrf = (
            format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
            if signed_in and csrf_token
            else ""
        )

    def comment(self, item: Item) -> str:
        """What goes inside the comment's <li>."""
        if item.is_removed:
            return '<p class="comment__removed">This comment was deleted.</p>'
        urls, cid, name = self.urls, item.cid, escape(item.user_name)
        parts = [f'<article class="comment__card">{item.card}\n<footer class="comment__actions">']
        if self.is_open and item.can_reply:
            parts.append(
                f'<a class="comment__action" href="{urls["reply"]}{cid}/" data-reply>Reply'
                f'<span class="visually-hidden"> to {name}</span></a>'
            )
        if self.signed_in:
            for kind, label, pressed, count in (
                ("like", "Like", item.liked, item.likes),
                ("dislike", "Dislike", item.disliked, item.dislikes),
            ):
                parts.append(
                    f'\n<form class="comment__inline-form" method="post" '
                    f'action="{urls[kind]}{cid}/" data-feedback="{kind}">{self.csrf}'
                    f'<button type="submit" class="comment__action" '
                    f'aria-pressed="{"true" if pressed else "false"}">{label}'
                    f'<span class="visually-hidden"> the comment by {name}</span> '
                    f'<span class="comment__count">{count}</span></button></form>'
                )
            parts.append("\n")
            if item.flagged:
                parts.append('<span class="comment__flagged">Flagged</span>')
            elif not item.own:
                parts.append(
                    f'<a class="comment__action" href="{urls["flag"]}{cid}/" data-flag>Flag'
                    f'<span class="visually-hidden"> the comment by {name} as inappropriate'
                    f"</span></a>"
                )
            parts.append("\n")
            if item.can_change:
                parts.append(
                    f'<a class="comment__action" href="{urls["edit"]}{cid}/">Edit'
                    f'<span class="visually-hidden"> your comment</span></a>'
                )
        elif item.likes or item.dislikes:
            shown = [
                _plural(count, word)
                for count, word in ((item.likes, "like"), (item.dislikes, "dislike"))
                if count
            ]
            parts.append(f'<span class="comment__feedback">{" · ".join(shown)}</span>')
        parts.append("</footer>\n</article>")
        return "".join(parts)

    def opening(self, item: Item) -> str:
        return f'<li class="comment comment--level-{item.level}" id="c{item.cid}">'

    def items(self, items: list[Item]) -> SafeString:
        """Every item of a page of threads, with the tags that nest the replies."""
        return mark_safe(
            "".join(f"{self.opening(item)}{self.comment(item)}{item.closing}\n" for item in items)
            + "\n"
        )

    def single(self, item: Item) -> SafeString:
        """One comment as its own list item (the script adds it after posting)."""
        return mark_safe(f"{self.opening(item)}{self.comment(item)}</li>\n")


def render_context(
    post, page: ThreadPage, *, signed_in: bool, is_open: bool, csrf_token="", items_html=None
) -> dict:
    """What the thread templates need besides the items, and the items as HTML (unless given)."""
    urls = action_urls()
    html = ThreadHTML(urls=urls, is_open=is_open, signed_in=signed_in, csrf_token=csrf_token)
    return {
        "post": post,
        "post_url": post.get_absolute_url(),
        "page": page,
        "signed_in": signed_in,
        "open": is_open,
        "urls": urls,
        "thread_html": html,
        "items_html": html.items(page.items) if items_html is None else items_html,
    }
