"""The thread written out in Python (comments.threads.ThreadHTML) prints what the template did.

tests/comments/reference/ keeps the template loop the site used before (one `{% partial %}`
with its `if` trees per comment): both render the same threads for every kind of reader and
the bytes must match.
"""

from pathlib import Path

import pytest
from django.template import engines
from django_comments.models import CommentFlag
from django_comments_xtd.models import DISLIKEDIT_FLAG, LIKEDIT_FLAG

from comments.counts import recount
from comments.models import Comment
from comments.threads import ThreadHTML, action_urls, load_threads
from tests.comments.support import add_comment
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "reference"
LOOP = (REFERENCE / "thread_items.html").read_text()
PARTIAL = LOOP[: LOOP.index("{% endpartialdef comment %}") + len("{% endpartialdef comment %}")]
SINGLE = PARTIAL + (REFERENCE / "single.html").read_text()
TOKEN = "t0k3n-" + "x" * 58


def reference(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def discussion():
    """Three threads with every state a comment shows in: replies two levels deep, likes and
    dislikes, a removed comment above a reply, a held one, a name that needs escaping."""
    post = PostFactory()
    reader = UserFactory(email="reader@example.org")
    others = [UserFactory() for _ in range(3)]
    first = add_comment(post, text="First *point*", user_name='<Zoë & "Co">')
    add_comment(post, parent=first, text="Signed with my address", user_email="reader@example.org")
    mine = add_comment(post, parent=first, text="My reply", user=reader, user_name="Reader")
    deep = add_comment(post, parent=mine, text="Deepest", user_name="Amara")
    gone = add_comment(post, text="Gone")
    add_comment(post, parent=gone, text="Under a deleted one")
    add_comment(post, text="Held", is_public=False)
    add_comment(post, text="Alone")
    for user in others[:2]:
        CommentFlag.objects.create(comment=first, user=user, flag=LIKEDIT_FLAG)
    CommentFlag.objects.create(comment=first, user=others[2], flag=DISLIKEDIT_FLAG)
    CommentFlag.objects.create(comment=deep, user=others[0], flag=LIKEDIT_FLAG)
    CommentFlag.objects.create(comment=deep, user=reader, flag=LIKEDIT_FLAG)
    CommentFlag.objects.create(comment=first, user=reader, flag=CommentFlag.SUGGEST_REMOVAL)
    Comment.objects.filter(pk=gone.pk).update(is_removed=True)  # as a reader's own delete
    recount(post.pk)
    return post, reader


@pytest.mark.parametrize("is_open", [True, False])
@pytest.mark.parametrize("order", ["oldest", "newest"])
@pytest.mark.parametrize("reader_signed_in", [False, True])
def test_the_thread_is_byte_for_byte_what_the_template_printed(
    discussion, is_open, order, reader_signed_in
):
    post, reader = discussion
    user = reader if reader_signed_in else None
    page = load_threads(post, order=order, user=user)
    assert len(page.items) == 7
    urls = action_urls()
    context = {"page": page, "urls": urls, "open": is_open, "signed_in": reader_signed_in}
    html = ThreadHTML(urls=urls, is_open=is_open, signed_in=reader_signed_in, csrf_token=TOKEN)
    expected = reference(LOOP, context | {"csrf_token": TOKEN})
    assert html.items(page.items) == expected
    for item in page.items:
        assert html.single(item) == reference(SINGLE, context | {"item": item, "csrf_token": TOKEN})


def test_the_fixture_shows_every_state(discussion):
    """The comparison above is only as good as the states it covers."""
    post, reader = discussion
    html = ThreadHTML(urls=action_urls(), is_open=True, signed_in=True, csrf_token=TOKEN)
    signed_in = html.items(load_threads(post, user=reader).items)
    for text in (
        "This comment was deleted.",
        "&lt;Zoë &amp; &quot;Co&quot;&gt;",
        'aria-pressed="true"',
        "Flagged",
        "Edit<span",
        '<ol class="comment-list comment-list--replies">',
        "</li></ol></li></ol></li>",
        TOKEN,
    ):
        assert text in signed_in, text
    anonymous = ThreadHTML(urls=action_urls(), is_open=True, signed_in=False)
    shown = anonymous.items(load_threads(post).items)
    assert "2 likes · 1 dislike" in shown and "2 likes<" in shown
    assert "csrfmiddlewaretoken" not in shown and "Held" not in shown
