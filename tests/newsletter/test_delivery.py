"""The delivery engine: once per subscriber, retries, refusals, unsubscribes, rate and batches."""

import datetime
import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from newsletter import delivery, editions, tasks
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import StaffFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def start(edition):
    return editions.freeze_recipients(edition=edition, now=timezone.now())


def test_sending_twice_and_running_the_command_twice_sends_once(counting_sink):
    readers = [SubscriberFactory() for _ in range(12)]
    edition = make_edition()
    assert tasks.send_now(edition=edition, now=timezone.now()) == 12
    assert tasks.send_now(edition=edition, now=timezone.now()) == 0
    call_command("send_edition", edition.pk)
    call_command("send_edition", edition.pk)
    assert counting_sink.counts == {reader.email: 1 for reader in readers}
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert (edition.recipients_count, edition.sent_count, edition.failed_count) == (12, 12, 0)


def test_a_frozen_list_gains_nobody_who_subscribes_later(counting_sink):
    SubscriberFactory()
    edition = make_edition()
    start(edition)
    late = SubscriberFactory()
    delivery.deliver(edition=edition)
    assert late.email not in counting_sink.counts
    assert counting_sink.total == 1


def test_one_smtp_connection_per_batch(counting_sink, settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    for _ in range(25):
        SubscriberFactory()
    edition = make_edition()
    start(edition)
    delivery.deliver(edition=edition)
    assert counting_sink.total == 25
    assert counting_sink.handler.sessions == 3


def test_whoever_unsubscribes_during_the_send_gets_nothing_after_that_moment(counting_sink):
    first, second, third = (SubscriberFactory() for _ in range(3))
    edition = make_edition()
    start(edition)

    class UnsubscribeSecondOnFirstSend(delivery.Pacer):
        calls = 0

        def wait(self):
            self.calls += 1
            if self.calls == 1:  # `first` is about to be sent; `second` leaves now
                Subscriber.objects.get(pk=second.pk).unsubscribe(method="link", now=timezone.now())

    delivery.send_batch(edition=edition, now=timezone.now(), pacer=UnsubscribeSecondOnFirstSend(0))
    assert counting_sink.counts == {first.email: 1, third.email: 1}
    assert Delivery.objects.get(subscriber=second).status == Delivery.Status.SKIPPED
    assert delivery.finish_if_done(edition=edition, now=timezone.now())


def test_a_permanent_refusal_fails_that_delivery_only(counting_sink):
    ok, gone = SubscriberFactory(), SubscriberFactory(email="gone@example.org")
    counting_sink.handler.refuse_permanently.add(gone.email)
    edition = make_edition()
    start(edition)
    delivery.deliver(edition=edition)
    edition.refresh_from_db()
    assert counting_sink.counts == {ok.email: 1}
    failed = Delivery.objects.get(subscriber=gone)
    assert failed.status == Delivery.Status.FAILED and failed.hard_bounce
    assert "550" in failed.last_error
    assert edition.status == Edition.Status.SENT
    assert (edition.sent_count, edition.failed_count) == (1, 1)


def test_repeated_hard_bounces_mark_the_subscriber_bounced(counting_sink, settings):
    settings.NEWSLETTER_HARD_BOUNCE_LIMIT = 2
    gone = SubscriberFactory(email="gone@example.org")
    counting_sink.handler.refuse_permanently.add(gone.email)
    for round_number in (1, 2):
        edition = make_edition(subject=f"Edition {round_number}")
        start(edition)
        delivery.deliver(edition=edition)
        gone.refresh_from_db()
        expected = Subscriber.Status.ACTIVE if round_number == 1 else Subscriber.Status.BOUNCED
        assert gone.status == expected
    assert gone.unsubscribe_method == Subscriber.UnsubscribeMethod.BOUNCE
    assert gone.unsubscribed_at is not None


def test_a_temporary_refusal_is_retried_after_a_backoff(counting_sink, settings, now):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    later = SubscriberFactory(email="greylisted@example.org")
    counting_sink.handler.refuse_for_now.add(later.email)
    edition = make_edition()
    start(edition)
    delivery.deliver(edition=edition)
    row = Delivery.objects.get(subscriber=later)
    assert row.status == Delivery.Status.PENDING and row.attempts == 1
    assert row.available_at > now + datetime.timedelta(seconds=50)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING

    counting_sink.handler.refuse_for_now.clear()
    Delivery.objects.filter(pk=row.pk).update(available_at=timezone.now())
    delivery.deliver(edition=edition)
    assert counting_sink.counts == {later.email: 1}
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_an_unreachable_server_stops_the_batch_and_keeps_the_edition_sending(settings, now):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 30
    settings.MAILERS = {
        **settings.MAILERS,
        "bulk": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        },
    }
    SubscriberFactory()
    edition = make_edition()
    start(edition)
    result = delivery.send_batch(edition=edition, now=timezone.now())
    assert result.sent == 0 and "Connection" in result.error
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING
    assert edition.temporary_errors == 1 and "Connection" in edition.last_error
    row = Delivery.objects.get()
    assert row.status == Delivery.Status.PENDING
    assert row.available_at > now + datetime.timedelta(seconds=20)


