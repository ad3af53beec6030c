"""A writer signs in from a new browser: the emailed code, a wrong try, then the right one."""

import base64
import email
import re
from email import policy

import pytest
from django.conf import settings
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import (
    SCREENSHOTS,
    assert_accessible,
    assert_valid_html,
    check_page,
    screenshot,
)
from tests.factories import StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def code_in_last_mail() -> str:
    parsed = email.message_from_bytes(mail.outbox[-1].message().as_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"^(\d{6})$", text, re.MULTILINE).group(1)


def sign_in_with_password(page):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("author")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def phone_screenshot(page, name: str):
    """The 390 px phone width (an ordinary current phone), besides conftest's 1280 and 320."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / f"{name}-390.png", full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 390px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_new_browser_needs_the_emailed_code_and_is_then_trusted(page):
    StaffFactory(username="author", email="author@example.org")
    mail.outbox.clear()

    sign_in_with_password(page)
    page.wait_for_url(re.compile(r"/admin/verify/\?next=%2Fadmin%2F$"))
    response = page.reload()
    check_page(page, response)
    assert page.get_by_role("heading", name="Confirm it’s you").is_visible()
    assert "Enter the 6-digit code we emailed to a•••••@example.org" in page.inner_text("main")
    assert len(mail.outbox) == 1, "showing the page again sent no second code"
    screenshot(page, "staff-verify")
    phone_screenshot(page, "staff-verify")

    right = code_in_last_mail()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    error = page.locator(".errorlist")
    assert error.inner_text() == "That code is not right. You can try 4 more times."
    assert_accessible(page)
    assert_valid_html(page.content())
    screenshot(page, "staff-verify-wrong-code")
    phone_screenshot(page, "staff-verify-wrong-code")
    assert page.get_by_label("6-digit code").get_attribute("aria-invalid") == "true"

    page.get_by_label("6-digit code").fill(right)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert "This browser is now trusted for 180 days." in page.inner_text("main")
    (cookie,) = [
        c for c in page.context.cookies() if c["name"] == settings.STAFF_DEVICE_COOKIE_NAME
    ]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Log out").click()
    sign_in_with_password(page)
    page.wait_for_url(re.compile(r"/admin/$"))
    assert len(mail.outbox) == 1, "the trusted browser was not sent another code"


def test_a_writer_sets_up_an_authenticator_app_and_gets_recovery_codes(page):
    StaffFactory(username="author", email="author@example.org")
    sign_in_with_password(page)
    page.wait_for_url(re.compile(r"/admin/verify/"))
    page.get_by_label("6-digit code").fill(code_in_last_mail())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.get_by_role("link", name="Authenticator app").click()
    page.wait_for_url(re.compile(r"/admin/authenticator/$"))
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_url(re.compile(r"/admin/authenticator/$"))
    check_page(page, page.reload())
    secret = page.locator(".staff-authenticator__secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user__username="author", confirmed=False)
    assert base64.b32encode(device.bin_key).decode().rstrip("=") == secret
    assert (
        page.get_by_role("link", name="open in authenticator app")
        .get_attribute("href")
        .startswith("otpauth://totp/")
    )
    assert page.get_by_role("img", name="QR code of the setup key").is_visible()
    screenshot(page, "staff-authenticator-setup")

    page.get_by_label("Code shown in the app").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator(".staff-authenticator__codes li")
    assert codes.count() == 10
    assert_accessible(page)
    assert_valid_html(page.content())
    screenshot(page, "staff-authenticator-recovery-codes")
    phone_screenshot(page, "staff-authenticator-recovery-codes")
