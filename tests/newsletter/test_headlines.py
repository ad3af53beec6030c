"""Headline feeds: imported into candidates, merged by URL; slow or broken feeds are skipped."""

import datetime
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsletter.addresses import normalise_url
from newsletter.headlines import quick_headline
from newsletter.models import Headline, HeadlineFeed

pytestmark = pytest.mark.django_db


def rss(*items) -> bytes:
    now = timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><pubDate>{now}</pubDate>"
        f"<description>&lt;p&gt;{title}, in short.&lt;/p&gt;</description></item>"
        for title, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>'
        f"<link>https://herald.example</link><description>News</description>{entries}"
        "</channel></rss>"
    ).encode()


FEEDS = {
    "/herald.xml": rss(
        ("Bridge closes", "https://herald.example/bridge?utm_source=rss"),
        ("Strike ends", "https://herald.example/strike#top"),
    ),
    "/gazette.xml": rss(("Bridge closes, again", "https://HERALD.example:443/bridge")),
    "/broken.xml": b"<html><body>Not a feed at all",
    "/huge.xml": b"<rss>" + b" " * 300_000,
}


class FeedServer(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow.xml":
            time.sleep(3)
        if self.path == "/missing.xml":
            self.send_error(404)
            return
        body = FEEDS.get(self.path, FEEDS["/herald.xml"])
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server(settings):
    settings.NEWSLETTER_FEED_TIMEOUT = 1
    settings.NEWSLETTER_FEED_MAX_BYTES = 100_000
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    server.daemon_threads = True
    # A short poll interval: shutting the server down waits for one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def add_feed(base, path, name):
    return HeadlineFeed.objects.create(name=name, url=f"{base}{path}")


def test_feeds_become_candidate_headlines_merged_by_url(feed_server, capsys):
    add_feed(feed_server, "/herald.xml", "Herald")
    add_feed(feed_server, "/gazette.xml", "Gazette")
    call_command("import_headlines")
    assert sorted(Headline.objects.values_list("url", "status", "source_name")) == [
        ("https://herald.example/bridge", "candidate", "Gazette"),  # fetched first (by name)
        ("https://herald.example/strike", "candidate", "Herald"),
    ]
    assert Headline.objects.get(url__endswith="strike").summary == "Strike ends, in short."
    assert "2 new candidate headline(s), 1 already known, 0 feed(s) failed" in (
        capsys.readouterr().out
    )
    call_command("import_headlines")
    assert Headline.objects.count() == 2


def test_a_broken_huge_or_missing_feed_is_recorded_and_skipped(feed_server):
    bad = {
        "broken": add_feed(feed_server, "/broken.xml", "Broken"),
        "huge": add_feed(feed_server, "/huge.xml", "Huge"),
        "missing": add_feed(feed_server, "/missing.xml", "Missing"),
    }
    add_feed(feed_server, "/herald.xml", "Herald")
    call_command("import_headlines")
    assert Headline.objects.count() == 2
    errors = {name: HeadlineFeed.objects.get(pk=feed.pk).last_error for name, feed in bad.items()}
    assert "Not a readable" in errors["broken"]
    assert "larger than" in errors["huge"]
    assert "404" in errors["missing"]
    assert HeadlineFeed.objects.get(name="Herald").last_error == ""


@pytest.mark.slow
def test_a_slow_feed_is_cut_off_at_its_deadline_and_the_others_still_come(feed_server):
    """A real server that answers after 3 s, against a 1 s deadline (so one real second)."""
    slow = add_feed(feed_server, "/slow.xml", "Slow")
    add_feed(feed_server, "/herald.xml", "Herald")
    started = time.monotonic()
    call_command("import_headlines")
    assert time.monotonic() - started < 2.5
    assert Headline.objects.count() == 2
    assert "1 s" in HeadlineFeed.objects.get(pk=slow.pk).last_error


def test_an_unreachable_host_and_a_non_web_url_are_errors_not_crashes(settings):
    settings.NEWSLETTER_FEED_TIMEOUT = 1
    HeadlineFeed.objects.create(name="Closed", url="http://127.0.0.1:9/feed.xml")
    HeadlineFeed.objects.create(name="Local file", url="file:///etc/passwd")
    call_command("import_headlines")
    assert all(feed.last_error for feed in HeadlineFeed.objects.all())


def test_inactive_feeds_are_not_fetched(feed_server):
    feed = add_feed(feed_server, "/herald.xml", "Herald")
    HeadlineFeed.objects.filter(pk=feed.pk).update(active=False)
    call_command("import_headlines")
    assert not Headline.objects.exists()


def test_entries_older_than_a_week_are_ignored(feed_server, settings, now):
    old = (now - datetime.timedelta(days=10)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    FEEDS["/old.xml"] = FEEDS["/herald.xml"].replace(
        timezone.now().strftime("%a, %d %b %Y").encode(), old[:16].encode()
    )
    add_feed(feed_server, "/old.xml", "Old")
    call_command("import_headlines")
    assert not Headline.objects.exists()


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("HTTPS://Example.org:443/a?b=2&a=1#x", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?utm_source=x&fbclid=y&id=3", "https://example.org/a?id=3"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:8080/x", "http://example.org:8080/x"),
    ],
)
def test_urls_are_normalised(raw, normal):
    assert normalise_url(raw) == normal


def test_a_quick_add_approves_and_merges_with_a_known_candidate():
    Headline.objects.create(
        title="Bridge closes",
        url="https://herald.example/bridge",
        source_name="Herald",
        status=Headline.Status.CANDIDATE,
    )
    headline = quick_headline(url="https://www.herald.example/b?utm_medium=x", title="Other")
    assert headline.source_name == "herald.example" and headline.status == "approved"
    merged = quick_headline(url="https://herald.example/bridge?utm_source=tw", title="Again")
    assert merged.title == "Bridge closes" and merged.status == Headline.Status.APPROVED
    assert Headline.objects.count() == 2
