"""Issue 10, items 8 (comment part), 14 and 15: what a hostile visitor sends the comment views.

Item 8: requests that answered 500 (an error mail to ADMINS each) answer 4xx or a normal page.
Item 14: a reply must go under a public comment of the same post.
Item 15: bidi overrides and invisible characters never reach a stored name or comment.
"""

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from comments.models import Comment
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.comments.test_links import parsed
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

NINES = "9" * 400


def test_a_timestamp_of_400_nines_is_refused_not_a_500(client):
    response = post_comment(client, PostFactory(), timestamp=NINES)
    assert response.status_code == 400
    assert mail.outbox == []


def test_the_api_count_route_is_gone(client):
    assert client.get("/comments/api/x-y/1/count/").status_code == 404


@pytest.mark.parametrize("digits", [20, 25, 400])
def test_a_huge_comment_page_number_shows_a_page(client, digits):
    post = PostFactory()
    add_comment(post)
    assert client.get(post.get_absolute_url(), {"cpage": "9" * digits}).status_code == 200
    threads = reverse("comments:threads", args=[post.pk])
    assert client.get(threads, {"page": "9" * digits}).status_code == 200


def test_a_reply_to_a_comment_that_does_not_exist_is_refused_when_posted(client):
    response = post_comment(client, PostFactory(), reply_to="999999")
    assert response.status_code == 400
    assert "no longer shown on this post" in response.content.decode()
    assert mail.outbox == []


def test_confirming_a_reply_whose_parent_is_gone_is_a_page_not_a_500(client):
    post = PostFactory()
    parent = add_comment(post)
    post_comment(client, post, reply_to=str(parent.pk))
    Comment.objects.filter(pk=parent.pk).delete()
    path = urlsplit(link_in(parsed(mail.outbox[-1]), "/comments/confirm/")).path
    response = client.post(path, headers=ORIGIN)
    assert response.status_code == 410
    assert "no longer shown" in response.content.decode()
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("reply_to", [NINES, "-1", "2147483648"])
def test_out_of_range_reply_ids_are_refused(client, reply_to):
    response = post_comment(client, PostFactory(), reply_to=reply_to)
    assert 400 <= response.status_code < 500


# Item 14


def test_a_reply_to_a_comment_on_another_post_is_refused(client):
    elsewhere = add_comment(PostFactory(), text="On another post")
    post = PostFactory()
    response = post_comment(client, post, reply_to=str(elsewhere.pk))
    assert response.status_code == 400
    assert "We could not post this reply" in response.content.decode()
    assert mail.outbox == []


def test_a_reply_to_a_held_comment_is_refused(client):
    post = PostFactory()
    held = add_comment(post, is_public=False)
    client.force_login(UserFactory())
    assert post_comment(client, post, reply_to=str(held.pk)).status_code == 400
    assert Comment.objects.count() == 1


def test_a_reply_on_the_same_post_is_still_taken(client):
    post = PostFactory()
    parent = add_comment(post)
    client.force_login(UserFactory())
    assert post_comment(client, post, reply_to=str(parent.pk)).status_code == 302
    assert Comment.objects.exclude(pk=parent.pk).get().level == 1


# Item 15


def test_bidi_overrides_and_invisible_characters_are_stripped_before_storing(client):
    client.force_login(UserFactory(first_name="Ad\u202ea", last_name="Re\u200bader"))
    response = post_comment(
        client,
        PostFactory(),
        comment="Fair\u200b point\u2066 \u202egnp.exe\u2069, and more.\nNew line kept.",
    )
    assert response.status_code == 302, response.content.decode()
    comment = Comment.objects.get()
    assert comment.user_name == "Ada Reader"
    assert comment.comment == "Fair point gnp.exe, and more.\nNew line kept."


def test_a_nul_character_is_refused_with_a_message(client):
    response = post_comment(client, PostFactory(), comment="Buses\x00 first.")
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


def test_an_anonymous_name_made_only_of_invisible_characters_is_refused(client):
    response = post_comment(client, PostFactory(), name="\u202e\u200b")
    assert response.status_code == 400
    assert mail.outbox == []


def test_the_pending_comment_in_the_confirmation_mail_is_already_clean(client):
    post_comment(client, PostFactory(), name="Ada\u202e Reader", comment="Trams\u2067 first.")
    post_path = urlsplit(link_in(parsed(mail.outbox[-1]), "/comments/confirm/")).path
    client.post(post_path, headers=ORIGIN)
    comment = Comment.objects.get()
    assert (comment.user_name, comment.comment) == ("Ada Reader", "Trams first.")


def test_posting_a_public_comments_text_does_not_tell_who_wrote_it(client, settings):
    """Duplicate detection for anonymous posts must not be an "address wrote this" oracle."""
    settings.COMMENTS_PER_NETWORK_PER_MINUTE = 100
    post = PostFactory()
    add_comment(post, text="Ferries first.", user_email="zoe@example.org")
    answers = []
    for email in ("zoe@example.org", "someone-else@example.org"):
        response = post_comment(client, post, comment="Ferries first.", email=email)
        answers.append((response.status_code, response["Location"]))
    assert answers[0] == answers[1]
    assert [m.to for m in mail.outbox] == [["someone-else@example.org"]]
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["comments-xtd-reply", "comments-xtd-like", "comments-flag", "comments:edit"]
)
def test_a_comment_id_too_large_for_the_database_is_not_found(client, name):
    client.force_login(UserFactory())
    path = reverse(name, args=[1]).replace("/1/", "/9300000000000000000/")
    assert client.get(path).status_code == 404
    assert client.get(reverse(name, args=[2**31 - 1])).status_code == 404
