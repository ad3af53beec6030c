"""The admin as the writer's workspace: the first-run checklist on the index, the System
section, dates in the site's time zone and the locale's formats (issue 11, trap 6)."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from blog.models import AuthorProfile
from core import checklist
from newsletter.models import Edition
from tests.factories import PostFactory, StaffFactory, UserFactory
from tests.newsletter.editions_support import make_edition

pytestmark = pytest.mark.django_db

BLOG_ITEMS = {"display-name", "about-page", "demo-content"}


@pytest.fixture
def writer(client):
    user = StaffFactory(username="author")
    client.force_login(user)
    return user


def index(client) -> str:
    return client.get(reverse("admin:index")).content.decode()


# The first-run checklist --------------------------------------------------------------


def test_the_checklist_lists_what_is_missing_with_a_link_to_fix_each(client, writer):
    html = index(client)
    checklist_html = html.split('<section class="first-run"', 1)[1].split("</section>", 1)[0]
    mine = reverse("admin:blog_authorprofile_mine")
    assert f'<a href="{mine}"><strong>Your display name</strong></a> <span' in checklist_html
    assert "(to do)" in checklist_html
    done = [s for s in checklist.statuses() if s.done]
    assert f"{len(checklist.statuses()) - len(done)} of {len(checklist.statuses())}" in (
        checklist_html
    )


def test_a_done_item_is_marked_done_and_the_checklist_goes_once_all_are(
    client, writer, monkeypatch
):
    profile = AuthorProfile.objects.create(user=writer, display_name="Jo Writer")
    html = index(client)
    assert re.search(r"<strong>Your display name</strong> <span[^>]*>\(done\)</span>", html)
    assert re.search(r"<strong>Your About page</strong></a> <span[^>]*>\(to do\)</span>", html)
    profile.bio = "I cover the city."
    profile.save()
    # Only the blog's own items here: other apps' are set by their own tests.
    blog_items = {key: item for key, item in checklist._items.items() if key in BLOG_ITEMS}
    monkeypatch.setattr(checklist, "_items", blog_items)
    assert "first-run" not in index(client)


# The System section ---------------------------------------------------------------------


def section_names(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" class="section">([^<]+)</a>', html)


def test_the_writers_sections_come_first_and_the_machinery_under_system_last(client, writer):
    html = index(client)
    main = html.split('id="content-main"', 1)[1]
    assert section_names(main)[-1] == "System"
    writer_part, system_part = main.split('class="app-system module', 1)
    for machinery in ("Access attempts", "Groups", "Sites", "Task Results", "Black listed"):
        assert machinery not in writer_part and machinery in system_part
    for own in ("Posts", "Comments", "Editions", "Subscribers", "Author profiles"):
        assert own in writer_part


def test_staff_who_are_not_superusers_see_no_system_section(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    client.force_login(clerk)
    assert "System" not in section_names(index(client))


def test_system_models_keep_their_addresses_and_have_a_page_of_their_own(client, writer):
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
    page = client.get(reverse("admin:system")).content.decode()
    assert "Access attempts" in page and "Posts" not in section_names(page)


# Dates in the site's time zone ------------------------------------------------------------


@pytest.fixture
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def next_winter_day() -> datetime.date:
    return datetime.date(timezone.now().year + 1, 1, 15)


def test_nine_in_the_edition_scheduler_is_nine_in_paris(client, writer, paris):
    edition = make_edition()
    send_page = client.get(reverse("admin:newsletter_edition_send", args=[edition.pk]))
    assert "Send at (Europe/Paris time)" in send_page.content.decode()
    # CET in winter, CEST in summer: the offset of the moment the page is shown.
    assert re.search(
        r"Times are in Europe/Paris \((CET, UTC\+01:00|CEST, UTC\+02:00)\)\.",
        send_page.content.decode(),
    )
    day = next_winter_day()
    response = client.post(
        reverse("admin:newsletter_edition_schedule", args=[edition.pk]),
        {"send_at": f"{day:%Y-%m-%d}T09:00"},
        follow=True,
    )
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SCHEDULED
    assert edition.send_at == datetime.datetime(day.year, 1, 15, 8, 0, tzinfo=datetime.UTC)
    assert "(Europe/Paris)" in response.content.decode()


def test_the_post_editor_names_the_zone_of_its_dates(client, writer, paris):
    post = PostFactory(author=writer)
    html = client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "a future time schedules it. Times are in Europe/Paris" in html
    assert "Times are in Europe/Paris</p>" in html  # the header of every admin page


def test_dates_the_writer_reads_are_in_the_zone_and_the_locales_format(client, writer, settings):
    settings.TIME_ZONE = "America/New_York"
    settings.LANGUAGE_CODE = "en-us"
    PostFactory(
        author=writer, publish_at=datetime.datetime(2026, 1, 15, 14, 30, tzinfo=datetime.UTC)
    )
    html = client.get(reverse("admin:blog_post_changelist")).content.decode()
    assert "Jan. 15, 2026, 9:30 a.m." in html
    settings.LANGUAGE_CODE = "en-gb"
    html = client.get(reverse("admin:blog_post_changelist")).content.decode()
    assert "15 Jan 2026, 9:30 a.m." in html
