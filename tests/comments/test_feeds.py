import feedparser
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_site_wide_atom_feed_lists_public_comments_on_published_posts(client):
    post = PostFactory(title="Buses")
    draft = PostFactory(draft=True)
    add_comment(post, text="Visible *comment*", user_name="Ann")
    add_comment(post, text="Held comment", is_public=False)
    add_comment(draft, text="On a draft")
    response = client.get(reverse("comments:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert [entry.title for entry in feed.entries] == ["Ann on “Buses”"]
    (entry,) = feed.entries
    assert entry.link.startswith(f"http://testserver{post.get_absolute_url()}#c")
    assert "<em>comment</em>" in entry.summary
    assert entry.author == "Ann"
    assert "Held" not in response.content.decode() and "draft" not in response.content.decode()


def test_per_post_feed_is_linked_from_the_comment_section(client):
    post, other = PostFactory(), PostFactory()
    add_comment(post, text="Here")
    add_comment(other, text="Elsewhere")
    page = client.get(post.get_absolute_url()).content.decode()
    url = reverse("comments:post-feed", args=[post.pk])
    assert f'href="{url}"' in page
    feed = feedparser.parse(client.get(url).content)
    assert feed.feed.title == f"Comments on “{post.title}”"
    assert [e.summary for e in feed.entries] == ["<p>Here</p>"]


def test_no_feed_for_a_draft(client):
    assert (
        client.get(reverse("comments:post-feed", args=[PostFactory(draft=True).pk])).status_code
        == 404
    )


def test_feed_queries_do_not_grow_with_comments(client, django_assert_max_num_queries):
    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("comments:feed"))
        return len(captured.captured_queries)

    add_comment(PostFactory())
    queries()  # the first request also warms process-wide caches (Site, content types)
    few = queries()
    for post in PostFactory.create_batch(5):
        for _ in range(3):
            add_comment(post)
    # With every cache empty: the next scheduled publication, the site identity, the newest
    # comment ids, their posts, the comments.
    assert queries() == few <= 5
