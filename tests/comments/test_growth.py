"""Pages that show comments cost the same number of queries for 10 comments or 10,000.

The big discussion is inserted in bulk, table by table, as the serving benchmark seeds it
(tests/bench/seed.py): saving 10,000 comments one by one would take minutes.
"""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.bench.seed import _bulk_comments
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_local_copies(settings):
    """Every request reads the shared cache (cleared before each): no clock in the counts."""
    settings.PAGE_CACHE_LOCAL_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0


def pages(post) -> dict[str, str]:
    return {
        "post": post.get_absolute_url(),
        "post, newest first": post.get_absolute_url() + "?order=newest",
        "load more": reverse("comments:threads", args=[post.pk]) + "?page=2",
        "post feed": reverse("comments:post-feed", args=[post.pk]),
        "comments feed": reverse("comments:feed"),
        "home": reverse("blog:post-list"),
    }


def queries(client, paths: dict[str, str]) -> dict[str, int]:
    counts = {}
    for label, path in paths.items():
        client.get(path)  # process-wide caches (content types, site) as a running worker has
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200, label
        counts[label] = len(captured.captured_queries)
    return counts


def test_query_counts_stay_flat_from_10_to_10000_comments(client):
    when = timezone.now() - datetime.timedelta(hours=1)
    small, big = PostFactory(), PostFactory()
    _bulk_comments([(small, 3), (big, 2500)], when=when)  # threads of 4: 12 and 10,000
    assert "10000 comments" in client.get(big.get_absolute_url()).content.decode()
    assert queries(client, pages(big)) == queries(client, pages(small))
    client.force_login(UserFactory())
    assert queries(client, pages(big)) == queries(client, pages(small))
