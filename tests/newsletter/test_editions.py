"""An edition sent through a real SMTP server, read as a mail client would."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from newsletter import delivery, editions, tasks
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import ImageFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def https_site(settings):
    settings.SITE_URL = "https://testserver"
    settings.NEWSLETTER_POSTAL_ADDRESS = "PO Box 12, Port Alder"
    settings.SECURE_SSL_REDIRECT = False


def send(edition):
    tasks.send_now(edition=edition, now=timezone.now())
    edition.refresh_from_db()
    return edition


def resolves_on_site(client, url: str) -> bool:
    """The link is ours and answers 200, or redirects (302) somewhere known."""
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "testserver", url
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    response = client.get(path, secure=True)
    return response.status_code == 200 or response.status_code == 302


def test_every_received_message_is_a_well_formed_newsletter(
    smtp_server, https_site, settings, client
):
    readers = [SubscriberFactory() for _ in range(3)]
    SubscriberFactory(pending=True, email="pending@example.org")
    SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED, email="left@example.org")
    SubscriberFactory(status=Subscriber.Status.BOUNCED, email="bounced@example.org")
    edition = send(make_edition())

    assert edition.status == Edition.Status.SENT
    messages = smtp_server.messages
    assert sorted(m["To"] for m in messages) == sorted(r.email for r in readers)
    for message in messages:
        unsubscribe = message["List-Unsubscribe"]
        assert re.fullmatch(r"<https://[^<>,\s]+>", unsubscribe), unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == f'"{settings.SITE_NAME}" <newsletter.testserver>'
        assert message["Subject"] == edition.subject
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]

        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "<a " not in text and "<p" not in text
        for item in edition.items.select_related("post"):
            assert item.post.title in text
        assert "Harbour bridge closes for repairs 1 (Calder Bay Herald)" in text
        assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html
        assert "/newsletter/preferences/" in text
        assert "You get this email because you subscribed" in text
        assert settings.SITE_NAME in text and "PO Box 12, Port Alder" in text
        body = html.split("</head>")[1]
        assert "max-width:600px" in html and "<style" not in body and "<script" not in html

        # The text part shows real destinations: headlines' and the intro's own addresses,
        # our post pages.
        elsewhere = {link.headline.url for link in edition.headline_links.all()}
        elsewhere.add("https://example.org/agenda")
        text_links = set(re.findall(r"https?://[^\s<>]+", text)) - elsewhere
        assert elsewhere <= set(re.findall(r"https?://[^\s<>]+", text))
        html_links = HREF.findall(html)
        assert html_links, "the HTML part has links"
        for url in {*text_links, *html_links}:
            assert resolves_on_site(client, url.replace("&amp;", "&")), url

    # The one-click unsubscribe of the first message works without cookies (RFC 8058).
    first = messages[0]
    target = urlsplit(first["List-Unsubscribe"].strip("<>")).path
    client.cookies.clear()
    response = client.post(target, {"List-Unsubscribe": "One-Click"}, secure=True)
    assert response.status_code == 200
    assert Subscriber.objects.get(email=first["To"]).status == Subscriber.Status.UNSUBSCRIBED


def test_images_in_the_html_carry_alt_text_and_dimensions(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    edition = make_edition(posts=1, headlines=0)
    ImageFactory(post=edition.items.get().post, is_cover=True)
    SubscriberFactory()
    send(edition)
    html = mail.outbox[0].message().get_body(("html",)).get_content()
    images = re.findall(r"<img [^>]+>", html)
    assert len(images) == 1
    assert re.search(r'alt="[^"]+"', images[0])
    assert 'width="64"' in images[0] and 'height="48"' in images[0]


def test_nobody_but_active_subscribers_gets_a_delivery_row():
    SubscriberFactory(pending=True)
    SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    active = SubscriberFactory()
    edition = send(make_edition())
    assert list(Delivery.objects.values_list("subscriber_id", flat=True)) == [active.pk]
    assert edition.recipients_count == 1


def test_links_go_straight_to_their_target_when_click_counting_is_off(settings):
    settings.NEWSLETTER_CLICK_TRACKING = False
    SubscriberFactory()
    edition = send(make_edition())
    html = mail.outbox[0].message().get_body(("html",)).get_content()
    assert "/newsletter/c/" not in html
    post = edition.items.first().post
    assert f'href="http://testserver{post.get_absolute_url()}"' in html
    headline = edition.headline_links.get().headline
    assert f'href="{headline.url}"' in html


def test_the_body_is_frozen_with_the_recipients():
    SubscriberFactory()
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=timezone.now())
    post = edition.items.first().post
    old_title = post.title
    post.title = "A new title after the send started"
    post.save()
    delivery.deliver(edition=edition)
    text = mail.outbox[0].message().get_body(("plain",)).get_content()
    assert old_title in text and "A new title after the send started" not in text
