"""The post page with its comment section: query budget, cacheability, keyboard access."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_comments.models import CommentFlag
from django_comments_xtd.models import LIKEDIT_FLAG

from blog.articles import store_articles
from blog.models import Post, Tag
from tests.comments.support import ORIGIN, add_comment, elements, section_of
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


@pytest.fixture(autouse=True)
def _no_local_copies(settings):
    """Query counts must not hang on the clock: with a process-local copy of the site's
    identity (PAGE_CACHE_LOCAL_SECONDS) a page reads it from the database or not depending
    on how long the comments before it took to save (and on what those saves rendered)."""
    settings.PAGE_CACHE_LOCAL_SECONDS = 0


def discussion(post, *, threads: int, users: list) -> None:
    """`threads` threads of 5 comments at levels 0–2, every other one by a registered user."""
    for n in range(threads):
        by = users[n % len(users)]
        root = add_comment(post, text=f"Thread {n}", user=by, user_name=by.get_full_name())
        first = add_comment(post, text="Reply", parent=root, user_name="Anon")
        add_comment(post, text="Deeper", parent=first, user=by, user_name=by.get_full_name())
        second = add_comment(post, text="Second reply", parent=root, user_name="Anon B")
        deeper = add_comment(post, text="Deeper 2", parent=second, user=by)
        CommentFlag.objects.create(comment=deeper, user=users[0], flag=LIKEDIT_FLAG)


@pytest.fixture
def busy_post():
    tags = [Tag.objects.create(name=f"T{i}", slug=f"t{i}") for i in range(3)]
    post = PostFactory()
    post.tags.set(tags)
    for other in PostFactory.create_batch(3):
        other.tags.set(tags)
        add_comment(other)
    return post


def page_queries(client, post) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_post_page_with_300_comments_stays_within_the_query_budget(
    client, busy_post, django_assert_max_num_queries
):
    users = UserFactory.create_batch(10)
    discussion(busy_post, threads=60, users=users)
    # As readers get it: articles and cards stored once their changes committed.
    store_articles(Post.objects.values_list("pk", flat=True))
    cache.clear()
    with django_assert_max_num_queries(QUERY_BUDGET):
        page = client.get(busy_post.get_absolute_url()).content.decode()
    assert "300 comments" in page
    assert page.count('class="comment comment--level-') == 20 * 5  # first page of threads

    client.force_login(users[0])
    with django_assert_max_num_queries(QUERY_BUDGET):
        page = client.get(busy_post.get_absolute_url()).content.decode()
    assert page.count('aria-pressed="true"') == 20  # users[0] liked one comment per thread


def test_query_count_does_not_grow_with_the_number_of_comments(client, busy_post):
    users = UserFactory.create_batch(3)
    discussion(busy_post, threads=4, users=users)
    few = page_queries(client, busy_post)
    discussion(busy_post, threads=40, users=users)
    assert page_queries(client, busy_post) == few
    client.force_login(users[0])
    signed_in_few = page_queries(client, busy_post)
    discussion(busy_post, threads=10, users=users)
    assert page_queries(client, busy_post) == signed_in_few


# Cacheability: anonymous pages carry no cookie and no per-visitor token


def test_anonymous_post_page_with_comments_and_form_is_publicly_cacheable(client):
    post = PostFactory()
    add_comment(post, text="A cached comment")
    response = client.get(post.get_absolute_url())
    html = response.content.decode()
    assert "data-comment-form" in html and "A cached comment" in html
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "public" in response["Cache-Control"]
    assert "csrfmiddlewaretoken" not in html


def test_signed_in_readers_get_like_forms_a_flag_link_and_csrf_tokens(client):
    post = PostFactory()
    comment = add_comment(post)
    client.force_login(UserFactory())
    html = section_of(client.get(post.get_absolute_url()).content.decode())
    forms = {e["attrs"].get("action") for e in elements(html, "form")}
    assert {
        reverse("comments-xtd-like", args=[comment.pk]),
        reverse("comments-xtd-dislike", args=[comment.pk]),
    } <= forms
    # Flag opens the reason form: its own page without JavaScript, the dialog with it.
    links = {e["attrs"].get("href") for e in elements(html, "a")}
    assert reverse("comments-flag", args=[comment.pk]) in links
    assert html.count('name="csrfmiddlewaretoken"') == 3  # like, dislike, the flag dialog
    assert "Commenting as" in html and 'name="email"' not in html


# Keyboard and screen readers


def test_every_action_is_a_real_link_or_button_with_an_accessible_name(client):
    post = PostFactory()
    root = add_comment(post, user_url="https://example.org")
    add_comment(post, parent=root)
    for signed_in in (False, True):
        if signed_in:
            client.force_login(UserFactory())
        html = section_of(client.get(post.get_absolute_url()).content.decode())
        actions = [e for e in elements(html) if e["tag"] in {"a", "button"}]
        assert actions
        for action in actions:
            if action["tag"] == "a":
                assert action["attrs"].get("href"), action
            else:
                assert action["attrs"].get("type") in {"submit", "button"}, action
            assert action["text"].strip(), action
        names = {" ".join(a["text"].split()) for a in actions}
        assert "Reply to Zoë Reader" in names
        if signed_in:
            assert "Like the comment by Zoë Reader 0" in names
            assert "Flag the comment by Zoë Reader as inappropriate" in names
        assert "Post comment" in names


def test_form_fields_have_labels(client):
    post = PostFactory()
    html = section_of(client.get(post.get_absolute_url()).content.decode())
    labels = {e["attrs"]["for"] for e in elements(html, "label")}
    fields = [
        e
        for e in elements(html)
        if e["tag"] in {"input", "textarea"} and e["attrs"].get("type") != "hidden"
    ]
    assert {f["attrs"]["id"] for f in fields} <= labels
    assert {f["attrs"]["name"] for f in fields} >= {"name", "email", "url", "comment", "followup"}


def test_a_new_comment_refreshes_the_cached_post_page(client, django_capture_on_commit_callbacks):
    post = PostFactory()
    client.get(post.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(post, text="Fresh comment")
    assert "Fresh comment" in client.get(post.get_absolute_url()).content.decode()


def test_a_like_refreshes_the_cached_post_page(client, django_capture_on_commit_callbacks):
    post = PostFactory()
    comment = add_comment(post)
    client.get(post.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        CommentFlag.objects.create(comment=comment, user=UserFactory(), flag=LIKEDIT_FLAG)
    assert "1 like<" in client.get(post.get_absolute_url()).content.decode()


def test_likes_and_flags_without_javascript_come_back_to_the_comment(client):
    post = PostFactory()
    comment = add_comment(post)
    client.force_login(UserFactory())
    target = f"{post.get_absolute_url()}#c{comment.pk}"
    response = client.post(
        reverse("comments-xtd-like", args=[comment.pk]), {"next": target}, headers=ORIGIN
    )
    # One ?c= past shared caches, not xtd's ?c=N&c=N; `next` is not followed.
    assert response["Location"] == f"{post.get_absolute_url()}?c={comment.pk}#c{comment.pk}"
    html = section_of(client.get(post.get_absolute_url()).content.decode())
    like = (
        'aria-pressed="true">Like<span class="visually-hidden"> the comment by Zoë Reader</span>'
        ' <span class="comment__count">1</span>'
    )
    assert like in html
    client.post(reverse("comments-flag", args=[comment.pk]), {"reason": "spam"}, headers=ORIGIN)
    html = section_of(client.get(post.get_absolute_url()).content.decode())
    assert '<span class="comment__flagged">Flagged</span>' in html
