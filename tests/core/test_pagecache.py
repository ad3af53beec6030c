import datetime

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
