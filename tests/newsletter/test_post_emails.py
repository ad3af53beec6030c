"""Every-post emails: once per post, at its publication time, never for an edit or a draft."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from blog.models import Post
from newsletter import editions
from newsletter.models import Edition, Subscriber
from tests.factories import PostFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def readers():
    return {
        "every": SubscriberFactory(cadence=Subscriber.Cadence.EVERY_POST),
        "weekly": SubscriberFactory(cadence=Subscriber.Cadence.WEEKLY),
        "left": SubscriberFactory(
            cadence=Subscriber.Cadence.EVERY_POST, status=Subscriber.Status.UNSUBSCRIBED
        ),
    }


def recipients():
    return sorted(message.to[0] for message in mail.outbox)


def test_publishing_a_post_emails_every_post_subscribers_once(readers, now):
    post = PostFactory(publish_at=now)
    assert recipients() == [readers["every"].email]
    message = mail.outbox[0].message()
    assert message["Subject"] == post.title
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert post.get_absolute_url() in message.get_body(("plain",)).get_content() or (
        "/newsletter/c/" in message.get_body(("plain",)).get_content()
    )
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "chose to receive every new post" in text

    post.title = "An edited title"
    post.save()
    post.save()
    call_command("send_due_editions")
    assert len(mail.outbox) == 1
    assert Edition.objects.filter(kind=Edition.Kind.POST, post=post).count() == 1


def test_a_draft_is_never_announced(readers):
    post = PostFactory(draft=True)
    post.save()
    call_command("send_due_editions")
    assert mail.outbox == []
    assert not Edition.objects.exists()


def test_a_scheduled_post_is_announced_when_its_time_comes_not_before(readers):
    post = PostFactory(scheduled=True)
    call_command("send_due_editions")
    assert mail.outbox == []
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now())
    call_command("send_due_editions")
    call_command("send_due_editions")
    assert recipients() == [readers["every"].email]


def test_a_post_unpublished_before_its_time_is_never_announced(readers, now):
    post = PostFactory(scheduled=True)
    post.status = Post.Status.DRAFT
    post.save()
    Post.objects.filter(pk=post.pk).update(publish_at=now)  # its time has come, as a draft
    editions.announce_post(post_id=post.pk, now=timezone.now())
    call_command("send_due_editions")
    assert mail.outbox == []


def test_editing_a_post_published_long_ago_announces_nothing(readers, now):
    old = PostFactory(publish_at=now - datetime.timedelta(days=30))
    mail.outbox.clear()
    old.title = "Updated with a correction"
    old.save()
    call_command("send_due_editions")
    assert mail.outbox == []


def test_the_database_refuses_a_second_announcement_of_a_post(readers):
    post = PostFactory()
    Edition.objects.create(kind=Edition.Kind.POST, post=post, subject="One")
    with pytest.raises(IntegrityError):
        Edition.objects.create(kind=Edition.Kind.POST, post=post, subject="Two")
