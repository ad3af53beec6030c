"""Addresses written relative in an edition's intro arrive absolute in the received email."""

import re

import pytest
from django.utils import timezone

from newsletter import tasks
from newsletter.rendering import read_click_token
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

SITE_URL = "https://opinion.example.org"
INTRO = (
    "This week, [about me](/about/) and [last week's edition](../1/).\n\n"
    '<img src="/media/posts/bridge.jpg" alt="The bridge">'
)


@pytest.mark.parametrize("tracking", [False, True])
def test_relative_addresses_in_the_intro_are_absolute_in_the_email(smtp_server, settings, tracking):
    settings.SITE_URL = SITE_URL
    settings.NEWSLETTER_CLICK_TRACKING = tracking
    SubscriberFactory()
    edition = make_edition(posts=1, headlines=0, intro=INTRO)
    tasks.send_now(edition=edition, now=timezone.now())
    [message] = smtp_server.messages
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()

    # `../1/` resolves against the edition's web page, /newsletter/editions/<pk>/.
    expected = [f"{SITE_URL}/about/", f"{SITE_URL}/newsletter/editions/1/"]
    intro = html[: html.index("The bridge")]  # the intro's image closes it
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', intro)]
    if tracking:
        hrefs = [read_click_token(href.rsplit("/", 2)[-2])[1] for href in hrefs[-2:]]
    assert hrefs[-2:] == expected
    assert f'src="{SITE_URL}/media/posts/bridge.jpg"' in html
    assert 'href="/' not in html and 'src="/' not in html
    if not tracking:
        assert all(f"<{url}>" in text for url in expected)
