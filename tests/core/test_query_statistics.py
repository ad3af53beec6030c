import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count, Q
from django.db.models.signals import post_migrate
from django.utils import timezone

from comments.models import PUBLIC, Comment
from core import periodic
from core.tasks import MIN_ROWS_FOR_STATISTICS, refresh_query_statistics
from tests.bench.seed import _bulk_comments
from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def forget_statistics():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is not None:
            cursor.execute("DELETE FROM sqlite_stat1")


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics (autovacuum)")


def many_comments(post) -> None:
    """Threads of four comments, past the row count statistics are kept for."""
    threads = MIN_ROWS_FOR_STATISTICS // 4 + 1
    _bulk_comments([(post, threads)], when=timezone.now() - datetime.timedelta(hours=1))


def test_sqlite_gets_statistics_for_the_comment_tables(sqlite_only):
    forget_statistics()
    many_comments(PostFactory())
    assert refresh_query_statistics() is True
    assert {"django_comments", "comments_comment"} <= analysed_tables()
    assert "blog_post" not in analysed_tables()  # two rows: none kept


def count_plan(posts) -> str:
    """How SQLite would run comments.counts' count of these posts' comments."""
    rows = (
        Comment.objects.filter(post_pk__in=[post.pk for post in posts], is_public=True)
        .order_by()
        .values_list("post_pk")
        .annotate(comments=Count("pk", filter=PUBLIC), threads=Count("pk", filter=Q(level=0)))
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[-1] for row in cursor.fetchall())


def test_figures_of_a_handful_of_rows_never_plan_a_scan_per_comment(sqlite_only):
    """Statistics taken on the demo content, then an import of thousands of comments: the
    count must still look each comment up, not scan the comment table for every one."""
    forget_statistics()
    post = PostFactory()
    for number in range(3):
        add_comment(post, text=f"Point {number}")
    refresh_query_statistics()
    assert "django_comments" not in analysed_tables()
    many_comments(post)
    assert "SCAN django_comments" not in count_plan([post])


def test_statistics_are_refreshed_after_migrate(sqlite_only):
    forget_statistics()
    many_comments(PostFactory())
    core = apps.get_app_config("core")
    post_migrate.send(
        sender=core,
        app_config=core,
        using="default",
        verbosity=0,
        interactive=False,
        plan=[],
        apps=apps,
    )
    assert "django_comments" in analysed_tables()


def test_statistics_are_refreshed_daily_by_a_periodic_job():
    job = {job.name: job for job in periodic.registered()}["query-statistics"]
    assert job.run is refresh_query_statistics
    assert job.every.days == 1


def test_postgresql_is_left_to_autovacuum():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite needs ANALYZE")
    assert refresh_query_statistics() is False
