"""Bidi overrides and invisible characters never reach the subscriber list (item 15).

Subscribers have no name field: what arrives as free text is the consent record (source,
page, consent wording) from a CSV import or from the comment form's "also subscribe me", and
the address itself. All of it is shown to the author in the admin, where a right-to-left
override can make text read backwards ("Trojan Source", CVE-2021-42574).
"""

import pytest
from django.utils import timezone

from comments.signals import newsletter_consent_given
from core.addresses import normalise_email
from newsletter import subscriptions
from newsletter.imports import parse_subscriber_csv
from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

RLO, ZWSP, LRI, PDI = "\u202e", "\u200b", "\u2066", "\u2069"


def test_an_address_with_a_zero_width_space_is_the_plain_address():
    """Item 15: copied addresses often carry invisible characters; the mailbox is the same."""
    assert normalise_email(f"zo{ZWSP}e@exa{RLO}mple.org") == "zoe@example.org"


def test_imported_text_loses_its_invisible_characters(now):
    """Item 15: CSV columns and the author's consent source are stored without them."""
    csv = (
        "email,signup_source,signup_url\n"
        f"zoe{ZWSP}@example.org,Sub{RLO}stack export,/news{LRI}letter/{PDI}\n"
    )
    parsed = parse_subscriber_csv(csv)
    assert parsed.errors == []
    subscriptions.import_subscribers(
        rows=parsed.rows, mode=Subscriber.Status.ACTIVE, consent_source=f"x{RLO}y", now=now
    )
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "zoe@example.org"
    assert subscriber.signup_source == "Substack export"
    assert subscriber.signup_url == "/newsletter/"


def test_an_import_without_a_source_column_stores_the_typed_source_clean(now):
    parsed = parse_subscriber_csv("email\nann@example.org\n")
    subscriptions.import_subscribers(
        rows=parsed.rows,
        mode=Subscriber.Status.ACTIVE,
        consent_source=f"Event sign{RLO}up sheet",
        now=now,
    )
    assert Subscriber.objects.get().signup_source == "CSV import: Event signup sheet"


def test_consent_from_the_comment_form_is_stored_without_invisible_characters():
    """Item 15: the comment form's consent reaches the subscriber list clean."""
    newsletter_consent_given.send(
        sender=None,
        email=f"commenter{ZWSP}@example.org",
        name=f"Zo{RLO}ë",
        ip="198.51.100.9",
        source_url=f"http://testserver/2026/11/a-post/{ZWSP}#comments",
        consent_text=f"Also send me the weekly{RLO} newsletter.",
        confirmed_at=timezone.now(),
    )
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "commenter@example.org"
    assert subscriber.signup_url == "http://testserver/2026/11/a-post/#comments"
    assert subscriber.consent_text == "Also send me the weekly newsletter."
    assert subscriber.signup_source.isprintable()
