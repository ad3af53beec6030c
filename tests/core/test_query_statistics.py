import pytest
from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate

from core import periodic
from core.tasks import refresh_query_statistics
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


def test_sqlite_gets_statistics_for_the_comment_tables(sqlite_only):
    forget_statistics()
    post = PostFactory()
    for number in range(3):
        add_comment(post, text=f"Point {number}")
    assert refresh_query_statistics() is True
    assert {"django_comments", "blog_post"} <= analysed_tables()


def test_statistics_are_refreshed_after_migrate(sqlite_only):
    forget_statistics()
    add_comment(PostFactory())
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
