"""Browser journeys for the newsletter: subscribe (with and without JavaScript), confirm from
the email the SMTP server received, unsubscribe from the email's link, and the main failure."""

import re
import time

import pytest

from newsletter.models import Subscriber
from tests.e2e.conftest import assert_accessible, check_page, screenshot
from tests.factories import PostFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(settings, live_server, smtp_server):
    """The live server's address in email links; mail queued and delivered to the SMTP sink."""
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_MIN_SUBMIT_SECONDS = 0
    return PostFactory(
        title="Buses first, budgets second",
        body="The council met on Tuesday.\n\nWhat do you think? Let me know in the comments below.",
    )


def wait_for_mail(smtp_server, count=1, timeout=10.0):
    deadline = time.monotonic() + timeout
    while len(smtp_server.messages) < count:
        assert time.monotonic() < deadline, "the confirmation email never arrived"
        time.sleep(0.05)
    return smtp_server.messages[count - 1]


def link_in(message, path_part: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"http://\S+{path_part}\S+/", text).group(0)


def confirm_then_unsubscribe(page, message, *, check=True):
    response = page.goto(link_in(message, "/newsletter/confirm/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your subscription"
    if check:
        check_page(page, response)
        screenshot(page, "newsletter-confirm")
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Confirm").click()
    assert "you are subscribed" in page.get_by_role("heading", level=1).inner_text()
    if check:
        check_page(page, navigation.value)
        screenshot(page, "newsletter-confirmed")
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE

    response = page.goto(link_in(message, "/newsletter/u/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Unsubscribe"
    if check:
        check_page(page, response)
        screenshot(page, "newsletter-unsubscribe")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You are unsubscribed"
    if check:
        check_page(page, navigation.value)
        screenshot(page, "newsletter-unsubscribed")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.LINK


def test_reader_subscribes_under_a_post_with_javascript_confirms_and_unsubscribes(
    page, site, smtp_server
):
    response = page.goto(site.get_absolute_url())
    check_page(page, response)
    page.locator("footer").scroll_into_view_if_needed()
    screenshot(page, "newsletter-footer")
    form = page.locator("form.signup-form--post")
    form.get_by_label("Email address").fill("zoe@example.org")
    form.get_by_role("button", name="Subscribe").click()
    status = form.get_by_role("status")
    status.filter(has_text="Check your inbox").wait_for()
    assert page.url.endswith(site.get_absolute_url())  # answered in place, no page load
    screenshot(page, "newsletter-post-inline-thanks")

    message = wait_for_mail(smtp_server)
    assert message["To"] == "zoe@example.org"
    confirm_then_unsubscribe(page, message)


def test_reader_subscribes_without_javascript(browser, site, live_server, smtp_server):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto(site.get_absolute_url())
    form = page.locator("form.signup-form--post")
    form.get_by_label("Email address").fill("nojs@example.org")
    with page.expect_navigation():
        form.get_by_role("button", name="Subscribe").click()
    assert page.url.endswith("/newsletter/check-your-inbox/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
    screenshot(page, "newsletter-check-inbox-nojs")

    message = wait_for_mail(smtp_server)
    assert message["To"] == "nojs@example.org"
    confirm_then_unsubscribe(page, message, check=False)
    context.close()


def stamp_in_html(html: str, source: str) -> str:
    form = re.search(rf'signup-form--{source}".*?name="stamp" value="([^"]+)"', html, re.DOTALL)
    return form.group(1)


def test_two_readers_of_one_cached_page_subscribe_with_their_own_stamps(
    browser, site, live_server, smtp_server
):
    """Item 13: a stamp works once, so the script fetches each reader a fresh one."""
    stamps_in_html, addresses = [], ["ann@example.org", "bob@example.org"]
    for address in addresses:
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        stamp_requests = []
        page.on(
            "request",
            lambda r, seen=stamp_requests: seen.append(r.url) if "/stamp/" in r.url else None,
        )
        response = page.goto(site.get_absolute_url())
        stamps_in_html.append(stamp_in_html(response.text(), "post"))
        assert stamp_requests == [], "reading a page costs no stamp: only turning to the form"
        form = page.locator("form.signup-form--post")
        with page.expect_response(lambda r: "/newsletter/signup/stamp/" in r.url) as fetched:
            form.get_by_label("Email address").fill(address)
        page.wait_for_function(
            "stamp => document.querySelector('.signup-form--post [name=stamp]').value === stamp",
            arg=fetched.value.json()["stamp"],
        )
        form.get_by_role("button", name="Subscribe").click()
        form.get_by_role("status").filter(has_text="Check your inbox").wait_for()
        context.close()
    assert stamps_in_html[0] == stamps_in_html[1], "the second reader had the cached copy"
    wait_for_mail(smtp_server, count=2)
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == addresses


def test_without_javascript_a_used_stamp_costs_one_more_click(
    browser, site, live_server, smtp_server
):
    """Item 13: the cached page's stamp is shared; the second reader sends the form again."""
    for address in ("ann@example.org", "bob@example.org"):
        context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
        page = context.new_page()
        page.goto(site.get_absolute_url())
        form = page.locator("form.signup-form--post")
        form.get_by_label("Email address").fill(address)
        with page.expect_navigation():
            form.get_by_role("button", name="Subscribe").click()
        if address == "bob@example.org":
            assert "This form is out of date" in page.locator(".signup-form__message").inner_text()
            retry = page.locator("form.signup-form--post")
            retry.scroll_into_view_if_needed()
            screenshot(page, "newsletter-stamp-used-nojs")
            assert retry.get_by_label("Email address").input_value() == address
            with page.expect_navigation():
                retry.get_by_role("button", name="Subscribe").click()
        assert page.url.endswith("/newsletter/check-your-inbox/")
        context.close()
    wait_for_mail(smtp_server, count=2)
    assert Subscriber.objects.count() == 2


def test_an_invalid_address_gets_a_clear_inline_message(page, site, smtp_server):
    response = page.goto("/newsletter/")
    check_page(page, response)
    screenshot(page, "newsletter-page")
    form = page.locator("form.signup-form--page")
    field = form.get_by_label("Email address")
    field.fill("zoe@example")
    form.get_by_role("button", name="Subscribe").click()
    error = page.locator("#signup-page-email-error")
    error.filter(has_text="Enter a valid email address").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert "signup-page-email-error" in field.get_attribute("aria-describedby")
    assert field.evaluate("el => el === document.activeElement")
    assert_accessible(page)
    screenshot(page, "newsletter-invalid-inline")

    # The page the server answers without the script (form.submit() skips its handler).
    with page.expect_navigation() as navigation:
        form.evaluate("form => form.submit()")
    assert navigation.value.status == 400
    check_page(page, navigation.value)
    check_page(page, page.goto("/newsletter/check-your-inbox/"))
    assert Subscriber.objects.count() == 0
    assert smtp_server.messages == []


def test_an_invalid_address_without_javascript_comes_back_with_the_message(
    browser, site, live_server
):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/newsletter/")
    form = page.locator("form.signup-form--page")
    form.get_by_label("Email address").fill("zoe@example")
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name="Subscribe").click()
    assert navigation.value.status == 400
    assert "Enter a valid email address" in page.locator("#signup-page-email-error").inner_text()
    assert page.get_by_label("Email address").input_value() == "zoe@example"
    screenshot(page, "newsletter-invalid-nojs")
    context.close()


def test_preferences_page_from_the_thank_you_page(page, site, smtp_server):
    page.goto("/")  # the footer's form: a post page has its own one instead
    form = page.locator("form.signup-form--footer")
    form.get_by_label("Email address").fill("prefs@example.org")
    form.get_by_role("button", name="Subscribe").click()
    form.get_by_role("status").filter(has_text="Check your inbox").wait_for()
    page.goto(link_in(wait_for_mail(smtp_server), "/newsletter/confirm/"))
    page.get_by_role("button", name="Confirm").click()
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="Choose in your preferences").click()
    check_page(page, navigation.value)
    page.get_by_label("The weekly edition and every new post").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Saved." in page.get_by_role("status").inner_text()
    screenshot(page, "newsletter-preferences")
    assert Subscriber.objects.get().cadence == Subscriber.Cadence.EVERY_POST
