"""Helpers for newsletter tests: a valid signup form and a same-origin POST of it."""

from django.urls import reverse

from newsletter.consent import CURRENT_CONSENT_VERSION
from newsletter.tokens import make_form_stamp

ORIGIN = "http://testserver"


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
