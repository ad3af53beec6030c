"""Shared by the staff sign-in tests: the real login view, a browser, codes from mail."""

import base64
import email
import re
from email import policy
from urllib.parse import urlencode

from django.urls import reverse

PASSWORD = "a-long-test-password"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def verify_url(next_url=None):
    return f"{reverse('staff:verify')}?{urlencode({'next': next_url or reverse('admin:index')})}"


def enter(client, code, *, url="staff:verify", field="code", next_url=None):
    return client.post(reverse(url), {field: code, "next": next_url or reverse("admin:index")})


def code_from(message) -> str:
    """The code as a mail client shows it: the text part, parsed from the message's bytes."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"^(\d{6})$", text, re.MULTILINE).group(1)


def staff_secret(device) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")
