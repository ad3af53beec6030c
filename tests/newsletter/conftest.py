import pytest


@pytest.fixture(autouse=True)
def _no_minimum_submit_time(settings):
    """Tests not about the minimum time-to-submit may post a form at once."""
    settings.NEWSLETTER_MIN_SUBMIT_SECONDS = 0


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps: no real waiting."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sink():
    """An SMTP server on 127.0.0.1 for a worker started as another process: it counts copies."""
    from tests.newsletter.sinks import CountingSink

    server = CountingSink(keep_messages=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def counting_sink(settings):
    """An SMTP server on 127.0.0.1 counting copies per recipient, as the `bulk` mailer."""
    from tests.newsletter.sinks import CountingSink

    sink = CountingSink()
    sink.start()
    settings.MAILERS = {**settings.MAILERS, "bulk": sink.mailer(), "transport": sink.mailer()}
    yield sink
    sink.stop()


@pytest.fixture
def author(client):
    """The writer, signed in to the admin."""
    from tests.factories import StaffFactory

    user = StaffFactory(username="author", email="author@example.org")
    client.force_login(user)
    return user
