"""Issue 11, day-one trap 2: renaming a published post's address must not break links already sent.

A published post's old slugs are kept (`blog.OldSlug`); the detail view answers 301 from an old
address to the post's current one, as long as the post is public. The year and month of the
address need no history: the detail view already finds a post by its slug and redirects an
outdated year or month to the canonical address.
"""

import datetime

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import OldSlug, Post
from tests.blog.test_admin import post_form
from tests.blog.test_feeds_sitemaps import sitemap_urls
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def rename(post: Post, slug: str) -> str:
    """Give the post a new slug; returns the address it had before."""
    old_url = post.get_absolute_url()
    post.slug = slug
    post.save()
    return old_url


@pytest.mark.parametrize("method", ["get", "head"])
def test_old_address_of_a_renamed_post_answers_301_to_the_new_one(client, method):
    post = PostFactory(slug="buses-first")
    old_url = rename(post, "buses-first-at-last")
    response = getattr(client, method)(old_url)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_a_post_renamed_twice_redirects_from_its_first_address_in_one_hop(client):
    post = PostFactory(slug="first-name")
    first_url = rename(post, "second-name")
    second_url = rename(post, "third-name")
    for url in (first_url, second_url):
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == post.get_absolute_url()


def test_old_address_in_an_outdated_month_still_redirects_to_the_current_address(client):
    post = PostFactory(
        slug="old-name", publish_at=datetime.datetime(2026, 3, 9, tzinfo=datetime.UTC)
    )
    old_url = rename(post, "new-name")
    post.publish_at = datetime.datetime(2026, 5, 2, tzinfo=datetime.UTC)
    post.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()


def test_the_query_string_is_kept_on_the_redirect(client):
    """Campaign tags and comment anchors in links already sent keep working on the new address."""
    post = PostFactory(slug="old-name")
    old_url = rename(post, "new-name")
    response = client.get(old_url, {"utm_source": "newsletter"})
    assert response["Location"] == f"{post.get_absolute_url()}?utm_source=newsletter"


def test_a_drafts_renames_are_not_recorded(client):
    post = PostFactory(slug="working-title", draft=True)
    rename(post, "final-title")
    assert not OldSlug.objects.exists()


def test_a_scheduled_posts_renames_are_not_recorded(client):
    post = PostFactory(slug="working-title", scheduled=True)
    rename(post, "final-title")
    assert not OldSlug.objects.exists()


def test_an_edit_that_keeps_the_slug_records_nothing():
    post = PostFactory()
    post.title = "A better title"
    post.save()
    assert not OldSlug.objects.exists()


def test_a_renamed_post_taken_back_to_draft_is_a_404_at_its_old_address(client):
    post = PostFactory(slug="old-name", title="Embargoed again")
    old_url = rename(post, "secret-new-name")
    post.status = Post.Status.DRAFT
    post.save()
    response = client.get(old_url)
    assert response.status_code == 404
    assert "secret-new-name" not in response.content.decode()
    assert "Location" not in response


def test_an_old_slug_taken_by_another_post_serves_the_live_post(client):
    renamed = PostFactory(slug="budget-vote")
    old_url = rename(renamed, "budget-vote-2026")
    newcomer = PostFactory(slug="budget-vote", publish_at=renamed.publish_at, title="Newcomer")
    response = client.get(old_url)
    assert response.status_code == 200
    assert response.context["post"] == newcomer


def test_an_old_slug_given_up_twice_points_to_the_latest_post(client):
    first = PostFactory(slug="budget-vote")
    rename(first, "budget-vote-2025")
    second = PostFactory(slug="budget-vote")
    old_url = rename(second, "budget-vote-2026")
    response = client.get(old_url)
    assert response["Location"] == second.get_absolute_url()


def test_renaming_a_post_back_forgets_its_current_slug_as_old():
    post = PostFactory(slug="first-name")
    rename(post, "second-name")
    rename(post, "first-name")
    assert list(post.old_slugs.values_list("slug", flat=True)) == ["second-name"]


