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
from django_tasks_db import DatabaseBackend

from core import taskqueue
from newsletter import delivery, editions, emails, headlines, subscriptions
from newsletter.models import Delivery, Edition


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
def request_subscription(
    *,
    email: str,
    source: str,
    page_url: str,
    consent_version: str,
    ip: str | None,
    at: str,
    post_id: int | None = None,
) -> None:
    """The signup form's work, done off the request (issue 10, item 10).

    Whether the address is new (a row, a confirmation email), pending or already subscribed
    (nothing to do) took measurably different times inside the request, which told anyone
    timing the form whether an address was on the list. The view now does the same thing
    for every address, enqueue this task, and answers.
    """
    subscriptions.request_subscription(
        email=email,
        source=source,
        page_url=page_url,
        source_post_id=post_id,
        consent_version=consent_version,
        ip=ip,
        now=datetime.datetime.fromisoformat(at),
    )


@task
def deliver_edition(edition_id: int) -> int:
    """Send an edition's due deliveries for a while, then come back for the rest.

    A scheduled edition is started here when its time has come (the task was enqueued with
    run_after=send_at). After NEWSLETTER_TASK_SECONDS, or when what is left waits for a retry
    or another worker's lease, the task enqueues itself again for that moment, so other work
    (transactional mail) gets the worker in between, unless a task of this edition is already
    queued. Backends that cannot defer (the immediate backend of the tests) rely on the
    periodic `keep_editions_moving` (or `send_due_editions` / `send_edition`) instead.
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
        _keep_going(edition, now=timezone.now())
    return sent


# RQ's scheduler queues a deferred job within a second of its time while it runs.
SCHEDULER_GRACE = datetime.timedelta(seconds=15)


def _keep_going(edition: Edition, *, now: datetime.datetime) -> bool:
    """Make sure tasks will send this edition's next due deliveries; True if one was enqueued.

    One chain of tasks on the database backend; on RQ, one per live worker, so that workers on
    several machines share the send (each claims batches of its own, delivery.py). Nothing is
    enqueued for a chain already queued to run by then (another worker's, or the one
    `keep_editions_moving` added) or, on RQ, running: extra tasks would all be harmless (each
    sends only the rows it leased) but each would re-enqueue itself, and the chains would add up.
    """
    wake_up = max(delivery.next_wake_up(edition) or now, now)
    missing = _chains_wanted() - _chains_alive(edition.pk, by=wake_up, now=now)
    enqueued = [enqueue_at(edition.pk, wake_up) for _ in range(missing)]
    return any(enqueued)


def _chains_wanted() -> int:
    return max(taskqueue.workers(deliver_edition), 1)


def _chains_alive(edition_id: int, *, by: datetime.datetime, now: datetime.datetime) -> int:
    """The `deliver_edition` tasks of this edition that wait to run no later than `by` or, on
    RQ, run now (but for the one asking).

    A run that started longer ago than a task's slice plus a batch's lease died with its
    worker (kill -9): it no longer counts, and its rows come back to `pending` after their
    lease. Nor does a deferred run RQ's scheduler has not queued within SCHEDULER_GRACE of its
    time: the worker running the scheduler died, and another takes the role only minutes later.
    Backends that keep no queue (the immediate backend of the tests) cannot be asked: there a
    live lease on one of the edition's rows stands for a live task.
    """
    backend = task_backends[deliver_edition.backend]
    if not (isinstance(backend, DatabaseBackend) or taskqueue.uses_rq(deliver_edition)):
        return int(
            Delivery.objects.filter(
                edition_id=edition_id,
                status=Delivery.Status.SENDING,
                lease_expires_at__gt=timezone.now(),
            ).exists()
        )
    longest = settings.NEWSLETTER_TASK_SECONDS + settings.NEWSLETTER_LEASE_SECONDS
    started_since = now - datetime.timedelta(seconds=longest)
    due_since = now - SCHEDULER_GRACE
    return sum(
        1
        for run in taskqueue.runs(deliver_edition, by=by)
        if run.args[:1] == [edition_id]
        and (run.started_at is None or run.started_at > started_since)
        and (run.due_at is None or run.due_at > due_since)
    )


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


def import_subscribers(**import_options) -> subscriptions.ImportReport:
    """A CSV import (see `subscriptions.import_subscribers`), whose confirmation emails the
    worker sends in batches once the import has committed."""
    with transaction.atomic():
        report = subscriptions.import_subscribers(**import_options)
        for start in range(0, len(report.to_confirm), subscriptions.IMPORT_BATCH_SIZE):
            batch = report.to_confirm[start : start + subscriptions.IMPORT_BATCH_SIZE]
            transaction.on_commit(partial(send_import_confirmations.enqueue, batch), robust=True)
    return report


def send_now(*, edition: Edition, now: datetime.datetime) -> int:
    """ "Send now": freeze the recipients, and wake the worker once that is committed.

    Returns the number of recipients. Pressed twice, the second call freezes nobody and only
    wakes the worker again (which is also how "resume" after an outage works). On RQ every
    live worker is woken (one task each), so they all share the send from the start.
    """
    with transaction.atomic():
        recipients = editions.freeze_recipients(edition=edition, now=now)
        if edition.status == Edition.Status.SENDING:
            for _ in range(_chains_wanted()):
                transaction.on_commit(partial(enqueue_at, edition.pk, now), robust=True)
    return recipients


def send_later(*, edition: Edition, send_at: datetime.datetime, now: datetime.datetime) -> None:
    """Schedule the edition, and have the worker wake up for it at `send_at`.

    Where the task backend cannot wait, the periodic job `keep_editions_moving` starts it.
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
    """Fetch the headline feeds (every hour from the worker; also `manage.py import_headlines`)."""
    return headlines.import_headlines(now=timezone.now()).created


# Periodic jobs (core.periodic, registered in NewsletterConfig.ready) ----------------------


def keep_editions_moving(*, now: datetime.datetime) -> int:
    """Start what is due and give every edition being sent a task; returns the tasks enqueued.

    The task chain of an edition can break: a worker killed mid-send leaves its task
    "running" (core's abandoned-tasks job only runs it again after TASKS_LEASE_SECONDS), a
    task can fail while the database is away, a scheduled edition's wake-up can be lost.
    Checked on every tick of the worker's periodic thread, so no edition waits for cron.
    """
    editions.start_due(now=now)
    return sum(_keep_going(edition, now=now) for edition in Edition.objects.sending())


def import_headlines_hourly(*, now: datetime.datetime) -> None:
    """The feeds are fetched by a task, so a slow feed never holds up the periodic thread."""
    transaction.on_commit(import_headlines.enqueue, robust=True)
