"""Aggregate click counts per (edition, link): no per-subscriber data, no open pixel."""

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from newsletter.models import Edition, LinkClick


def count_click(*, edition_id: int, url: str) -> None:
    """Add one to the link's count; a deleted edition's links still redirect, uncounted."""
    updated = LinkClick.objects.filter(edition_id=edition_id, url=url).update(count=F("count") + 1)
    if updated or not Edition.objects.filter(pk=edition_id).exists():
        return
    try:
        with transaction.atomic():
            LinkClick.objects.create(edition_id=edition_id, url=url, count=1)
    except IntegrityError:  # the first two clicks arrived together
        LinkClick.objects.filter(edition_id=edition_id, url=url).update(count=F("count") + 1)


def click_total(edition: Edition) -> int:
    return edition.link_clicks.aggregate(total=Sum("count"))["total"] or 0
