"""The writing desk's endpoints (blog/desk.py): preview, autosave, image drop, compare, restore.

Each is staff only with the post's change permission, allows only its method, and refuses a
POST from another site (Django's CSRF token, and the browser's Origin on top).
"""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog import revisions
from blog.models import Image, Post, PostRevision
from tests.blog.images_support import picture_bytes
from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SAME_SITE = {"Origin": "http://testserver"}
OTHER_SITE = {"Origin": "https://attacker.example"}


def preview_url():
    return reverse("admin:blog_post_desk_preview")


def autosave_url(post):
    return reverse("admin:blog_post_autosave", args=[post.pk])


def upload_url(post):
    return reverse("admin:blog_post_desk_upload", args=[post.pk])


def restore_url(revision):
    return reverse("admin:blog_post_revision_restore", args=[revision.post_id, revision.pk])


def compare_url(revision):
    return reverse("admin:blog_post_revision", args=[revision.post_id, revision.pk])


def change_url(post):
    return reverse("admin:blog_post_change", args=[post.pk])


# The preview


def test_preview_renders_the_body_as_a_save_would_with_its_word_count(author_client):
    response = author_client.post(
        preview_url(), {"body": 'A *bold* claim -- "really".\nSecond line.'}, headers=SAME_SITE
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["html"] == "<p>A <em>bold</em> claim – “really”.</p>\n<p>Second line.</p>"
    saved = PostFactory(body='A *bold* claim -- "really".\nSecond line.')
    assert answer["html"] == saved.body_html
    assert answer["words"] == 6
    assert answer["reading_minutes"] == 1


def test_preview_reading_time_follows_the_length(author_client):
    answer = author_client.post(preview_url(), {"body": "word " * 700}, headers=SAME_SITE).json()
    assert answer["words"] == 700
    assert answer["reading_minutes"] == 4


def test_preview_cleans_what_markdown_lets_through(author_client):
    answer = author_client.post(
        preview_url(),
        {"body": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
        headers=SAME_SITE,
    ).json()
    assert "<script" not in answer["html"] and "onerror" not in answer["html"]


@pytest.mark.parametrize("method", ["get", "head", "put", "delete"])
def test_preview_allows_only_post(author_client, method):
    response = getattr(author_client, method)(preview_url(), headers=SAME_SITE)
    assert response.status_code == 405


def test_preview_refuses_another_site(author_client):
    response = author_client.post(preview_url(), {"body": "Hello"}, headers=OTHER_SITE)
    assert response.status_code == 403
    assert "html" not in response.json()


def test_preview_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="author"))
    response = client.post(preview_url(), {"body": "Hello"}, headers=SAME_SITE)
    assert response.status_code == 403


def test_preview_answers_with_the_csrf_token_from_the_editor():
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="author"))
    page = client.get(reverse("admin:blog_post_add"))
    token = page.context["csrf_token"]
    response = client.post(
        preview_url(), {"body": "Hello"}, headers=SAME_SITE | {"X-CSRFToken": str(token)}
    )
    assert response.status_code == 200


def test_visitors_and_readers_cannot_use_the_preview(client):
    response = client.post(preview_url(), {"body": "Hello"}, headers=SAME_SITE)
    assert response.status_code == 302
    client.force_login(UserFactory(username="reader"))
    response = client.post(preview_url(), {"body": "Hello"}, headers=SAME_SITE)
    assert response.status_code == 302
    assert "html" not in response.content.decode()


def test_staff_without_post_permissions_cannot_use_the_preview(client):
    client.force_login(UserFactory(username="moderator", is_staff=True))
    response = client.post(preview_url(), {"body": "Hello"}, headers=SAME_SITE)
    assert response.status_code == 403


