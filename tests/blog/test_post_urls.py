"""A post or tag asked for its URL again gets the same string, and a changed one at once."""

import datetime
import zoneinfo

import pytest
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone

from blog.models import Tag
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_a_renamed_or_rescheduled_post_answers_its_new_address():
    post = PostFactory(
        slug="ferries", publish_at=datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
    )
    assert post.get_absolute_url() == "/2026/11/ferries/"
    post.slug = "ferries-first"
    assert post.get_absolute_url() == "/2026/11/ferries-first/"
    post.publish_at += datetime.timedelta(days=2)
    assert post.get_absolute_url() == "/2026/12/ferries-first/"


def test_the_month_follows_the_time_zone_in_force():
    post = PostFactory(
        slug="ferries", publish_at=datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
    )
    assert post.get_absolute_url() == "/2026/11/ferries/"
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):  # already 1 December there
        assert post.get_absolute_url() == "/2026/12/ferries/"


def test_a_tag_and_a_post_under_another_script_prefix():
    tag = Tag.objects.create(name="Harbour", slug="harbour")
    post = PostFactory(
        slug="ferries", publish_at=datetime.datetime(2026, 11, 3, tzinfo=datetime.UTC)
    )
    plain = (tag.get_absolute_url(), post.get_absolute_url())
    set_script_prefix("/writing/")
    try:
        assert tag.get_absolute_url() == "/writing" + plain[0]
        assert post.get_absolute_url() == "/writing" + plain[1]
        tag.slug = "harbours"
        assert tag.get_absolute_url() == "/writing/tag/harbours/"
    finally:
        clear_script_prefix()
