"""Readers' side of issue 11 in Chromium: like and flag in place, flag with a reason and a
confirmation, never on your own comment, a refused comment that keeps its text, the
depth-limit page."""

import re

import pytest

from comments.models import Comment, FlagReport
from tests.comments.support import add_comment
from tests.e2e.conftest import SCREENSHOTS, check_page
from tests.e2e.test_comments import sign_in, wait_for_stamp
from tests.factories import PostFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def post():
    return PostFactory(
        title="Ferries before flyovers",
        body="The ferry costs less than a lane of motorway.",
        author__first_name="Maren",
        author__last_name="Adair",
    )


@pytest.fixture
def reader(page, live_server):
    reader = UserFactory(first_name="Ines", last_name="Duarte", email="ines@example.org")
    sign_in(page.context, live_server, reader)
    return reader


def mark_document(page):
    """A mark on the loaded document: gone if the browser navigates or reloads."""
    page.evaluate("() => { window.__sameDocument = true; }")


def still_same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def shoot_discussion(page, name: str, *, whole=True):
    """The discussion (or the viewport) at 1280 and 390 px, light and dark, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            path = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
            if whole:
                page.locator("#comments").screenshot(path=path)
            else:
                page.screenshot(path=path)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def shoot_page(page, name: str):
    """The whole page at 1280 and 390 px, light and dark."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png", full_page=True)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_like_works_in_place(page, post, reader):
    comment = add_comment(post, text="Ferries are the answer.", user_name="Ann Reader")
    page.goto(post.get_absolute_url())
    url = page.url
    mark_document(page)
    like = page.get_by_role("button", name=re.compile(r"^Like the comment by Ann Reader"))
    like.click()
    page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=like.element_handle()
    )
    assert like.locator(".comment__count").inner_text() == "1"
    assert page.url == url and "?c=" not in page.url and still_same_document(page)
    assert Comment.objects.get(pk=comment.pk).like_count == 1
    announcer = page.locator("[data-comments-announce]")
    assert announcer.inner_text() == "You liked the comment by Ann Reader."

    dislike = page.get_by_role("button", name=re.compile(r"^Dislike the comment by Ann Reader"))
    dislike.click()
    page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=dislike.element_handle()
    )
    assert like.get_attribute("aria-pressed") == "false"
    assert like.locator(".comment__count").inner_text() == "0"
    assert dislike.locator(".comment__count").inner_text() == "1"
    assert page.url == url and still_same_document(page)


def test_flag_asks_for_a_reason_and_a_confirmation_then_works_in_place(page, post, reader):
    comment = add_comment(post, text="You are all idiots.", user_name="Ann Reader")
    add_comment(post, text="Let us keep it civil.", user_name="Bo Lindqvist")
    response = page.goto(post.get_absolute_url())
    check_page(page, response)
    url = page.url
    mark_document(page)
    flag = page.get_by_role("link", name="Flag the comment by Ann Reader as inappropriate")

    # Cancel changes nothing and gives the focus back.
    flag.click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_role("heading").inner_text() == "Flag the comment by Ann Reader?"
    check_page(page, response)  # the open dialog too
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible()
    assert flag.evaluate("el => el === document.activeElement")

    # No reason, no flag: the browser asks for one.
    flag.click()
    dialog.get_by_role("button", name="Flag this comment").click()
    assert dialog.is_visible()
    assert FlagReport.objects.count() == 0

    dialog.get_by_label("Abusive, hateful or harassing").check()
    dialog.get_by_label("Anything the author should know (optional)").fill("Insults everyone.")
    shoot_discussion(page, "readers-flag-dialog", whole=False)
    dialog.get_by_role("button", name="Flag this comment").click()
    page.locator(f"#c{comment.pk} .comment__flagged").wait_for()
    assert not dialog.is_visible()
    assert page.locator("[data-comments-announce]").inner_text() == (
        "Thank you. The author will review this comment."
    )
    assert page.url == url and still_same_document(page)
    report = FlagReport.objects.select_related("flag").get()
    assert (report.reason, report.note, report.flag.comment_id) == (
        "abuse",
        "Insults everyone.",
        comment.pk,
    )


