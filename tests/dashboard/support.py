"""A year of a small site's life, bulk-created: what the dashboard tests count and draw."""

import datetime

from django.utils import timezone

from blog.models import Post
from blog.stats import page_view_key
from core.models import PageViewDay, ReferrerDay
from newsletter.models import Delivery, Edition, LinkClick, Subscriber
from tests.comments.support import add_comment
from tests.factories import PostFactory

DAYS = 365
COMMENT_EVERY = 9


def views_on(day_number: int, post_number: int) -> int:
    """A known, uneven number of reads: more for the first posts, a weekly rhythm."""
    return (day_number % 7 + 1) * (post_number + 1)


def seed_year(*, posts: int = 12, today: datetime.date | None = None) -> list[Post]:
    today = today or timezone.localdate()
    created = PostFactory.create_batch(posts)
    views, referrers = [], []
    for day_number in range(DAYS):
        day = today - datetime.timedelta(days=day_number)
        for number, post in enumerate(created):
            views.append(
                PageViewDay(key=page_view_key(post.pk), day=day, views=views_on(day_number, number))
            )
            if number < 3:
                referrers.append(
                    ReferrerDay(
                        key=page_view_key(post.pk),
                        day=day,
                        domain="news.example.net",
                        views=number + 1,
                    )
                )
    PageViewDay.objects.bulk_create(views, batch_size=2000)
    ReferrerDay.objects.bulk_create(referrers, batch_size=2000)

    now = timezone.now()
    for day_number in range(0, DAYS, COMMENT_EVERY):
        moment = now - datetime.timedelta(days=day_number)
        add_comment(created[day_number % posts], submit_date=moment, published_at=moment)

    subscribers = []
    for day_number in range(DAYS):
        moment = now - datetime.timedelta(days=day_number)
        gone = day_number % 10 == 0
        subscribers.append(
            Subscriber(
                email=f"reader{day_number}@example.org",
                status=Subscriber.Status.UNSUBSCRIBED if gone else Subscriber.Status.ACTIVE,
                signed_up_at=moment,
                confirmed_at=moment,
                unsubscribed_at=moment + datetime.timedelta(hours=1) if gone else None,
                source_post=created[0] if day_number % 5 == 0 else None,
            )
        )
    Subscriber.objects.bulk_create(subscribers)
    subscribers = list(Subscriber.objects.all())
    for week in range(0, 52):
        sent = now - datetime.timedelta(days=7 * week + 3)
        edition = Edition.objects.create(
            subject=f"The week {52 - week}",
            status=Edition.Status.SENT,
            frozen_at=sent,
            finished_at=sent,
        )
        Delivery.objects.bulk_create(
            Delivery(
                edition=edition, subscriber=subscriber, status=Delivery.Status.SENT, sent_at=sent
            )
            for subscriber in subscribers[:20]
        )
        LinkClick.objects.create(edition=edition, url="https://example.org/a", count=week + 1)
    return created
