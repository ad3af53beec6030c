"""Stored articles, head tags and cards (blog.articles): every change a page shows stores them
again, nothing stale is ever served, and the page reads them instead of rendering.

Each test changes a post the way the site does (the admin, the models' saves, the image task)
with its commit callbacks run, then compares what is stored with a rendering made afresh from
the rows, and the page a reader gets with what it shows.
"""

import datetime
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blog import articles
from blog.models import AuthorProfile, Correction, Image, Post, Source, Tag
from blog.tasks import make_image_renditions
from comments.models import Comment
from core import periodic
from core.models import SiteIdentity
from tests.blog.test_admin import post_form
from tests.comments.support import add_comment
from tests.factories import ImageFactory, PostFactory, StaffFactory
from tests.support import related_titles, without_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`commit(change)`: make the change, then run what it set off for after its commit (as
    production does once the transaction commits); returns those callbacks."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            change(*args, **kwargs)
        return callbacks

    return run


def assert_stored_afresh(post) -> dict[str, str]:
    """The post's stored parts are current and equal to a rendering made now from its rows."""
    post = Post.objects.get(pk=post.pk)
    stored = articles.stored_article(post)
    assert stored is not None, "the stored article is outdated"
    fresh = Post.objects.select_related("author__profile").get(pk=post.pk)
    rendered = articles.render_article(articles.article_context(fresh))
    assert stored == {"head": rendered["head"], "body": rendered["body"]}
    assert post.card_html == rendered["card"]
    return stored | {"card": post.card_html}


def page(client, post) -> str:
    cache.clear()
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def post(commit):
    def create():
        climate = Tag.objects.create(name="Climate", slug="climate")
        created.append(PostFactory(title="The harbour’s “last” ferry"))
        created[0].tags.add(climate)

    created = []
    commit(create)
    return created[0]


def test_a_published_post_is_stored_and_the_page_reads_it_instead_of_rendering(client, post):
    stored = assert_stored_afresh(post)
    assert "The harbour’s “last” ferry" in stored["body"]
    assert '<meta property="article:tag" content="Climate">' in stored["head"]
    with CaptureQueriesContext(connection) as queries:
        html = page(client, post)
    assert stored["head"] in html and stored["body"] in html
    # None of what only the article shows is read: tags, images, sources, corrections.
    read = " ".join(query["sql"] for query in queries)
    for table in ("blog_tag", "blog_image", "blog_source", "blog_correction"):
        assert f'FROM "{table}"' not in read, table


def test_the_stored_page_is_the_page_rendered_live_byte_for_byte(client, post, settings):
    settings.PAGE_CACHE_SECONDS = 0

    from_store = client.get(post.get_absolute_url()).content
    Post.objects.filter(pk=post.pk).update(article_key="")  # as if never stored
    live = client.get(post.get_absolute_url()).content
    assert b'class="article"' in from_store
    assert without_clock(from_store) == without_clock(live)


def rename_tag(post, name):
    tag = post.tags.get()
    tag.name = name
    tag.save()


def rename_author(post, name):
    AuthorProfile.objects.update_or_create(user=post.author, defaults={"display_name": name})


def save_post(post, **fields):
    post = Post.objects.get(pk=post.pk)
    for name, value in fields.items():
        setattr(post, name, value)
    post.save()


@pytest.mark.parametrize(
    "change, shown",
    [
        (lambda post: save_post(post, title="The ferry’s “very last” crossing"), "very last"),
        (lambda post: post.tags.add(Tag.objects.create(name="Transit", slug="transit")), "Transit"),
        (lambda post: rename_tag(post, "Weather"), "Weather"),
        (
            lambda post: Source.objects.create(
                post=post, publisher="Harbour Gazette", title="Timetables", url="https://e.org/"
            ),
            "Harbour Gazette",
        ),
        (
            lambda post: Correction.objects.create(post=post, note="The ferry runs on Sundays."),
            "The ferry runs on Sundays.",
        ),
        (
            lambda post: ImageFactory(post=post, is_cover=True, alt_text="The quay at dawn"),
            "The quay at dawn",
        ),
        (lambda post: rename_author(post, "Maren Q. Adair"), "Maren Q. Adair"),
    ],
    ids=["post saved", "tag added", "tag renamed", "source", "correction", "cover", "byline"],
)
def test_every_change_the_article_shows_stores_it_again(client, commit, post, change, shown):
    before = assert_stored_afresh(post)
    assert shown not in before["head"] + before["body"] + before["card"]
    commit(change, post)
    stored = assert_stored_afresh(post)
    assert shown in stored["head"] + stored["body"] + stored["card"]
    assert shown in page(client, post)


