"""Comment pages that changed with issue 10: the confirmation button and the refused reply.

Item 6: the emailed link opens a page that asks; only its button publishes.
Item 14: a reply whose comment is no longer on the post is refused with a clear message.
"""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.comments.support import ORIGIN, add_comment, form_data, link_in
from tests.e2e.conftest import check_page, screenshot
from tests.e2e.test_comments import sign_in, wait_for_stamp
from tests.factories import PostFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def post():
    return PostFactory(title="Ferries before flyovers", author__email="maren@example.org")


def confirmation_path(smtp_server) -> str:
    (message,) = [m for m in smtp_server.messages if m["To"] == "ada@example.org"]
    return urlsplit(link_in(message, "/comments/confirm/")).path


def test_the_confirmation_link_asks_before_it_publishes(page, post, smtp_server):
    data = form_data(post, comment="Boats first, then bridges.")
    assert Client().post(reverse("comments:post"), data, headers=ORIGIN).status_code == 302
    response = page.goto(confirmation_path(smtp_server))
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Publish your comment?"
    assert "Boats first, then bridges." in page.locator(".comment-quote").inner_text()
    check_page(page, response)
    screenshot(page, "comment-confirm")
    assert Comment.objects.count() == 0  # opening the link (a mail scanner) publishes nothing

    page.get_by_role("button", name="Publish my comment").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your comment is published"
    assert Comment.objects.get().is_public
    screenshot(page, "comment-confirm-published")


def test_an_expired_confirmation_link_says_so_and_publishes_nothing(
    page, post, smtp_server, settings, monkeypatch
):
    data = form_data(post)
    then = int(time.time()) - settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS * 86400 - 60
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        Client().post(reverse("comments:post"), data, headers=ORIGIN)
    response = page.goto(confirmation_path(smtp_server))
    assert response.status == 410
    assert page.get_by_role("heading", level=1).inner_text() == "This link has expired"
    check_page(page, response)
    screenshot(page, "comment-confirm-expired")
    assert Comment.objects.count() == 0


def test_a_reply_to_a_comment_hidden_meanwhile_is_refused_in_place(page, live_server, post):
    root = add_comment(post, text="Ferries are the answer.", user_name="Ann Reader")
    sign_in(page.context, live_server, UserFactory(email="ines@example.org"))
    response = page.goto(post.get_absolute_url())
    check_page(page, response)
    page.get_by_role("link", name="Reply to Ann Reader").click()
    inline = page.locator(f"#c{root.pk} > form[data-comment-form]")
    inline.get_by_label("Comment").fill("Only with more crews.")
    wait_for_stamp(inline)
    Comment.objects.filter(pk=root.pk).update(is_public=False)  # the author hid it meanwhile
    inline.get_by_role("button", name="Post comment").click()
    status = inline.get_by_role("status")
    status.get_by_text("no longer shown on this post").wait_for()
    assert inline.get_by_label("Comment").input_value() == "Only with more crews."
    assert Comment.objects.count() == 1
    screenshot(page, "comment-reply-refused")


def test_without_javascript_a_refused_reply_gets_a_page_that_says_why(browser, live_server, post):
    root = add_comment(post, text="Ferries are the answer.", user_name="Ann Reader")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto(reverse("comments-xtd-reply", args=[root.pk]))
    page.get_by_label("Name").fill("Bo Reader")
    page.get_by_label("Email", exact=True).fill("bo@example.org")
    page.get_by_label("Comment").fill("Only with more crews.")
    page.get_by_role("button", name="Post comment").click()
    assert page.get_by_role("heading", level=1).inner_text() == "One more step"
    Comment.objects.filter(pk=root.pk).update(is_public=False)
    page.get_by_role("button", name="Post comment").click()
    assert page.get_by_role("heading", level=1).inner_text() == "We could not post this reply"
    screenshot(page, "comment-reply-refused-nojs")
    assert Comment.objects.count() == 1
    context.close()
