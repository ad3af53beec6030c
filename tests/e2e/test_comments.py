"""Comment journeys in Chromium, with JavaScript on and off."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from comments.models import Comment
from tests.comments.support import add_comment, link_in
from tests.e2e.conftest import SCREENSHOTS, check_page, screenshot
from tests.factories import PostFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _comment_settings(settings):
    settings.COMMENTS_PER_NETWORK_PER_MINUTE = 100


@pytest.fixture
def post():
    return PostFactory(
        title="Ferries before flyovers",
        body="The ferry costs less than a lane of motorway.\n"
        "What do you think? Let me know in the comments below.",
        author__first_name="Maren",
        author__last_name="Adair",
        author__email="maren@example.org",
    )


def confirmation_path(smtp_server, address) -> str:
    (message,) = [
        m
        for m in smtp_server.messages
        if m["To"] == address and "/comments/confirm/" in m.get_body(("plain",)).get_content()
    ]
    return urlsplit(link_in(message, "/comments/confirm/")).path


def fill_form(scope, *, name, email, text):
    scope.get_by_label("Name").fill(name)
    scope.get_by_label("Email", exact=True).fill(email)
    scope.get_by_label("Comment").fill(text)


def wait_for_stamp(form):
    """The form's script fetched this visitor's stamp when the reader started writing."""
    form.page.wait_for_function(
        "form => form.querySelector('[name=stamp]').value !== ''", arg=form.element_handle()
    )


def publish(page, path):
    """Open the emailed confirmation link and press its button (opening alone does nothing)."""
    page.goto(path)
    assert page.get_by_role("heading", level=1).inner_text() == "Publish your comment?"
    page.get_by_role("button", name="Publish my comment").click()


def sign_in(browser_context, live_server, user):
    """A session cookie for `user`, as the magic-link sign-in would leave it."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    browser_context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


def test_without_javascript_a_reader_comments_confirms_and_replies(
    browser, live_server, post, smtp_server
):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto(post.get_absolute_url())
    form = page.locator("form[data-comment-form]")
    fill_form(form, name="Ada Reader", email="ada@example.org", text="Boats *first*, please.")
    form.get_by_label("Email me when someone replies").check()
    form.get_by_role("button", name="Post comment").click()
    # The cached page's form has no stamp of this visitor: one more press, text kept.
    assert page.get_by_role("heading", level=1).inner_text() == "One more step"
    assert page.get_by_role("textbox", name="Comment").input_value() == "Boats *first*, please."
    screenshot(page, "comment-one-more-step-nojs")
    page.get_by_role("button", name="Post comment").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your email to publish your comment"
    )
    # No check_page here: axe-core needs JavaScript (the same pages are checked with it on).
    publish(page, confirmation_path(smtp_server, "ada@example.org"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your comment is published"
    page.get_by_role("link", name="See your comment").click()
    comment = Comment.objects.get()
    assert page.locator(f"#c{comment.pk} .comment__text").inner_text() == "Boats first, please."

    page.get_by_role("link", name="Reply to Ada Reader").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Reply to Ada Reader"
    fill_form(page, name="Bo Reader", email="bo@example.org", text="Ferries are slow.")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_role("button", name="Post comment").click()  # "One more step"
    assert "Check your email" in page.get_by_role("heading", level=1).inner_text()
    publish(page, confirmation_path(smtp_server, "bo@example.org"))
    reply = Comment.objects.get(user_email="bo@example.org")
    assert (reply.parent_id, reply.level) == (comment.pk, 1)
    context.close()


def test_with_javascript_posting_and_replying_happen_in_place(page, post, smtp_server):
    response = page.goto(post.get_absolute_url())
    check_page(page, response)
    url = page.url
    form = page.locator("form[data-comment-form]")
    fill_form(form, name="Ada Reader", email="ada@example.org", text="Boats first.")
    wait_for_stamp(form)
    form.get_by_role("button", name="Post comment").click()
    status = form.get_by_role("status")
    status.get_by_text("Check your email to publish your comment.").wait_for()
    assert page.url == url
    assert form.get_by_label("Comment").input_value() == ""

    publish(page, confirmation_path(smtp_server, "ada@example.org"))
    page.get_by_role("link", name="See your comment").click()
    url = page.url
    root = Comment.objects.get()
    page.get_by_role("link", name="Reply to Ada Reader").click()
    inline = page.locator(f"#c{root.pk} > form[data-comment-form]")
    assert inline.get_by_role("heading").inner_text() == "Reply to Ada Reader"
    assert inline.get_by_label("Comment").evaluate("el => el === document.activeElement")
    fill_form(inline, name="Bo Reader", email="bo@example.org", text="Ferries are slow.")
    wait_for_stamp(inline)
    inline.get_by_role("button", name="Post comment").click()
    page.get_by_text("Check your email to publish your comment.").wait_for()
    assert page.url == url
    publish(page, confirmation_path(smtp_server, "bo@example.org"))
    assert Comment.objects.get(user_email="bo@example.org").parent_id == root.pk


def test_a_signed_in_reader_replies_likes_and_flags(page, live_server, post):
    root = add_comment(post, text="Ferries are the answer.", user_name="Ann Reader")
    reader = UserFactory(first_name="Ines", last_name="Duarte", email="ines@example.org")
    sign_in(page.context, live_server, reader)
    response = page.goto(post.get_absolute_url())
    check_page(page, response)

    page.get_by_role("link", name="Reply to Ann Reader").click()
    inline = page.locator(f"#c{root.pk} > form[data-comment-form]")
    inline.get_by_label("Comment").fill("Only with more crews.")
    wait_for_stamp(inline)
    inline.get_by_role("button", name="Post comment").click()
    page.get_by_text("Your comment is published.").wait_for()
    reply = Comment.objects.get(user=reader)
    posted = page.locator(f"#c{root.pk} #c{reply.pk}")
    assert posted.locator(".comment__text").inner_text() == "Only with more crews."
    assert "Ines Duarte" in posted.locator(".comment__author").inner_text()

    like = page.get_by_role("button", name=re.compile(r"^Like the comment by Ann Reader"))
    assert like.get_attribute("aria-pressed") == "false"
    like.click()  # in place: tests/e2e/test_comment_reactions.py
    page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=like.element_handle()
    )
    assert like.locator(".comment__count").inner_text() == "1"

    page.get_by_role("link", name="Flag the comment by Ann Reader as inappropriate").click()
    page.get_by_role("dialog").get_by_label("Off topic").check()
    page.get_by_role("dialog").get_by_role("button", name="Flag this comment").click()
    page.locator(f"#c{root.pk} .comment__flagged").first.wait_for()
    screenshot(page, "comments-signed-in")
    for label, width in (("desktop", 1280), ("phone", 320)):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(f"#c{root.pk}").screenshot(
            path=SCREENSHOTS / f"comments-signed-in-{label}-detail.png"
        )


ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
]


