"""Page views counted at the edge of the page cache (core.pageviews), through the real WSGI stack.

Requests are plain WSGI calls into `serve_cached_pages(WSGIHandler())`, as gunicorn makes them,
so a hit answered from the wrapper's memory never reaches Django and must still be counted.
"""

import runpy
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.stats import page_view_key
from core import pagecache, pageviews
from core.models import PageViewDay, ReferrerDay
from tests.factories import PostFactory, StaffFactory, UserFactory
from tests.wsgi_support import call

pytestmark = pytest.mark.django_db(transaction=True)

GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def hit(app, path, *, method="GET", agent=FIREFOX, **headers) -> str:
    return call(app, path, method=method, user_agent=agent, **headers)["status"]


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def views_of(post) -> int:
    row = PageViewDay.objects.filter(key=page_view_key(post.pk), day=timezone.localdate()).first()
    return row.views if row else 0


def test_known_traffic_counts_exactly_cached_hits_included(wsgi_site):
    django, app = wsgi_site
    post = PostFactory()
    other = PostFactory()
    path = post.get_absolute_url()
    staff = session_cookie(StaffFactory(username="writer"))
    reader = session_cookie(UserFactory(username="reader"))

    assert hit(app, path) == "200 OK"  # rendered by Django and stored
    assert hit(app, path) == "200 OK"  # from the wrapper's memory
    assert hit(app, path) == "200 OK"  # from the wrapper's memory
    assert django.calls == 1
    pagecache._local_pages.clear()
    assert hit(app, path) == "200 OK"  # from the shared cache, through the middleware
    assert django.calls == 2
    hit(app, path, agent=GOOGLEBOT)
    hit(app, path, agent="curl/8.5.0")
    hit(app, path, agent="")
    hit(app, path, method="HEAD")
    hit(app, path, sec_purpose="prefetch;prerender")
    hit(app, path, purpose="prefetch")
    hit(app, path, cookie=staff)  # the writer, signed in: rendered, not counted
    hit(app, path, cookie=reader)  # a signed-in reader: rendered, counted
    hit(app, other.get_absolute_url())
    hit(app, "/")  # the home page is not a post: nothing to count

    assert pageviews.flush() == 6
    assert views_of(post) == 5
    assert views_of(other) == 1
    assert PageViewDay.objects.count() == 2


def test_a_304_to_a_browser_revalidating_counts_as_a_read(wsgi_site):
    _django, app = wsgi_site
    post = PostFactory()
    hit(app, post.get_absolute_url())
    pageviews.flush()
    etag_status = []
    # The wrapper answers If-None-Match with a 304: the reader saw the page again.
    entry = next(iter(pagecache._local_pages.values()))
    etag_status.append(hit(app, post.get_absolute_url(), if_none_match=entry["etag"]))
    pageviews.flush()
    assert etag_status == ["304 Not Modified"]
    assert views_of(post) == 2


def test_pages_rendered_without_the_cache_are_counted_too(wsgi_site, settings):
    settings.PAGE_CACHE_SECONDS = 0
    django, app = wsgi_site
    post = PostFactory()
    for _ in range(3):
        hit(app, post.get_absolute_url())
    hit(app, post.get_absolute_url(), agent=GOOGLEBOT)
    assert django.calls == 4
    pageviews.flush()
    assert views_of(post) == 3


def test_flushes_add_to_the_stored_count_in_one_statement_per_table(wsgi_site):
    _django, app = wsgi_site
    posts = PostFactory.create_batch(3)
    for post in posts:
        hit(app, post.get_absolute_url(), referer="https://news.example.net/item?id=1")
    with CaptureQueriesContext(connection) as queries:
        assert pageviews.flush() == 3
    inserts = [query["sql"] for query in queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 2
    for post in posts:
        hit(app, post.get_absolute_url())
        hit(app, post.get_absolute_url())
    pageviews.flush()
    assert [views_of(post) for post in posts] == [3, 3, 3]
    assert pageviews.flush() == 0


def test_referrers_are_kept_as_domains_only_never_our_own(wsgi_site):
    _django, app = wsgi_site
    post = PostFactory()
    path = post.get_absolute_url()
    hit(app, path, referer="https://news.example.net/item?id=41&utm_source=x")
    hit(app, path, referer="https://WWW.Example.org/a/long/path#frag")
    hit(app, path, referer="https://news.example.net/other")
    hit(app, path, referer="http://testserver/")  # our own pages
    hit(app, path, referer="android-app://com.example.reader/")
    hit(app, path, referer="not a url at all")
    pageviews.flush()
    assert views_of(post) == 6
    stored = dict(
        ReferrerDay.objects.filter(key=page_view_key(post.pk)).values_list("domain", "views")
    )
    assert stored == {"news.example.net": 2, "example.org": 1}


def test_nothing_that_tells_one_reader_from_another_is_kept(wsgi_site):
    _django, app = wsgi_site
    post = PostFactory()
    secret_agent = FIREFOX + " Unique/42"
    hit(
        app,
        post.get_absolute_url(),
        agent=secret_agent,
        referer="https://news.example.net/item?id=41",
        x_forwarded_for="198.51.100.23",
        cookie="_ga=GA1.2.123456789",
    )
    buffered = repr(pageviews.pending())
    for trace in ("Unique/42", "198.51.100.23", "GA1.2", "id=41"):
        assert trace not in buffered
    pageviews.flush()
    assert {field.name for field in PageViewDay._meta.fields} == {"id", "key", "day", "views"}
    assert {field.name for field in ReferrerDay._meta.fields} == {
        "id",
        "key",
        "day",
        "domain",
        "views",
    }
    stored = repr(list(PageViewDay.objects.values())) + repr(list(ReferrerDay.objects.values()))
    for trace in ("Unique/42", "198.51.100.23", "GA1.2", "id=41", "item"):
        assert trace not in stored


def test_counts_left_in_memory_are_written_when_the_worker_exits(wsgi_site):
    _django, app = wsgi_site
    post = PostFactory()
    hit(app, post.get_absolute_url())
    assert views_of(post) == 0
    gunicorn_config = runpy.run_path(str(GUNICORN_CONFIG))
    gunicorn_config["worker_exit"](None, None)
    assert views_of(post) == 1


def test_a_background_thread_writes_counts_off_the_response_path(wsgi_site, settings):
    settings.PAGE_VIEWS_FLUSH_SECONDS = 0.05
    _django, app = wsgi_site
    post = PostFactory()
    hit(app, post.get_absolute_url())
    deadline = time.monotonic() + 5
    while views_of(post) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert views_of(post) == 1
    assert pageviews.pending() == ({}, {})


@pytest.mark.parametrize(
    ("agent", "counted"),
    [
        (FIREFOX, True),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            True,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            True,
        ),
        (GOOGLEBOT, False),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", False),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari", False),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", False),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", False),
        ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)", False),
        ("python-requests/2.32.3", False),
        ("", False),
    ],
)
def test_only_browsers_count_never_robots_or_fetchers(agent, counted):
    meta = {"REQUEST_METHOD": "GET", "HTTP_USER_AGENT": agent}
    assert pageviews.is_reader(meta) is counted
