"""Editions with real content, for the edition and delivery tests."""

import itertools

from django.urls import reverse

from newsletter.models import Edition, EditionHeadline, EditionItem, Headline
from tests.factories import PostFactory
from tests.newsletter.factories import SubscriberFactory

_headline_numbers = itertools.count(1)


def make_edition(*, posts: int = 2, headlines: int = 1, **fields) -> Edition:
    edition = Edition.objects.create(
        subject=fields.pop("subject", "The week in The Dispatch — 27 November 2026"),
        preheader=fields.pop("preheader", "Buses, budgets and a bridge"),
        intro=fields.pop(
            "intro",
            "Three things happened this week.\nHere is [the agenda](https://example.org/agenda).",
        ),
        **fields,
    )
    for position in range(1, posts + 1):
        post = PostFactory()
        EditionItem.objects.create(
            edition=edition, post=post, position=position, note=f"Note {position}"
        )
    for position in range(1, headlines + 1):
        number = next(_headline_numbers)
        headline = Headline.objects.create(
            title=f"Harbour bridge closes for repairs {position}",
            url=f"https://news.example.org/bridge-{number}",
            source_name="Calder Bay Herald",
        )
        EditionHeadline.objects.create(edition=edition, headline=headline, position=position)
    return edition


def active_subscribers(count: int):
    return [SubscriberFactory() for _ in range(count)]


def admin_url(name: str, *args) -> str:
    """An address of the editions' admin (`admin:newsletter_edition_<name>`)."""
    return reverse(f"admin:newsletter_edition_{name}", args=args)
