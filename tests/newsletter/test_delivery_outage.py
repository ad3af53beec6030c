"""The database goes away just after the mail server accepted a message (issue 10, fault drill).

Without care, that message's `sent` mark is lost, and once the lease runs out the row is sent
again: a duplicate for every outage. The worker instead waits for the database to record it.
The whole drill with a real worker and a cut connection is tests/newsletter/test_worker_faults.py.
"""

import pytest
from django.db import OperationalError
from django.utils import timezone

from newsletter import delivery, editions
from newsletter.models import Delivery
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sent_mark_waits_out_a_database_outage(counting_sink, monkeypatch, fake_clock, caplog):
    readers = [SubscriberFactory() for _ in range(3)]
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=timezone.now())
    real_mark, refusals = delivery._mark, []

    def mark_while_the_database_is_away(pk, token, **fields):
        if fields.get("status") == Delivery.Status.SENT and len(refusals) < 3:
            refusals.append(pk)
            raise OperationalError("server closed the connection unexpectedly")
        return real_mark(pk, token, **fields)

    monkeypatch.setattr(delivery, "_mark", mark_while_the_database_is_away)
    pacer = delivery.Pacer(0, clock=fake_clock.monotonic, sleep=fake_clock.sleep)
    result = delivery.send_batch(edition=edition, now=timezone.now(), pacer=pacer)

    assert result.sent == 3
    assert fake_clock.sleeps == [0.5, 1.0, 2.0]
    assert counting_sink.counts == {reader.email: 1 for reader in readers}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert "recording it as soon as the database is back" in caplog.text


def test_after_a_lease_of_waiting_the_worker_gives_up(counting_sink, monkeypatch, fake_clock):
    SubscriberFactory()
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=timezone.now())

    def always_away(pk, token, **fields):
        raise OperationalError("connection refused")

    monkeypatch.setattr(delivery, "_mark", always_away)
    monkeypatch.setattr(delivery, "_release", lambda rows, **fields: 0)
    pacer = delivery.Pacer(0, clock=fake_clock.monotonic, sleep=fake_clock.sleep)
    with pytest.raises(OperationalError):
        delivery.send_batch(edition=edition, now=timezone.now(), pacer=pacer)
    assert sum(fake_clock.sleeps) >= delivery.settings.NEWSLETTER_LEASE_SECONDS
