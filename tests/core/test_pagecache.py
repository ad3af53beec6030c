import datetime
import gzip
import http.client
import urllib.parse
import zlib

import django.middleware.gzip
import pytest
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from core.pagecache import AnonymousPageCacheMiddleware
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_anonymous_pages_are_publicly_cacheable(client):
    PostFactory()
    response = client.get(reverse("blog:post-list"))
    assert "public" in response["Cache-Control"]
    assert "s-maxage" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert response.has_header("ETag")


def test_second_anonymous_view_is_served_from_the_cache(client, django_assert_num_queries):
    PostFactory()
    client.get(reverse("blog:post-list"))
    with django_assert_num_queries(0):
        assert client.get(reverse("blog:post-list")).status_code == 200


def test_publishing_refreshes_the_cached_home_page(client, django_capture_on_commit_callbacks):
    PostFactory(title="First piece")
    client.get(reverse("blog:post-list"))
    with django_capture_on_commit_callbacks(execute=True):
        PostFactory(title="Fresh piece")
    assert "Fresh piece" in client.get(reverse("blog:post-list")).content.decode()


def test_scheduled_post_appears_when_due_without_any_job(client, monkeypatch):
    post = PostFactory(title="Timed piece", scheduled=True)
    assert "Timed piece" not in client.get(reverse("blog:post-list")).content.decode()
    later = post.publish_at + datetime.timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Timed piece" in client.get(reverse("blog:post-list")).content.decode()


def test_signed_in_users_bypass_the_cache(client):
    PostFactory(title="Cached piece")
    client.get(reverse("blog:post-list"))
    client.force_login(PostFactory().author)
    response = client.get(reverse("blog:post-list"))
    assert "public" not in response.get("Cache-Control", "")


def test_conditional_get_answers_304(client):
    PostFactory()
    etag = client.get(reverse("blog:post-list"))["ETag"]
    assert client.get(reverse("blog:post-list"), headers={"if-none-match": etag}).status_code == 304