def test_an_oversized_preview_is_a_400_not_a_500(author_client):
    response = author_client.post(preview_url(), {"body": "x" * 300_001}, headers=SAME_SITE)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_the_preview_frame_shows_the_saved_post_in_the_site_styles(author_client):
    post = PostFactory(body="Saved *text*.", draft=True)
    response = author_client.get(reverse("admin:blog_post_desk_frame"), {"post": post.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>text</em>" in html and "css/site.css" in html
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_frame_allows_only_safe_methods(author_client):
    response = author_client.post(reverse("admin:blog_post_desk_frame"), headers=SAME_SITE)
    assert response.status_code == 405


def test_the_preview_frame_is_staff_only(client):
    post = PostFactory(body="Secret draft.", draft=True)
    response = client.get(reverse("admin:blog_post_desk_frame"), {"post": post.pk})
    assert response.status_code == 302
    assert "Secret draft" not in response.content.decode()


# Autosave


def test_autosave_keeps_a_revision_and_never_changes_a_published_post(author_client):
    post = PostFactory(title="Live title", body="Live text.")
    before = Post.objects.values("title", "body", "body_html", "status", "updated_at").get()
    response = author_client.post(
        autosave_url(post),
        {"title": "Working title", "body": "Half-written text"},
        headers=SAME_SITE,
    )
    assert response.status_code == 200
    assert response.json()["saved"] is True
    assert Post.objects.values("title", "body", "body_html", "status", "updated_at").get() == before
    revision = post.revisions.get()
    assert (revision.title, revision.body, revision.kind) == (
        "Working title",
        "Half-written text",
        PostRevision.Kind.AUTOSAVE,
    )
    assert revision.author == author_client.author


def test_autosave_never_publishes_a_draft(author_client):
    post = PostFactory(draft=True)
    author_client.post(autosave_url(post), {"title": "T", "body": "B"}, headers=SAME_SITE)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.publish_at is None


def test_autosave_of_unchanged_text_keeps_nothing(author_client):
    post = PostFactory(title="Same", body="Same text.")
    response = author_client.post(
        autosave_url(post), {"title": "Same", "body": "Same text."}, headers=SAME_SITE
    )
    assert response.json()["saved"] is False
    assert not post.revisions.exists()


def test_autosaves_within_a_minute_become_one_revision(author_client):
    post = PostFactory()
    for body in ("One", "One two", "One two three"):
        author_client.post(autosave_url(post), {"title": "T", "body": body}, headers=SAME_SITE)
    assert list(post.revisions.values_list("body", flat=True)) == ["One two three"]


def test_an_autosave_after_a_minute_starts_a_new_revision():
    post = PostFactory()
    author = StaffFactory(username="author")
    start = timezone.now()
    revisions.autosave(post, title="T", body="First", author=author, now=start)
    later = start + datetime.timedelta(seconds=61)
    revisions.autosave(post, title="T", body="Second", author=author, now=later)
    assert list(post.revisions.values_list("body", flat=True)) == ["Second", "First"]


def test_a_post_keeps_its_latest_fifty_revisions():
    post = PostFactory()
    author = StaffFactory(username="author")
    start = timezone.now()
    for minute in range(55):
        revisions.autosave(
            post,
            title="T",
            body=f"Version {minute}",
            author=author,
            now=start + datetime.timedelta(minutes=minute),
        )
    kept = list(post.revisions.values_list("body", flat=True))
    assert len(kept) == revisions.KEEP_REVISIONS == 50
    assert kept[0] == "Version 54" and kept[-1] == "Version 5"


@pytest.mark.parametrize("method", ["get", "head"])
def test_autosave_allows_only_post(author_client, method):
    post = PostFactory()
    assert getattr(author_client, method)(autosave_url(post)).status_code == 405
    assert not post.revisions.exists()


def test_autosave_refuses_another_site(author_client):
    post = PostFactory()
    response = author_client.post(
        autosave_url(post), {"title": "T", "body": "B"}, headers=OTHER_SITE
    )
    assert response.status_code == 403
    assert not post.revisions.exists()


def test_autosave_needs_the_change_permission(client):
    post = PostFactory()
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(viewer)
    response = client.post(autosave_url(post), {"title": "T", "body": "B"}, headers=SAME_SITE)
    assert response.status_code == 403
    assert not post.revisions.exists()


def test_autosave_of_a_missing_post_is_a_404(author_client):
    response = author_client.post(
        reverse("admin:blog_post_autosave", args=[999999]), {"body": "B"}, headers=SAME_SITE
    )
    assert response.status_code == 404


# Saving in the admin, the revisions list, compare and restore


def test_saving_the_post_in_the_admin_keeps_a_revision(author_client):
    from tests.blog.test_admin import post_form

    author_client.post(
        reverse("admin:blog_post_add"), post_form(author_client.author, status="draft")
    )
    post = Post.objects.get()
    revision = post.revisions.get()
    assert revision.kind == PostRevision.Kind.SAVED and revision.body == post.body


def test_the_post_page_lists_its_revisions_and_offers_a_newer_autosave(author_client):
    post = PostFactory(title="Saved", body="Saved text.")
    revisions.autosave(post, title="Saved", body="Typed later.", author=author_client.author)
    page = author_client.get(change_url(post)).content.decode()
    assert "Revisions" in page and "Autosaved" in page
    revision = post.revisions.get()
    assert compare_url(revision) in page and restore_url(revision) in page
    assert "There is an autosaved version" in page


def test_the_post_page_lists_revisions_in_a_fixed_number_of_queries(
    author_client, django_assert_max_num_queries
):
    post = PostFactory()
    for minute in range(3):
        revisions.record(
            post,
            title="T",
            body=f"v{minute}",
            author=author_client.author,
            kind=PostRevision.Kind.SAVED,
        )
    with django_assert_max_num_queries(40) as few:
        author_client.get(change_url(post))
    for minute in range(3, 20):
        revisions.record(
            post,
            title="T",
            body=f"v{minute}",
            author=author_client.author,
            kind=PostRevision.Kind.SAVED,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        author_client.get(change_url(post))


def test_compare_shows_the_differences_escaped(author_client):
    post = PostFactory(body="Same line.\nThe council voted yes.")
    revision = revisions.record(
        post,
        title=post.title,
        body="Same line.\nThe council voted no.\n<script>alert(1)</script>",
        author=author_client.author,
        kind=PostRevision.Kind.AUTOSAVE,
    )
    response = author_client.get(compare_url(revision))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>no.</del>" in html and "<ins>yes.</ins>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_compare_allows_only_safe_methods(author_client):
    post = PostFactory()
    revision = revisions.record(post, title="T", body="B", author=None, kind="autosave")
    assert author_client.post(compare_url(revision), headers=SAME_SITE).status_code == 405


def test_compare_of_another_posts_revision_is_a_404(author_client):
    revision = revisions.record(PostFactory(), title="T", body="B", author=None, kind="autosave")
    other = PostFactory()
    url = reverse("admin:blog_post_revision", args=[other.pk, revision.pk])
    assert author_client.get(url).status_code == 404


def test_restoring_into_a_draft_keeps_the_text_it_replaces(author_client):
    post = PostFactory(draft=True, title="Draft", body="Old text.")
    old = revisions.record(post, title="Draft", body="Old text.", author=None, kind="saved")
    post.body = "New text."
    post.save()
    response = author_client.post(restore_url(old), headers=SAME_SITE)
    assert response.status_code == 302
    assert response["Location"] == change_url(post)
    post.refresh_from_db()
    assert post.body == "Old text."
    assert post.status == Post.Status.DRAFT
    kept = post.revisions.filter(kind=PostRevision.Kind.BEFORE_RESTORE).get()
    assert kept.body == "New text."


def test_restoring_on_a_published_post_puts_it_in_the_editor_not_on_the_page(author_client):
    post = PostFactory(title="Live", body="Live text.")
    old = revisions.record(post, title="Live", body="Older text.", author=None, kind="autosave")
    response = author_client.post(restore_url(old), headers=SAME_SITE, follow=True)
    post.refresh_from_db()
    assert post.body == "Live text." and "Older text" not in post.body_html
    editor = response.context["adminform"].form
    assert editor["body"].value() == "Older text."
    assert "Readers still see the published text" in response.content.decode()
    assert post.revisions.filter(kind=PostRevision.Kind.BEFORE_RESTORE, body="Live text.").exists()


@pytest.mark.parametrize("method", ["get", "head"])
def test_restore_allows_only_post(author_client, method):
    post = PostFactory(draft=True, body="Current.")
    old = revisions.record(post, title="T", body="Old.", author=None, kind="saved")
    assert getattr(author_client, method)(restore_url(old)).status_code == 405
    post.refresh_from_db()
    assert post.body == "Current."


def test_restore_refuses_another_site(author_client):
    post = PostFactory(draft=True, body="Current.")
    old = revisions.record(post, title="T", body="Old.", author=None, kind="saved")
    assert author_client.post(restore_url(old), headers=OTHER_SITE).status_code == 403
    post.refresh_from_db()
    assert post.body == "Current."


def test_restore_needs_the_csrf_token():
    post = PostFactory(draft=True, body="Current.")
    old = revisions.record(post, title="T", body="Old.", author=None, kind="saved")
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="author"))
    assert client.post(restore_url(old), headers=SAME_SITE).status_code == 403
    post.refresh_from_db()
    assert post.body == "Current."


# Images dropped or pasted into the text


def test_a_dropped_image_goes_through_the_image_pipeline(
    author_client, django_capture_on_commit_callbacks, settings
):
    settings.IMAGE_RENDITION_WIDTHS = [40]
    post = PostFactory(draft=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            upload_url(post),
            {"file": _upload("harbour-at-dusk.png", picture_bytes("PNG")), "alt_text": "Harbour"},
            headers=SAME_SITE,
        )
    assert response.status_code == 201
    image = Image.objects.get(post=post)
    assert response.json()["snippet"] == f"![Harbour]({image.file.url})"
    assert image.file.name.startswith("uploads/")
    assert {r["format"] for r in image.renditions} == {"webp", "png"}


def test_a_refused_image_is_a_400_with_the_reason(author_client):
    post = PostFactory(draft=True)
    response = author_client.post(
        upload_url(post),
        {"file": _upload("notes.png", b"not an image at all"), "alt_text": "Notes"},
        headers=SAME_SITE,
    )
    assert response.status_code == 400
    assert "not a JPEG, PNG, WebP or GIF" in json.dumps(response.json())
    assert not Image.objects.exists()


def test_an_image_drop_refuses_another_site(author_client):
    post = PostFactory(draft=True)
    response = author_client.post(
        upload_url(post),
        {"file": _upload("a.png", picture_bytes("PNG")), "alt_text": "A"},
        headers=OTHER_SITE,
    )
    assert response.status_code == 403
    assert not Image.objects.exists()


def test_an_image_drop_allows_only_post(author_client):
    assert author_client.get(upload_url(PostFactory())).status_code == 405


# What the editor offers


def test_a_draft_offers_a_share_link_and_a_published_post_does_not(author_client):
    draft = PostFactory(draft=True)
    assert "Share before publishing" in author_client.get(change_url(draft)).content.decode()
    published = PostFactory()
    page = author_client.get(change_url(published)).content.decode()
    assert "Share before publishing" not in page
    assert published.get_absolute_url() in page


def test_the_address_of_a_published_post_asks_before_it_changes(author_client):
    published = PostFactory(slug="live-name")
    page = author_client.get(change_url(published)).content.decode()
    assert 'data-published-slug="live-name"' in page
    draft = PostFactory(draft=True)
    assert "data-published-slug" not in author_client.get(change_url(draft)).content.decode()


def test_the_editor_loads_the_desk_script_and_styles_from_our_static_files(author_client):
    page = author_client.get(reverse("admin:blog_post_add")).content.decode()
    assert "/static/js/writing-desk.js" in page and "/static/css/writing-desk.css" in page
    assert 'data-preview-url="/admin/blog/post/desk/preview/"' in page
    assert 'data-autosave-url="/admin/blog/post/desk/autosave/"' in page
    assert "data-upload-url" not in page  # images need a post to belong to


def _upload(name, content):
    return SimpleUploadedFile(name, content)


# A post not saved yet: its autosaves belong to the writer until the first save


def new_autosave_url():
    return reverse("admin:blog_post_autosave_new")


def test_text_of_a_post_not_saved_yet_is_autosaved_for_its_writer(author_client):
    response = author_client.post(
        new_autosave_url(), {"title": "Ferries", "body": "First words."}, headers=SAME_SITE
    )
    assert response.status_code == 200
    revision = PostRevision.objects.get()
    assert response.json()["revision"] == revision.pk
    assert (revision.post, revision.author, revision.body) == (
        None,
        author_client.author,
        "First words.",
    )
    assert not Post.objects.exists()


def test_a_new_texts_autosaves_fold_only_into_that_pages_own_revision(author_client):
    first = author_client.post(
        new_autosave_url(), {"title": "A", "body": "One"}, headers=SAME_SITE
    ).json()["revision"]
    author_client.post(
        new_autosave_url(),
        {"title": "A", "body": "One two", "revision": first},
        headers=SAME_SITE,
    )
    other_page = author_client.post(
        new_autosave_url(), {"title": "B", "body": "Another post"}, headers=SAME_SITE
    ).json()["revision"]
    assert other_page != first
    assert dict(PostRevision.objects.values_list("title", "body")) == {
        "A": "One two",
        "B": "Another post",
    }


def test_an_empty_new_page_autosaves_nothing(author_client):
    author_client.post(new_autosave_url(), {"title": "", "body": ""}, headers=SAME_SITE)
    assert not PostRevision.objects.exists()


def test_new_text_autosave_needs_the_add_permission_and_our_origin(client):
    client.force_login(UserFactory(username="moderator", is_staff=True))
    response = client.post(new_autosave_url(), {"body": "B"}, headers=SAME_SITE)
    assert response.status_code == 403
    client.force_login(StaffFactory(username="author"))
    assert client.post(new_autosave_url(), {"body": "B"}, headers=OTHER_SITE).status_code == 403
    assert client.get(new_autosave_url()).status_code == 405
    assert not PostRevision.objects.exists()


def test_the_add_page_offers_the_writers_unsaved_texts_and_continues_one(author_client):
    mine = revisions.autosave(
        None, title="Ferries", body="Unsaved words.", author=author_client.author
    )
    revisions.autosave(
        None, title="Not mine", body="Theirs.", author=StaffFactory(username="other")
    )
    page = author_client.get(reverse("admin:blog_post_add")).content.decode()
    assert f'href="?revision={mine.pk}"' in page and "Not mine" not in page
    response = author_client.get(reverse("admin:blog_post_add"), {"revision": mine.pk})
    form = response.context["adminform"].form
    assert form["body"].value() == "Unsaved words." and form["title"].value() == "Ferries"
    assert f'name="desk_revision" value="{mine.pk}"' in response.content.decode()


def test_another_writers_unsaved_text_cannot_be_opened(author_client):
    theirs = revisions.autosave(None, title="T", body="Theirs.", author=StaffFactory(username="x"))
    response = author_client.get(reverse("admin:blog_post_add"), {"revision": theirs.pk})
    assert response.context["adminform"].form["body"].value() is None


def test_the_first_save_makes_the_autosaved_text_the_posts_own_revision(author_client):
    from tests.blog.test_admin import post_form

    text = revisions.autosave(None, title="Draft", body="Early words.", author=author_client.author)
    data = post_form(author_client.author, status="draft", desk_revision=text.pk)
    author_client.post(reverse("admin:blog_post_add"), data)
    post = Post.objects.get()
    text.refresh_from_db()
    assert text.post == post
    assert [r.kind for r in post.revisions.all()] == ["saved", "autosave"]
