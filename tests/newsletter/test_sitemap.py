"""The newsletter in sitemap.xml: its pages and every sent edition, each with `lastmod`."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from newsletter import delivery, editions
from newsletter.models import Edition
from tests.blog.test_feeds_sitemaps import SITEMAP_NS, SITEMAP_XSD
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://opinion.example.org"


def sent_edition(subject: str, frozen_at: datetime.datetime) -> Edition:
    edition = make_edition(subject=subject, posts=0, headlines=1)
    editions.freeze_recipients(edition=edition, now=frozen_at)
    delivery.deliver(edition=edition)
    edition.refresh_from_db()
    return edition


def sitemap(client) -> dict[str, str | None]:
    root = ET.fromstring(client.get(reverse("sitemap")).content)
    return {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
        for url in root.iter(f"{SITEMAP_NS}url")
    }


def test_sent_editions_and_the_newsletter_pages_are_listed_with_their_dates(client, settings):
    settings.SITE_URL = SITE_URL
    SubscriberFactory()
    first = sent_edition("Week one", timezone.now() - datetime.timedelta(days=8))
    latest = sent_edition("Week two", timezone.now() - datetime.timedelta(days=1))
    draft = make_edition(subject="Still a draft")
    urls = sitemap(client)
    day = "%Y-%m-%d"
    assert urls[f"{SITE_URL}{first.get_absolute_url()}"] == first.frozen_at.strftime(day)
    assert urls[f"{SITE_URL}{latest.get_absolute_url()}"] == latest.frozen_at.strftime(day)
    for name in ["newsletter:subscribe", "newsletter:edition-archive"]:
        assert urls[f"{SITE_URL}{reverse(name)}"] == latest.frozen_at.strftime(day)
    assert f"{SITE_URL}{draft.get_absolute_url()}" not in urls


def test_the_sitemap_with_editions_is_valid_against_the_sitemap_schema(client):
    SubscriberFactory()
    sent_edition("Week one", timezone.now())
    schema = etree.XMLSchema(etree.fromstring(SITEMAP_XSD))
    document = etree.fromstring(client.get(reverse("sitemap")).content)
    assert schema.validate(document), schema.error_log


def test_without_an_edition_the_newsletter_pages_carry_no_date(client):
    make_edition(subject="Still a draft")
    urls = sitemap(client)
    assert urls[f"http://testserver{reverse('newsletter:subscribe')}"] is None
    assert urls[f"http://testserver{reverse('newsletter:edition-archive')}"] is None
    assert [url for url in urls if "/newsletter/editions/" in url] == [
        f"http://testserver{reverse('newsletter:edition-archive')}"
    ]