def test_retagging_a_post_refreshes_the_tag_page(client, django_capture_on_commit_callbacks):
    from blog.models import Tag

    tag = Tag.objects.create(name="Energy", slug="energy")
    post = PostFactory(title="Heating bills")
    assert "Heating bills" not in client.get(tag.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        post.tags.add(tag)
    assert "Heating bills" in client.get(tag.get_absolute_url()).content.decode()


def test_a_new_correction_shows_at_once(client, django_capture_on_commit_callbacks):
    from blog.models import Correction

    post = PostFactory()
    client.get(post.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        Correction.objects.create(post=post, note="A figure was wrong.")
    assert "A figure was wrong." in client.get(post.get_absolute_url()).content.decode()


def test_browsers_revalidate_while_shared_caches_keep_the_page(client, settings):
    PostFactory()
    cache_control = client.get(reverse("blog:post-list"))["Cache-Control"]
    assert "max-age=0" in cache_control
    assert f"s-maxage={settings.PAGE_CACHE_SECONDS}" in cache_control


def test_a_page_read_during_the_publishing_transaction_is_not_kept_after_commit(
    rf, django_capture_on_commit_callbacks
):
    """A visitor arriving while the admin's save is still open reads the committed (old) post.

    Their copy must be stored under the generation that the commit then retires: cleared
    before the commit, the old page would be cached as new for PAGE_CACHE_SECONDS.
    """
    post = PostFactory(title="Draft headline")
    url = post.get_absolute_url()
    old_page = AnonymousPageCacheMiddleware(lambda request: HttpResponse("Draft headline"))
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            post.title = "Final headline"
            post.save()
            # The concurrent visitor: their connection still sees the committed, old post.
            assert old_page(rf.get(url)).content == b"Draft headline"
        # Not committed yet as far as the cache is concerned: no refresh has run.
        assert old_page(rf.get(url)).content == b"Draft headline"
    fresh = AnonymousPageCacheMiddleware(lambda request: HttpResponse("Final headline"))
    assert fresh(rf.get(url)).content == b"Final headline"


def test_a_rolled_back_save_leaves_the_cache_alone(rf, django_assert_num_queries):
    post = PostFactory(title="Kept headline")
    url = post.get_absolute_url()
    AnonymousPageCacheMiddleware(lambda request: HttpResponse("Kept headline"))(rf.get(url))
    with pytest.raises(RuntimeError), transaction.atomic():
        post.title = "Abandoned headline"
        post.save()
        raise RuntimeError("the admin's save failed")
    cached = AnonymousPageCacheMiddleware(lambda request: HttpResponse("recomputed"))
    assert cached(rf.get(url)).content == b"Kept headline"


def test_blog_tells_the_cache_when_the_next_scheduled_post_is_due(client, now, monkeypatch):
    """Without blog's registration the page would be kept the full PAGE_CACHE_SECONDS."""
    monkeypatch.setattr(timezone, "now", lambda: now)
    PostFactory(publish_at=now + datetime.timedelta(seconds=60))
    cache_control = client.get(reverse("blog:post-list"))["Cache-Control"]
    assert "s-maxage=61" in cache_control  # the 60 seconds left, rounded up


def test_a_cached_page_is_sent_gzipped_to_a_client_that_asks(client):
    PostFactory(title="Compressed piece")
    url = reverse("blog:post-list")
    plain = client.get(url).content
    response = client.get(url, headers={"accept-encoding": "br, gzip, deflate"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content) < len(plain) / 2
    assert gzip.decompress(response.content) == plain


def test_a_cached_page_is_compressed_once_not_per_request(client, monkeypatch):
    PostFactory()
    url = reverse("blog:post-list")
    first = client.get(url, headers={"accept-encoding": "gzip"}).content

    def refuse(*args, **kwargs):
        raise AssertionError("a cache hit compressed the page again")

    monkeypatch.setattr(gzip, "compress", refuse)
    monkeypatch.setattr(django.middleware.gzip, "compress_string", refuse)
    assert client.get(url, headers={"accept-encoding": "gzip"}).content == first


@pytest.mark.parametrize("accept_encoding", [None, "identity", "br"])
def test_a_client_that_does_not_take_gzip_gets_the_plain_page(client, accept_encoding):
    PostFactory(title="Plain piece")
    url = reverse("blog:post-list")
    client.get(url, headers={"accept-encoding": "gzip"})
    headers = {"accept-encoding": accept_encoding} if accept_encoding else {}
    response = client.get(url, headers=headers)
    assert "Content-Encoding" not in response
    assert b"Plain piece" in response.content


def test_a_cached_page_answers_its_etag_with_304_without_a_query(client, django_assert_num_queries):
    PostFactory()
    url = reverse("blog:post-list")
    etag = client.get(url, headers={"accept-encoding": "gzip"})["ETag"]
    with django_assert_num_queries(0):
        response = client.get(url, headers={"if-none-match": etag, "accept-encoding": "gzip"})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    # The gzipped and the plain copy are the same page: one validator serves both.
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304


def test_pages_that_bypass_the_cache_are_compressed_too(client):
    post = PostFactory(title="Signed-in piece")
    client.force_login(post.author)
    response = client.get(reverse("blog:post-list"), headers={"accept-encoding": "gzip"})
    assert "public" not in response.get("Cache-Control", "")
    assert response["Content-Encoding"] == "gzip"
    assert b"Signed-in piece" in gzip.decompress(response.content)


def test_a_page_rendered_for_one_request_is_compressed_fast_and_stored_at_level_9(client):
    """A render is compressed at level 3 for the request that made it, with Django's random
    file name against BREACH; the copy the cache keeps for everyone is level 9, once."""
    post = PostFactory(title="Compressed twice")
    url = post.get_absolute_url()
    client.force_login(post.author)  # signed in: rendered for this request alone
    names = set()
    for _ in range(8):
        rendered = client.get(url, headers={"accept-encoding": "gzip"})
        assert rendered["Content-Encoding"] == "gzip"
        assert int(rendered["Content-Length"]) == len(rendered.content)
        assert rendered.content[3] & gzip.FNAME
        name_end = rendered.content.index(b"\x00", 10)
        names.add(name_end)
        body = gzip.decompress(rendered.content)
        assert rendered.content[name_end + 1 :] == gzip.compress(body, 3, mtime=0)[10:]
    assert len(names) > 1, "the name's length varies"
    client.logout()
    client.get(url, headers={"accept-encoding": "gzip"})  # stored
    stored = client.get(url, headers={"accept-encoding": "gzip"})
    plain = gzip.decompress(stored.content)
    assert stored.content == gzip.compress(plain, 9, mtime=0)


def test_a_page_about_to_be_stored_is_compressed_once(client, monkeypatch):
    """The first anonymous view renders, the cache compresses its copy at level 9 and answers
    from it: the render is not compressed for that request as well. A 404 is not stored,
    so it is compressed for its request as any other."""
    post = PostFactory(title="Compressed once")
    levels = []
    original = gzip.compress

    def counted(data, compresslevel=9, **kwargs):
        levels.append(compresslevel)
        return original(data, compresslevel, **kwargs)

    monkeypatch.setattr(gzip, "compress", counted)
    first = client.get(post.get_absolute_url(), headers={"accept-encoding": "gzip"})
    assert levels == [9]
    assert first["Content-Encoding"] == "gzip" and "Accept-Encoding" in first["Vary"]
    assert b"Compressed once" in gzip.decompress(first.content)
    levels.clear()
    missing = client.get("/2026/01/no-such-post/", headers={"accept-encoding": "gzip"})
    assert missing.status_code == 404 and missing["Content-Encoding"] == "gzip"
    assert levels == [3]
    levels.clear()
    sitemap = client.get(reverse("sitemap"), headers={"accept-encoding": "gzip"})
    assert b"Compressed once" not in sitemap.content  # gzipped by its view, once
    assert post.get_absolute_url().encode() in gzip.decompress(sitemap.content)
    assert levels == [9], "the sitemap's own gzip is stored as it is"


def test_with_the_page_cache_off_no_page_is_written_to_the_cache(client, settings, monkeypatch):
    """Only pages: what a page derives from every post (its total, the sitemap) is still kept
    per generation by `remember_until_change`, which does not depend on the page cache."""
    from django.core.cache import cache

    settings.PAGE_CACHE_SECONDS = 0
    PostFactory()
    from core import pagecache

    writes = []
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: writes.append(args[0]))
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: writes.append(args[0]))
    assert client.get(reverse("blog:post-list")).status_code == 200
    prefix = f"pagecache:v{pagecache.FORMAT}"
    assert [key for key in writes if key.startswith(f"{prefix}:page:")] == []
    assert [key for key in writes if key.startswith("pagecache")] == [
        f"{prefix}:state",
        f"{prefix}:data:count:v1:blog:post-list",
    ]


def test_the_wire_carries_gzip_bytes_from_a_real_server(live_server):
    """What a browser receives over HTTP, not what the test client hands back."""
    PostFactory(title="Wire piece")
    url = urllib.parse.urlsplit(live_server.url + reverse("blog:post-list"))
    for _ in range(2):  # the miss that stores the page, then the hit
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request("GET", url.path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        assert response.getheader("Content-Encoding") == "gzip"
        assert raw[:2] == b"\x1f\x8b"
        assert b"Wire piece" in gzip.decompress(raw)
    # A page rendered for its request alone (a 404 here) carries the random file name in its
    # gzip header; a browser's zlib stream decoder reads past it.
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", "/2026/01/no-such-post/", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    assert response.status == 404 and response.getheader("Content-Encoding") == "gzip"
    assert int(response.getheader("Content-Length")) == len(raw)
    assert raw[3] & gzip.FNAME
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert b"</html>" in decoder.decompress(raw) + decoder.flush() and decoder.eof


def test_a_hit_costs_one_round_trip_to_the_shared_cache(client, monkeypatch):
    from django.core.cache import cache

    PostFactory()
    url = reverse("blog:post-list")
    client.get(url)
    calls, depth = [], [0]

    def counted(name, original):
        def call(*args, **kwargs):
            if depth[0] == 0:  # not the backend's own get() inside its get_many()
                calls.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "add", "has_key"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    assert client.get(url).status_code == 200
    assert calls == ["get_many"]


def test_every_key_the_page_cache_writes_carries_its_format(client, monkeypatch):
    """After an upgrade, Redis still holds pages in the old shape: a new release reading one
    would fail on every hit. Keys carry the format version, so old entries are never read."""
    from django.core.cache import cache

    from core import pagecache

    written = []
    original = cache.set
    monkeypatch.setattr(
        cache,
        "set",
        lambda key, *args, **kwargs: written.append(key) or original(key, *args, **kwargs),
    )
    PostFactory()
    client.get(reverse("blog:post-list"))
    ours = [key for key in written if key.startswith("pagecache")]
    assert len(ours) == 3  # the state, the home page's total, the page
    assert all(key.startswith(f"pagecache:v{pagecache.FORMAT}:") for key in ours)


def test_vary_names_accept_encoding_once(client):
    """Stored from a gzipped first answer (GZipMiddleware already said Vary) or a plain one."""
    PostFactory()
    for url, first_headers in (
        (reverse("blog:post-list"), {"accept-encoding": "gzip"}),
        (reverse("blog:archive"), {}),
    ):
        client.get(url, headers=first_headers)
        for headers in ({"accept-encoding": "gzip"}, {}):
            vary = client.get(url, headers=headers)["Vary"]
            assert vary.lower().count("accept-encoding") == 1, vary
