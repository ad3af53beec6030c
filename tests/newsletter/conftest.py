import pytest

from newsletter.consent import CURRENT_CONSENT_VERSION
from newsletter.tokens import make_form_stamp

ORIGIN = "http://testserver"


@pytest.fixture(autouse=True)
def _no_minimum_submit_time(settings):
    """Tests not about the minimum time-to-submit may post a form at once."""
    settings.NEWSLETTER_MIN_SUBMIT_SECONDS = 0


def signup_data(email="reader@example.org", **overrides) -> dict:
    data = {
        "email": email,
        "website": "",
        "stamp": make_form_stamp(),
        "source": "post",
        "page": "/2026/11/a-post/",
        "consent_version": CURRENT_CONSENT_VERSION,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_signup(client, data=None, *, ip="203.0.113.10", json=False, origin=ORIGIN, **kwargs):
    from django.urls import reverse

    headers = {"origin": origin} if origin else {}
    if json:
        headers["accept"] = "application/json"
    return client.post(
        reverse("newsletter:signup"),
        signup_data() if data is None else data,
        REMOTE_ADDR=ip,
        headers=headers,
        **kwargs,
    )


@pytest.fixture
def counting_sink(settings):
    """An SMTP server on 127.0.0.1 counting copies per recipient, as the `bulk` mailer."""
    from tests.newsletter.sinks import CountingSink

    sink = CountingSink()
    sink.start()
    settings.MAILERS = {**settings.MAILERS, "bulk": sink.mailer(), "transport": sink.mailer()}
    yield sink
    sink.stop()
