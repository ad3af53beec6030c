import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

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


def test_publishing_refreshes_the_cached_home_page(client):
    PostFactory(title="First piece")
    client.get(reverse("blog:post-list"))
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


def test_retagging_a_post_refreshes_the_tag_page(client):
    from blog.models import Tag

    tag = Tag.objects.create(name="Energy", slug="energy")
    post = PostFactory(title="Heating bills")
    assert "Heating bills" not in client.get(tag.get_absolute_url()).content.decode()
    post.tags.add(tag)
    assert "Heating bills" in client.get(tag.get_absolute_url()).content.decode()


def test_a_new_correction_shows_at_once(client):
    from blog.models import Correction

    post = PostFactory()
    client.get(post.get_absolute_url())
    Correction.objects.create(post=post, note="A figure was wrong.")
    assert "A figure was wrong." in client.get(post.get_absolute_url()).content.decode()


def test_browsers_revalidate_while_shared_caches_keep_the_page(client, settings):
    PostFactory()
    cache_control = client.get(reverse("blog:post-list"))["Cache-Control"]
    assert "max-age=0" in cache_control
    assert f"s-maxage={settings.PAGE_CACHE_SECONDS}" in cache_control
