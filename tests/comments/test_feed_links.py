"""The comment feeds as a feed reader sees them: found from any page, stable when empty, and
with every address in a comment absolute."""

import datetime
import re

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://opinion.example.org"
PUBLISHED = datetime.datetime(2026, 2, 3, 8, 30, tzinfo=datetime.UTC)


def parsed(client, url: str):
    feed = feedparser.parse(client.get(url).content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_every_page_links_the_site_wide_comment_feed_in_its_head_and_footer(client):
    post = PostFactory()
    feed_url = reverse("comments:feed")
    for url in [reverse("blog:post-list"), post.get_absolute_url(), reverse("blog:about")]:
        page = client.get(url).content.decode()
        head, body = page.split("</head>")
        assert re.search(
            rf'<link rel="alternate" type="application/atom\+xml" [^>]*href="{feed_url}">', head
        ), url
        assert f'<a href="{feed_url}">' in body, url


def test_addresses_written_in_a_comment_are_absolute_in_the_feed(client, settings):
    settings.SITE_URL = SITE_URL
    post = PostFactory()
    add_comment(post, text="See [the about page](/about/) and [my reply](#c1).")
    (entry,) = parsed(client, reverse("comments:feed")).entries
    post_url = f"{SITE_URL}{post.get_absolute_url()}"
    assert re.findall(r'href="([^"]*)"', entry.summary) == [f"{SITE_URL}/about/", f"{post_url}#c1"]
    per_post = parsed(client, reverse("comments:post-feed", args=[post.pk])).entries[0]
    assert f'href="{SITE_URL}/about/"' in per_post.summary


def later(monkeypatch, minutes: int):
    moment = timezone.now() + datetime.timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_an_empty_post_feed_is_dated_by_the_posts_publication_on_every_request(client, monkeypatch):
    post = PostFactory(publish_at=PUBLISHED)
    url = reverse("comments:post-feed", args=[post.pk])
    first = parsed(client, url).feed.updated
    later(monkeypatch, 7)
    assert parsed(client, url).feed.updated == first == "2026-02-03T08:30:00+00:00"


def test_an_empty_site_wide_feed_is_dated_by_the_latest_publication(client, monkeypatch):
    PostFactory(publish_at=PUBLISHED - datetime.timedelta(days=9))
    PostFactory(publish_at=PUBLISHED)
    PostFactory(draft=True)
    first = parsed(client, reverse("comments:feed")).feed.updated
    later(monkeypatch, 7)
    assert parsed(client, reverse("comments:feed")).feed.updated == first
    assert first == "2026-02-03T08:30:00+00:00"


def test_a_site_with_nothing_published_has_a_fixed_comment_feed_date(client, monkeypatch):
    first = parsed(client, reverse("comments:feed")).feed.updated
    later(monkeypatch, 7)
    assert parsed(client, reverse("comments:feed")).feed.updated == first
    assert first == "1970-01-01T00:00:00+00:00"


def test_a_feed_with_comments_is_dated_by_its_latest_comment(client, monkeypatch):
    post = PostFactory(publish_at=PUBLISHED)
    comment = add_comment(post)
    later(monkeypatch, 7)
    updated = parsed(client, reverse("comments:post-feed", args=[post.pk])).feed.updated_parsed
    expected = (comment.published_at or comment.submit_date).astimezone(datetime.UTC)
    assert updated[:6] == expected.timetuple()[:6]
