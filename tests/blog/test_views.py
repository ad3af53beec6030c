import datetime

import feedparser
import pytest
from django.core.cache import cache
from django.urls import reverse

from blog.articles import store_articles
from blog.models import Post
from tests.factories import PostFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db


def test_home_lists_published_posts_newest_first(client):
    older = PostFactory(title="Older piece")
    newer = PostFactory(title="Newer piece", publish_at=older.publish_at + datetime.timedelta(1))
    response = client.get(reverse("blog:post-list"))
    assert response.status_code == 200
    assert list(response.context["post_list"]) == [newer, older]
    html = response.content.decode()
    assert html.index("Newer piece") < html.index("Older piece")


def test_home_hides_drafts_and_scheduled_posts(client):
    PostFactory(title="Visible piece")
    PostFactory(title="Secret draft", draft=True)
    PostFactory(title="Tomorrow’s piece", scheduled=True)
    html = client.get(reverse("blog:post-list")).content.decode()
    assert "Visible piece" in html
    assert "Secret draft" not in html
    assert "Tomorrow’s piece" not in html


def test_home_is_paginated(client):
    PostFactory.create_batch(12)
    first = client.get(reverse("blog:post-list"))
    second = client.get(reverse("blog:post-list"), {"page": 2})
    assert len(first.context["post_list"]) == 10
    assert len(second.context["post_list"]) == 2
    assert 'rel="next"' in first.content.decode()


def test_page_number_out_of_range_is_a_404(client):
    PostFactory()
    assert client.get(reverse("blog:post-list"), {"page": 99}).status_code == 404
    assert client.get(reverse("blog:post-list"), {"page": "x"}).status_code == 404


def test_post_page_shows_the_article(client):
    post = PostFactory(title="Buses First", body="They are late.\nThey are “crowded”.")
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="article__title">Buses First</h1>' in html
    assert "<p>They are “crowded”.</p>" in html
    assert f'<link rel="canonical" href="http://testserver{post.get_absolute_url()}">' in html


@pytest.mark.parametrize("trait", ["draft", "scheduled"])
def test_unpublished_post_is_a_404_for_visitors(client, trait):
    post = PostFactory(**{trait: True})
    response = client.get(post.get_absolute_url())
    assert response.status_code == 404
    assert post.title not in response.content.decode()


def test_unpublished_post_is_a_404_even_for_a_signed_in_reader(client):
    post = PostFactory(scheduled=True)
    client.force_login(PostFactory().author)
    assert client.get(post.get_absolute_url()).status_code == 404


def test_outdated_year_or_month_redirects_to_the_canonical_address(client):
    post = PostFactory(publish_at=datetime.datetime(2026, 11, 3, 9, tzinfo=datetime.UTC))
    stale = reverse("blog:post-detail", kwargs={"year": 2025, "month": 2, "slug": post.slug})
    response = client.get(stale)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()


def test_post_url_survives_a_title_edit(client):
    post = PostFactory(title="First title")
    url = post.get_absolute_url()
    post.title = "A better title"
    post.save()
    assert post.get_absolute_url() == url
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path", ["/2026/13/some-post/", "/2026/00/x/", "/abcd/11/x/", "/2026/11/not a slug/", "/nope/"]
)
def test_malformed_addresses_get_the_styled_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_listing_query_count_does_not_grow_with_posts(client, django_assert_max_num_queries):
    PostFactory.create_batch(3)
    warm_site_identity()
    # 5 + the cards' comment counts, one query for the whole page (comments_tags).
    with django_assert_max_num_queries(6):
        client.get(reverse("blog:post-list"))
    PostFactory.create_batch(15)
    with django_assert_max_num_queries(6):
        client.get(reverse("blog:post-list"))


def test_post_page_query_count(client, django_assert_max_num_queries):
    post = PostFactory()
    with django_assert_max_num_queries(11):  # rendered live: the article is not stored yet
        client.get(post.get_absolute_url())
    store_articles([post.pk])
    cache.clear()
    with django_assert_max_num_queries(5):
        client.get(post.get_absolute_url())


def test_feeds_carry_full_text_of_published_posts_only(client):
    PostFactory(title="Live post", body="Full “text” here — all of it.")
    PostFactory(title="Hidden draft", draft=True)
    for name in ("blog:feed-rss", "blog:feed-atom"):
        response = client.get(reverse(name))
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert [entry.title for entry in feed.entries] == ["Live post"]
        content = feed.entries[0].get("content", [{}])[0].get("value") or feed.entries[0].summary
        assert "Full “text” here — all of it." in content


def test_every_page_links_its_feeds(client):
    html = client.get(reverse("blog:post-list")).content.decode()
    assert 'type="application/rss+xml"' in html
    assert 'type="application/atom+xml"' in html


def test_published_state_agrees_between_queryset_and_pages(client):
    posts = [PostFactory(), PostFactory(draft=True), PostFactory(scheduled=True)]
    published = set(Post.objects.published())
    for post in posts:
        status = client.get(post.get_absolute_url()).status_code
        assert (status == 200) == (post in published)
