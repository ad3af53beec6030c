"""The edition engine on the task backend TASKS_BACKEND selects (database, or RQ in .ci/run).

The processes-and-SIGKILL proof on RQ is tests/newsletter/test_rq_workers.py.
"""

import pytest

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
