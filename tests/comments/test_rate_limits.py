"""Comment rate limits (trap 4): a lively thread goes through, a flood does not, and a
refused comment comes back with its text.

The limits count in the shared cache against `core.ratelimit`'s clock, which these tests
move by hand; the form stamps keep the real time (tests allow them at once).
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.comments.support import JSON, ORIGIN, elements, form_data
from tests.comments.test_posting import confirm_from_outbox
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

START = 1_800_000_000.0 + 7.0  # a few seconds into a minute, as a reader's clock would be


class Clock:
    def __init__(self):
        self.now = START

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("core.ratelimit.time", clock)
    return clock


def send(client, post, *, address="203.0.113.10", headers=ORIGIN, **fields):
    return client.post(
        reverse("comments:post"), form_data(post, **fields), headers=headers, REMOTE_ADDR=address
    )


def test_a_second_comment_70_seconds_after_the_first_goes_through(client, clock):
    """The reported case: a reader without JavaScript comments, confirms, and answers again."""
    post = PostFactory()
    # The cached page's form has no stamp of this reader: it comes back for one more press.
    assert send(client, post, stamp="", comment="Boats first.").status_code == 400
    assert send(client, post, comment="Boats first.").status_code == 302
    confirm_from_outbox(client)
    clock.now += 70
    assert send(client, post, stamp="", comment="And buses second.").status_code == 400
    second = send(client, post, comment="And buses second.")
    assert second.status_code == 302, second.content.decode()[:500]
    confirm_from_outbox(client)
    assert Comment.objects.count() == 2


def test_a_reader_answering_every_30_seconds_for_ten_minutes_gets_through(client, clock):
    post = PostFactory()
    client.force_login(UserFactory())
    for n in range(20):
        response = send(client, post, comment=f"Answer number {n}.")
        assert response.status_code == 302, (n, response.content.decode()[:300])
        clock.now += 30
    assert Comment.objects.count() == 20


def test_colleagues_behind_one_office_address_talk_at_once(clock):
    """Six signed-in readers on one /24, each answering every minute for five minutes."""
    post = PostFactory()
    readers = []
    for n in range(6):
        client = Client()
        client.force_login(UserFactory())
        readers.append((client, f"198.51.100.{n + 20}"))
    for minute in range(5):
        for n, (client, address) in enumerate(readers):
            response = send(client, post, address=address, comment=f"Minute {minute}, {n}.")
            assert response.status_code == 302, (minute, n)
            clock.now += 7
        clock.now += 60 - 7 * len(readers)
    assert Comment.objects.count() == 30


def test_one_commenter_posting_every_second_is_stopped_within_seconds(client, clock, settings):
    post = PostFactory()
    client.force_login(UserFactory())
    answers = []
    for n in range(10):
        answers.append(send(client, post, comment=f"Spam {n}").status_code)
        clock.now += 1
    assert answers[: settings.COMMENTS_PER_ADDRESS_PER_MINUTE] == [302] * 4
    assert set(answers[settings.COMMENTS_PER_ADDRESS_PER_MINUTE :]) == {429}
    assert Comment.objects.count() == settings.COMMENTS_PER_ADDRESS_PER_MINUTE


def test_a_flood_from_one_network_is_stopped_and_others_still_comment(client, clock, settings):
    """Fresh addresses every second from one /24 (or one IPv6 /64) are stopped."""
    post = PostFactory()
    for hour, prefix in enumerate(("203.0.113.", "2001:db8:1:2::")):
        clock.now = START + 3600 * hour
        answers = []
        for n in range(30):
            response = send(
                client, post, address=f"{prefix}{n + 1}", email=f"bot{n}@{len(prefix)}.example"
            )
            answers.append(response.status_code)
            clock.now += 1
        allowed = settings.COMMENTS_PER_NETWORK_PER_MINUTE
        assert answers[:allowed] == [302] * allowed
        assert set(answers[allowed:]) == {429}
    assert len(mail.outbox) == 2 * settings.COMMENTS_PER_NETWORK_PER_MINUTE
    # Another network, and the next IPv6 /64, are not held back by the flood.
    assert send(client, post, address="192.0.2.8", email="ann@example.org").status_code == 302
    assert send(client, post, address="2001:db8:1:3::1", email="bo@example.org").status_code == 302


def test_the_hourly_limit_stops_a_slow_steady_flood(client, clock, settings):
    settings.COMMENTS_PER_ADDRESS_PER_HOUR = 5
    post = PostFactory()
    client.force_login(UserFactory())
    answers = []
    for n in range(7):
        answers.append(send(client, post, comment=f"Slow spam {n}").status_code)
        clock.now += 120
    assert answers == [302] * 5 + [429] * 2


def test_a_refused_comment_comes_back_with_its_text_and_when_to_retry(client, clock):
    post = PostFactory()
    client.force_login(UserFactory())
    for n in range(4):
        assert send(client, post, comment=f"Quick {n}").status_code == 302
    text = "A long and careful answer\nthat must not be lost."
    refused = send(client, post, comment=text, reply_to="0")
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 120
    page = refused.content.decode()
    assert "Please wait a moment" in page
    assert "Your text is kept" in page
    (textarea,) = [e for e in elements(page) if e["tag"] == "textarea"]
    assert textarea["text"] == text
    (stamp,) = [e for e in elements(page, "input") if "data-stamp-url" in e["attrs"]]
    assert stamp["attrs"]["value"]
    # The refusal used up nothing: once the wait is over, the same press goes through.
    clock.now += retry_after
    retried = send(client, post, comment=text, stamp=stamp["attrs"]["value"])
    assert retried.status_code == 302
    assert Comment.objects.filter(comment=text).count() == 1


def test_the_script_gets_the_refusal_as_json_with_a_fresh_stamp(client, clock):
    post = PostFactory()
    client.force_login(UserFactory())
    for n in range(4):
        assert send(client, post, comment=f"Quick {n}").status_code == 302
    refused = send(client, post, comment="Kept by the page.", headers=JSON)
    assert refused.status_code == 429
    data = refused.json()
    assert data["ok"] is False
    assert data["stamp"] and data["retry_after"] == int(refused["Retry-After"])
    assert "wait about" in data["message"]


def test_an_unconfirmed_address_posting_again_keeps_its_text(client, clock):
    post = PostFactory()
    assert send(client, post, comment="First.").status_code == 302
    refused = send(client, post, comment="Second, before confirming the first.")
    assert refused.status_code == 429
    (textarea,) = [e for e in elements(refused.content.decode()) if e["tag"] == "textarea"]
    assert textarea["text"] == "Second, before confirming the first."
