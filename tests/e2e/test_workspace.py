"""The writer's first hour in the admin, in Chromium: the first-run checklist, their profile,
the demo content taken away, the System section, inline tables that fit at 1280 px."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from blog.models import Post, Source
from core.models import SiteIdentity
from newsletter.models import EditionItem
from tests.e2e.conftest import assert_accessible, assert_valid_html, screenshot, sign_in_to_admin
from tests.factories import PostFactory, StaffFactory
from tests.newsletter.editions_support import make_edition

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def checked(page):
    assert_accessible(page)
    assert_valid_html(page.content())


@pytest.fixture
def demo_site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo_content", stdout=StringIO())
    return StaffFactory(username="author", first_name="", last_name="")


def test_the_checklist_leads_the_writer_from_a_demo_site_to_their_own(page, demo_site):
    """Checklist, profile, demo removal, in the order a new writer meets them.

    One journey on purpose (longer than our 60-line rule): each step changes what the
    checklist shows next, which is what the test proves.
    """
    own = PostFactory(author=demo_site, title="My first column", slug="my-first-column")
    # The site's name is core's item (tests/e2e/test_site_identity.py walks it); named here.
    SiteIdentity.objects.create(site_name="Calder Bay Notes")
    sign_in_to_admin(page)
    checklist = page.get_by_role("region", name=re.compile("still to do"))
    items = checklist.get_by_role("listitem")
    assert items.count() == 6  # blog: display name, About, demo; core: name, sender, postal
    assert "to do" in items.filter(has_text="Your display name").inner_text()
    checked(page)
    screenshot(page, "admin-index-first-run")
    sections = page.locator("#content-main caption").all_inner_texts()
    assert [name.strip().lower() for name in sections][-1] == "system"

    checklist.get_by_role("link", name="Your display name").click()
    page.get_by_label("Display name").fill("Jo Writer")
    page.get_by_label("Bio").fill("I cover the city council and its *money*.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.goto("/admin/")
    assert "(done)" in items.filter(has_text="Your display name").inner_text()
    assert "(done)" in items.filter(has_text="Your About page").inner_text()

    checklist.get_by_role("link", name="Demo content removed").click()
    page.wait_for_url(re.compile(r"/demo/remove/$"))
    assert "Port Alder" in page.locator("#content").inner_text()
    checked(page)
    page.get_by_role("button", name="Remove the demo content").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert "Demo content removed: 5 post(s)" in page.locator(".messagelist").first.inner_text()
    assert page.locator(".first-run").count() == 0  # everything done: the checklist goes
    assert list(Post.objects.all()) == [own]

    page.goto(own.get_absolute_url())
    assert "By Jo Writer" in page.locator("article").inner_text()
    page.goto("/about/")
    assert "Jo Writer" in page.locator("main").inner_text()
    assert "Maren" not in page.locator("main").inner_text()


def test_keeping_the_demo_content_changes_nothing(page, demo_site):
    sign_in_to_admin(page)
    page.get_by_role("link", name="Demo content removed").click()
    page.get_by_role("link", name="Keep it for now").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert Post.objects.filter(is_demo=True).count() == 5
    assert "to do" in page.locator(".first-run").inner_text()


def test_inline_tables_fit_a_1280_px_window(page, demo_site):
    post = Post.objects.filter(is_demo=True).first()
    Source.objects.create(
        post=post,
        position=9,
        publisher="City of Port Alder council transport committee",
        title="Minutes of the transport committee, budget session, item 4 — buses first",
        url="https://www.example.org/council/transport/2026/budget-session/minutes-item-4.pdf",
    )
    edition = make_edition()
    EditionItem.objects.filter(edition=edition).update(
        note="Why this matters to you this week, in a sentence or two for the reader."
    )
    sign_in_to_admin(page)
    for url, fields in (
        (f"/admin/blog/post/{post.pk}/change/", ["#id_sources-0-url", "#id_sources-0-DELETE"]),
        (f"/admin/newsletter/edition/{edition.pk}/change/", ["#id_items-0-DELETE"]),
    ):
        page.goto(url)
        for selector in fields:
            box = page.locator(selector).bounding_box()
            assert box["x"] + box["width"] <= 1280 - 16, f"{selector} is off-screen on {url}"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1280
