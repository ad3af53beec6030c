import datetime
import io
import re

import pytest
from django.utils import timezone
from PIL import Image as PILImage

from blog.models import Post, Tag
from tests.e2e.conftest import check_page, screenshot, sign_in_to_admin
from tests.factories import StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cover_jpeg(tmp_path):
    path = tmp_path / "harbour.jpg"
    image = PILImage.new("RGB", (1600, 900), (40, 90, 140))
    for x in range(0, 1600, 80):
        image.paste((200, 120, 60), (x, 500, x + 40, 900))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def test_author_writes_previews_schedules_and_publishes_with_a_cover(
    page, browser, live_server, cover_jpeg, settings, tmp_path
):
    """The writer's whole publishing path: draft, preview, schedule, publish with a cover.

    One long journey on purpose (longer than our 60-line rule): each step starts from the state
    the previous one left, as the author's own session would; split, the steps would each have
    to rebuild that state by hand and stop proving the flow.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    StaffFactory(username="author")
    Tag.objects.create(name="Transit", slug="transit")
    sign_in_to_admin(page, "author")

    page.goto("/admin/blog/post/add/")
    page.get_by_label("Title:", exact=True).fill("Ferries before flyovers")
    page.get_by_label("Title:", exact=True).press("Tab")
    assert page.get_by_label("Slug").input_value() == "ferries-before-flyovers"
    page.get_by_label("Standfirst").fill("The harbour’s cheapest road is the water — again.")
    page.get_by_label("Body:", exact=True).fill(
        "The ferry costs less than a lane of motorway.\n"
        "> “We will run boats every ten minutes,” the mayor said.\n\n"
        "What do you think? Let me know in the comments below."
    )
    page.get_by_label("Transit").check()
    page.get_by_text("Add another Image").click()
    page.locator("#id_images-0-file").set_input_files(str(cover_jpeg))
    page.locator("#id_images-0-alt_text").fill("Ferries crossing a blue harbour at dusk")
    page.locator("#id_images-0-credit").fill("Photo: Zoë Müller")
    page.locator("#id_images-0-is_cover").check()
    page.get_by_role("button", name="Save and continue editing").first.click()
    page.wait_for_url(re.compile(r"/admin/blog/post/\d+/change/$"))
    post = Post.objects.get(slug="ferries-before-flyovers")
    assert post.state_label == "Draft"
    screenshot(page, "admin-post-draft")

    with page.context.expect_page() as preview_info:
        page.get_by_role("link", name="Preview as readers will see it").click()
    preview = preview_info.value
    preview.wait_for_load_state()
    assert "This is a draft" in preview.locator(".preview-banner").inner_text()
    assert preview.locator(".article__cover img").get_attribute("alt") == (
        "Ferries crossing a blue harbour at dusk"
    )
    screenshot(preview, "preview-draft")
    preview.close()

    reader = browser.new_context(base_url=live_server.url).new_page()
    assert reader.goto(post.get_absolute_url()).status == 404

    when = timezone.localtime() + datetime.timedelta(seconds=6)
    page.get_by_label("Status").select_option("published")
    page.locator("#id_publish_at_0").fill(when.strftime("%Y-%m-%d"))
    page.locator("#id_publish_at_1").fill(when.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Save and continue editing").first.click()
    page.wait_for_url(re.compile(r"/admin/blog/post/\d+/change/$"))
    post.refresh_from_db()
    assert post.state_label == "Scheduled"

    page.goto("/admin/blog/post/")
    assert "Scheduled" in page.locator("#result_list").inner_text()

    assert "Ferries before flyovers" not in reader.goto("/").text()
    reader.wait_for_timeout(max(0, (when - timezone.localtime()).total_seconds() * 1000) + 1500)

    response = reader.goto("/search/?q=ferry+motorway")
    assert response.status == 200
    reader.get_by_role("link", name="Ferries before flyovers").first.click()
    reader.wait_for_url(re.compile(re.escape(post.get_absolute_url()) + "$"))
    check_page(reader, reader.goto(post.get_absolute_url()))
    assert reader.locator("blockquote").inner_text().strip() == (
        "“We will run boats every ten minutes,” the mayor said."
    )
    screenshot(reader, "published-post")

    reader.get_by_role("link", name="Transit").first.click()
    reader.wait_for_url(re.compile(r"/tag/transit/$"))
    assert reader.get_by_role("link", name="Ferries before flyovers").count() == 1
    reader.context.close()


def test_image_that_is_not_an_image_is_refused_in_the_admin(page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    StaffFactory(username="author")
    sign_in_to_admin(page, "author")
    fake = tmp_path / "holiday.jpg"
    fake.write_text("<html><script>alert(1)</script></html>")
    page.goto("/admin/blog/post/add/")
    page.get_by_label("Title:", exact=True).fill("A post with a bad picture")
    page.get_by_label("Body:", exact=True).fill("Text.")
    page.get_by_text("Add another Image").click()
    page.locator("#id_images-0-file").set_input_files(str(fake))
    page.locator("#id_images-0-alt_text").fill("Nothing")
    page.get_by_role("button", name="Save and continue editing").first.click()
    page.locator(".errornote").wait_for()
    assert Post.objects.count() == 0
    screenshot(page, "admin-bad-image")


def test_reader_searches_and_gets_helpful_empty_states(page, live_server):
    Post.objects.create(
        title="Water rationing in Calder Bay",
        slug="water-rationing",
        body="Tiered restrictions start on Monday.",
        author=StaffFactory(username="author"),
        status=Post.Status.PUBLISHED,
    )
    response = page.goto("/search/")
    check_page(page, response)
    page.get_by_label("Search").first.fill("zeppelin")
    page.get_by_label("Search").first.press("Enter")
    page.wait_for_url(re.compile(r"q=zeppelin"))
    assert "No" in page.locator("main").inner_text()
    check_page(page, page.goto("/search/?q=zeppelin"))
    page.goto("/search/?q=rationing")
    assert page.get_by_role("link", name="Water rationing in Calder Bay").count() == 1
    screenshot(page, "search-results")
