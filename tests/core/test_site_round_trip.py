"""Moving out and back in (issue 14): export -> fresh database -> import gives the same site.

The source site is built, its public pages fetched, the archive written; then the database is
flushed and the media folder emptied (a fresh install with only the writer's account), the
archive imported, and the same pages fetched again. They must match byte for byte once the
per-request form stamps are set aside: posts and comments keep their ids on a fresh install,
so permalinks (`#c12`) and comment feeds (`/comments/feed/<post id>/`) still work. A second
import changes nothing.
"""

import io
import re
import shutil
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_comments.models import Comment as BaseComment

from blog.models import Image, OldSlug, Post, Tag
from comments.models import Comment
from core import identity, pagecache
from core.models import ImportedRedirect, ImportRecord, OutgoingEmail
from core.transfer import appliers, formats
from core.transfer.document import UnreadableExport
from newsletter.models import Edition, Subscriber, Suppression
from tests.comments.support import add_comment
from tests.core.export_support import export_bytes, make_site
from tests.factories import PostFactory, StaffFactory

pytestmark = pytest.mark.django_db

# What differs per request, not per site: the comment form's signed stamps; and the About
# page's in-page anchors, named after the profile's row (no link from elsewhere names them).
VOLATILE = [
    (re.compile(r'(name="(?:timestamp|security_hash|stamp)"\s+value=")[^"]*'), r"\1…"),
    (re.compile(r'((?:id|aria-labelledby)="profile-)\d+'), r"\1…"),
]


def normalised(html: str) -> str:
    for pattern, replacement in VOLATILE:
        html = pattern.sub(replacement, html)
    return html


def forget_caches():
    cache.clear()
    pagecache._local_pages.clear()
    pagecache._forget_local_state()
    identity.forget_local_copy()


def public_pages() -> dict[str, str]:
    """Every public page of the site, anonymous, as readers get it."""
    forget_caches()
    client = Client()
    urls = ["/", reverse("blog:feed-rss"), reverse("blog:feed-atom"), reverse("blog:about")]
    urls += [reverse("blog:archive"), reverse("sitemap")]
    urls += [post.get_absolute_url() for post in Post.objects.published()]
    urls += [tag.get_absolute_url() for tag in Tag.objects.all()]
    pages = {}
    for url in sorted(set(urls)):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = normalised(response.content.decode())
    for old in OldSlug.objects.select_related("post"):
        url = old.post.get_absolute_url().replace(old.post.slug, old.slug)
        response = client.get(url)
        pages[url] = f"{response.status_code} {response.headers.get('Location')}"
    return pages


def site_state() -> dict:
    return {
        "posts": sorted(
            Post.objects.values_list(
                "pk",
                "slug",
                "title",
                "status",
                "kind",
                "standfirst",
                "body",
                "body_html",
                "featured",
                "comments_open",
                "publish_at",
                "created_at",
                "updated_at",
                "last_public_slug",
                "author__profile__display_name",
            )
        ),
        "images": sorted(
            Image.objects.values_list(
                "post__slug", "file", "alt_text", "caption", "credit", "is_cover", "renditions"
            )
        ),
        "tags": sorted(Tag.objects.values_list("name", "slug", "description", "posts__slug")),
        "old_slugs": sorted(OldSlug.objects.values_list("slug", "post__slug")),
        "comments": sorted(
            Comment.objects.values_list(
                "pk",
                "parent_id",
                "thread_id",
                "nested_count",
                "user_name",
                "user_email",
                "comment",
                "is_public",
                "is_removed",
                "level",
                "order",
                "submit_date",
                "published_at",
                "followup",
                "card_html",
            )
        ),
        "subscribers": sorted(
            Subscriber.objects.values_list(
                "email",
                "status",
                "cadence",
                "signed_up_at",
                "confirmed_at",
                "signup_ip",
                "consent_text",
                "unsubscribed_at",
                "unsubscribe_method",
            )
        ),
        "suppressed": sorted(Suppression.objects.values_list("digest", flat=True)),
    }


def fresh_install(media_root):
    """The database as a fresh install has it: no content, no reader, no account but the
    writer's. (Rows are deleted rather than the database flushed: a flush recreates the
    content types, and every later test would then pay a query for them.)"""
    for model in (
        BaseComment,
        Post,
        Tag,
        Subscriber,
        Suppression,
        ImportedRedirect,
        ImportRecord,
        OutgoingEmail,
        get_user_model(),
    ):
        model._default_manager.all().delete()
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir()
    return StaffFactory(username="restorer", email="me@example.org")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def import_archive(path, *, dry_run=False):
    return appliers.apply_document(formats.parse("dispatch", path), dry_run=dry_run)


def test_export_then_import_into_a_fresh_database_gives_the_same_site(now, tmp_path, media_root):
    make_site(now=now)
    before_pages, before_state = public_pages(), site_state()
    media_before = sorted(p.relative_to(media_root) for p in media_root.rglob("*.*"))
    path = tmp_path / "site.zip"
    path.write_bytes(export_bytes(now=now))

    fresh_install(media_root)
    assert Post.objects.count() == 0 and not list(media_root.iterdir())
    report = import_archive(path)
    assert report.count("failed") == 0, report.text()

    assert site_state() == before_state
    after_pages = public_pages()
    assert after_pages.keys() == before_pages.keys()
    for url, html in before_pages.items():
        assert after_pages[url] == html, url
    assert sorted(p.relative_to(media_root) for p in media_root.rglob("*.*")) == media_before

    # The next post and comment written here get new ids, above the restored ones.
    post = PostFactory(author=Post.objects.first().author)
    reply = add_comment(post, text="First comment on the new home.")
    assert post.pk > max(before_state["posts"])[0]
    assert reply.pk > max(row[0] for row in before_state["comments"])


