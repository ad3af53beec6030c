"""Every public listing costs the same number of queries with 10 posts as with 10,000.

Issue 12, goal 4. Each page is requested on the small site and again after 9,990 more posts
(bulk-inserted, spread over years, all tagged and all matching the search) have been added:
with the page cache off, once with every cache empty (what the first visitor after a change
pays) and once more (what everyone after pays: the totals, the archive's counts and the
sitemap come from the shared cache). Timings are the benchmark's business (tests/bench).
"""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog.models import Post, Tag
from tests.factories import PostFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 10_000


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    """The pages themselves are built on every request, as the benchmark's "uncached" figures."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def tag():
    return Tag.objects.create(name="Budget", slug="budget")


def add_posts(count: int, *, tag: Tag, author) -> None:
    """`count` published posts, one every 7 hours going back, each tagged and about budgets."""
    start = Post.objects.count()
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            title=f"On the budget, number {n}",
            slug=f"budget-{n}",
            standfirst="Buses first, budgets second.",
            body="The council voted on the budget.",
            body_html="<p>The council voted on the budget.</p>",
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=now - datetime.timedelta(days=2, hours=7 * n),
        )
        for n in range(start, start + count)
    )
    Post.tags.through.objects.bulk_create(
        Post.tags.through(post_id=post.pk, tag_id=tag.pk) for post in posts
    )


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def counts(client, path: str) -> tuple[int, int]:
    """Queries of the first request with every cache empty, then of the next one."""
    cache.clear()
    warm_site_identity()
    return queries(client, path), queries(client, path)


def assert_flat(client, path: str, tag: Tag) -> None:
    author = PostFactory(title="The first budget piece").author
    add_posts(SMALL - 1, tag=tag, author=author)
    client.get(path)  # what a process looks up once in its life (the Site row, content types)
    small = counts(client, path)
    add_posts(LARGE - SMALL, tag=tag, author=author)
    assert Post.objects.published().count() == LARGE
    assert counts(client, path) == small


@pytest.mark.parametrize(
    "name",
    ["blog:post-list", "blog:archive", "blog:feed-rss", "blog:feed-atom", "sitemap"],
)
def test_page_query_count_is_the_same_at_10_and_10000_posts(client, tag, name):
    assert_flat(client, reverse(name), tag)


def test_tag_page_query_count_is_the_same_at_10_and_10000_posts(client, tag):
    assert_flat(client, tag.get_absolute_url(), tag)


def test_tag_feed_query_count_is_the_same_at_10_and_10000_posts(client, tag):
    assert_flat(client, reverse("blog:tag-feed-rss", kwargs={"slug": tag.slug}), tag)


def test_search_query_count_is_the_same_at_10_and_10000_posts(client, tag):
    assert_flat(client, f"{reverse('blog:search')}?q=budget", tag)


def test_later_pages_of_the_home_page_cost_what_the_first_costs(client, tag):
    author = PostFactory().author
    add_posts(LARGE - 1, tag=tag, author=author)
    client.get(reverse("blog:post-list"))
    first = counts(client, reverse("blog:post-list"))
    assert counts(client, f"{reverse('blog:post-list')}?page=900") == first


def test_the_stored_sitemap_lists_every_post_once_built(client, tag):
    author = PostFactory().author
    add_posts(LARGE - 1, tag=tag, author=author)
    cache.clear()
    xml = client.get(reverse("sitemap")).content.decode()
    assert xml.count("<loc>") == LARGE + 1 + 3 + 2  # posts, the tag, blog and newsletter pages
    assert queries(client, reverse("sitemap")) == 0  # from the shared cache: no post is read
