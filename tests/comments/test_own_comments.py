"""Editing or deleting one's own comment within COMMENTS_EDIT_MINUTES of publication."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from comments.models import Comment
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def published_page(client, post):
    """Post anonymously and follow the confirmation link: the "published" page."""
    import email
    import email.policy

    post_comment(client, post, comment="Teh buses")
    message = email.message_from_bytes(
        mail.outbox[-1].message().as_bytes(), policy=email.policy.default
    )
    link = urlsplit(link_in(message, "/comments/confirm/")).path
    return client.post(link, headers=ORIGIN).content.decode()


def edit_link(html) -> str:
    return (
        re.search(r'href="(/comments/edit/\d+/\?token=[^"]+)"', html).group(1).replace("&amp;", "&")
    )


def test_an_anonymous_commenter_edits_through_the_signed_link_and_it_shows_edited(client):
    post = PostFactory()
    link = edit_link(published_page(client, post))
    comment = Comment.objects.get()
    form = client.get(link)
    assert form.status_code == 200 and "Teh buses" in form.content.decode()
    token = link.split("token=")[1]
    response = client.post(link, {"comment": "The *buses*", "token": token})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.comment == "The *buses*" and "<em>buses</em>" in comment.comment_html
    assert comment.edited_at is not None
    page = client.get(post.get_absolute_url()).content.decode()
    assert "<em>buses</em>" in page and '<span class="comment__edited">edited</span>' in page


def test_an_anonymous_commenter_deletes_through_the_signed_link(client):
    post = PostFactory()
    link = edit_link(published_page(client, post))
    token = link.split("token=")[1]
    comment = Comment.objects.get()
    response = client.post(reverse("comments:delete", args=[comment.pk]), {"token": token})
    assert response.status_code == 302
    assert "Teh buses" not in client.get(post.get_absolute_url()).content.decode()


def test_a_forged_or_foreign_token_changes_nothing(client):
    post = PostFactory()
    link = edit_link(published_page(client, post))
    other = add_comment(post, text="Someone else's")
    token = link.split("token=")[1]
    assert (
        client.get(reverse("comments:edit", args=[other.pk]) + f"?token={token}").status_code == 403
    )
    assert client.get(link[:-3] + "xyz").status_code == 403
    response = client.post(
        reverse("comments:edit", args=[other.pk]), {"comment": "Hacked", "token": token}
    )
    assert response.status_code == 403
    assert Comment.objects.get(pk=other.pk).comment == "Someone else's"


def test_the_window_closes_after_fifteen_minutes(client, settings, now):
    post = PostFactory()
    link = edit_link(published_page(client, post))
    Comment.objects.update(
        published_at=now - datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES + 1)
    )
    response = client.get(link)
    assert response.status_code == 403
    assert "can no longer be changed" in response.content.decode()


def test_a_signed_in_reader_edits_from_the_page(client):
    post = PostFactory()
    reader = UserFactory()
    mine = add_comment(post, user=reader, text="Mine")
    theirs = add_comment(post, user=UserFactory(), text="Theirs")
    client.force_login(reader)
    page = client.get(post.get_absolute_url()).content.decode()
    edit_links = re.findall(r'href="/comments/edit/(\d+)/"', page)
    assert edit_links == [str(mine.pk)]
    response = client.post(reverse("comments:edit", args=[mine.pk]), {"comment": "Mine, edited"})
    assert response.status_code == 302
    assert Comment.objects.get(pk=mine.pk).comment == "Mine, edited"
    assert (
        client.post(reverse("comments:edit", args=[theirs.pk]), {"comment": "x"}).status_code == 403
    )


def test_signed_in_edit_links_disappear_after_the_window(client, settings, now):
    post = PostFactory()
    reader = UserFactory()
    add_comment(
        post,
        user=reader,
        published_at=now - datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES + 1),
    )
    client.force_login(reader)
    assert "/comments/edit/" not in client.get(post.get_absolute_url()).content.decode()


def test_deleting_keeps_the_replies_of_others_and_does_not_publish_held_ones(client):
    post = PostFactory()
    reader = UserFactory()
    mine = add_comment(post, user=reader, text="Mine")
    add_comment(post, parent=mine, text="A public reply")
    held = add_comment(post, parent=mine, text="A held reply", is_public=False)
    client.force_login(reader)
    client.post(reverse("comments:delete", args=[mine.pk]))
    page = client.get(post.get_absolute_url()).content.decode()
    assert "A public reply" in page and "This comment was deleted." in page
    assert Comment.objects.get(pk=held.pk).is_public is False


def test_editing_does_not_publish_held_replies(client):
    post = PostFactory()
    reader = UserFactory()
    mine = add_comment(post, user=reader)
    held = add_comment(post, parent=mine, text="Held", is_public=False)
    client.force_login(reader)
    client.post(reverse("comments:edit", args=[mine.pk]), {"comment": "Edited"})
    assert Comment.objects.get(pk=held.pk).is_public is False
