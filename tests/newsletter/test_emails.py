import re

import pytest
from django.core import mail

from newsletter import emails, tokens
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_received_confirmation_carries_the_list_headers_and_a_visible_unsubscribe_link(
    smtp_server, settings
):
    settings.NEWSLETTER_POSTAL_ADDRESS = "PO Box 12, Port Alder"
    subscriber = SubscriberFactory(pending=True)
    emails.confirmation_message(subscriber).send()
    [message] = smtp_server.messages
    unsubscribe = f"http://testserver/newsletter/u/{tokens.make_unsubscribe_token(subscriber)}/"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == f'"{settings.SITE_NAME}" <newsletter.testserver>'
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Unsubscribe (one click):\r\n{unsubscribe}" in text  # a long link stands alone
    assert f'href="{unsubscribe}"' in html
    assert "PO Box 12, Port Alder" in text and "PO Box 12, Port Alder" in html
    assert settings.SITE_NAME in text


def test_the_html_part_is_at_most_600_pixels_wide_with_inline_styles(smtp_server):
    emails.confirmation_message(SubscriberFactory(pending=True)).send()
    html = smtp_server.messages[0].get_body(("html",)).get_content()
    assert "max-width:600px" in html
    assert "<link" not in html
    # The only sheet is in <head>, for dark mode; everything else is inline.
    assert "<style" not in html.split("</head>")[1]
    widths = [int(w) for w in re.findall(r"max-width:(\d+)px", html)]
    assert max(widths) <= 600


def test_newsletter_message_is_text_first_and_escapes_nothing_into_the_text(settings):
    settings.SITE_NAME = "Tom & Jerry’s <Dispatch>"
    subscriber = SubscriberFactory(pending=True)
    message = emails.confirmation_message(subscriber)
    message.send()
    sent = mail.outbox[0].message()
    assert [part.get_content_type() for part in sent.iter_parts()] == ["text/plain", "text/html"]
    text = sent.get_body(("plain",)).get_content()
    assert "Tom & Jerry’s <Dispatch>" in text
    assert "&amp;" not in text
    assert "Tom &amp; Jerry’s &lt;Dispatch&gt;" in sent.get_body(("html",)).get_content()
