"""How posts are read: the blog's figures on the writer's dashboard (core.dashboard).

The post page marks its response as a read of `page_view_key(post.pk)` (core.pageviews counts
it wherever the page is answered from); this module turns those keys back into posts.
"""

import datetime

from django.db.models import Sum
from django.db.models.signals import post_delete
from django.urls import reverse

from blog.models import Post
from core import dashboard
from core.dashboard import Link, Table
from core.models import PageViewDay, ReferrerDay

KEY_PREFIX = "blog.post:"
TOP_POSTS = 10
TOP_REFERRERS = 20


def page_view_key(pk: int) -> str:
    return f"{KEY_PREFIX}{pk}"


def post_pk(key: str) -> int | None:
    number = key.removeprefix(KEY_PREFIX)
    return int(number) if number.isdigit() else None


def post_figures_link(post_pk_: int, title: str) -> Link:
    return Link(title, reverse("admin:dashboard-subject", args=["post", post_pk_]))


def _of_posts(model, *, subject):
    """`model`'s daily rows (views or referrers) of every post, or of the post `subject`."""
    if subject is None:
        return model.objects.filter(key__startswith=KEY_PREFIX)
    return model.objects.filter(key=page_view_key(subject))


def views_per_day(*, days: int, today: datetime.date, subject: int | None) -> Table:
    """Reads per day, every day of the period (a day without reads is a 0, not a gap)."""
    rows = (
        _of_posts(PageViewDay, subject=subject)
        .filter(day__gte=dashboard.first_day(days=days, today=today), day__lte=today)
        .order_by()
        .values_list("day")
        .annotate(views=Sum("views"))
    )
    series = dashboard.every_day(dict(rows), days=days, today=today)
    total = sum(views for _day, views in series)
    busiest = max(series, key=lambda row: row[1])
    summary = f"{total:,} views in the last {days} days"
    if total:
        summary += f"; the most on {busiest[0]:%-d %B %Y}: {busiest[1]:,}."
    else:
        summary += "."
    return Table(columns=["Day", "Views"], rows=series, summary=summary)


def _top_posts(*, since: datetime.date | None) -> Table:
    views = _of_posts(PageViewDay, subject=None)
    if since is not None:
        views = views.filter(day__gte=since)
    ranked = (
        views.order_by()
        .values_list("key")
        .annotate(total=Sum("views"))
        .order_by("-total", "key")[: TOP_POSTS * 2]
    )
    totals = {pk: total for key, total in ranked if (pk := post_pk(key)) is not None}
    posts = Post.objects.only("title").in_bulk(totals)
    rows = [
        (post_figures_link(pk, posts[pk].title), total)
        for pk, total in totals.items()
        if pk in posts
    ][:TOP_POSTS]
    return Table(columns=["Post", "Views"], rows=rows)


def top_posts_week(*, days: int, today: datetime.date, subject: int | None) -> Table:
    return _top_posts(since=dashboard.first_day(days=7, today=today))


def top_posts_all_time(*, days: int, today: datetime.date, subject: int | None) -> Table:
    return _top_posts(since=None)


def referrers(*, days: int, today: datetime.date, subject: int | None) -> Table:
    """The other sites whose links brought readers, by domain (never the page they were on)."""
    rows = (
        _of_posts(ReferrerDay, subject=subject)
        .filter(day__gte=dashboard.first_day(days=days, today=today), day__lte=today)
        .order_by()
        .values_list("domain")
        .annotate(views=Sum("views"))
        .order_by("-views", "domain")[:TOP_REFERRERS]
    )
    return Table(columns=["Site", "Views"], rows=list(rows))


def forget_views(sender, instance, **kwargs) -> None:
    """A deleted post takes its counts with it (post_delete)."""
    key = page_view_key(instance.pk)
    PageViewDay.objects.filter(key=key).delete()
    ReferrerDay.objects.filter(key=key).delete()


def post_name(pk: int) -> str | None:
    return Post.objects.filter(pk=pk).values_list("title", flat=True).first()


def register() -> None:
    post_delete.connect(forget_views, sender=Post, dispatch_uid="blog-forget-views")
    dashboard.register_subject(
        "post",
        noun="post",
        name=post_name,
        admin_url=lambda pk: reverse("admin:blog_post_change", args=[pk]),
    )
    dashboard.register(
        "site",
        "views-per-day",
        title="Views per day",
        description="Reads of your posts per day; robots, link previews and your own visits "
        "are not counted.",
        compute=views_per_day,
        chart="line",
        order=10,
    )
    dashboard.register(
        "site",
        "top-posts-week",
        title="Most read this week",
        description="The posts read most in the last 7 days.",
        compute=top_posts_week,
        periodic=False,
        order=20,
        empty_text="No reads counted in the last 7 days.",
    )
    dashboard.register(
        "site",
        "top-posts-all-time",
        title="Most read of all time",
        description="The posts read most since counting began.",
        compute=top_posts_all_time,
        periodic=False,
        order=30,
        empty_text="No reads counted yet.",
    )
    dashboard.register(
        "site",
        "referrers",
        title="Where readers came from",
        description="Other sites whose links brought readers to your posts, by domain.",
        compute=referrers,
        empty_text="No reader came from a link on another site in this period.",
        order=60,
    )
    dashboard.register(
        "post",
        "views-per-day",
        title="Views per day",
        description="Reads of this post per day.",
        compute=views_per_day,
        chart="line",
        order=10,
    )
    dashboard.register(
        "post",
        "referrers",
        title="Where readers came from",
        description="Other sites whose links brought readers to this post, by domain.",
        compute=referrers,
        empty_text="No reader came from a link on another site in this period.",
        order=60,
    )
