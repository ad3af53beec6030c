"""The edition engine on the task backend TASKS_BACKEND selects (database, or RQ in .ci/run).

The processes-and-SIGKILL proof on RQ is tests/newsletter/test_rq_workers.py.
"""

import pytest

from newsletter import editions
from newsletter import tasks as newsletter_tasks
from newsletter.models import Edition
from tests.newsletter.editions_support import active_subscribers, make_edition


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_an_edition_goes_through_the_worker_to_every_subscriber_once(
    worker_tasks, counting_sink, now, settings
):
    settings.NEWSLETTER_BATCH_SIZE = 7
    subscribers = active_subscribers(30)
    edition = make_edition()

    assert newsletter_tasks.send_now(edition=edition, now=now) == 30
    worker_tasks.run()

    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert counting_sink.counts == {subscriber.email: 1 for subscriber in subscribers}


@pytest.fixture
def two_workers(worker_tasks):
    """Two workers taking the queue: registered RQ workers (not running), or on the database
    backend, where workers are not counted, nothing."""
    if not worker_tasks.rq:
        yield 0
        return
    from core.rq_worker import build_worker

    workers = [build_worker(["default"], name=f"test-worker-{n}") for n in range(2)]
    for worker in workers:
        worker.register_birth()
    yield len(workers)
    for worker in workers:
        worker.register_death()
        worker.connection.delete(worker.key)


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_a_sending_edition_gets_a_task_per_worker_and_no_more(worker_tasks, two_workers, now):
    """On RQ every live worker gets a share of the send (one chain of tasks each); the
    database backend keeps one chain. A second look adds nothing: the chains are queued."""
    edition = make_edition()
    active_subscribers(3)
    editions.freeze_recipients(edition=edition, now=now)
    chains = 2 if worker_tasks.rq else 1

    def queued():
        runs = worker_tasks.queued(newsletter_tasks.deliver_edition)
        return [args for args in runs if args == [edition.pk]]

    newsletter_tasks.keep_editions_moving(now=now)
    assert queued() == [[edition.pk]] * chains
    newsletter_tasks.keep_editions_moving(now=now)
    assert len(queued()) == chains
