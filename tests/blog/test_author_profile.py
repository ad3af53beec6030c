"""The writer's own name, bio and photo: in bylines, on About, in feeds and JSON-LD; never a
login name. The first-run checklist's display-name and About items."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from blog.models import AuthorProfile, Post
from core import checklist
from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return StaffFactory(username="author", first_name="", last_name="")


def test_a_writer_without_a_profile_is_never_named_by_their_login(client, writer, settings):
    post = PostFactory(author=writer, title="Buses first")
    assert post.author_name == settings.SITE_NAME
    page = client.get(post.get_absolute_url()).text
    assert "By author" not in page and ">author<" not in page
    feed = client.get(reverse("blog:feed-rss")).text
    assert "<dc:creator>author" not in feed and "author</author>" not in feed


def test_the_display_name_is_the_byline_everywhere(client, writer):
    AuthorProfile.objects.create(user=writer, display_name="Jo Writer", bio="Reporter.")
    post = PostFactory(author=writer)
    page = client.get(post.get_absolute_url()).text
    assert 'By <a class="article__author" href="/about/">Jo Writer</a>' in page
    assert '<meta name="author" content="Jo Writer">' in page
    json_ld = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(json_ld)["author"]["name"] == "Jo Writer"
    assert "Jo Writer" in client.get(reverse("blog:feed-rss")).text
    assert "Jo Writer" in client.get(reverse("blog:feed-atom")).text


def test_the_about_page_shows_the_writer_and_not_the_demo_author(
    client, writer, django_capture_on_commit_callbacks
):
    call_command("load_demo_content", stdout=StringIO())
    assert "Maren Adair" in client.get(reverse("blog:about")).text
    with django_capture_on_commit_callbacks(execute=True):  # the cached page starts afresh
        AuthorProfile.objects.create(user=writer, display_name="Jo Writer", bio="I cover *buses*.")
    about = client.get(reverse("blog:about")).text
    assert "Jo Writer" in about and "<em>buses</em>" in about
    assert "Maren Adair" not in about


def test_listings_name_authors_without_a_query_per_post(writer, django_assert_num_queries):
    AuthorProfile.objects.create(user=writer, display_name="Jo Writer", bio="Reporter.")
    for _ in range(3):
        PostFactory(author=UserFactory())
    PostFactory(author=writer)
    posts = list(Post.objects.published().for_listing())
    with django_assert_num_queries(0):
        names = [post.author_name for post in posts]
    assert "Jo Writer" in names


def status(key):
    return next(s for s in checklist.statuses() if s.item.key == key)


def test_the_checklist_asks_for_a_display_name_and_an_about_page_until_they_exist(writer):
    call_command("load_demo_content", stdout=StringIO())
    # The demo author's profile does not count: it is not the writer's.
    assert not status("display-name").done and not status("about-page").done
    assert status("display-name").url == reverse("admin:blog_authorprofile_mine")
    profile = AuthorProfile.objects.create(user=writer, display_name="Jo Writer")
    assert status("display-name").done and not status("about-page").done
    profile.bio = "I cover the city."
    profile.save()
    assert status("about-page").done


def test_your_profile_opens_the_writers_profile_or_the_form_to_create_it(client, writer):
    client.force_login(writer)
    response = client.get(reverse("admin:blog_authorprofile_mine"))
    assert response["Location"] == f"{reverse('admin:blog_authorprofile_add')}?user={writer.pk}"
    form = client.get(response["Location"]).text
    assert "Display name" in form and "login name is never shown" in form
    profile = AuthorProfile.objects.create(user=writer, display_name="Jo Writer")
    response = client.get(reverse("admin:blog_authorprofile_mine"))
    assert response["Location"] == reverse("admin:blog_authorprofile_change", args=[profile.pk])
    assert client.post(reverse("admin:blog_authorprofile_mine")).status_code == 405


@pytest.mark.parametrize("display_name", ["Jo Writer", None])
def test_the_writer_commenting_is_named_by_display_name_never_login(
    client, writer, settings, display_name
):
    from comments.models import Comment
    from tests.comments.support import post_comment

    if display_name:
        AuthorProfile.objects.create(user=writer, display_name=display_name)
    post = PostFactory(author=writer)
    client.force_login(writer)
    post_comment(client, post, name="ignored", email="ignored@example.org")
    assert Comment.objects.get().user_name == (display_name or settings.SITE_NAME)
