"""Composing the weekly edition: the week's posts, best first, and the week's headlines.

The author should only have to reorder, cut and write the intro, so the draft arrives
pre-ranked: featured posts first, then the posts readers discussed most (public comments),
then the newest. Posts come from `Post.objects.published()` only, so a draft or a post
scheduled for later can never reach a subscriber's inbox through the composer.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import dateformat, timezone

from blog.models import Post
from comments.counts import with_public_comment_count
from newsletter.models import Edition, EditionHeadline, EditionItem, Headline

WEEK = datetime.timedelta(days=7)


def ranked_posts_of_the_week(*, now: datetime.datetime):
    """Published posts of the last 7 days: featured, then most discussed, then newest."""
    return with_public_comment_count(
        Post.objects.published(now=now).filter(publish_at__gt=now - WEEK)
    ).order_by("-featured", "-public_comment_count", "-publish_at", "-pk")


def headlines_of_the_week(*, now: datetime.datetime):
    """Approved headlines of the last 7 days not already carried by an edition that went out."""
    already_sent = EditionHeadline.objects.filter(
        edition__status__in=[Edition.Status.SENDING, Edition.Status.SENT]
    ).values("headline_id")
    return (
        Headline.objects.approved()
        .published_between(now - WEEK, now)
        .exclude(pk__in=already_sent)
        .order_by("-published_at", "-pk")
    )


def default_subject(*, now: datetime.datetime) -> str:
    return (
        f"The week in {settings.SITE_NAME} — {dateformat.format(timezone.localtime(now), 'j F Y')}"
    )


@transaction.atomic
def compose_weekly_edition(*, now: datetime.datetime) -> Edition:
    """A draft edition pre-filled with this week's posts and headlines, ready to edit."""
    posts = list(ranked_posts_of_the_week(now=now))
    headlines = list(headlines_of_the_week(now=now))
    if posts:
        more = f", and {len(posts) - 1} more" if len(posts) > 1 else ""
        preheader = f"{posts[0].title}{more}"
    else:
        preheader = "The major news headlines of the week"
    if headlines:
        preheader += f" · {len(headlines)} headline{'s' if len(headlines) != 1 else ''}"
    edition = Edition.objects.create(subject=default_subject(now=now), preheader=preheader[:150])
    EditionItem.objects.bulk_create(
        EditionItem(edition=edition, post=post, position=index)
        for index, post in enumerate(posts, start=1)
    )
    EditionHeadline.objects.bulk_create(
        EditionHeadline(edition=edition, headline=headline, position=index)
        for index, headline in enumerate(headlines, start=1)
    )
    return edition