def test_removals_store_it_again(commit, post):
    def add_parts():
        Source.objects.create(post=post, publisher="Gazette", title="T", url="https://e.org/")
        Correction.objects.create(post=post, note="A first correction.")
        ImageFactory(post=post, is_cover=True, alt_text="The quay at dawn")

    commit(add_parts)
    stored = assert_stored_afresh(post)
    for shown in ("Gazette", "A first correction.", "The quay at dawn", "Climate"):
        assert shown in stored["head"] + stored["body"] + stored["card"]

    def remove_parts():
        for model in (Source, Correction, Image):
            for row in model.objects.all():
                row.delete()
        post.tags.clear()

    commit(remove_parts)
    stored = assert_stored_afresh(post)
    for gone in ("Gazette", "A first correction.", "The quay at dawn", "Climate"):
        assert gone not in stored["head"] + stored["body"] + stored["card"]


def test_a_deleted_tag_leaves_the_articles_that_showed_it(commit, post):
    commit(Tag.objects.get(slug="climate").delete)
    stored = assert_stored_afresh(post)
    assert "Climate" not in stored["head"] + stored["body"] + stored["card"]


def test_tags_given_from_the_tags_side_store_their_posts_again(commit, post):
    transit = Tag.objects.create(name="Transit", slug="transit")
    commit(transit.posts.add, post)
    assert "Transit" in assert_stored_afresh(post)["body"]
    commit(transit.posts.clear)
    assert "Transit" not in assert_stored_afresh(post)["body"]


def test_a_user_renamed_changes_the_byline_but_a_sign_in_renders_nothing(commit, post):
    author = post.author
    author.first_name, author.last_name = "Ines", "Okafor"
    commit(author.save)
    assert "Ines Okafor" in assert_stored_afresh(post)["body"]
    author.last_login = datetime.datetime.now(tz=datetime.UTC)
    callbacks = commit(author.save, update_fields=["last_login"])
    assert [cb for cb in callbacks if getattr(cb, "func", None) is articles.store_articles] == []
    assert articles.stored_article(Post.objects.get(pk=post.pk)) is not None


def test_renditions_made_by_the_worker_store_the_article_with_them(commit, post):
    image = ImageFactory(post=post, is_cover=True, alt_text="The quay at dawn")
    assert 'srcset="' not in articles.render_article(articles.article_context(post))["body"]
    commit(make_image_renditions.call, image.pk)
    assert 'srcset="' in assert_stored_afresh(post)["body"]


def test_a_changed_comment_count_stores_the_card_again(commit, post):
    commit(add_comment, post)
    assert "1 comment" in assert_stored_afresh(post)["card"]
    commit(Comment.objects.get().delete)
    assert 'class="post-card__comments"' not in assert_stored_afresh(post)["card"]


def test_a_change_outdates_the_stored_article_in_its_own_transaction(client, post):
    """Before its commit callbacks run (or if the process dies before they do), a change
    already makes the stored article count for nothing: the page renders live."""
    story = Post.objects.get(pk=post.pk)
    story.title = "A title changed after the store"
    story.save()  # no commit callback runs here: the test's transaction is still open
    assert articles.stored_article(Post.objects.get(pk=post.pk)) is None
    assert "A title changed after the store" in page(client, post)
    Correction.objects.create(post=post, note="Added in the same breath.")
    assert "Added in the same breath." in page(client, post)


def test_saving_only_some_fields_still_outdates_the_article(commit, post):
    story = Post.objects.get(pk=post.pk)
    version = story.article_version
    story.title = "Only the title"
    commit(lambda: story.save(update_fields=["title"]))
    assert Post.objects.get(pk=post.pk).article_version == version + 1
    assert "Only the title" in assert_stored_afresh(post)["body"]


def test_an_instance_saved_twice_never_brings_back_an_older_version(commit, post):
    """The version is raised in SQL and read back from the database, never written from a
    number held in memory: a second save of the same object cannot match an older store."""
    story = Post.objects.get(pk=post.pk)
    story.title = "First edit"
    commit(story.save)
    version = Post.objects.get(pk=post.pk).article_version
    story.title = "Second edit"
    commit(story.save)
    assert story.article_version == version + 1  # read back when asked for
    assert "Second edit" in assert_stored_afresh(post)["body"]


def test_a_rendering_of_an_older_version_is_not_written(post, monkeypatch):
    """Two changes racing: the rendering that read the older version must not overwrite."""
    render = articles.render_article

    def render_while_another_change_commits(context):
        rendered = render(context)
        Post.objects.filter(pk=post.pk).update(article_version=context["post"].article_version + 1)
        return rendered

    monkeypatch.setattr(articles, "render_article", render_while_another_change_commits)
    assert articles.store_articles([post.pk]) == 0
    assert articles.stored_article(Post.objects.get(pk=post.pk)) is None