def test_malicious_comments_never_run(page, post):
    for text in ATTACKS:
        add_comment(post, text=text, user_name="<img src=x onerror=alert(2)>")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(post.get_absolute_url())
    page.wait_for_timeout(300)
    assert page.locator("a[href^='javascript' i]").count() == 0
    page.get_by_text("x", exact=True).click()  # the link text, without its dangerous href
    page.wait_for_timeout(300)
    assert dialogs == []
    texts = page.locator(".comment__text").all_inner_texts()
    assert texts[:2] == ATTACKS[:2]
    check_page(page, response)


def test_a_long_thread_reads_well_on_desktop_and_phone(page, post):
    voices = ["Ann Reader", "Bo Lindqvist", "Cy Okafor", "Maren Adair", "Di Nguyen"]
    for n in range(6):
        root = add_comment(
            post,
            text=f"Thread {n}: ferries *do* beat flyovers when the harbour is calm.\n\n"
            "> The mayor said boats every ten minutes.\n\nWill the crews be there?",
            user_name=voices[n % 5],
            user=post.author if n == 3 else None,
        )
        reply = add_comment(post, parent=root, text="Fair, but winter storms.", user_name="Bo")
        add_comment(post, parent=reply, text="Then run buses on stormy days.", user_name="Cy")
    response = page.goto(post.get_absolute_url() + "#comments")
    check_page(page, response)
    assert page.locator(".comment__badge").count() == 1
    screenshot(page, "comments-thread")
    # The threads themselves, whole, at both widths: the viewport shots above show the form.
    threads = page.locator("[data-comment-list] > li")
    for label, width in (("desktop", 1280), ("phone", 320)):
        page.set_viewport_size({"width": width, "height": 900})
        threads.nth(2).screenshot(path=SCREENSHOTS / f"comments-thread-{label}-detail.png")
        threads.nth(3).screenshot(path=SCREENSHOTS / f"comments-thread-{label}-author.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_keyboard_only_reader_replies_inline_and_loads_more_threads(page, post, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    first = add_comment(post, text="First thread.", user_name="Ann Reader")
    add_comment(post, text="Second thread.", user_name="Bo Reader")
    add_comment(post, text="Third thread.", user_name="Cy Reader")
    page.goto(post.get_absolute_url())
    url = page.url

    page.get_by_role("link", name="Reply to Ann Reader").focus()
    page.keyboard.press("Enter")
    inline = page.locator(f"#c{first.pk} > form[data-comment-form]")
    assert inline.get_by_label("Comment").evaluate("el => el === document.activeElement")
    cancel = inline.get_by_role("button", name="Cancel reply")
    cancel.focus()
    page.keyboard.press("Enter")
    assert page.locator("[data-form-home] > form[data-comment-form]").count() == 1
    assert page.get_by_role("link", name="Reply to Ann Reader").evaluate(
        "el => el === document.activeElement"
    )

    assert page.get_by_text("Third thread.").count() == 0
    page.get_by_role("link", name="Load more comments").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Third thread.").wait_for()
    assert page.url == url
    assert page.get_by_role("link", name="Load more comments").count() == 0
    assert page.evaluate("() => document.activeElement.textContent").count("Third thread.") == 1
