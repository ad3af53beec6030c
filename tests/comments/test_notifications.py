from urllib.parse import urlsplit

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command

from comments import notifications
from comments.models import Comment
from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_notify_followers_mails_followers_of_a_comment_that_was_held(
    django_capture_on_commit_callbacks,
):
    post = PostFactory()
    add_comment(post, user_email="follower@example.org", followup=True)
    add_comment(post, user_email="quiet@example.org", followup=False)
    held = add_comment(post, user_email="late@example.org", is_public=False, text="Late reply")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_followers(held)  # still held: nobody hears of it
    assert mail.outbox == []
    Comment.objects.filter(pk=held.pk).update(is_public=True)
    held.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notifications.notify_followers(held)
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["follower@example.org"]]
    assert "Late reply" in mail.outbox[0].body
    assert "/comments/mute/" in mail.outbox[0].body


def test_the_author_is_told_of_held_comments_too(django_capture_on_commit_callbacks):
    post = PostFactory(author__email="author@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(post, is_public=False)
    (notice,) = mail.outbox
    assert notice.subject == f"Comment awaiting moderation on “{post.title}” · The Dispatch"


def test_the_author_is_not_told_of_their_own_comments(django_capture_on_commit_callbacks):
    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(post, user=post.author, user_email=post.author.email)
    assert mail.outbox == []


def test_site_one_follows_site_url_and_site_name(settings):
    settings.SITE_URL = "https://news.example.org"
    settings.SITE_NAME = "The Example Dispatch"
    call_command("migrate", verbosity=0)
    site = Site.objects.get(pk=1)
    assert (site.domain, site.name) == ("news.example.org", "The Example Dispatch")
    assert urlsplit(settings.SITE_URL).netloc == Site.objects.get_current().domain