def test_a_reader_cannot_flag_their_own_comment(page, post, reader):
    own = add_comment(post, text="My own view.", user=reader, user_name="Ines Duarte")
    other = add_comment(post, text="Someone else's.", user_name="Ann Reader")
    page.goto(post.get_absolute_url())
    assert page.locator(f"#c{own.pk} [data-flag]").count() == 0
    assert page.get_by_role("link", name=re.compile("^Flag the comment by Ann Reader")).count()
    response = page.goto(f"/comments/flag/{own.pk}/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "This is your own comment"
    check_page(page, response)
    response = page.goto(f"/comments/flag/{other.pk}/")  # the no-script flag page
    assert page.get_by_role("heading", level=1).inner_text() == "Flag this comment for the author?"
    check_page(page, response)


def test_without_javascript_flag_has_its_own_page_with_reasons(browser, live_server, post):
    comment = add_comment(post, text="Buy cheap watches here.", user_name="Spam Bot")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    sign_in(context, live_server, UserFactory(email="ines@example.org"))
    page = context.new_page()
    page.goto(post.get_absolute_url())
    page.get_by_role("link", name="Flag the comment by Spam Bot as inappropriate").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Flag this comment for the author?"
    shoot_page(page, "readers-flag-page-nojs")
    page.get_by_label("Spam or advertising").check()
    page.get_by_role("button", name="Flag this comment").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Thank you for flagging this comment"
    )
    assert FlagReport.objects.get().flag.comment_id == comment.pk
    context.close()


def join_the_discussion(page):
    """Once there is a thread the form waits behind "Join the discussion" (a <details>)."""
    summary = page.locator("summary", has_text="Join the discussion")
    if summary.count() and page.locator("#join-discussion[open]").count() == 0:
        summary.click()


def test_a_refused_comment_keeps_its_text_with_javascript(page, post, reader, settings):
    settings.COMMENTS_PER_ADDRESS_PER_MINUTE = 1
    add_comment(post, text="Ferries are the answer.", user_name="Ann Reader")
    page.goto(post.get_absolute_url())
    join_the_discussion(page)
    form = page.locator("[data-form-home] form[data-comment-form]")
    form.get_by_label("Comment").fill("First thought.")
    wait_for_stamp(form)
    form.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is published.").wait_for()
    text = "A second, longer thought\nthat took a while to write."
    form.get_by_label("Comment").fill(text)
    wait_for_stamp(form)
    form.get_by_role("button", name="Post comment").click()
    form.get_by_role("status").get_by_text(re.compile("Please press|wait about")).wait_for()
    assert "Your text is kept." in form.get_by_role("status").inner_text()
    assert form.get_by_label("Comment").input_value() == text
    assert Comment.objects.filter(comment=text).count() == 0
    shoot_discussion(page, "readers-rate-limited")


def test_a_refused_comment_keeps_its_text_without_javascript(browser, live_server, post, settings):
    settings.COMMENTS_PER_ADDRESS_PER_MINUTE = 1
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    sign_in(context, live_server, UserFactory(email="ines@example.org", first_name="Ines"))
    page = context.new_page()
    for text in ("First thought.", "A second thought, kept."):
        page.goto(post.get_absolute_url())
        join_the_discussion(page)
        page.get_by_label("Comment", exact=True).fill(text)
        page.get_by_role("button", name="Post comment").click()
        if page.get_by_role("heading", level=1).inner_text() == "One more step":
            page.get_by_role("button", name="Post comment").click()
    response_heading = page.get_by_role("heading", level=1).inner_text()
    assert response_heading == "Please wait a moment"
    assert page.get_by_label("Comment", exact=True).input_value() == "A second thought, kept."
    assert page.get_by_role("heading", level=2, name="Your comment").count() == 1
    shoot_page(page, "readers-rate-limited-nojs")
    context.close()


def test_replying_too_deep_gets_a_styled_page(page, post):
    root = add_comment(post, text="Ferries.", user_name="Ann Reader")
    middle = add_comment(post, parent=root, text="Buses.", user_name="Bo Lindqvist")
    deepest = add_comment(post, parent=middle, text="Trams!", user_name="Cy Okafor")
    response = page.goto(f"/comments/reply/{deepest.pk}/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == (
        "This conversation is as deep as it goes"
    )
    check_page(page, response)
    shoot_page(page, "readers-too-deep")
    page.get_by_role("link", name="Reply to Bo Lindqvist").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Reply to Bo Lindqvist"


def test_the_reply_page_passes_axe(page, post):
    comment = add_comment(post, text="Ferries.", user_name="Ann Reader")
    response = page.goto(f"/comments/reply/{comment.pk}/")
    assert page.get_by_role("heading", level=2, name="Your reply").count() == 1
    check_page(page, response)


def test_screenshots_of_a_discussion(page, post, reader):
    voices = ["Ann Reader", "Bo Lindqvist", "Cy Okafor"]
    for n in range(3):
        root = add_comment(
            post,
            text=f"Thread {n}: ferries *do* beat flyovers when the harbour is calm.",
            user_name=voices[n],
        )
        add_comment(post, parent=root, text="Fair, but winter storms.", user_name="Di Nguyen")
    add_comment(post, text="My own two cents.", user=reader, user_name="Ines Duarte")
    response = page.goto(post.get_absolute_url() + "#comments")
    check_page(page, response)
    page.get_by_role("button", name=re.compile(r"^Like the comment by Ann Reader")).click()
    page.locator("[data-comments-announce]").get_by_text("You liked").wait_for()
    shoot_discussion(page, "readers-discussion")
