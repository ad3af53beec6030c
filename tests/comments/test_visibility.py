"""Issue 10, items 3 and 7: unpublished posts and held comments stay out of sight.

Item 3: drafts and scheduled posts never leak their slug or headline through the comment
routes (the `cr/` shortcut, reaction and flag pages, their "done" pages, feeds, threads).
Item 7: a signed-in reader sees only public comments on the flag, like and dislike pages and
everywhere else; a moderator sees every comment.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from blog.models import Post
from comments.notifications import notify_followers
from tests.comments.support import ORIGIN, add_comment
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

REACTIONS = ["comments-xtd-like", "comments-xtd-dislike", "comments-flag"]
DONE_PAGES = ["comments-xtd-like-done", "comments-xtd-dislike-done", "comments-flag-done"]


@pytest.fixture
def hidden_posts():
    return [
        PostFactory(title="Zeppelin draft secret", slug="zeppelin-draft", draft=True),
        PostFactory(title="Zeppelin scheduled secret", slug="zeppelin-scheduled", scheduled=True),
    ]


def comment_pages(comment, post) -> dict[str, str]:
    ct = ContentType.objects.get_for_model(Post).pk
    pages = {
        "shortcut": reverse("comments-url-redirect", args=[ct, post.pk]),
        "reply": reverse("comments-xtd-reply", args=[comment.pk]),
        "threads": reverse("comments:threads", args=[post.pk]),
        "post feed": reverse("comments:post-feed", args=[post.pk]),
        "feed": reverse("comments:feed"),
    }
    pages |= {name: reverse(name, args=[comment.pk]) for name in REACTIONS}
    pages |= {name: f"{reverse(name)}?c={comment.pk}" for name in DONE_PAGES}
    return pages


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in reader"])
def test_drafts_and_scheduled_posts_never_leak_through_comment_routes(
    client, hidden_posts, signed_in
):
    if signed_in:
        client.force_login(UserFactory())
    for post in hidden_posts:
        comment = add_comment(post, text="Zeppelin comment")
        for page, url in comment_pages(comment, post).items():
            response = client.get(url)
            content = response.content.decode()
            assert response.status_code in {200, 302, 404}, page
            assert post.slug not in response.get("Location", ""), page
            assert post.slug not in content and post.title not in content, page
            assert "Zeppelin comment" not in content, page


def test_the_shortcut_still_leads_to_a_published_post(client):
    post = PostFactory()
    ct = ContentType.objects.get_for_model(Post).pk
    response = client.get(reverse("comments-url-redirect", args=[ct, post.pk]))
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()


def test_the_shortcut_answers_404_for_anything_but_a_published_post(client):
    user_ct = ContentType.objects.get_for_model(UserFactory._meta.model).pk
    reader = UserFactory()
    assert (
        client.get(reverse("comments-url-redirect", args=[user_ct, reader.pk])).status_code == 404
    )


@pytest.fixture
def held_comments():
    post = PostFactory()
    return [
        add_comment(post, text="Held for approval", is_public=False),
        add_comment(post, text="Removed by the author", is_removed=True),
    ]


@pytest.mark.parametrize("name", REACTIONS)
def test_a_signed_in_reader_cannot_open_a_held_comment_through_reaction_pages(
    client, held_comments, name
):
    client.force_login(UserFactory())
    for comment in held_comments:
        url = reverse(name, args=[comment.pk])
        response = client.get(url)
        assert response.status_code == 404
        assert comment.comment not in response.content.decode()
        assert client.post(url, headers=ORIGIN).status_code == 404
        assert comment.flags.count() == 0


@pytest.mark.parametrize("name", DONE_PAGES)
def test_done_pages_name_no_held_comment(client, held_comments, name):
    client.force_login(UserFactory())
    for comment in held_comments:
        response = client.get(f"{reverse(name)}?c={comment.pk}")
        assert response.status_code == 200
        assert f"#c{comment.pk}" not in response.content.decode()


@pytest.mark.parametrize("name", REACTIONS)
def test_a_moderator_still_opens_held_comments(client, held_comments, name):
    moderator = UserFactory()
    moderator.user_permissions.add(
        Permission.objects.get(codename="can_moderate", content_type__app_label="django_comments")
    )
    client.force_login(moderator)
    response = client.get(reverse(name, args=[held_comments[0].pk]))
    assert response.status_code == 200
    assert "Held for approval" in response.content.decode()


@pytest.mark.parametrize("name", REACTIONS)
def test_a_reader_still_reacts_to_public_comments(client, name):
    comment = add_comment(PostFactory())
    client.force_login(UserFactory())
    assert client.get(reverse(name, args=[comment.pk])).status_code == 200
    response = client.post(reverse(name, args=[comment.pk]), {"reason": "spam"}, headers=ORIGIN)
    assert response.status_code == 302
    assert comment.flags.count() == 1


def test_approving_a_comment_on_a_post_taken_back_to_draft_mails_no_follower(
    django_capture_on_commit_callbacks,
):
    post = PostFactory(slug="zeppelin-embargo")
    add_comment(post, user_email="bo@example.org", followup=True)
    held = add_comment(post, user_email="cy@example.org", is_public=False)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
    held.refresh_from_db()
    type(held).objects.filter(pk=held.pk).update(is_public=True)
    held.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notify_followers(held)
    assert not any("zeppelin-embargo" in m.body for m in mail.outbox)
