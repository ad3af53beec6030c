"""What public pages derive from every post is stored once per change, and a change shows.

The sitemap, the archive's month and topic counts and the listings' page totals are kept by
`core.pagecache.remember_until_change` until public content changes (issue 12, goal 4). The
page cache is off here, so what is tested is that store alone; saves run their after-commit
work, as in production.
"""

import datetime
import gzip

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.models import Post, Tag
from tests.factories import PostFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    """Save a post as the admin does: its after-commit work (a new generation) runs."""

    def saving(post: Post) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            post.save()
        return post

    return saving


def sitemap(client) -> str:
    return client.get(reverse("sitemap")).content.decode()


def test_a_post_published_after_the_sitemap_was_stored_appears_in_it(client, save):
    PostFactory()
    draft = PostFactory(draft=True, slug="fresh-piece")
    assert "fresh-piece" not in sitemap(client)
    draft.status = Post.Status.PUBLISHED
    save(draft)
    assert f"http://testserver{draft.get_absolute_url()}" in sitemap(client)


def test_a_post_taken_back_to_draft_leaves_the_stored_sitemap(client, save):
    post = PostFactory(slug="withdrawn-piece")
    assert "withdrawn-piece" in sitemap(client)
    post.status = Post.Status.DRAFT
    save(post)
    assert "withdrawn-piece" not in sitemap(client)


def test_a_renamed_post_is_listed_under_its_new_address_only(client, save):
    post = PostFactory(slug="old-name")
    assert "old-name" in sitemap(client)
    post.slug = "new-name"
    save(post)
    xml = sitemap(client)
    assert "old-name" not in xml
    assert f"http://testserver{post.get_absolute_url()}" in xml


def test_the_stored_sitemap_is_served_without_a_query_gzipped_or_plain(client):
    PostFactory(slug="stored-piece")
    warm_site_identity()
    first = sitemap(client)
    with CaptureQueriesContext(connection) as captured:
        zipped = client.get(reverse("sitemap"), HTTP_ACCEPT_ENCODING="gzip, br")
        plain = client.get(reverse("sitemap"))
    assert len(captured) == 0
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content).decode() == plain.content.decode() == first
    assert "Content-Encoding" not in plain
    for response in (zipped, plain):
        assert response["Content-Type"] == "application/xml"
        assert "Accept-Encoding" in response["Vary"]
        assert response["X-Robots-Tag"] == "noindex, noodp, noarchive"


@pytest.mark.parametrize("page", ["x", "0", "2", "1" * 40])
def test_a_sitemap_page_that_does_not_exist_is_a_404(client, page):
    PostFactory()
    assert client.get(reverse("sitemap"), {"p": page}).status_code == 404


def test_the_archive_counts_a_newly_published_post(client, django_capture_on_commit_callbacks):
    PostFactory(publish_at=timezone.now() - datetime.timedelta(days=400))
    tag = Tag.objects.create(name="Transport", slug="transport")
    before = client.get(reverse("blog:archive")).context
    assert len(before["months"]) == 1
    assert list(before["tags"]) == []
    post = PostFactory(draft=True)
    with django_capture_on_commit_callbacks(execute=True):
        post.status = Post.Status.PUBLISHED
        post.save()
        post.tags.add(tag)
    response = client.get(reverse("blog:archive"))
    after = response.context
    this_month = timezone.localtime(post.publish_at).date().replace(day=1)
    assert after["months"][0][:2] == (this_month, 1)
    link = reverse("blog:archive-month", args=[this_month.year, this_month.month])
    assert f'<a href="{link}">{this_month:%B %Y}</a> <span class="meta">(1)</span>' in (
        response.content.decode()
    )
    assert len(after["months"]) == 2
    assert [(t.name, t.published_count) for t in after["tags"]] == [("Transport", 1)]


def test_the_home_page_total_follows_publishing(client, save):
    PostFactory.create_batch(20)
    assert "Page 1 of 2" in client.get(reverse("blog:post-list")).content.decode()
    post = PostFactory(draft=True)
    post.status = Post.Status.PUBLISHED
    save(post)
    assert "Page 1 of 3" in client.get(reverse("blog:post-list")).content.decode()


def test_a_scheduled_post_enters_the_page_total_when_its_time_comes(client, monkeypatch):
    PostFactory.create_batch(20)
    post = PostFactory(scheduled=True)
    assert "Page 1 of 2" in client.get(reverse("blog:post-list")).content.decode()
    later = post.publish_at + datetime.timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Page 1 of 3" in client.get(reverse("blog:post-list")).content.decode()


def test_a_page_past_a_stale_total_is_counted_again_not_a_404(client):
    """Posts saved without a new generation (here: no commit callbacks run) are still reached."""
    PostFactory.create_batch(10)
    assert "Page 1 of" not in client.get(reverse("blog:post-list")).content.decode()
    PostFactory.create_batch(5)
    response = client.get(reverse("blog:post-list"), {"page": 2})
    assert response.status_code == 200
    assert "Page 2 of 2" in response.content.decode()
    assert client.get(reverse("blog:post-list"), {"page": 3}).status_code == 404


def test_each_tag_keeps_its_own_page_total(client):
    harbour = Tag.objects.create(name="Harbour", slug="harbour")
    council = Tag.objects.create(name="Council", slug="council")
    for post in PostFactory.create_batch(25):
        post.tags.add(harbour)
    for post in PostFactory.create_batch(12):
        post.tags.add(council)
    assert "Page 1 of 3" in client.get(harbour.get_absolute_url()).content.decode()
    assert "Page 1 of 2" in client.get(council.get_absolute_url()).content.decode()
    second = client.get(council.get_absolute_url(), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
