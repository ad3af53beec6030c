"""Issue 10, item 1: no route in the URL map takes or lists comments around our checks.

The routes come from the URL map itself (`get_resolver()`, everything outside /admin/), so a
library route that comes back with an upgrade, or a new include, is walked too. For each
route a concrete path is made from its regex with the ids of a real post and comment.
"""

import hashlib
import itertools
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.comments.support import add_comment, form_data
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

COMMENTER = "zoe.secret@example.org"


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex.pattern.lstrip("^").rstrip("$").removesuffix(r"\Z")
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + regex)
        elif isinstance(entry, URLPattern):
            yield prefix + regex


ROUTES = sorted({route for route in _walk(get_resolver()) if not route.startswith("admin/")})
GROUP = re.compile(r"\((?:\?P<\w+>)?((?:[^()]|\([^()]*\))*)\)")


def concrete_paths(route: str, values: list[str]) -> list[str]:
    """Paths matching `route`, its groups filled with `values` (every fitting combination)."""
    groups = GROUP.findall(route)
    choices = [[v for v in values if re.fullmatch(group, v)] or ["x"] for group in groups]
    paths = []
    for combination in itertools.islice(itertools.product(*choices), 30):
        filled = iter(combination)
        path = GROUP.sub(lambda _, filled=filled: next(filled), route)
        path = path.replace("\\", "").replace("/?", "/")
        if re.fullmatch(route, path):
            paths.append("/" + path)
    return paths


@pytest.fixture
def discussion(settings):
    settings.COMMENTS_PER_ADDRESS_PER_MINUTE = 2
    post = PostFactory()
    comment = add_comment(post, user_email=COMMENTER, user_name="Zoë Secret")
    values = [str(post.pk), str(comment.pk), "blog-post", post.slug, "json", "api", "x", "1"]
    return post, comment, values


def test_the_walk_covers_the_comment_routes():
    assert "comments/post/" in ROUTES
    assert any(route.startswith("comments/like/") for route in ROUTES)
    assert all(not route.startswith("comments/api/") for route in ROUTES)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_route_accepts_a_post_without_origin(discussion, signed_in):
    """A cross-site or scripted POST (no Origin, no Referer, no CSRF token) to any route,
    the comment form's fields included, is refused or not found, and changes nothing."""
    post, comment, values = discussion
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(UserFactory())
    data = form_data(post, next=post.get_absolute_url())
    for route in ROUTES:
        for path in concrete_paths(route, values):
            response = client.post(path, data)
            assert response.status_code in {403, 404, 405}, (path, response.status_code)
    assert mail.outbox == []
    assert comment.flags.count() == 0
    assert type(comment).objects.count() == 1


def test_every_route_that_takes_a_comment_is_rate_limited_and_mails_once(discussion):
    """Same-origin form posts to any route: throttled per network, one mail per address."""
    post, _, values = discussion
    comments = type(discussion[1]).objects
    for route in ROUTES:
        for path in concrete_paths(route, values):
            cache.clear()
            mail.outbox.clear()
            before = comments.count()
            responses = [
                Client().post(
                    path,
                    form_data(post, comment=f"Attempt {attempt} on {path}", email="v@example.org"),
                    headers={"origin": "http://testserver"},
                )
                for attempt in range(4)
            ]
            taken = len(mail.outbox) + comments.count() - before
            assert len(mail.outbox) <= 1, path
            if taken:
                assert responses[-1].status_code == 429, path


def address_hashes(email: str) -> set[str]:
    address = email.strip().lower().encode()
    return {hashlib.md5(address).hexdigest(), hashlib.sha256(address).hexdigest()}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_page_shows_a_commenters_address_or_its_hash(discussion, signed_in):
    _, _, values = discussion
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    secrets = address_hashes(COMMENTER) | {COMMENTER}
    for route in ROUTES:
        for path in concrete_paths(route, values):
            response = client.get(path, {"format": "json"})
            body = b"".join(response) if response.streaming else response.content
            text = body.decode(errors="replace").lower()
            assert "gravatar" not in text, path
            for secret in secrets:
                assert secret not in text, path


@pytest.mark.parametrize(
    "path",
    [
        "/comments/api/comment/",
        "/comments/api/blog-post/1/",
        "/comments/api/blog-post/1/count/",
        "/comments/api/x-y/1/count/",
        "/comments/api/feedback/",
        "/comments/api/flag/",
        "/comments/api/preview/",
        "/comments/approve/1/",
        "/comments/sent/",
        "/comments/confirm/key.json/",
        "/comments/like/1.json/",
    ],
)
def test_xtd_and_django_comments_routes_we_do_not_use_answer_404(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, headers={"origin": "http://testserver"}).status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("comments-post-comment", []),
        ("comments-xtd-confirm", ["k"]),
        ("comments-xtd-mute", ["k"]),
        ("comments-xtd-reply", [1]),
        ("comments-xtd-like", [1]),
        ("comments-xtd-like-done", []),
        ("comments-xtd-dislike", [1]),
        ("comments-xtd-dislike-done", []),
        ("comments-flag", [1]),
        ("comments-flag-done", []),
        ("comments-url-redirect", [1, 1]),
    ],
)
def test_the_xtd_names_its_code_reverses_still_resolve(name, args):
    assert reverse(name, args=args).startswith("/comments/")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
def test_comment_and_account_routes_allow_only_the_methods_they_mean(discussion, method):
    """Method allowlists: a comment or reader-account view answers other methods with 405."""
    post, _, values = discussion
    client = Client()
    client.force_login(UserFactory())
    for route in ROUTES:
        if not route.startswith(("comments/", "account/")):
            continue
        for path in concrete_paths(route, values):
            response = client.generic(method, path, headers={"origin": "http://testserver"})
            assert response.status_code in {404, 405}, (method, path, response.status_code)
    assert type(discussion[1]).objects.count() == 1


def test_head_requests_change_nothing_on_any_comment_route(discussion):
    post, comment, values = discussion
    comment.followup = True
    comment.save()
    client = Client()
    client.force_login(UserFactory())
    for route in ROUTES:
        if route.startswith(("comments/", "account/")):
            for path in concrete_paths(route, values):
                assert client.head(path).status_code < 500, path
    comment.refresh_from_db()
    assert comment.followup and comment.is_visible and comment.flags.count() == 0