def test_other_settings_or_site_name_leave_stored_articles_unused_until_stored_again(
    client, commit, post, settings
):
    assert_stored_afresh(post)
    settings.TIME_ZONE = "Pacific/Auckland"
    assert articles.stored_article(Post.objects.get(pk=post.pk)) is None
    assert articles.store_outdated_articles() == 1
    assert_stored_afresh(post)
    commit(SiteIdentity.objects.create, site_name="The Harbour Dispatch")
    assert articles.stored_article(Post.objects.get(pk=post.pk)) is None
    assert "The Harbour Dispatch" in page(client, post)  # live meanwhile, with the new name
    assert articles.store_outdated_articles() == 1
    assert "The Harbour Dispatch" in assert_stored_afresh(post)["head"]


def test_the_hourly_job_reads_only_keys_and_stores_posts_written_in_bulk(post):
    Post.objects.bulk_create([Post(title="Bulk", slug="bulk", body="Text.", author=post.author)])
    assert "blog-articles" in {job.name for job in periodic.registered()}
    with CaptureQueriesContext(connection) as queries:
        assert articles.store_outdated_articles() == 1
    keys = queries.captured_queries[0]["sql"]
    assert "article_html" not in keys and "card_html" not in keys and '"body"' not in keys
    assert_stored_afresh(Post.objects.get(slug="bulk"))
    assert articles.store_outdated_articles() == 0


def test_migrate_stores_outdated_articles_in_the_worker(commit, post):
    from django.core.management import call_command

    Post.objects.filter(pk=post.pk).update(article_key="from an older release")
    # Queued once migrate's work is committed; tests run tasks at once (ImmediateBackend).
    commit(call_command, "migrate", "blog", verbosity=0)
    assert_stored_afresh(post)


def test_the_admin_change_page_stores_the_article_with_its_inlines_and_tags(client, commit):
    author = StaffFactory()
    client.force_login(author)
    transit = Tag.objects.create(name="Transit", slug="transit")
    data = post_form(author, tags=[transit.pk]) | {
        "corrections-TOTAL_FORMS": 1,
        "corrections-0-note": "The vote was on Tuesday.",
        "corrections-0-noted_at_0": "2026-12-01",
        "corrections-0-noted_at_1": "09:30",
    }
    responses = []
    commit(lambda: responses.append(client.post(reverse("admin:blog_post_add"), data)))
    response = responses[0]
    assert response.status_code == 302, response.context and response.context["errors"]
    post = Post.objects.get(slug="russias-puppet-ally")
    stored = assert_stored_afresh(post)
    assert "The vote was on Tuesday." in stored["body"] and "Transit" in stored["body"]
    client.logout()
    assert stored["body"] in page(client, post)


def test_a_draft_published_later_shows_its_published_article(client, commit):
    created = []
    commit(lambda: created.append(PostFactory(draft=True, title="Not yet public")))
    draft = created[0]
    assert client.get(draft.get_absolute_url()).status_code == 404
    commit(save_post, draft, status=Post.Status.PUBLISHED, title="Public now")
    html = page(client, Post.objects.get(pk=draft.pk))
    assert "Public now" in html and "Not yet public" not in html
    assert_stored_afresh(draft)


def test_related_cards_are_stored_ones_when_current_and_rendered_when_not(client, commit, post):
    others = []
    commit(lambda: others.append(PostFactory(title="Another crossing")))
    other = others[0]
    commit(other.tags.add, Tag.objects.get(slug="climate"))
    stored_card = assert_stored_afresh(other)["card"]
    html = page(client, post)
    assert stored_card in html
    Post.objects.filter(pk=other.pk).update(article_key="")
    live = page(client, post)
    assert stored_card in live  # rendered now, the same card


