import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from blog.models import Post
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_published_queryset_and_is_published_agree():
    live = PostFactory()
    draft = PostFactory(draft=True)
    scheduled = PostFactory(scheduled=True)
    published_ids = set(Post.objects.published().values_list("id", flat=True))
    for post in (live, draft, scheduled):
        assert post.is_published == (post.id in published_ids)
    assert published_ids == {live.id}


def test_scheduled_post_becomes_published_when_its_time_comes():
    post = PostFactory(scheduled=True)
    later = post.publish_at + datetime.timedelta(seconds=1)
    assert not Post.objects.published().filter(pk=post.pk).exists()
    assert Post.objects.published(now=later).filter(pk=post.pk).exists()
    assert Post.objects.scheduled().filter(pk=post.pk).exists()


def test_drafts_queryset_holds_only_drafts():
    draft = PostFactory(draft=True)
    PostFactory()
    assert list(Post.objects.drafts()) == [draft]


def test_publishing_without_a_date_publishes_now(now, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: now)
    post = PostFactory(publish_at=None)
    assert post.publish_at == now
    assert post.is_published


def test_database_refuses_published_post_without_publish_at():
    post = PostFactory()
    with pytest.raises(IntegrityError):
        Post.objects.filter(pk=post.pk).update(publish_at=None)


def test_state_label_reads_draft_scheduled_published():
    assert PostFactory(draft=True).state_label == "Draft"
    assert PostFactory(scheduled=True).state_label == "Scheduled"
    assert PostFactory().state_label == "Published"


def test_body_is_rendered_once_on_save_with_lines_as_paragraphs():
    post = PostFactory(body="First line — with a dash.\nSecond “quoted” line…\n")
    assert post.body_html == "<p>First line — with a dash.</p>\n<p>Second “quoted” line…</p>"


def test_markdown_quotes_lists_and_headings_keep_their_meaning():
    post = PostFactory(body="## Why\n> “We are ready,” she said.\n\n- one\n- two\n")
    assert "<h2>Why</h2>" in post.body_html
    assert "<blockquote>" in post.body_html
    assert "<ul>" in post.body_html and "<li>two</li>" in post.body_html


def test_script_and_event_handlers_never_survive_rendering():
    post = PostFactory(
        body='Hi <script>alert(1)</script>\n<img src="x.png" onerror="alert(2)">\n'
        "[link](javascript:alert(3))"
    )
    assert "<script" not in post.body_html
    assert "onerror" not in post.body_html
    assert "javascript:" not in post.body_html


def test_reading_time_is_computed_from_the_words():
    post = PostFactory(body=" ".join(["word"] * 700))
    assert post.reading_minutes == 4


def test_url_has_year_two_digit_month_and_slug():
    post = PostFactory(
        slug="russias-puppet-ally",
        publish_at=datetime.datetime(2026, 3, 4, 10, 0, tzinfo=datetime.UTC),
    )
    assert post.get_absolute_url() == "/2026/03/russias-puppet-ally/"


def test_description_falls_back_to_the_opening_words():
    post = PostFactory(standfirst="", body=" ".join(["Word"] * 100))
    assert post.description.endswith("…")
    assert len(post.description) <= 200
