"""What the task worker does by itself, with no cron (issue 10, item 5).

The periodic jobs (core.periodic) that NewsletterConfig registers: every edition being sent
always has a task, scheduled editions start, unconfirmed signups are purged, feeds fetched.
The end-to-end proof with real processes is tests/newsletter/test_worker_resume.py.
"""

import datetime

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import periodic
from newsletter import editions, subscriptions, tasks
from newsletter.models import Delivery, Edition
from tests.newsletter.editions_support import active_subscribers, make_edition

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_deliveries(edition) -> list[DBTaskResult]:
    return [
        result
        for result in DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        if result.task_path == tasks.deliver_edition.module_path
        and result.args_kwargs["args"] == [edition.pk]
    ]


def sending_edition(now, *, recipients=3) -> Edition:
    edition = make_edition()
    active_subscribers(recipients)
    editions.freeze_recipients(edition=edition, now=now)
    return edition


def test_the_newsletter_registers_its_periodic_jobs():
    jobs = {job.name: job for job in periodic.registered()}
    assert jobs["newsletter-editions"].run == tasks.keep_editions_moving
    assert jobs["newsletter-purge-pending"].run == subscriptions.purge_pending
    assert jobs["newsletter-purge-pending"].every == datetime.timedelta(days=1)
    assert jobs["newsletter-headlines"].every == datetime.timedelta(hours=1)


def test_an_edition_whose_task_died_with_its_worker_gets_a_new_one(database_tasks, now):
    """Item 5: the killed worker's task stays "running"; the edition must not wait for it."""
    edition = sending_edition(now)
    dead = tasks.deliver_edition.enqueue(edition.pk)
    DBTaskResult.objects.filter(pk=dead.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - datetime.timedelta(seconds=5)
    )
    assert queued_deliveries(edition) == []

    tasks.keep_editions_moving(now=now)
    assert len(queued_deliveries(edition)) == 1


def test_an_edition_with_a_queued_task_gets_no_second_one(database_tasks, now):
    edition = sending_edition(now)
    tasks.deliver_edition.enqueue(edition.pk)
    tasks.keep_editions_moving(now=now)
    tasks.keep_editions_moving(now=now)
    assert len(queued_deliveries(edition)) == 1


def test_a_task_finding_another_queued_does_not_enqueue_itself_again(database_tasks, now):
    """Tasks never pile up: an extra one (from the periodic job) ends the chain it joins."""
    edition = sending_edition(now, recipients=2)
    Delivery.objects.filter(edition=edition).update(
        available_at=now + datetime.timedelta(minutes=5)
    )
    tasks.deliver_edition.enqueue(edition.pk)
    tasks.deliver_edition.call(edition.pk)
    assert len(queued_deliveries(edition)) == 1


def test_a_scheduled_edition_whose_wake_up_was_lost_starts_on_time(now):
    edition = make_edition(status=Edition.Status.SCHEDULED, send_at=now)
    active_subscribers(2)
    tasks.keep_editions_moving(now=timezone.now())
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert edition.sent_count == 2


def test_the_headline_job_hands_the_fetching_to_a_task(
    database_tasks, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.import_headlines_hourly(now=now)
    assert DBTaskResult.objects.filter(task_path=tasks.import_headlines.module_path).count() == 1
