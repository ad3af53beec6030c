import re

import pytest

from tests.comments.support import add_comment
from tests.e2e.conftest import assert_accessible, check_page, screenshot, sign_in_to_admin
from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"(http://\S+/account/sign-in/\S+/)")


def test_author_approves_a_held_comment_and_readers_then_see_it(page, browser, live_server):
    """A held comment goes through the author's queue and appears for readers.

    One long journey on purpose (longer than our 60-line rule): each step starts from the state
    the previous one left, as the author's own session would; split, the steps would each have
    to rebuild that state by hand and stop proving the flow.
    """
    author = StaffFactory(username="author", email="author@example.org")
    post = PostFactory(title="Ferries before flyovers", author=author)
    add_comment(
        post,
        text="Boats are cheaper than bridges.",
        user_name="Ben Public",
    )
    held = add_comment(
        post,
        text="See https://example.org/a and https://example.org/b for the costs.",
        user_name="Ada Linkwell",
        user_email="ada@example.org",
        is_public=False,
    )

    reader = browser.new_context(base_url=live_server.url).new_page()
    before = reader.goto(post.get_absolute_url())
    assert "Boats are cheaper than bridges." in reader.locator("main").inner_text()
    assert "for the costs" not in before.text()

    sign_in_to_admin(page, "author")
    summary = page.locator(".moderation-summary")
    assert " ".join(summary.inner_text().split()) == (
        "1 comment to review: 1 awaiting moderation, none flagged by readers."
    )
    assert_accessible(page)
    screenshot(page, "admin-index-moderation")

    summary.get_by_role("link", name="1 comment to review").click()
    page.wait_for_url(re.compile(r"/admin/comments/comment/\?status=review$"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Ada Linkwell" in rows.first.inner_text()
    assert "Awaiting moderation" in rows.first.inner_text()
    # No axe run here: Django's own changelist search box has only an icon for a label.
    screenshot(page, "admin-moderation-queue")

    rows.first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/admin/comments/comment/{held.pk}/change/"))
    main = page.locator("#content-main")
    assert (
        "Ferries before flyovers"
        in main.get_by_role("link", name="Ferries before flyovers").inner_text()
    )
    assert "Boats are cheaper than bridges." not in main.inner_text()
    assert "Ada Linkwell" in main.locator(".comment-thread").inner_text()
    main.locator(".comment-thread").scroll_into_view_if_needed()
    screenshot(page, "admin-moderation-comment")
    page.go_back()

    page.locator(f'input[name="_selected_action"][value="{held.pk}"]').check()
    page.get_by_label("Action:").select_option("approve")
    page.get_by_role("button", name="Run").click()
    page.locator(".messagelist").get_by_text("1 comment(s) published").wait_for()
    screenshot(page, "admin-moderation-approved")
    page.goto("/admin/")
    assert " ".join(page.locator(".moderation-summary").inner_text().split()) == (
        "No comments to review: none awaiting moderation, none flagged by readers."
    )

    # The same reader, whose browser saw the page before: browsers revalidate public pages
    # (max-age=0), and the approval invalidated the shared page cache that answers them.
    after = reader.goto(post.get_absolute_url())
    assert after.status == 200
    comment = reader.locator(f"#c{held.pk}")
    assert "for the costs." in comment.inner_text()
    assert "Ada Linkwell" in comment.inner_text()
    comment.scroll_into_view_if_needed()
    screenshot(reader, "post-with-approved-comment")
    check_page(reader, after)
    reader.context.close()


def test_reader_signs_in_with_the_emailed_link(page, live_server, smtp_server, settings):
    settings.SITE_URL = live_server.url
    post = PostFactory(title="Ferries before flyovers")
    zoe = UserFactory(username="zoe", first_name="", last_name="", email="zoe@example.org")
    add_comment(post, user=zoe, text="Boats every ten minutes would change my commute.")
    add_comment(post, user=zoe, text="A held thought with two links.", is_public=False)

    check_page(page, page.goto("/account/sign-in/"))
    screenshot(page, "reader-sign-in")
    page.get_by_label("Your email address").fill("zoe@example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_url(re.compile(r"/account/sign-in/sent/$"))
    assert "Check your email" in page.locator("h1").inner_text()
    check_page(page, page.goto("/account/sign-in/sent/"))

    (message,) = [m for m in smtp_server.messages if m["To"] == "zoe@example.org"]
    link = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    assert link.startswith(live_server.url)
    response = page.goto(link)
    check_page(page, response)
    assert "zoe@example.org" in page.locator("main").inner_text()
    screenshot(page, "reader-sign-in-confirm")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account/comments/$"))
    assert page.locator("h1").inner_text() == "My comments"
    assert "You are signed in as zoe@example.org." in page.locator(".messages").inner_text()
    items = page.locator(".my-comments__item")
    assert items.count() == 2
    assert "Awaiting moderation" in items.nth(0).inner_text()
    assert "Published" in items.nth(1).inner_text()
    check_page(page, page.goto("/account/comments/"))
    screenshot(page, "reader-my-comments")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert "You are signed out." in page.locator(".messages").inner_text()
    assert page.goto("/account/comments/").url.startswith(f"{live_server.url}/account/sign-in/")
    used = page.goto(link)
    assert used.status == 400
    assert "no longer works" in page.locator("h1").inner_text()
    check_page(page, used)
    screenshot(page, "reader-sign-in-used-link")
