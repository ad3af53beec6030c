"""What the newsletter does when other apps' signals fire (connected in `apps.py`)."""

from django.db import transaction
from django.tasks import task_backends
from django.utils import timezone

from blog.models import Post
from core.transfer import appliers
from newsletter import subscriptions
from newsletter.tasks import announce_post

COMMENT_FORM_SOURCE = "Comment form"


def subscribe_confirmed_commenter(
    sender, *, email, ip, source_url, consent_text, confirmed_at, **kwargs
):
    """A commenter ticked "also subscribe me" and confirmed their address: active at once.

    The comment's confirmation link already proved the address, so no second email is sent.
    """
    subscriptions.record_outside_consent(
        email=email,
        source=COMMENT_FORM_SOURCE,
        source_url=source_url or "",
        consent_text=consent_text or "",
        ip=ip,
        confirmed_at=confirmed_at,
    )


def announce_post_when_published(sender, instance, raw=False, **kwargs):
    """A post saved as published: its every-post email goes out at `publish_at`, once.

    Enqueued after commit with run_after=publish_at, so a scheduled post is announced at its
    time with no cron; the worker's periodic `keep_editions_moving` is the safety net.
    Saving again (an edit, a reschedule) enqueues again: `editions.announce_post` decides
    at run time, from the post as it then is, and never announces a post twice. A row loaded
    by `loaddata` (`raw`: a restore from backup) announces nothing: that post was live before.
    """
    if raw or instance.status != Post.Status.PUBLISHED or instance.publish_at is None:
        return
    if appliers.is_importing():  # a post moved in from another platform is not news
        return
    post_id, publish_at = instance.pk, instance.publish_at
    transaction.on_commit(lambda: _enqueue_announcement(post_id, publish_at), robust=True)


def _enqueue_announcement(post_id, publish_at) -> None:
    if publish_at <= timezone.now():
        announce_post.enqueue(post_id)
    elif task_backends[announce_post.backend].supports_defer:
        announce_post.using(run_after=publish_at).enqueue(post_id)
