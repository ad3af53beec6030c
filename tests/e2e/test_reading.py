import re

import pytest
from django.core.management import call_command

from blog.models import Post
from tests.e2e.conftest import check_page, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_site():
    from io import StringIO

    call_command("load_demo_content", stdout=StringIO())
    return Post.objects.published()


def test_reader_opens_the_home_page_and_reads_a_post(page, demo_site):
    post = demo_site.filter(kind=Post.Kind.OPED).first()
    response = page.goto("/")
    assert response.status == 200
    check_page(page, response)
    screenshot(page, "home")

    page.get_by_role("link", name=post.title).click()
    page.wait_for_url(re.compile(re.escape(post.get_absolute_url()) + "$"))
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == post.title
    article_text = page.locator(".article__body").inner_text()
    first_paragraph = post.body.split("\n\n")[0].strip()
    assert first_paragraph in article_text
    assert "comments below" in article_text

    response = page.goto(post.get_absolute_url())
    check_page(page, response)
    screenshot(page, "post")


def test_skip_link_moves_focus_to_the_content(page, demo_site):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    skip.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"


def test_unknown_address_shows_the_styled_404(page, demo_site):
    response = page.goto("/2026/11/no-such-piece/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "We could not find that page"
    check_page(page, response)
    page.get_by_role("link", name="Read the latest posts").click()
    page.wait_for_url(re.compile(r"/$"))
    screenshot(page, "after-404")


def test_the_site_reads_without_javascript(browser, live_server, demo_site):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    post = demo_site.first()
    page.goto("/")
    page.get_by_role("link", name=post.title).click()
    assert page.get_by_role("heading", level=1).inner_text() == post.title
    context.close()


def test_reader_browses_archive_tag_month_and_about_pages(page, demo_site):
    response = page.goto("/archive/")
    check_page(page, response)
    screenshot(page, "archive")
    tag_link = page.locator(".archive section").nth(1).get_by_role("link").first
    tag_name = tag_link.inner_text()
    tag_link.click()
    assert page.get_by_role("heading", level=1).inner_text() == tag_name
    check_page(page, page.goto(page.url))

    page.goto("/archive/")
    page.locator(".archive section").first.get_by_role("link").first.click()
    assert page.locator(".post-card").count() >= 1
    check_page(page, page.goto(page.url))

    response = page.goto("/about/")
    check_page(page, response)
    assert "Maren Adair" in page.get_by_role("heading", level=2).first.inner_text()
    assert page.locator(".profile__photo").get_attribute("alt")
    screenshot(page, "about")
