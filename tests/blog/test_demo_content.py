from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from blog.demo import demo_posts
from blog.models import AuthorProfile, DemoContentLoad, Image, Post, Source, Tag
from comments.models import Comment
from newsletter.models import Edition
from tests.factories import PostFactory, StaffFactory

pytestmark = pytest.mark.django_db


def load():
    out = StringIO()
    call_command("load_demo_content", stdout=out)
    return out.getvalue()


def test_demo_content_loads_marked_as_demo_and_a_second_run_adds_nothing():
    load()
    count = Post.objects.count()
    assert count == len(demo_posts()) >= 4
    assert Post.objects.filter(is_demo=False).count() == 0
    assert AuthorProfile.objects.get().is_demo
    assert not Tag.objects.filter(is_demo=False).exists()
    load()
    assert Post.objects.count() == count
    assert Post.objects.published().count() == count


def test_a_deleted_demo_post_does_not_come_back_on_the_next_run():
    load()
    first = Post.objects.filter(is_demo=True).first()
    first.delete()
    output = load()
    assert not Post.objects.filter(slug=first.slug).exists()
    assert "never loaded twice" in output


def test_an_emptied_site_is_not_refilled():
    load()
    call_command("remove_demo_content", stdout=StringIO())
    assert load() and not Post.objects.exists()


def test_demo_content_is_not_loaded_into_a_site_with_posts_of_its_own():
    PostFactory(author=StaffFactory(username="writer"))
    assert "only loaded into an empty site" in load()
    assert Post.objects.count() == 1
    assert not DemoContentLoad.objects.exists()


def test_demo_posts_are_never_announced_to_subscribers(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load()
    assert not Edition.objects.filter(kind=Edition.Kind.POST).exists()


def test_remove_deletes_all_demo_content_and_leaves_the_writers_own(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    load()
    writer = StaffFactory(username="writer")
    AuthorProfile.objects.create(user=writer, display_name="Jo Writer", bio="Mine.")
    own_tag = Tag.objects.create(name="Mine", slug="mine")
    own = PostFactory(author=writer, slug="my-own-post")
    own.tags.add(own_tag, Tag.objects.get(slug="energy"))
    demo_post = Post.objects.filter(is_demo=True).first()
    Comment.objects.create(
        content_object=demo_post, site_id=1, comment="Nice.", user_name="Reader", is_public=True
    )
    Comment.objects.create(
        content_object=own, site_id=1, comment="Mine too.", user_name="Reader", is_public=True
    )
    cover_files = [image.file.name for image in Image.objects.filter(post__is_demo=True)]
    assert cover_files and all((tmp_path / name).exists() for name in cover_files)

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remove_demo_content", stdout=out)

    assert list(Post.objects.all()) == [own]
    assert not Image.objects.exists() and not Source.objects.exists()
    assert not any((tmp_path / name).exists() for name in cover_files)
    assert list(AuthorProfile.objects.values_list("display_name", flat=True)) == ["Jo Writer"]
    assert not get_user_model().objects.filter(username="maren").exists()
    assert set(Tag.objects.values_list("slug", "is_demo")) == {("mine", False), ("energy", False)}
    assert list(Comment.objects.values_list("comment", flat=True)) == ["Mine too."]
    assert DemoContentLoad.objects.get().removed_at is not None
    assert "5 post(s), 1 comment(s)" in out.getvalue()


def test_the_admin_removes_demo_content_on_post_only(author_client):
    load()
    url = reverse("admin:blog_remove_demo_content")
    page = author_client.get(url)
    assert page.status_code == 200
    assert "Port Alder" in page.text
    assert Post.objects.filter(is_demo=True).exists()
    response = author_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "Demo content removed" in response.text
    assert not Post.objects.exists()


def test_staff_without_delete_rights_cannot_remove_demo_content(client):
    load()
    clerk = StaffFactory(username="clerk", is_superuser=False)
    client.force_login(clerk)
    assert client.post(reverse("admin:blog_remove_demo_content")).status_code == 403
    assert Post.objects.filter(is_demo=True).exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    load()
    response = client.post(reverse("admin:blog_remove_demo_content"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Post.objects.filter(is_demo=True).exists()


def test_demo_content_has_an_oped_with_typographic_quotes_and_a_question():
    opeds = [post for post in demo_posts() if post.kind == "oped"]
    assert opeds
    text = " ".join(post.body for post in opeds)
    for character in "“”’—":
        assert character in text
    assert "comments below" in text


def test_ensure_author_creates_the_superuser_once(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "writer")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "writer@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password")
    call_command("ensure_author", stdout=StringIO())
    call_command("ensure_author", stdout=StringIO())
    user = get_user_model().objects.get(username="writer")
    assert user.is_superuser and user.check_password("a-long-test-password")
