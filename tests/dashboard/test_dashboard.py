"""The writer's dashboard: figures, charts, per-post and per-edition pages, CSV."""

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.stats import page_view_key
from core import charts
from core.models import PageViewDay, ReferrerDay
from newsletter.models import Delivery, Edition, LinkClick, Subscriber
from tests.comments.support import add_comment
from tests.dashboard.support import DAYS, seed_year, views_on
from tests.factories import PostFactory, UserFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

INDEX_QUERY_BUDGET = 26
CACHED_INDEX_QUERY_BUDGET = 10


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def csv_url(key: str, **query) -> str:
    url = reverse("admin:dashboard-csv", args=["site", key])
    return f"{url}?{'&'.join(f'{name}={value}' for name, value in query.items())}"


def test_the_index_stays_within_its_query_budget_with_a_year_of_data(
    author_client, django_assert_max_num_queries
):
    seed_year()
    with django_assert_max_num_queries(INDEX_QUERY_BUDGET):
        response = author_client.get(reverse("admin:index") + "?days=365")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="img"') == 3  # views, subscribers, comments
    # Opened again within DASHBOARD_CACHE_SECONDS, no figure is counted again.
    with django_assert_max_num_queries(CACHED_INDEX_QUERY_BUDGET):
        assert author_client.get(reverse("admin:index") + "?days=365").status_code == 200


def test_views_per_day_are_the_stored_counts_for_every_day_of_the_period(author_client):
    posts = seed_year(posts=3)
    today = timezone.localdate()
    rows = read_csv(author_client.get(csv_url("views-per-day", days=90)))
    assert rows[0] == ["Day", "Views"]
    assert len(rows) == 1 + 90
    expected = [
        [
            (today - datetime.timedelta(days=number)).isoformat(),
            str(sum(views_on(number, post) for post in range(len(posts)))),
        ]
        for number in range(89, -1, -1)
    ]
    assert rows[1:] == expected


def test_a_day_without_reads_is_a_zero_not_a_gap(author_client):
    post = PostFactory()
    today = timezone.localdate()
    PageViewDay.objects.create(key=page_view_key(post.pk), day=today, views=4)
    rows = read_csv(author_client.get(csv_url("views-per-day", days=30)))
    assert rows[-1] == [today.isoformat(), "4"]
    assert {row[1] for row in rows[1:-1]} == {"0"}


def test_table_numbers_are_grouped_in_thousands_on_the_page_and_bare_in_the_csv(author_client):
    post = PostFactory(title="Widely read")
    PageViewDay.objects.create(key=page_view_key(post.pk), day=timezone.localdate(), views=11656)
    page = author_client.get(reverse("admin:index")).content.decode()
    assert re.search(r"Widely read</a></th><td>11,656</td>", page)
    all_time = read_csv(author_client.get(csv_url("top-posts-all-time")))
    assert all_time == [["Post", "Views"], ["Widely read", "11656"]]


def test_top_posts_this_week_and_of_all_time(author_client):
    today = timezone.localdate()
    old_hit, new_hit = PostFactory(title="Old favourite"), PostFactory(title="This week’s piece")
    PageViewDay.objects.create(
        key=page_view_key(old_hit.pk), day=today - datetime.timedelta(days=40), views=500
    )
    PageViewDay.objects.create(key=page_view_key(old_hit.pk), day=today, views=3)
    PageViewDay.objects.create(key=page_view_key(new_hit.pk), day=today, views=20)
    PageViewDay.objects.create(key="blog.post:99999", day=today, views=1000)  # a deleted post
    week = read_csv(author_client.get(csv_url("top-posts-week")))
    assert week == [["Post", "Views"], ["This week’s piece", "20"], ["Old favourite", "3"]]
    all_time = read_csv(author_client.get(csv_url("top-posts-all-time")))
    assert all_time == [["Post", "Views"], ["Old favourite", "503"], ["This week’s piece", "20"]]


def test_referrer_domains_per_period(author_client):
    post = PostFactory()
    today = timezone.localdate()
    key = page_view_key(post.pk)
    ReferrerDay.objects.create(key=key, day=today, domain="news.example.net", views=7)
    ReferrerDay.objects.create(key=key, day=today, domain="mastodon.example", views=9)
    ReferrerDay.objects.create(
        key=key, day=today - datetime.timedelta(days=60), domain="old.example", views=50
    )
    assert read_csv(author_client.get(csv_url("referrers", days=30))) == [
        ["Site", "Views"],
        ["mastodon.example", "9"],
        ["news.example.net", "7"],
    ]
    assert read_csv(author_client.get(csv_url("referrers", days=90)))[1] == ["old.example", "50"]


