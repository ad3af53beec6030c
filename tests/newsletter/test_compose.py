"""The composer pre-selects this week's published posts, ranked."""

import datetime

import pytest
from django.core.management import call_command

from newsletter.editions import compose_weekly_edition
from newsletter.models import Edition, EditionHeadline, Headline
from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


def days_ago(days, **fields):
    return PostFactory(publish_at=NOW - datetime.timedelta(days=days), **fields)


@pytest.fixture
def week():
    posts = {
        "quiet-new": days_ago(0.5, title="Quiet and new"),
        "quiet-old": days_ago(5, title="Quiet and older"),
        "discussed": days_ago(3, title="Much discussed"),
        "some-talk": days_ago(2, title="Some talk"),
        "featured": days_ago(6, title="Featured", featured=True),
        "last-week": days_ago(8, title="Last week", featured=True),
        "draft": PostFactory(draft=True, title="A draft"),
        "scheduled": PostFactory(publish_at=NOW + datetime.timedelta(hours=3), title="Scheduled"),
    }
    for _ in range(3):
        add_comment(posts["discussed"])
    add_comment(posts["some-talk"])
    for _ in range(4):  # held for moderation or removed: they do not count
        add_comment(posts["some-talk"], is_public=False)
        add_comment(posts["quiet-new"], is_removed=True)
    add_comment(posts["draft"])
    return posts


def titles(edition):
    return [item.post.title for item in edition.items.select_related("post")]


def test_this_weeks_published_posts_ranked_featured_then_comments_then_recency(week):
    edition = compose_weekly_edition(now=NOW)
    assert titles(edition) == [
        "Featured",
        "Much discussed",
        "Some talk",
        "Quiet and new",
        "Quiet and older",
    ]
    assert [item.position for item in edition.items.all()] == [1, 2, 3, 4, 5]
    assert edition.status == Edition.Status.DRAFT and edition.kind == Edition.Kind.WEEKLY


def test_drafts_scheduled_posts_and_last_weeks_posts_never_appear(week):
    edition = compose_weekly_edition(now=NOW)
    for left_out in ("A draft", "Scheduled", "Last week"):
        assert left_out not in titles(edition)


def test_a_scheduled_post_appears_once_its_time_has_come(week):
    later = NOW + datetime.timedelta(hours=4)
    assert "Scheduled" in titles(compose_weekly_edition(now=later))


def test_the_weeks_approved_headlines_come_along_and_nothing_already_sent(week):
    def headline(title, *, days, status=Headline.Status.APPROVED):
        return Headline.objects.create(
            title=title,
            url=f"https://news.example.org/{title.replace(' ', '-')}",
            source_name="Herald",
            published_at=NOW - datetime.timedelta(days=days),
            status=status,
        )

    headline("Bridge closes", days=1)
    headline("Strike ends", days=3)
    headline("Old news", days=9)
    headline("Not picked", days=1, status=Headline.Status.CANDIDATE)
    used = headline("Already sent", days=2)
    sent = Edition.objects.create(subject="Last", status="sent", frozen_at=NOW)
    EditionHeadline.objects.create(edition=sent, headline=used, position=1)

    edition = compose_weekly_edition(now=NOW)
    assert [link.headline.title for link in edition.headline_links.all()] == [
        "Bridge closes",
        "Strike ends",
    ]


def test_a_default_subject_and_preheader_are_written(week, settings):
    settings.SITE_NAME = "The Dispatch"
    edition = compose_weekly_edition(now=NOW)
    assert edition.subject == "The week in The Dispatch — 27 November 2026"
    assert edition.preheader == "Featured, and 4 more"


def test_the_command_composes_the_same_draft(capsys, now, yesterday):
    PostFactory(title="Yesterday", publish_at=yesterday)
    PostFactory(title="Featured", publish_at=now - datetime.timedelta(days=4), featured=True)
    PostFactory(title="Too old", publish_at=now - datetime.timedelta(days=8))
    call_command("compose_weekly_edition")
    edition = Edition.objects.get()
    assert titles(edition) == ["Featured", "Yesterday"]
    assert f"Draft edition {edition.pk}" in capsys.readouterr().out


def test_the_command_run_twice_reuses_this_weeks_open_draft_and_says_so(capsys, now, yesterday):
    PostFactory(title="Yesterday", publish_at=yesterday)
    call_command("compose_weekly_edition")
    first = Edition.objects.get()
    first.intro = "Written by the author between the two runs."
    first.save()
    capsys.readouterr()

    call_command("compose_weekly_edition")

    assert list(Edition.objects.values_list("pk", flat=True)) == [first.pk]
    first.refresh_from_db()
    assert first.intro == "Written by the author between the two runs."
    assert titles(first) == ["Yesterday"]
    out = capsys.readouterr().out
    assert f"Reusing draft edition {first.pk}" in out
    assert "no second one was made" in out


def test_a_new_draft_once_the_open_one_was_scheduled_or_sent(capsys, now):
    call_command("compose_weekly_edition")
    Edition.objects.update(status=Edition.Status.SENT, frozen_at=now)
    call_command("compose_weekly_edition")
    assert Edition.objects.count() == 2
    assert "Reusing" not in capsys.readouterr().out


def test_a_draft_older_than_a_week_is_not_reused(now):
    stale = Edition.objects.create(subject="Forgotten")
    Edition.objects.filter(pk=stale.pk).update(created_at=now - datetime.timedelta(days=8))
    call_command("compose_weekly_edition")
    assert Edition.objects.count() == 2