def test_a_cached_old_address_is_not_served_stale_after_the_rename(
    client, django_capture_on_commit_callbacks
):
    post = PostFactory(slug="old-name")
    old_url = post.get_absolute_url()
    assert client.get(old_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        rename(post, "new-name")
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()


@pytest.mark.parametrize("name", ["blog:feed-rss", "blog:feed-atom"])
def test_feeds_show_only_the_new_address(client, name):
    post = PostFactory(slug="old-name")
    rename(post, "new-name")
    feed = feedparser.parse(client.get(reverse(name)).content)
    links = [entry.link for entry in feed.entries]
    assert links == [f"http://testserver{post.get_absolute_url()}"]


def test_sitemap_shows_only_the_new_address(client):
    post = PostFactory(slug="old-name")
    rename(post, "new-name")
    post_urls = [url for url in sitemap_urls(client) if "-name" in url]
    assert len(post_urls) == 1
    assert post_urls[0].endswith(post.get_absolute_url())


# The admin


def test_the_slug_help_of_a_published_post_says_old_links_will_redirect(author_client):
    post = PostFactory(author=author_client.author)
    page = author_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "old links will redirect" in page


def test_the_slug_help_of_a_draft_says_nothing_about_redirects(author_client):
    post = PostFactory(author=author_client.author, draft=True)
    page = author_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "old links will redirect" not in page


def test_changing_a_published_posts_slug_in_the_admin_warns_and_keeps_the_old_address(
    author_client,
):
    post = PostFactory(author=author_client.author, slug="russias-puppet-ally")
    old_url = post.get_absolute_url()
    publish_at = timezone.localtime(post.publish_at)
    data = post_form(
        author_client.author,
        slug="belarus-puppet-ally",
        publish_at_0=f"{publish_at:%Y-%m-%d}",
        publish_at_1=f"{publish_at:%H:%M:%S}",
    )
    response = author_client.post(
        reverse("admin:blog_post_change", args=[post.pk]), data, follow=True
    )
    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("old links will redirect" in message.lower() for message in messages), messages
    post.refresh_from_db()
    assert post.slug == "belarus-puppet-ally"
    assert author_client.get(old_url).status_code == 301


def test_the_post_page_in_the_admin_lists_its_old_addresses(author_client):
    post = PostFactory(author=author_client.author, slug="first-name")
    rename(post, "second-name")
    page = author_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "first-name" in page


def test_publish_unpublish_rename_republish_keeps_the_first_address(client):
    """The known gap: taken back to draft, renamed there, published again; readers sent the
    first address still arrive at the post."""
    post = PostFactory(slug="first-name")
    first_url = post.get_absolute_url()
    post.status = Post.Status.DRAFT
    post.save()
    rename(post, "second-name")
    post.status = Post.Status.PUBLISHED
    post.save()
    response = client.get(first_url)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()
    assert list(post.old_slugs.values_list("slug", flat=True)) == ["first-name"]


def test_a_scheduled_post_that_went_live_unpublished_and_renamed_keeps_its_address(client):
    """Public by the clock alone (no save when `publish_at` passed), then taken back."""
    post = PostFactory(slug="went-live", scheduled=True)
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - datetime.timedelta(hours=1))
    post.refresh_from_db()
    first_url = post.get_absolute_url()
    post.status = Post.Status.DRAFT
    post.save()
    rename(post, "renamed-in-draft")
    post.status = Post.Status.PUBLISHED
    post.save()
    assert client.get(first_url)["Location"] == post.get_absolute_url()


def test_renames_while_back_in_draft_record_only_the_public_address():
    post = PostFactory(slug="public-name")
    post.status = Post.Status.DRAFT
    post.save()
    rename(post, "working-name")
    rename(post, "final-name")
    assert list(post.old_slugs.values_list("slug", flat=True)) == ["public-name"]


def test_renamed_back_to_its_public_address_while_in_draft_lists_no_old_address():
    post = PostFactory(slug="public-name")
    post.status = Post.Status.DRAFT
    post.save()
    rename(post, "working-name")
    rename(post, "public-name")
    assert not post.old_slugs.exists()