def test_subscribers_over_time_counts_each_event_on_its_day(author_client, now):
    two_days_ago = now - datetime.timedelta(days=2)
    SubscriberFactory(signed_up_at=two_days_ago, confirmed_at=now)
    SubscriberFactory(pending=True, signed_up_at=now)
    SubscriberFactory(
        signed_up_at=two_days_ago,
        confirmed_at=two_days_ago,
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribed_at=now,
    )
    SubscriberFactory(
        signed_up_at=two_days_ago,
        confirmed_at=two_days_ago,
        status=Subscriber.Status.BOUNCED,
        unsubscribed_at=now,
    )
    rows = read_csv(author_client.get(csv_url("subscribers", days=30)))
    assert rows[0] == ["Day", "Signups", "Confirmations", "Unsubscribes", "Bounces"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert by_day[timezone.localdate(now).isoformat()] == ["1", "1", "1", "1"]
    assert by_day[timezone.localdate(two_days_ago).isoformat()] == ["3", "2", "0", "0"]
    assert sum(int(row[1]) for row in rows[1:]) == 4


def test_comments_per_day_counts_public_comments_only(author_client, now):
    post = PostFactory()
    add_comment(post, published_at=now)
    add_comment(post, published_at=now)
    add_comment(post, is_public=False)
    add_comment(post, published_at=now, is_removed=True)
    rows = read_csv(author_client.get(csv_url("comments-per-day", days=30)))
    assert rows[0] == ["Day", "Comments"]
    assert rows[-1] == [timezone.localdate(now).isoformat(), "2"]
    assert sum(int(row[1]) for row in rows[1:]) == 2


def test_each_chart_has_a_title_a_description_a_table_and_a_csv_link(author_client):
    seed_year(posts=2)
    page = author_client.get(reverse("admin:index")).content.decode()
    for key, title in (
        ("views-per-day", "Views per day"),
        ("subscribers", "Subscribers over time"),
        ("comments-per-day", "Comments per day"),
    ):
        dom = f"figure-site-{key}"
        section = page[page.index(f'id="{dom}"') :]
        section = section[: section.index("</section>")]
        assert f'aria-labelledby="{dom}-title {dom}-desc"' in section
        assert f'<title id="{dom}-title">{title}</title>' in section
        assert re.search(rf'<desc id="{dom}-desc">[^<]*\d[^<]*</desc>', section)
        assert f"<summary>Table: {title.lower()}</summary>" in section
        assert section.count("<tr>") == 1 + 30
        assert f'href="{csv_url(key, days=30)}"' in section
    assert "<script" not in page[page.index('class="figures ') : page.index("</main>")]


def test_the_period_links_choose_30_90_or_365_days(author_client):
    seed_year(posts=1)
    index = reverse("admin:index")
    for asked, shown in (("90", 90), ("365", 365), ("7", 30), ("abc", 30), ("", 30)):
        page = author_client.get(f"{index}?days={asked}").content.decode()
        assert f'<a href="{index}?days={shown}" aria-current="page">' in page
        assert f'Views per day <span class="figures__period">(last {shown} days)' in page


def test_a_post_has_its_own_figures_page(author_client, now):
    post = PostFactory(title="The budget, read closely")
    today = timezone.localdate()
    PageViewDay.objects.create(key=page_view_key(post.pk), day=today, views=12)
    ReferrerDay.objects.create(key=page_view_key(post.pk), day=today, domain="x.example", views=5)
    add_comment(post, published_at=now)
    SubscriberFactory(source_post=post)
    SubscriberFactory(source_post=post, pending=True)
    edition = Edition.objects.create(
        subject="The week", status=Edition.Status.SENT, frozen_at=now, finished_at=now
    )
    LinkClick.objects.create(
        edition=edition, url=f"http://testserver{post.get_absolute_url()}", count=6
    )
    LinkClick.objects.create(edition=edition, url="https://elsewhere.example/", count=40)
    url = reverse("admin:dashboard-subject", args=["post", post.pk])
    page = author_client.get(url).content.decode()
    assert "The budget, read closely" in page
    subject_csv = reverse("admin:dashboard-subject-csv", args=["post", post.pk, "views-per-day"])
    assert read_csv(author_client.get(subject_csv))[-1] == [today.isoformat(), "12"]
    signups = reverse("admin:dashboard-subject-csv", args=["post", post.pk, "signups"])
    assert read_csv(author_client.get(signups)) == [
        ["", "Readers"],
        ["Signed up from this post", "2"],
        ["Confirmed", "1"],
        ["Subscribed now", "1"],
    ]
    clicks = reverse("admin:dashboard-subject-csv", args=["post", post.pk, "edition-clicks"])
    assert read_csv(author_client.get(clicks)) == [["Edition", "Clicks"], ["The week", "6"]]
    comments = reverse("admin:dashboard-subject-csv", args=["post", post.pk, "comments-per-day"])
    assert read_csv(author_client.get(comments))[-1] == [today.isoformat(), "1"]
    assert (
        author_client.get(reverse("admin:dashboard-subject", args=["post", 99999])).status_code
        == 404
    )


def sent_edition(subject: str, *, at, delivered, failed=0, clicks=()):
    edition = Edition.objects.create(
        subject=subject, status=Edition.Status.SENT, frozen_at=at, finished_at=at
    )
    Delivery.objects.bulk_create(
        [
            Delivery(edition=edition, subscriber=each, status=Delivery.Status.SENT, sent_at=at)
            for each in delivered
        ]
        + [
            Delivery(edition=edition, subscriber=each, status=Delivery.Status.FAILED)
            for each in SubscriberFactory.create_batch(failed)
        ]
    )
    for url, count in clicks:
        LinkClick.objects.create(edition=edition, url=url, count=count)
    return edition


def test_an_edition_page_compares_it_with_the_ones_before(author_client, now):
    readers = SubscriberFactory.create_batch(5)
    first = sent_edition(
        "First week",
        at=now - datetime.timedelta(days=14),
        delivered=readers,
        failed=1,
        clicks=[("https://example.org/a", 3)],
    )
    second = sent_edition(
        "Second week",
        at=now - datetime.timedelta(days=7),
        delivered=readers[:4],
        clicks=[("https://example.org/b", 8), ("https://example.org/c", 2)],
    )
    # Left after the first edition, before the second: counted against the first.
    readers[4].unsubscribe(method="link", now=now - datetime.timedelta(days=10))
    # Left after the second.
    readers[3].unsubscribe(method="link", now=now - datetime.timedelta(days=1))
    # A bounce is not an unsubscribe.
    readers[2].unsubscribe(method="bounce", now=now - datetime.timedelta(days=1))
    compared = reverse("admin:dashboard-subject-csv", args=["edition", second.pk, "compared"])
    assert read_csv(author_client.get(compared)) == [
        ["Edition", "Sent", "Delivered", "Bounced", "Unsubscribed after", "Clicks"],
        ["Second week", second.frozen_at.date().isoformat(), "4", "0", "1", "10"],
        ["First week", first.frozen_at.date().isoformat(), "5", "1", "1", "3"],
    ]
    page = author_client.get(reverse("admin:newsletter_edition_change", args=[second.pk]))
    html = page.content.decode()
    assert "This edition and the ones before" in html
    assert 'href="' + compared + '"' in html
    links = reverse("admin:dashboard-subject-csv", args=["edition", second.pk, "links"])
    assert f'href="{links}"' in html
    assert read_csv(author_client.get(links)) == [
        ["Link", "Clicks"],
        ["https://example.org/b", "8"],
        ["https://example.org/c", "2"],
    ]


def test_csv_cells_never_start_a_formula_and_files_are_named(author_client):
    today = timezone.localdate()
    post = PostFactory(title='=HYPERLINK("https://evil.example","click")')
    other = PostFactory(title="-2 reasons, +3 more")
    PageViewDay.objects.create(key=page_view_key(post.pk), day=today, views=2)
    PageViewDay.objects.create(key=page_view_key(other.pk), day=today, views=1)
    response = author_client.get(csv_url("top-posts-all-time"))
    assert read_csv(response)[1:] == [
        ['\'=HYPERLINK("https://evil.example","click")', "2"],
        ["'-2 reasons, +3 more", "1"],
    ]
    assert response["Content-Disposition"] == (
        f'attachment; filename="top-posts-all-time-{today.isoformat()}.csv"'
    )
    views = author_client.get(csv_url("views-per-day", days=90))
    assert views["Content-Disposition"] == (
        f'attachment; filename="views-per-day-90-days-{today.isoformat()}.csv"'
    )
    assert "no-store" in views["Cache-Control"]


def test_figures_are_for_staff_only_and_read_only(author_client):
    url = csv_url("views-per-day", days=30)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    reader = Client()
    reader.force_login(UserFactory(username="a-reader"))
    assert reader.get(url).status_code == 302
    assert author_client.post(url).status_code == 405
    assert author_client.head(url).status_code == 405
    missing = reverse("admin:dashboard-csv", args=["site", "nope"])
    assert author_client.get(missing).status_code == 404
    wrong_scope = reverse("admin:dashboard-csv", args=["post", "views-per-day"])
    assert author_client.get(wrong_scope).status_code == 404


@pytest.mark.parametrize(
    ("value", "top"), [(0, 4), (3, 4), (5, 8), (37, 40), (546, 600), (1001, 1200)]
)
def test_the_scale_ends_on_a_round_number_above_the_highest_value(value, top):
    assert charts.nice_ceiling(value) == top


def test_a_year_is_365_points_on_one_line(author_client):
    seed_year(posts=1)
    page = author_client.get(reverse("admin:index") + "?days=365").content.decode()
    section = page[page.index('id="figure-site-views-per-day"') :]
    points = re.search(r'<polyline class="chart__line chart__series-1" points="([^"]+)"', section)
    assert len(points.group(1).split()) == DAYS


def test_the_post_editor_links_to_the_posts_figures(author_client):
    post = PostFactory()
    page = author_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert f'href="{reverse("admin:dashboard-subject", args=["post", post.pk])}"' in page


def test_a_deleted_post_takes_its_counts_with_it():
    post, other = PostFactory(), PostFactory()
    today = timezone.localdate()
    for each in (post, other):
        PageViewDay.objects.create(key=page_view_key(each.pk), day=today, views=3)
        ReferrerDay.objects.create(
            key=page_view_key(each.pk), day=today, domain="a.example", views=1
        )
    post.delete()
    assert list(PageViewDay.objects.values_list("key", flat=True)) == [page_view_key(other.pk)]
    assert list(ReferrerDay.objects.values_list("key", flat=True)) == [page_view_key(other.pk)]
