"""A site that loaded the demo content before it was marked: the migration marks it, so
`remove_demo_content` can take it away and `make run` never loads it again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("blog", "0007_oldslug")]
AFTER = [("blog", "0008_demo_marks_and_author_display_name")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_demo_rows_are_marked_and_profiles_get_a_display_name():
    apps = migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Post = apps.get_model("blog", "Post")
    Tag = apps.get_model("blog", "Tag")
    Profile = apps.get_model("blog", "AuthorProfile")
    maren = User.objects.create(
        username="maren", first_name="Maren", last_name="Adair", password="!x"
    )
    writer = User.objects.create(
        username="jo", first_name="Jo", last_name="Writer", password="pbkdf"
    )
    Profile.objects.create(user=maren, bio="Demo.")
    Profile.objects.create(user=writer, bio="Mine.")
    demo = Post.objects.create(
        title="Buses", slug="port-alder-buses-first-budget", body="x", author=maren
    )
    own = Post.objects.create(title="Mine", slug="mine", body="x", author=writer)
    climate = Tag.objects.create(name="Climate", slug="climate")
    shared = Tag.objects.create(name="Media", slug="media")
    demo.tags.add(climate, shared)
    own.tags.add(shared)
    try:
        apps = migrate(AFTER)
        Post = apps.get_model("blog", "Post")
        Tag = apps.get_model("blog", "Tag")
        Profile = apps.get_model("blog", "AuthorProfile")
        assert dict(Post.objects.values_list("slug", "is_demo")) == {
            "port-alder-buses-first-budget": True,
            "mine": False,
        }
        assert dict(Tag.objects.values_list("slug", "is_demo")) == {"climate": True, "media": False}
        assert dict(Profile.objects.values_list("display_name", "is_demo")) == {
            "Maren Adair": True,
            "Jo Writer": False,
        }
        assert apps.get_model("blog", "DemoContentLoad").objects.count() == 1
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
