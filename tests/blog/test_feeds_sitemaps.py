import datetime
import io
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from PIL import Image as PILImage

from blog.models import Post, Tag
from tests.factories import PostFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db

SITE_URL = "https://opinion.example.org"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NOW = datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC)
TYPOGRAPHY = "“Double” and ‘single’ quotes — a dash… and the city’s plan."
FEEDS = ["blog:feed-rss", "blog:feed-atom"]
TAG_FEEDS = ["blog:tag-feed-rss", "blog:tag-feed-atom"]

# The rules of sitemaps.org's sitemap.xsd for sitemap 0.9 (https://www.sitemaps.org/protocol.html),
# written out here without its annotations so the test needs no network.
SITEMAP_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:element name="urlset">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="strict"/>
        <xsd:element name="url" type="tUrl" maxOccurs="unbounded"/>
      </xsd:sequence>
    </xsd:complexType>
  </xsd:element>
  <xsd:complexType name="tUrl">
    <xsd:sequence>
      <xsd:element name="loc" type="tLoc"/>
      <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
      <xsd:element name="changefreq" type="tChangeFreq" minOccurs="0"/>
      <xsd:element name="priority" type="tPriority" minOccurs="0"/>
      <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="strict"/>
    </xsd:sequence>
  </xsd:complexType>
  <xsd:simpleType name="tLoc">
    <xsd:restriction base="xsd:anyURI">
      <xsd:minLength value="12"/>
      <xsd:maxLength value="2048"/>
    </xsd:restriction>
  </xsd:simpleType>
  <xsd:simpleType name="tLastmod">
    <xsd:union>
      <xsd:simpleType><xsd:restriction base="xsd:date"/></xsd:simpleType>
      <xsd:simpleType><xsd:restriction base="xsd:dateTime"/></xsd:simpleType>
    </xsd:union>
  </xsd:simpleType>
  <xsd:simpleType name="tChangeFreq">
    <xsd:restriction base="xsd:string">
      <xsd:enumeration value="always"/>
      <xsd:enumeration value="hourly"/>
      <xsd:enumeration value="daily"/>
      <xsd:enumeration value="weekly"/>
      <xsd:enumeration value="monthly"/>
      <xsd:enumeration value="yearly"/>
      <xsd:enumeration value="never"/>
    </xsd:restriction>
  </xsd:simpleType>
  <xsd:simpleType name="tPriority">
    <xsd:restriction base="xsd:decimal">
      <xsd:minInclusive value="0.0"/>
      <xsd:maxInclusive value="1.0"/>
    </xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""


@pytest.fixture
def site_url(settings):
    """A public address other than the test client's, to catch URLs built from the request."""
    settings.SITE_URL = SITE_URL
    return SITE_URL


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def transit():
    return Tag.objects.create(name="Transit", slug="transit")


def tagged(tag: Tag, **kwargs) -> Post:
    post = PostFactory(**kwargs)
    post.tags.add(tag)
    return post


def jpeg_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3), "teal").save(buffer, "JPEG")
    return SimpleUploadedFile("cover.jpg", buffer.getvalue(), content_type="image/jpeg")


def get_feed(client, name: str, **kwargs):
    response = client.get(reverse(name, kwargs=kwargs or None))
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def entry_html(entry) -> str:
    """The entry's full text: Atom's `content`, RSS's `description`."""
    return entry.content[0].value if "content" in entry else entry.summary


def sitemap_urls(client) -> dict[str, str | None]:
    """Each `<loc>` of sitemap.xml with its `<lastmod>`."""
    root = ET.fromstring(client.get(reverse("sitemap")).content)
    return {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
        for url in root.iter(f"{SITEMAP_NS}url")
    }


# Feeds


