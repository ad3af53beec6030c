"""The newsletter's background work, and how the site hands an edition to the worker.

The tasks run code from editions.py, delivery.py, emails.py and headlines.py, so none of those
imports this module: whatever must wake the worker calls `send_now` or `send_later` here (the
admin's buttons), or enqueues a task itself from above (subscriptions.py, receivers.py).
Task paths (`newsletter.tasks.<name>`) are stored with every queued task, so they stay put.
"""

import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.tasks import task, task_backends
from django.utils import timezone

from newsletter import delivery, editions, emails, headlines
from newsletter.models import Edition


@task
def send_import_confirmations(subscriber_ids: list[int]) -> int:
    """Hand the confirmation emails of one imported batch to the mailer, off the admin request.

    An import of thousands of pending addresses would otherwise render every email inside the
    upload request. Each message is then stored and delivered with retries (core/mail.py).
    """
    for subscriber_id in subscriber_ids:
        emails.send_confirmation(subscriber_id=subscriber_id)
    return len(subscriber_ids)


@task
def deliver_edition(edition_id: int) -> int:
    """Send an edition's due deliveries for a while, then come back for the rest.

    A scheduled edition is started here when its time has come (the task was enqueued with
    run_after=send_at). After NEWSLETTER_TASK_SECONDS, or when what is left waits for a retry
    or another worker's lease, the task enqueues itself again for that moment, so other work
    (transactional mail) gets the worker in between. Backends that cannot defer (the
    immediate backend of the tests) rely on `send_due_editions` / `send_edition` instead.
    """
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None:
        return 0
    now = timezone.now()
    if edition.status == Edition.Status.SCHEDULED:
        if edition.send_at > now:
            enqueue_at(edition.pk, edition.send_at)
            return 0
        if not editions.start_if_due(edition=edition, now=now):
            return 0
    sent = delivery.deliver(edition=edition, seconds=settings.NEWSLETTER_TASK_SECONDS)
    edition.refresh_from_db(fields=["status"])
    if edition.status == Edition.Status.SENDING:
        wake_up = delivery.next_wake_up(edition) or timezone.now()
        enqueue_at(edition.pk, max(wake_up, timezone.now()))
    return sent


def enqueue_at(edition_id: int, when: datetime.datetime) -> bool:
    """Enqueue `deliver_edition` to run at `when`, where the backend can wait; else False."""
    backend = task_backends[deliver_edition.backend]
    if when > timezone.now():
        if not backend.supports_defer:
            return False
        deliver_edition.using(run_after=when).enqueue(edition_id)
    else:
        deliver_edition.enqueue(edition_id)
    return True


def send_now(*, edition: Edition, now: datetime.datetime) -> int:
    """ "Send now": freeze the recipients, and wake the worker once that is committed.

    Returns the number of recipients. Pressed twice, the second call freezes nobody and only
    wakes the worker again (which is also how "resume" after an outage works).
    """
    with transaction.atomic():
        recipients = editions.freeze_recipients(edition=edition, now=now)
        if edition.status == Edition.Status.SENDING:
            transaction.on_commit(partial(enqueue_at, edition.pk, now), robust=True)
    return recipients


def send_later(*, edition: Edition, send_at: datetime.datetime, now: datetime.datetime) -> None:
    """Schedule the edition, and have the worker wake up for it at `send_at`.

    Where the task backend cannot wait, `send_due_editions` (cron) starts it instead.
    """
    with transaction.atomic():
        editions.schedule(edition=edition, send_at=send_at, now=now)
        transaction.on_commit(partial(enqueue_at, edition.pk, send_at), robust=True)


@task
def announce_post(post_id: int) -> int:
    """The every-post email of a post whose publication time has come (once per post)."""
    edition = editions.announce_post(post_id=post_id, now=timezone.now())
    if edition is None:
        return 0
    enqueue_at(edition.pk, timezone.now())
    return edition.recipients_count


@task
def import_headlines() -> int:
    """Fetch the headline feeds (also `manage.py import_headlines`, for cron)."""
    return headlines.import_headlines(now=timezone.now()).created