def test_related_reading_is_chosen_once_per_change_of_public_content(
    client, commit, post, settings
):
    """The section is worked out once, then read back whole until something public changes:
    a post sharing a tag published since shows on the very next view (page cache off, so
    every view renders)."""
    settings.PAGE_CACHE_SECONDS = 0
    first = []
    commit(lambda: first.append(PostFactory(title="Another crossing")))
    commit(first[0].tags.add, Tag.objects.get(slug="climate"))
    cache.clear()
    assert related_titles(client.get(post.get_absolute_url())) == ["Another crossing"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(post.get_absolute_url())
    assert related_titles(again) == ["Another crossing"]
    assert not [q for q in queries if "blog_post_tags" in q["sql"]], "chosen again"

    def publish_another():
        newer = PostFactory(title="The night crossing")
        newer.tags.add(Tag.objects.get(slug="climate"))

    commit(publish_another)
    shown = related_titles(client.get(post.get_absolute_url()))
    assert shown == ["The night crossing", "Another crossing"]


def test_related_reading_chosen_for_a_signed_in_reader_is_what_everyone_gets(
    client, commit, post, settings
):
    """The section is shared by every reader, so the first view may be anyone's: cards
    rendered live for signed-in staff are the ones an anonymous reader gets afresh."""
    settings.PAGE_CACHE_SECONDS = 0
    commit(lambda: PostFactory(title="Another crossing").tags.add(Tag.objects.get(slug="climate")))
    Post.objects.update(article_key="")  # outdated: the cards render live, with the request

    def related_section(html: bytes) -> bytes:
        return html.split(b'id="related-title"', 1)[1].split(b"</section>", 1)[0]

    cache.clear()
    client.force_login(StaffFactory())
    shared = related_section(client.get(post.get_absolute_url()).content)
    client.logout()
    assert related_section(client.get(post.get_absolute_url()).content) == shared
    cache.clear()
    assert related_section(client.get(post.get_absolute_url()).content) == shared


def test_related_reading_is_chosen_afresh_when_its_cards_render_otherwise(
    client, commit, post, settings
):
    """A release or a setting that changes how cards render (their fingerprint) never reads
    a section chosen before it, even within one generation of public content."""
    settings.PAGE_CACHE_SECONDS = 0
    commit(lambda: PostFactory(title="Another crossing").tags.add(Tag.objects.get(slug="climate")))
    cache.clear()
    assert related_titles(client.get(post.get_absolute_url())) == ["Another crossing"]
    key = articles.cards_key()
    with patch.object(articles, "cards_key", return_value=key + "-next"):
        with CaptureQueriesContext(connection) as queries:
            assert related_titles(client.get(post.get_absolute_url())) == ["Another crossing"]
    assert [q for q in queries if "blog_post_tags" in q["sql"]], "read from before"


def test_a_post_written_by_the_release_before_is_shown_then_stored(client, post):
    """Expand/contract (docs/runbook.md): while this release migrates, the one before still
    writes posts, with INSERTs that name none of the new columns; the database fills them."""
    new = {"article_version", "article_key", "article_head_html", "article_html", "card_html"}
    columns = [
        field.column
        for field in Post._meta.concrete_fields
        if field.column not in new and field.column != "id"
    ]
    quote = connection.ops.quote_name
    copied = [f"{quote(c)} || %s" if c == "slug" else quote(c) for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO blog_post ({', '.join(map(quote, columns))}) "
            f"SELECT {', '.join(copied)} FROM blog_post WHERE id = %s",
            ["-old", post.pk],
        )
    old = Post.objects.get(slug=f"{post.slug}-old")
    assert (old.article_key, old.article_version) == ("", 0)
    assert "The harbour’s “last” ferry" in page(client, old)
    assert articles.store_outdated_articles() == 1
    assert_stored_afresh(old)


def test_a_queue_that_is_down_does_not_fail_migrate(commit, post, monkeypatch, caplog):
    """After `migrate` the stores are queued; with the queue down, migrate still succeeds."""
    from django.core.management import call_command

    from blog import tasks as blog_tasks
    from comments import tasks as comment_tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("the queue is down")

    down = SimpleNamespace(enqueue=refuse)
    monkeypatch.setattr(blog_tasks, "store_outdated_articles", down)
    monkeypatch.setattr(comment_tasks, "store_outdated_sections", down)
    commit(call_command, "migrate", verbosity=0)
    refused = [record for record in caplog.records if "the queue is down" in record.getMessage()]
    assert len(refused) == 2  # logged, one per app, and migrate went on


def test_migrating_a_new_database_queues_nothing(django_capture_on_commit_callbacks):
    """A database without posts has nothing stored to bring up to date: no task rows (a
    restore checks that the database it fills is empty)."""
    from django.core.management import call_command

    with django_capture_on_commit_callbacks() as callbacks:
        call_command("migrate", verbosity=0)
    assert callbacks == []


def test_storing_many_articles_reads_their_parts_once_per_batch(post):
    """The hourly job and the migrate task store every outdated post: a post's tags, images,
    sources and corrections come in one query each for the whole batch."""
    others = PostFactory.create_batch(5)
    with CaptureQueriesContext(connection) as one:
        articles.store_articles([post.pk])
    with CaptureQueriesContext(connection) as six:
        articles.store_articles([post.pk, *(other.pk for other in others)])
    # Per post only its write and its card's comment count.
    assert len(six) <= len(one) + 2 * len(others)