def test_rows_of_a_dead_worker_are_sent_once_their_lease_ran_out(counting_sink, now):
    readers = [SubscriberFactory() for _ in range(3)]
    edition = make_edition()
    start(edition)
    token, claimed = delivery.claim_batch(edition=edition, now=timezone.now(), size=2)
    assert len(claimed) == 2  # ...and the worker holding them dies here.
    delivery.deliver(edition=edition)
    assert counting_sink.total == 1  # only the unclaimed one: the lease still runs
    later = now + datetime.timedelta(seconds=301)  # the 300 s lease has run out
    result = delivery.send_batch(edition=edition, now=later)
    assert result.sent == 2
    assert counting_sink.counts == {reader.email: 1 for reader in readers}


def paced(fake_clock, rate: float) -> delivery.Pacer:
    """The worker's pacer on a fake clock: its sleeps are counted, not waited."""
    return delivery.Pacer(rate, clock=fake_clock.monotonic, sleep=fake_clock.sleep)


def test_a_worker_stops_before_its_lease_runs_out(counting_sink, settings, fake_clock):
    settings.NEWSLETTER_LEASE_SECONDS = delivery.LEASE_SAFETY_SECONDS + 1
    settings.NEWSLETTER_BATCH_SIZE = 50
    readers = [SubscriberFactory() for _ in range(20)]
    edition = make_edition()
    start(edition)
    pacer = paced(fake_clock, rate=8)
    first = delivery.send_batch(edition=edition, now=timezone.now(), pacer=pacer)
    # One second of lease to spend, one message every 1/8 s: messages start at 0 s, 1/8 s, ...
    # 9/8 s (the last one begun while the second had not run out), then the worker stops.
    assert first.sent == 10
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).count() == 0
    delivery.deliver(edition=edition, pacer=pacer)
    assert counting_sink.counts == {reader.email: 1 for reader in readers}


def test_the_send_rate_is_respected(counting_sink, fake_clock):
    for _ in range(11):
        SubscriberFactory()
    edition = make_edition()
    start(edition)
    delivery.deliver(edition=edition, pacer=paced(fake_clock, rate=20))
    assert counting_sink.total == 11
    assert fake_clock.sleeps == [pytest.approx(0.05)] * 10  # 11 messages, 1/20 s apart
    assert fake_clock.now == pytest.approx(0.5)


def test_an_edition_linking_to_a_draft_cannot_be_sent(counting_sink):
    SubscriberFactory()
    edition = make_edition()
    Post.objects.filter(pk=edition.items.first().post_id).update(status=Post.Status.DRAFT)
    with pytest.raises(editions.NotReady, match="not published"):
        start(edition)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.DRAFT and not Delivery.objects.exists()


def test_a_scheduled_edition_goes_out_at_its_time(counting_sink, tomorrow):
    reader = SubscriberFactory()
    edition = make_edition()
    send_at = tomorrow
    tasks.send_later(edition=edition, send_at=send_at, now=timezone.now())
    call_command("send_due_editions")
    assert counting_sink.total == 0
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SCHEDULED
    Edition.objects.filter(pk=edition.pk).update(send_at=timezone.now())
    call_command("send_due_editions")
    call_command("send_due_editions")
    assert counting_sink.counts == {reader.email: 1}
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_the_command_prints_a_progress_bar(counting_sink, capsys):
    for _ in range(4):
        SubscriberFactory()
    edition = make_edition()
    call_command("send_edition", edition.pk)
    out = capsys.readouterr().out
    assert "[##############################] 100% 4/4 (4 sent, 0 failed)" in out
    assert "Done: 4 sent, 0 failed, 0 skipped." in out


@pytest.mark.slow
# Stopping aiosmtpd with a client connected makes asyncio complain while tearing down its
# transport (a TypeError inside asyncio's own __del__), which is the sink's business, not ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_smtp_down_for_part_of_the_send_loses_and_duplicates_nothing(
    counting_sink, settings, client
):
    """The sink stops mid-send and comes back; the command waits it out (real seconds)."""
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 1
    settings.NEWSLETTER_BATCH_SIZE = 10
    settings.NEWSLETTER_SEND_RATE = 100
    readers = [SubscriberFactory() for _ in range(60)]
    edition = make_edition()
    start(edition)
    outage = {}

    def take_the_server_down():
        while counting_sink.total < 20:
            time.sleep(0.005)
        counting_sink.stop()
        outage["received_before"] = counting_sink.total
        time.sleep(1.5)
        counting_sink.start()

    operator = threading.Thread(target=take_the_server_down)
    operator.start()
    delivery.deliver(edition=edition, wait=True)
    operator.join()

    assert outage["received_before"] < 60
    assert counting_sink.counts == {reader.email: 1 for reader in readers}
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT and edition.sent_count == 60
    assert edition.last_error
    # Down for 1.5 s with a 1 s base: fails at 0 s and 1 s, then 2 s later it is back. The
    # whole edition waits out each backoff, so the other batches do not fail one by one.
    assert 1 <= edition.temporary_errors <= 3

    # ...and the author sees what happened on the edition's admin page.
    client.force_login(StaffFactory(username="author"))
    page = client.get(reverse("admin:newsletter_edition_change", args=[edition.pk]))
    html = page.content.decode()
    assert "The mail server was unreachable or asked to wait" in html
    assert f'<strong data-field="temporary_errors">{edition.temporary_errors}</strong>' in html
    assert '<strong data-field="sent">60</strong> sent' in html
