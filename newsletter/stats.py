"""The newsletter's figures on the writer's dashboard (core.dashboard).

Subscribers over time (signups, confirmations, unsubscribes, bounces, by the day each
happened), the sent editions compared (delivered, bounced, unsubscribed after, clicks), each
edition's clicks per link, and per post: the signups its form brought and the clicks its links
got in editions. Every number is an aggregate over rows the newsletter keeps anyway; nothing
about who read or clicked is stored for it.
"""

import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse

from blog.models import Post
from core import dashboard
from core.dashboard import Link, Table
from core.links import absolute_url
from newsletter.models import Delivery, Edition, LinkClick, Subscriber

EDITIONS_COMPARED = 6


def subscribers_over_time(*, days: int, today: datetime.date, subject: int | None) -> Table:
    """What happened to the list each day; a later signup of the same address moves its day."""
    subscribers = Subscriber.objects.all()
    signups = dashboard.count_per_day(subscribers, "signed_up_at", days=days, today=today)
    confirmations = dashboard.count_per_day(subscribers, "confirmed_at", days=days, today=today)
    start, end = dashboard.day_bounds(days=days, today=today)
    left = (
        Subscriber.objects.filter(
            unsubscribed_at__gte=start,
            unsubscribed_at__lt=end,
            status__in=[Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED],
        )
        .annotate(day=TruncDate("unsubscribed_at"))
        .order_by()
        .values_list("day")
        .annotate(
            unsubscribed=Count("pk", filter=Q(status=Subscriber.Status.UNSUBSCRIBED)),
            bounced=Count("pk", filter=Q(status=Subscriber.Status.BOUNCED)),
        )
    )
    gone = {day: (unsubscribed, bounced) for day, unsubscribed, bounced in left}
    rows = [
        (day, signups.get(day, 0), confirmations.get(day, 0), *gone.get(day, (0, 0)))
        for day in dashboard.day_range(days=days, today=today)
    ]
    totals = [sum(row[index] for row in rows) for index in range(1, 5)]
    summary = (
        f"In the last {days} days: {totals[0]:,} signups, {totals[1]:,} confirmations, "
        f"{totals[2]:,} unsubscribes, {totals[3]:,} bounces."
    )
    return Table(
        columns=["Day", "Signups", "Confirmations", "Unsubscribes", "Bounces"],
        rows=rows,
        summary=summary,
    )


def _sent_editions():
    return Edition.objects.filter(
        status__in=[Edition.Status.SENDING, Edition.Status.SENT], frozen_at__isnull=False
    ).order_by("-frozen_at", "-pk")


def _edition_link(edition: Edition) -> Link:
    return Link(edition.subject, reverse("admin:newsletter_edition_change", args=[edition.pk]))


def compare_editions(editions: list[Edition]) -> Table:
    """Delivered, bounced, unsubscribed after and clicks per edition, newest first.

    "Unsubscribed after" counts readers the edition reached who left (not by bouncing) before
    the next edition went out: the people it may have lost.
    """
    if not editions:
        return Table(columns=[], rows=[])
    later = {}
    following = (
        Edition.objects.filter(
            status__in=[Edition.Status.SENDING, Edition.Status.SENT],
            frozen_at__gt=min(edition.frozen_at for edition in editions),
        )
        .order_by("frozen_at")
        .values_list("frozen_at", flat=True)
    )
    moments = list(following)
    for edition in editions:
        later[edition.pk] = next((moment for moment in moments if moment > edition.frozen_at), None)
    left = {}
    for edition in editions:
        window = Q(
            edition=edition,
            status=Delivery.Status.SENT,
            subscriber__status=Subscriber.Status.UNSUBSCRIBED,
            subscriber__unsubscribed_at__gte=edition.frozen_at,
        )
        if later[edition.pk] is not None:
            window &= Q(subscriber__unsubscribed_at__lt=later[edition.pk])
        left[f"left_{edition.pk}"] = Count("pk", filter=window)
    counts = (
        Delivery.objects.filter(edition__in=editions)
        .order_by()
        .values_list("edition")
        .annotate(
            delivered=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            bounced=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        )
    )
    delivered = {pk: (sent, failed) for pk, sent, failed in counts}
    unsubscribed = Delivery.objects.filter(edition__in=editions).aggregate(**left)
    clicks = dict(
        LinkClick.objects.filter(edition__in=editions)
        .order_by()
        .values_list("edition")
        .annotate(total=Sum("count"))
    )
    rows = [
        (
            _edition_link(edition),
            edition.frozen_at.date(),
            *delivered.get(edition.pk, (0, 0)),
            unsubscribed[f"left_{edition.pk}"],
            clicks.get(edition.pk, 0),
        )
        for edition in editions
    ]
    return Table(
        columns=["Edition", "Sent", "Delivered", "Bounced", "Unsubscribed after", "Clicks"],
        rows=rows,
    )