@pytest.mark.parametrize("name", FEEDS + TAG_FEEDS)
def test_feeds_carry_the_full_text_of_published_posts_only(client, transit, name):
    tagged(transit, title="Live post", body=TYPOGRAPHY)
    tagged(transit, title="Hidden draft", draft=True)
    tagged(transit, title="Hidden scheduled post", scheduled=True)
    kwargs = {"slug": transit.slug} if name in TAG_FEEDS else {}
    feed = get_feed(client, name, **kwargs)
    assert [entry.title for entry in feed.entries] == ["Live post"]
    assert f"<p>{TYPOGRAPHY}</p>" in entry_html(feed.entries[0])


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_tag_feed_carries_only_that_tags_posts(client, settings, transit, name):
    tagged(transit, title="Tram fares")
    tagged(Tag.objects.create(name="Health", slug="health"), title="Hospital waits")
    PostFactory(title="Untagged piece")
    feed = get_feed(client, name, slug=transit.slug)
    assert feed.feed.title == f"{settings.SITE_NAME}: Transit"
    assert [entry.title for entry in feed.entries] == ["Tram fares"]


@pytest.mark.parametrize("name", TAG_FEEDS)
def test_feed_of_an_unknown_tag_is_a_404(client, name):
    assert client.get(reverse(name, kwargs={"slug": "nope"})).status_code == 404


@pytest.mark.parametrize("name", FEEDS + TAG_FEEDS)
def test_every_feed_link_is_absolute_on_the_site_url(
    client, site_url, settings, tmp_path, transit, name
):
    settings.MEDIA_ROOT = tmp_path
    tagged(transit).images.create(file=jpeg_upload(), alt_text="A tram", is_cover=True)
    kwargs = {"slug": transit.slug} if name in TAG_FEEDS else {}
    feed = get_feed(client, name, **kwargs)
    links = [feed.feed.link, *(link.href for link in feed.feed.links)]
    for entry in feed.entries:
        links += [entry.link, entry.id, *(link.href for link in entry.links)]
    assert len(links) >= 5
    assert all(link.startswith(f"{site_url}/") for link in links), links


def test_atom_entries_summarise_with_the_standfirst_and_carry_the_full_text(client):
    PostFactory(standfirst="Late <b>again</b> & again.", body=TYPOGRAPHY)
    entry = get_feed(client, "blog:feed-atom").entries[0]
    assert entry.summary == "Late &lt;b&gt;again&lt;/b&gt; &amp; again."
    assert entry.content[0].type == "text/html"
    assert f"<p>{TYPOGRAPHY}</p>" in entry.content[0].value


@pytest.mark.parametrize("name", FEEDS)
def test_a_cover_image_is_the_entrys_enclosure(client, site_url, settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path
    cover = PostFactory().images.create(file=jpeg_upload(), alt_text="A tram", is_cover=True)
    (enclosure,) = get_feed(client, name).entries[0].enclosures
    assert enclosure.href == f"{site_url}{cover.file.url}"
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == cover.file.size > 0


def test_a_cover_whose_file_is_missing_gives_no_enclosure(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cover = PostFactory().images.create(file=jpeg_upload(), alt_text="A tram", is_cover=True)
    cover.file.storage.delete(cover.file.name)
    for name in FEEDS:
        assert get_feed(client, name).entries[0].enclosures == []


def test_feed_query_count_does_not_grow_with_posts(
    client, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    for post in PostFactory.create_batch(3):
        post.images.create(file=jpeg_upload(), alt_text="A tram", is_cover=True)
    # 4 (posts, covers, tags) + the Site row (django.contrib.sites, for django-comments-xtd):
    # pytest-django clears Site's process cache before every test, where production looks it
    # up once per process.
    warm_site_identity()
    with django_assert_max_num_queries(5):
        client.get(reverse("blog:feed-rss"))
    PostFactory.create_batch(10)
    with django_assert_max_num_queries(5):
        client.get(reverse("blog:feed-atom"))


# Sitemap and robots.txt


def test_sitemap_is_valid_against_the_sitemap_schema(client, transit):
    tagged(transit)
    schema = etree.XMLSchema(etree.fromstring(SITEMAP_XSD))
    document = etree.fromstring(client.get(reverse("sitemap")).content)
    assert schema.validate(document), schema.error_log


def test_sitemap_lists_posts_tags_and_pages_on_the_site_url(client, site_url, transit):
    post = tagged(transit)
    Tag.objects.create(name="Empty", slug="empty")
    tagged(Tag.objects.create(name="Drafts only", slug="drafts-only"), draft=True)
    assert set(sitemap_urls(client)) == {
        f"{site_url}{post.get_absolute_url()}",
        f"{site_url}{transit.get_absolute_url()}",
        f"{site_url}{reverse('blog:post-list')}",
        f"{site_url}{reverse('blog:about')}",
        f"{site_url}{reverse('blog:archive')}",
        f"{site_url}{reverse('newsletter:subscribe')}",
        f"{site_url}{reverse('newsletter:edition-archive')}",
    }


def test_sitemap_lastmod_is_a_posts_last_edit_or_its_publication_whichever_is_later(
    client, monkeypatch
):
    edit_time = datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: edit_time)
    edited = PostFactory(publish_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC))
    scheduled = PostFactory(publish_at=datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC))
    monkeypatch.setattr(timezone, "now", lambda: edit_time + datetime.timedelta(days=30))
    urls = sitemap_urls(client)
    assert urls[f"http://testserver{edited.get_absolute_url()}"] == "2026-03-01"
    assert urls[f"http://testserver{scheduled.get_absolute_url()}"] == "2026-03-10"


