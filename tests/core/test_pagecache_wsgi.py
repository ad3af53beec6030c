"""The WSGI wrapper that answers a process's recent pages before Django runs (config/wsgi.py).

Requests are plain WSGI calls into `serve_cached_pages(get_wsgi_application())`, as gunicorn
makes them: status line, header list and body bytes are what goes on the wire.
"""

import gzip

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pagecache
from tests.factories import PostFactory
from tests.wsgi_support import call as request

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_served_once_is_answered_from_memory_with_the_same_bytes(wsgi_site):
    django, app = wsgi_site
    PostFactory(title="Memory piece")
    first = request(app, "/", accept_encoding="gzip")
    with CaptureQueriesContext(connection) as queries:
        second = request(app, "/", accept_encoding="gzip")
    assert django.calls == 1
    assert len(queries) == 0
    assert second == first
    assert second["status"] == "200 OK"
    assert second["headers"]["Content-Encoding"] == "gzip"
    assert b"Memory piece" in gzip.decompress(second["body"])
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Permissions-Policy"):
        assert header in second["headers"], "the stored answer lost a security header"


def test_memory_answers_304_and_plain_bytes_too(wsgi_site):
    django, app = wsgi_site
    PostFactory(title="Plain memory piece")
    etag = request(app, "/")["headers"]["ETag"]
    not_modified = request(app, "/", if_none_match=etag)
    plain = request(app, "/")
    assert django.calls == 1
    assert not_modified["status"] == "304 Not Modified"
    assert not_modified["body"] == b""
    assert "Content-Encoding" not in plain["headers"]
    assert b"Plain memory piece" in plain["body"]
    assert int(plain["headers"]["Content-Length"]) == len(plain["body"])


def test_head_gets_the_headers_without_the_body(wsgi_site):
    _, app = wsgi_site
    PostFactory()
    get = request(app, "/")
    head = request(app, "/", method="HEAD")
    assert head["body"] == b""
    assert head["headers"]["Content-Length"] == get["headers"]["Content-Length"]


@pytest.mark.parametrize("cookie", ["sessionid=abc", "a=1; csrftoken=xyz", "messages=m"])
def test_a_visitor_with_a_personal_cookie_always_reaches_django(wsgi_site, cookie):
    django, app = wsgi_site
    PostFactory()
    request(app, "/")
    request(app, "/", cookie=cookie)
    assert django.calls == 2


def test_an_unrelated_cookie_does_not_bypass_the_copy(wsgi_site):
    django, app = wsgi_site
    PostFactory()
    request(app, "/")
    request(app, "/", cookie="theme=dark; notsessionid=1")
    assert django.calls == 1


def test_publishing_in_this_process_retires_the_copy_at_once(wsgi_site):
    django, app = wsgi_site
    PostFactory(title="Old news")
    request(app, "/")
    PostFactory(title="Fresh news")  # commits: refresh_public_pages runs on commit
    page = request(app, "/")
    assert django.calls == 2
    assert b"Fresh news" in page["body"]


def test_another_process_publishing_is_seen_once_the_local_delay_has_passed(wsgi_site, settings):
    django, app = wsgi_site
    PostFactory(title="Old news")
    request(app, "/")
    # Another process starts a new generation: only the shared state changes here.
    from django.core.cache import cache

    cache.delete(pagecache.STATE_KEY)
    request(app, "/")
    assert django.calls == 1, "within PAGE_CACHE_LOCAL_SECONDS the copy still counts"
    settings.PAGE_CACHE_LOCAL_SECONDS = 0.0001
    request(app, "/")
    assert django.calls == 2


def test_another_host_or_scheme_is_a_different_page(wsgi_site):
    django, app = wsgi_site
    PostFactory()
    request(app, "/")
    request(app, "/", host="evil.example")
    assert django.calls == 2
    assert request(app, "/", host="evil.example")["status"].startswith("400")


def test_the_pages_a_process_keeps_are_bounded_by_their_bytes_oldest_first(wsgi_site, monkeypatch):
    """A crawler walking every page must not make a worker grow (issue 12, goal 6)."""
    django, app = wsgi_site
    post = PostFactory(title="Bounded piece")
    paths = [post.get_absolute_url(), "/", "/archive/", "/about/"]
    request(app, paths[0], accept_encoding="gzip")
    one_page = pagecache._stored_bytes(next(iter(pagecache._local_pages.values())))
    monkeypatch.setattr(pagecache, "LOCAL_MAX_BYTES", one_page * 2 + 1)
    for path in paths[1:]:
        request(app, path, accept_encoding="gzip")
    kept = pagecache._local_pages
    assert sum(map(pagecache._stored_bytes, kept.values())) <= pagecache.LOCAL_MAX_BYTES
    assert any(key.endswith("/about/?") for key in kept), "the newest page is kept"
    assert not any(post.get_absolute_url() in key for key in kept), "the oldest went first"
    calls = django.calls
    request(app, "/about/", accept_encoding="gzip")
    assert django.calls == calls, "a kept page is still answered from memory"
