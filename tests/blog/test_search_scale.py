"""Search and related posts cost the same at 10 and 10,000 posts (issue 12, goal 4)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blog import search
from blog.models import Post, Tag
from blog.search import search_posts
from tests.factories import PostFactory, UserFactory
from tests.support import related_titles, warm_site_identity

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search only"
)


def bulk_posts(count: int, *, start: int = 0, tag: Tag | None = None) -> list[Post]:
    """`count` published posts, each holding the word “tram”, older as `start` grows."""
    author = UserFactory()
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            title=f"Bulk piece {n}",
            slug=f"bulk-piece-{n}",
            body=f"The tram runs on line {n}.",
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=now - datetime.timedelta(days=1, minutes=n),
        )
        for n in range(start, start + count)
    )
    if tag is not None:
        Post.tags.through.objects.bulk_create(
            Post.tags.through(post_id=post.pk, tag_id=tag.pk) for post in posts
        )
    return posts


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    """Every request builds its page, as the benchmark's "uncached" figures do."""
    settings.PAGE_CACHE_SECONDS = 0


def queries_for(client, url: str, params: dict | None = None) -> list[str]:
    """The SQL one request runs, every cache but the site's identity empty."""
    cache.clear()
    warm_site_identity()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def found(query: str) -> list[Post]:
    return list(search_posts(Post.objects.published(), query))


def test_search_page_runs_the_same_queries_at_10_and_10000_posts(client):
    bulk_posts(10)
    url = reverse("blog:search")
    client.get(url, {"q": "tram"})  # what a process looks up once in its life
    at_10 = queries_for(client, url, {"q": "tram"})
    bulk_posts(9_990, start=10)
    at_10000 = queries_for(client, url, {"q": "tram"})
    assert len(at_10000) == len(at_10)
    assert len(queries_for(client, url, {"q": "tram", "page": 3})) == len(at_10)


def test_a_word_in_every_post_lists_only_the_newest_matches():
    posts = bulk_posts(search.MAX_RANKED_RESULTS + 5)
    results = found("tram")
    assert len(results) == search.MAX_RANKED_RESULTS
    assert {post.pk for post in results} == {post.pk for post in posts[: search.MAX_RANKED_RESULTS]}


def test_the_search_page_says_when_it_lists_only_the_newest_matches(client):
    url = reverse("blog:search")
    bulk_posts(3)
    assert "3 results for “tram”" in client.get(url, {"q": "tram"}).content.decode()
    bulk_posts(search.MAX_RANKED_RESULTS, start=3)
    page = client.get(url, {"q": "tram"}).content.decode()
    assert f"The {search.MAX_RANKED_RESULTS} newest results for “tram”" in page
    assert "add a word to narrow them down" in page


def test_results_follow_an_edit_of_the_title_and_body():
    post = PostFactory(title="Buses first", body="The buses run on time.")
    assert found("trams") == []
    post.title = "Trams first"
    post.save()
    assert found("trams") == [post]
    post.title = "Cycling first"
    post.body = "The bikes arrive."
    post.save()
    assert found("trams") == []
    assert found("bikes") == [post]


def test_results_drop_a_post_once_it_is_unpublished():
    post = PostFactory(title="Trams first")
    assert found("trams") == [post]
    post.status = Post.Status.DRAFT
    post.save()
    assert found("trams") == []


@postgres_only
def test_postgres_search_reads_the_gin_index():
    bulk_posts(2000)  # enough rows for the planner to weigh an index at all
    PostFactory(title="Funicular", body="Up the hill.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE blog_post")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = search_posts(Post.objects.published(), "funicular").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "blog_post_search_document_gin" in plan, plan


@postgres_only
def test_postgres_search_document_is_weighted_title_standfirst_body():
    PostFactory(title="Harbour", standfirst="Tram", body="Bike.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_document::text FROM blog_post")
        (document,) = cursor.fetchone()
    assert document == "'bike':3C 'harbour':1A 'tram':2B"


def test_post_page_runs_the_same_queries_at_10_and_10000_tagged_posts(client):
    tag = Tag.objects.create(name="Transit", slug="transit")
    post = PostFactory()
    post.tags.add(tag)
    bulk_posts(10, tag=tag)
    client.get(post.get_absolute_url())  # what a process looks up once in its life
    at_10 = queries_for(client, post.get_absolute_url())
    bulk_posts(9_990, start=10, tag=tag)
    at_10000 = queries_for(client, post.get_absolute_url())
    assert len(at_10000) == len(at_10)


def test_related_posts_rank_shared_tags_first_then_newest(client):
    climate, transit = (Tag.objects.create(name=n, slug=n.lower()) for n in ("Climate", "Transit"))
    post = PostFactory()
    post.tags.set([climate, transit])
    now = timezone.now()
    old_both = PostFactory(publish_at=now - datetime.timedelta(days=30))
    old_both.tags.set([climate, transit])
    newer_one = PostFactory(publish_at=now - datetime.timedelta(days=2))
    newer_one.tags.set([climate])
    newest_one = PostFactory(publish_at=now - datetime.timedelta(hours=2))
    newest_one.tags.set([transit])
    draft = PostFactory(draft=True)
    draft.tags.set([climate, transit])
    response = client.get(post.get_absolute_url())
    assert related_titles(response) == [old_both.title, newest_one.title, newer_one.title]
