"""CommentsConfig.ready() is where every receiver of the app is connected, and only there."""

import pytest
from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django_comments.models import CommentFlag
from django_comments_xtd.moderation import moderator

from comments.models import Comment
from tests.comments.support import add_comment
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rerun_ready(monkeypatch):
    """Run ready() again; the moderator registration is the one step that is not repeatable."""
    monkeypatch.setattr(moderator, "register", lambda *args, **kwargs: None)
    return apps.get_app_config("comments").ready


def test_ready_alone_connects_the_hide_after_flags_rule(rerun_ready, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 1
    post_save.disconnect(sender=CommentFlag, dispatch_uid="comments-hide-after-flags")
    rerun_ready()  # no admin import in between
    comment = add_comment(PostFactory())
    reader = UserFactory()
    CommentFlag.objects.create(comment=comment, user=reader, flag=CommentFlag.SUGGEST_REMOVAL)
    assert Comment.objects.get(pk=comment.pk).is_public is False


def test_running_ready_again_connects_nothing_twice(rerun_ready):
    before = (len(post_save.receivers), len(post_delete.receivers))
    rerun_ready()
    assert (len(post_save.receivers), len(post_delete.receivers)) == before
