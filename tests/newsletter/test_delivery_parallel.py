"""Two workers claiming at the same time never send a delivery twice."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from newsletter import delivery, editions
from newsletter.models import Delivery, Edition, Subscriber
from tests.newsletter.editions_support import make_edition

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_in_parallel_never_send_the_same_delivery_twice(counting_sink, settings):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED is what lets two workers claim "
            "at once. SQLite has one writer at a time (BEGIN IMMEDIATE), so its claims never "
            "overlap; its exactly-once sending is shown by the crash test."
        )
    settings.NEWSLETTER_BATCH_SIZE = 7
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.org", status="active", confirmed_at=now)
        for n in range(400)
    )
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=now)
    start = threading.Barrier(2)
    sent_by = {}

    def worker(name):
        try:
            start.wait()
            sent_by[name] = delivery.deliver(edition=Edition.objects.get(pk=edition.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert counting_sink.counts == {f"reader{n}@example.org": 1 for n in range(400)}
    assert sent_by["one"] + sent_by["two"] == 400
    assert sent_by["one"] > 0 and sent_by["two"] > 0, "both workers took part"
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 400
