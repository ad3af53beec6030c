"""Acceptance 1: real flows through django-comments-xtd, mail delivered to a real SMTP server."""

from urllib.parse import urlsplit

import pytest

from comments.models import Comment
from tests.comments.support import ORIGIN, link_in, post_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.COMMENTS_PER_NETWORK_PER_MINUTE = 100


def messages_to(smtp_server, address):
    return [m for m in smtp_server.messages if address in m["To"]]


def comment_and_confirm(client, smtp_server, post, *, email, name, **fields) -> Comment:
    """Post as an anonymous reader, then follow the link from the confirmation email."""
    before = len(messages_to(smtp_server, email))
    assert post_comment(client, post, email=email, name=name, **fields).status_code == 302
    mails = messages_to(smtp_server, email)
    assert len(mails) == before + 1
    link = link_in(mails[-1], "/comments/confirm/")
    response = client.post(urlsplit(link).path, headers=ORIGIN)
    assert response.status_code == 200
    return Comment.objects.get(
        user_email=email, comment=fields.get("comment") or "A fair point, but the buses are late."
    )


def test_anonymous_comment_appears_after_the_emailed_link_is_followed(client, smtp_server):
    post = PostFactory()
    assert post_comment(client, post, comment="Ferries *first*, then trams.").status_code == 302
    assert Comment.objects.count() == 0
    assert "Ferries" not in client.get(post.get_absolute_url()).content.decode()

    (message,) = smtp_server.messages
    assert message["To"] == "ada@example.org"
    link = link_in(message, "/comments/confirm/")
    assert link.startswith("http://testserver/comments/confirm/")
    asked = client.get(urlsplit(link).path)
    assert "Publish my comment" in asked.content.decode()
    assert Comment.objects.count() == 0  # a mail scanner's GET publishes nothing
    published = client.post(urlsplit(link).path, headers=ORIGIN)
    assert published.status_code == 200
    assert "Your comment is published" in published.content.decode()

    comment = Comment.objects.get()
    assert comment.is_public and comment.user_email == "ada@example.org"
    page = client.get(post.get_absolute_url()).content.decode()
    assert f'id="c{comment.pk}"' in page
    assert "Ferries <em>first</em>, then trams." in page
    # Following the link again changes nothing.
    again = client.post(urlsplit(link).path, headers=ORIGIN)
    assert "Your comment is published" in again.content.decode()
    assert Comment.objects.count() == 1


def test_confirmation_links_use_the_public_https_address(client, smtp_server, settings):
    settings.SITE_URL = "https://news.example.org"
    post = PostFactory()
    post_comment(client, post)
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "https://news.example.org/comments/confirm/" in body
    assert f"https://news.example.org{post.get_absolute_url()}" in body
    assert "http://" not in body
    html = smtp_server.messages[0].get_body(("html",)).get_content()
    assert 'href="https://news.example.org/comments/confirm/' in html


def test_reply_at_depth_three_notifies_followers_until_they_mute(client, smtp_server):
    post = PostFactory(author__email="author@example.org")
    root = comment_and_confirm(
        client,
        smtp_server,
        post,
        email="ann@example.org",
        name="Ann",
        followup="on",
        comment="Root comment.",
    )
    middle = comment_and_confirm(
        client,
        smtp_server,
        post,
        email="bo@example.org",
        name="Bo",
        followup="on",
        comment="First reply.",
        reply_to=str(root.pk),
    )
    deepest = comment_and_confirm(
        client,
        smtp_server,
        post,
        email="cy@example.org",
        name="Cy",
        comment="Second-level reply.",
        reply_to=str(middle.pk),
    )
    assert (root.level, middle.level, deepest.level) == (0, 1, 2)
    assert deepest.thread_id == root.pk and deepest.parent_id == middle.pk

    (follow_up,) = [
        m for m in messages_to(smtp_server, "bo@example.org") if "confirm" not in link_body(m)
    ]
    assert "Second-level reply." in follow_up.get_body(("plain",)).get_content()
    assert len(notifications(smtp_server, "ann@example.org")) == 2  # Bo's reply, then Cy's

    mute = link_in(follow_up, "/comments/mute/")
    assert mute.startswith("http://testserver/comments/mute/")
    asked = client.get(urlsplit(mute).path)
    assert asked.status_code == 200
    assert "Stop emails" in asked.content.decode()
    assert Comment.objects.get(pk=middle.pk).followup  # a scanner's GET mutes nothing
    assert client.post(urlsplit(mute).path, headers=ORIGIN).status_code == 200
    assert not Comment.objects.get(pk=middle.pk).followup

    comment_and_confirm(
        client,
        smtp_server,
        post,
        email="di@example.org",
        name="Di",
        comment="Another reply.",
        reply_to=str(root.pk),
    )
    assert len(notifications(smtp_server, "bo@example.org")) == 1  # muted: nothing new
    assert len(notifications(smtp_server, "ann@example.org")) == 3


def link_body(message) -> str:
    return message.get_body(("plain",)).get_content()


def notifications(smtp_server, address):
    return [m for m in messages_to(smtp_server, address) if "/comments/mute/" in link_body(m)]


def test_the_post_author_hears_of_new_comments(client, smtp_server):
    post = PostFactory(author__email="author@example.org")
    comment_and_confirm(client, smtp_server, post, email="ann@example.org", name="Ann")
    (notice,) = messages_to(smtp_server, "author@example.org")
    assert post.title in notice["Subject"]
    assert f"http://testserver{post.get_absolute_url()}#c" in link_body(notice)


def test_author_notifications_can_be_switched_off(client, smtp_server, settings):
    settings.COMMENTS_NOTIFY_AUTHOR = False
    post = PostFactory(author__email="author@example.org")
    comment_and_confirm(client, smtp_server, post, email="ann@example.org", name="Ann")
    assert messages_to(smtp_server, "author@example.org") == []
