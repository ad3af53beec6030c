"""Comments per day: the comments app's figures on the writer's dashboard (core.dashboard).

Counted from the comment rows themselves (public: published and not removed), by the day each
appeared, for the site or one post.
"""

import datetime

from comments.models import Comment
from core import dashboard
from core.dashboard import Table


def comments_per_day(*, days: int, today: datetime.date, subject: int | None) -> Table:
    comments = Comment.objects.public().on_posts()
    if subject is not None:
        comments = comments.filter(object_pk=str(subject))
    by_day = dashboard.count_per_day(comments, "published_at", days=days, today=today)
    series = dashboard.every_day(by_day, days=days, today=today)
    total = sum(n for _day, n in series)
    return Table(
        columns=["Day", "Comments"],
        rows=series,
        summary=f"{total:,} comments published in the last {days} days.",
    )


def register() -> None:
    for scope, description in (
        ("site", "Comments that appeared on your posts per day."),
        ("post", "Comments that appeared on this post per day."),
    ):
        dashboard.register(
            scope,
            "comments-per-day",
            title="Comments per day",
            description=description,
            compute=comments_per_day,
            chart="bars",
            order=50,
        )