def test_a_second_import_changes_nothing(now, tmp_path, media_root):
    make_site(now=now)
    path = tmp_path / "site.zip"
    path.write_bytes(export_bytes(now=now))
    fresh_install(media_root)
    first = import_archive(path)
    assert first.count("created") > 0

    def snapshot():
        return {
            model._meta.label: list(model._default_manager.order_by("pk").values())
            for model in apps.get_models()
            if model._meta.app_label in {"blog", "comments", "newsletter", "django_comments"}
        }

    before = snapshot()
    second = import_archive(path)
    assert second.count("created") == 0 and second.count("failed") == 0, second.text()
    assert snapshot() == before


def test_a_dry_run_reports_and_writes_nothing(now, tmp_path, media_root):
    make_site(now=now)
    path = tmp_path / "site.zip"
    path.write_bytes(export_bytes(now=now))
    fresh_install(media_root)
    report = import_archive(path, dry_run=True)
    assert report.count("created") >= 3 + 5 + 4  # posts, comments, subscribers
    assert Post.objects.count() == Comment.objects.count() == Subscriber.objects.count() == 0
    assert not list(media_root.rglob("*.*"))


def test_restored_subscribers_are_never_emailed_and_the_erased_stay_off(
    now, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    site = make_site(now=now)
    PostFactory(author=site["writer"], slug="an-hour-old", publish_at=now - timedelta(hours=1))
    path = tmp_path / "site.zip"
    path.write_bytes(export_bytes(now=now))
    fresh_install(tmp_path / "media")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        import_archive(path)
    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()
    assert not Edition.objects.exists()  # the hour-old post is not announced again
    assert not Subscriber.objects.with_email("erased@example.org").exists()
    assert Suppression.objects.matching("erased@example.org").exists()
    assert Subscriber.objects.get(email="left@example.org").status == "unsubscribed"
    assert Subscriber.objects.get(email="pending@example.org").status == "pending"


# Hostile archives


def zip_with(tmp_path, members: dict[str, bytes], *, name="bad.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bad:
        for member, content in members.items():
            bad.writestr(member, content)
    return path


SITE = b'{"format": "dispatch", "format_version": 1, "site": {}}'


@pytest.mark.parametrize("member", ["../evil.json", "/etc/cron.d/evil", "posts/../../x.json"])
def test_a_member_outside_the_archive_is_refused(tmp_path, member):
    path = zip_with(tmp_path, {"site.json": SITE, member: b"{}"})
    with pytest.raises(UnreadableExport, match="outside itself"):
        formats.parse("dispatch", path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = zip_with(tmp_path, {"site.json": SITE, "posts/bomb.json": b"0" * (20 * 1024 * 1024)})
    with pytest.raises(UnreadableExport, match="zip bomb"):
        formats.parse("dispatch", path)


@pytest.mark.parametrize(
    "members, message",
    [
        ({"README.md": b"hi"}, "No site.json"),
        ({"site.json": b'{"format": "ghost"}'}, "does not name"),
        ({"site.json": b'{"format": "dispatch", "format_version": 99}'}, "reads up to"),
        ({"site.json": b"not json"}, "not valid JSON"),
        ({"site.json": SITE, "comments.json": b'{"comments": [{"id": 1}]}'}, "incomplete"),
        (
            {"site.json": SITE, "posts/a.json": b'{"id": 1, "title": "A", "slug": "a"}'},
            "incomplete",
        ),
    ],
)
def test_what_is_not_our_archive_is_refused_with_a_reason(tmp_path, members, message):
    with pytest.raises(UnreadableExport, match=message):
        formats.parse("dispatch", zip_with(tmp_path, members))


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "site.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UnreadableExport, match="No site.json"):
        formats.parse("dispatch", path)


def test_the_unzipped_folder_imports_as_the_zip_does(now, tmp_path, media_root):
    make_site(now=now)
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(export_bytes(now=now))).extractall(folder)
    fresh_install(media_root)
    report = import_archive(folder)
    assert report.count("failed") == 0, report.text()
    assert Post.objects.count() == 3 and Subscriber.objects.count() == 4


def test_import_site_dispatch_restores_from_the_command_line(now, tmp_path, media_root):
    make_site(now=now)
    path = tmp_path / "site.zip"
    path.write_bytes(export_bytes(now=now))
    fresh_install(media_root)
    out = io.StringIO()
    call_command("import_site", "dispatch", str(path), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and Post.objects.count() == 0
    call_command("import_site", "dispatch", str(path), stdout=out)
    assert "created  post        Buses first" in out.getvalue()
    assert Post.objects.count() == 3 and Comment.objects.count() == 5


def test_an_image_stored_at_a_name_the_site_never_gives_is_not_written(now, tmp_path, media_root):
    make_site(now=now)
    content = export_bytes(now=now)
    source = zipfile.ZipFile(io.BytesIO(content))
    members = {name: source.read(name) for name in source.namelist()}
    post_json = next(
        n for n in members if n.startswith("posts/") and "buses-first" in n and n.endswith(".json")
    )
    members[post_json] = members[post_json].replace(
        b'"stored_name": "uploads/', b'"stored_name": "../../'
    )
    path = zip_with(tmp_path, members)
    fresh_install(media_root)
    report = import_archive(path)
    assert any(line.kind == "image" and line.outcome == "failed" for line in report.lines)
    assert not list(media_root.rglob("*.jpg"))