def test_sitemap_never_lists_drafts_or_scheduled_posts(client):
    draft = PostFactory(draft=True)
    scheduled = PostFactory(scheduled=True)
    xml = client.get(reverse("sitemap")).content.decode()
    assert draft.slug not in xml
    assert scheduled.slug not in xml


def test_scheduled_post_enters_the_sitemap_when_its_time_comes(client, monkeypatch):
    post = PostFactory(scheduled=True)
    assert post.slug not in client.get(reverse("sitemap")).content.decode()
    later = post.publish_at + datetime.timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert post.slug in client.get(reverse("sitemap")).content.decode()


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_private_paths(client, site_url):
    response = client.get("/robots.txt")
    lines = response.content.decode().splitlines()
    assert response["Content-Type"] == "text/plain"
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {site_url}{reverse('sitemap')}" in lines
    assert "Disallow: /admin/" in lines and reverse("admin:index") == "/admin/"
    assert "Disallow: /preview/" in lines
    assert reverse("blog:post-preview", kwargs={"token": "x"}).startswith("/preview/")


# Drafts never leak


def test_drafts_and_scheduled_posts_never_leak(client, frozen_now, transit):
    published = tagged(
        transit, title="Zeppelin over the harbour", publish_at=NOW - datetime.timedelta(days=5)
    )
    draft = tagged(transit, title="Zeppelin draft secret", slug="zeppelin-draft", draft=True)
    scheduled = tagged(
        transit,
        title="Zeppelin scheduled secret",
        slug="zeppelin-scheduled",
        publish_at=NOW + datetime.timedelta(days=5),
    )
    tag_kwargs = {"slug": transit.slug}
    pages = {
        "home": reverse("blog:post-list"),
        "tag page": transit.get_absolute_url(),
        "month archive": reverse("blog:archive-month", kwargs={"year": 2026, "month": 3}),
        "RSS feed": reverse("blog:feed-rss"),
        "Atom feed": reverse("blog:feed-atom"),
        "tag RSS feed": reverse("blog:tag-feed-rss", kwargs=tag_kwargs),
        "tag Atom feed": reverse("blog:tag-feed-atom", kwargs=tag_kwargs),
        "sitemap": reverse("sitemap"),
        "search": f"{reverse('blog:search')}?q=zeppelin",
    }
    for page, url in pages.items():
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200, page
        assert published.title in content or published.slug in content, page
        for hidden in (draft, scheduled):
            assert hidden.title not in content, page
            assert hidden.slug not in content, page