def recent_editions(*, days: int, today: datetime.date, subject: int | None) -> Table:
    return compare_editions(list(_sent_editions()[:EDITIONS_COMPARED]))


def edition_and_previous(*, days: int, today: datetime.date, subject: int | None) -> Table:
    edition = _sent_editions().filter(pk=subject).first()
    if edition is None:
        return Table(columns=[], rows=[])
    earlier = _sent_editions().filter(frozen_at__lt=edition.frozen_at)[: EDITIONS_COMPARED - 1]
    return compare_editions([edition, *earlier])


def edition_links(*, days: int, today: datetime.date, subject: int | None) -> Table:
    rows = LinkClick.objects.filter(edition_id=subject).values_list("url", "count")
    return Table(columns=["Link", "Clicks"], rows=list(rows))


def post_signups(*, days: int, today: datetime.date, subject: int | None) -> Table:
    """Readers who signed up with the form under this post, and where they are now."""
    counts = Subscriber.objects.filter(source_post_id=subject).aggregate(
        signed_up=Count("pk"),
        confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
        active=Count("pk", filter=Q(status=Subscriber.Status.ACTIVE)),
    )
    if not counts["signed_up"]:
        return Table(columns=["", "Readers"], rows=[])
    return Table(
        columns=["", "Readers"],
        rows=[
            ("Signed up from this post", counts["signed_up"]),
            ("Confirmed", counts["confirmed"]),
            ("Subscribed now", counts["active"]),
        ],
    )


def post_edition_clicks(*, days: int, today: datetime.date, subject: int | None) -> Table:
    """Clicks on this post's link in each edition that carried it."""
    post = Post.objects.filter(pk=subject).first()
    if post is None:
        return Table(columns=["Edition", "Clicks"], rows=[])
    url = absolute_url(post.get_absolute_url())
    rows = (
        LinkClick.objects.filter(
            Q(url=url) | Q(url__startswith=f"{url}?") | Q(url__startswith=f"{url}#")
        )
        .order_by()
        .values_list("edition")
        .annotate(total=Sum("count"))
    )
    totals = dict(rows)
    editions = Edition.objects.in_bulk(totals)
    return Table(
        columns=["Edition", "Clicks"],
        rows=sorted(
            ((_edition_link(editions[pk]), total) for pk, total in totals.items()),
            key=lambda row: -row[1],
        ),
    )


def edition_name(pk: int) -> str | None:
    return _sent_editions().filter(pk=pk).values_list("subject", flat=True).first()


def register() -> None:
    dashboard.register_subject(
        "edition",
        noun="edition",
        name=edition_name,
        admin_url=lambda pk: reverse("admin:newsletter_edition_change", args=[pk]),
    )
    dashboard.register(
        "site",
        "subscribers",
        title="Subscribers over time",
        description="Signups, confirmations, unsubscribes and bounces per day.",
        compute=subscribers_over_time,
        chart="line",
        order=40,
    )
    dashboard.register(
        "site",
        "editions",
        title="Recent editions",
        description="The last editions sent, side by side.",
        compute=recent_editions,
        periodic=False,
        order=70,
        wide=True,
        empty_text="No edition sent yet.",
    )
    dashboard.register(
        "edition",
        "compared",
        title="This edition and the ones before",
        description="Delivered, bounced, unsubscribed before the next edition, and clicks.",
        compute=edition_and_previous,
        periodic=False,
        wide=True,
    )
    dashboard.register(
        "edition",
        "links",
        title="Clicks per link",
        description="How many times each link of this edition was followed.",
        compute=edition_links,
        periodic=False,
        wide=True,
        empty_text="No clicks counted yet.",
    )
    dashboard.register(
        "post",
        "signups",
        title="Newsletter signups from this post",
        description="Readers who subscribed with the form under this post.",
        compute=post_signups,
        periodic=False,
        order=70,
        empty_text="Nobody has signed up from this post yet.",
    )
    dashboard.register(
        "post",
        "edition-clicks",
        title="Clicks from editions",
        description="Clicks on this post's link in the editions that carried it.",
        compute=post_edition_clicks,
        periodic=False,
        order=80,
        empty_text="No edition link to this post was clicked yet.",
    )
