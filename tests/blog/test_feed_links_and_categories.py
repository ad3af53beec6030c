"""What a feed reader receives: addresses written in a post resolve, and tags are categories."""

import re

import feedparser
import pytest
from django.urls import reverse
from lxml import etree

from blog.models import Tag
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://opinion.example.org"
FEEDS = ["blog:feed-rss", "blog:feed-atom"]
BODY = (
    "Read [about me](/about/), [the older piece](../older/) and [the note](#note).\n\n"
    '<img src="/media/posts/tram.jpg" srcset="/media/posts/tram-400.jpg 400w" alt="A tram">\n\n'
    "Elsewhere: [the council](https://council.example.gov/minutes) or "
    "[write to me](mailto:me@example.org)."
)
_ADDRESS = re.compile(r'\b(?:href|src|srcset)="([^"]*)"')


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE_URL
    return SITE_URL


def feed_entries(client, name: str, **kwargs):
    response = client.get(reverse(name, kwargs=kwargs or None))
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed.entries


def raw_entry_html(client, name: str) -> str:
    """The entry's HTML as sent (feedparser's sanitiser drops `srcset` before we could look)."""
    root = etree.fromstring(client.get(reverse(name)).content)
    if name == "blog:feed-rss":
        return root.findtext("channel/item/description")
    return root.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")


@pytest.mark.parametrize("name", FEEDS)
def test_relative_addresses_in_a_post_are_absolute_in_feeds(client, site_url, name):
    post = PostFactory(body=BODY)
    post_url = f"{site_url}{post.get_absolute_url()}"
    feed_entries(client, name)  # parses, with no error
    html = raw_entry_html(client, name)
    addresses = _ADDRESS.findall(html)
    assert addresses == [
        f"{site_url}/about/",
        # Resolved against the post's page, as a browser there would: /2026/03/older/.
        f"{post_url.rsplit('/', 2)[0]}/older/",
        f"{post_url}#note",
        f"{site_url}/media/posts/tram.jpg",
        f"{site_url}/media/posts/tram-400.jpg 400w",
        "https://council.example.gov/minutes",
        "mailto:me@example.org",
    ]
    assert 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize("name", FEEDS)
def test_tags_are_the_entrys_categories(client, name):
    post = PostFactory()
    post.tags.add(
        Tag.objects.create(name="Transit", slug="transit"),
        Tag.objects.create(name="City hall", slug="city-hall"),
    )
    PostFactory(title="Untagged")
    entries = {entry.title: entry for entry in feed_entries(client, name)}
    tagged, untagged = entries[post.title], entries["Untagged"]
    assert {tag.term for tag in tagged.tags} == {"OpEd", "Transit", "City hall"}
    assert [tag.term for tag in untagged.tags] == ["OpEd"]


@pytest.mark.parametrize("name", ["blog:tag-feed-rss", "blog:tag-feed-atom"])
def test_tag_feeds_carry_categories_too(client, name):
    transit = Tag.objects.create(name="Transit", slug="transit")
    PostFactory().tags.add(transit)
    (entry,) = feed_entries(client, name, slug="transit")
    assert {tag.term for tag in entry.tags} == {"OpEd", "Transit"}
