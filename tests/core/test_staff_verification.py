"""New-device verification for staff sign-in, through the real admin login view."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import staff
from core.models import StaffSignInCode, TrustedDevice
from tests.core.staff_support import code_from, enter, verify_url
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_new_browser_is_held_at_the_code_page(author, sign_in, browser):
    assert sign_in(browser).status_code == 302
    response = browser.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == verify_url(reverse("admin:index"))
    page = browser.get(response["Location"]).content.decode()
    assert "Enter the 6-digit code we emailed to <strong>a•••••@example.org</strong>" in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page


def test_every_admin_page_but_verify_and_logout_waits_for_the_code(author, sign_in, browser):
    sign_in(browser)
    for url in [reverse("admin:password_change"), reverse("admin:core_trusteddevice_changelist")]:
        response = browser.get(url)
        assert response["Location"] == verify_url(url)
    assert browser.get(reverse("staff:verify")).status_code == 200


def test_the_code_is_emailed_to_the_staff_member(author, sign_in, browser):
    sign_in(browser)
    (message,) = mail.outbox
    assert message.to == ["author@example.org"]
    assert message.subject == "Your sign-in code for The Dispatch"
    assert "Firefox on Linux" in message.body
    assert re.fullmatch(r"\d{6}", code_from(message))


def test_a_wrong_code_is_refused_with_a_clear_message(author, sign_in, browser):
    sign_in(browser)
    right = code_from(mail.outbox[0])
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = enter(browser, wrong)
    assert response.status_code == 200
    assert "That code is not right. You can try 4 more times." in response.content.decode()
    assert browser.get(reverse("admin:index")).status_code == 302


def test_the_right_code_lets_the_staff_member_in(author, sign_in, browser):
    sign_in(browser)
    response = enter(browser, code_from(mail.outbox[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert browser.get(reverse("admin:index")).status_code == 200


def test_the_right_code_trusts_the_browser_with_a_hashed_token(author, sign_in, browser, settings):
    sign_in(browser)
    response = enter(browser, code_from(mail.outbox[0]))
    cookie = response.cookies[settings.STAFF_DEVICE_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 180 * 24 * 3600
    device = TrustedDevice.objects.get(user=author)
    assert device.token_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert device.label == "Firefox on Linux"
    assert device.expires_at > timezone.now() + datetime.timedelta(days=179)


def test_the_device_cookie_is_secure_over_https(author, sign_in, browser, settings):
    sign_in(browser)
    response = browser.post(
        reverse("staff:verify"),
        {"code": code_from(mail.outbox[0]), "next": "/admin/"},
        secure=True,
    )
    assert response.cookies[settings.STAFF_DEVICE_COOKIE_NAME]["secure"] is True


def test_a_code_works_only_once(author, sign_in, browser):
    sign_in(browser)
    code = code_from(mail.outbox[0])
    enter(browser, code)
    other = Client()
    sign_in(other)
    mail.outbox.clear()
    assert enter(other, code).status_code == 200
    assert other.get(reverse("admin:index")).status_code == 302


def test_the_same_browser_signs_in_again_without_a_code(author, sign_in, browser):
    sign_in(browser)
    enter(browser, code_from(mail.outbox[0]))
    browser.post(reverse("admin:logout"))
    mail.outbox.clear()
    sign_in(browser)
    assert browser.get(reverse("admin:index")).status_code == 200
    assert mail.outbox == []


def test_a_new_browser_needs_a_code_even_after_another_was_trusted(author, sign_in, browser):
    sign_in(browser)
    enter(browser, code_from(mail.outbox[0]))
    other = Client()
    sign_in(other)
    assert other.get(reverse("admin:index"))["Location"].startswith(reverse("staff:verify"))
    assert len(mail.outbox) == 2


def test_an_expired_code_is_refused(author, sign_in, browser):
    sign_in(browser)
    StaffSignInCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = enter(browser, code_from(mail.outbox[0]))
    assert "That code has expired: codes work for 15 minutes." in response.content.decode()
    assert browser.get(reverse("admin:index")).status_code == 302


def test_five_wrong_tries_lock_the_code(author, sign_in, browser):
    sign_in(browser)
    right = code_from(mail.outbox[0])
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    answers = [enter(browser, wrong).content.decode() for _ in range(5)]
    assert "You can try 1 more time." in answers[3]
    assert "Too many wrong tries: that code no longer works." in answers[4]
    refused = enter(browser, right).content.decode()
    assert "Too many wrong tries: that code no longer works." in refused
    assert browser.get(reverse("admin:index")).status_code == 302


def test_a_new_code_can_be_asked_for_and_replaces_the_old(
    author, sign_in, browser, django_capture_on_commit_callbacks
):
    sign_in(browser)
    first = code_from(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("staff:send-code"), {"next": "/admin/"})
    assert response["Location"] == verify_url("/admin/")
    second = code_from(mail.outbox[1])
    if first != second:
        assert "not right" in enter(browser, first).content.decode()
    assert enter(browser, second).status_code == 302


def test_new_codes_are_rate_limited(
    author, sign_in, browser, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_CODES_PER_HOUR = 2
    sign_in(browser)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("staff:send-code"))
        response = browser.post(reverse("staff:send-code"), follow=True)
    assert len(mail.outbox) == 2
    assert "Too many codes were sent to you in the last hour." in response.content.decode()


def test_get_and_head_never_send_nor_use_up_a_code(author, sign_in, browser):
    sign_in(browser)
    for _ in range(6):
        browser.get(verify_url(), {"code": "000000"})
        browser.head(verify_url())
        assert browser.get(reverse("staff:send-code")).status_code == 405
        assert browser.head(reverse("staff:use-recovery-code")).status_code == 405
    assert len(mail.outbox) == 1
    assert StaffSignInCode.objects.get(user=author).failed_attempts == 0
    assert enter(browser, code_from(mail.outbox[0])).status_code == 302


def test_next_never_leads_to_another_site(author, sign_in, browser):
    sign_in(browser)
    response = enter(browser, code_from(mail.outbox[0]), next_url="https://evil.example/admin/")
    assert response["Location"] == reverse("admin:index")


def test_next_leads_back_to_the_page_asked_for(author, sign_in, browser):
    sign_in(browser)
    wanted = reverse("admin:core_trusteddevice_changelist")
    response = enter(browser, code_from(mail.outbox[0]), next_url=wanted)
    assert response["Location"] == wanted


def test_an_authenticator_code_is_accepted_and_no_mail_is_sent(author, sign_in, browser):
    device = TOTPDevice.objects.create(user=author, name="Phone", confirmed=True)
    sign_in(browser)
    assert mail.outbox == []
    page = browser.get(verify_url()).content.decode()
    assert "Enter the 6-digit code from your authenticator app" in page
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert enter(browser, code).status_code == 302
    assert browser.get(reverse("admin:index")).status_code == 200


def test_an_authenticator_user_can_still_ask_for_an_email(
    author, sign_in, browser, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=author, name="Phone", confirmed=True)
    sign_in(browser)
    assert "Email me a code instead" in browser.get(verify_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("staff:send-code"))
    assert enter(browser, code_from(mail.outbox[0])).status_code == 302


def test_a_recovery_code_works_once(author, sign_in, browser):
    codes = staff.new_recovery_codes(user=author)
    sign_in(browser)
    response = enter(
        browser, codes[0].upper(), url="staff:use-recovery-code", field="recovery_code"
    )
    assert response.status_code == 302
    assert browser.get(reverse("admin:index")).status_code == 200
    assert StaticToken.objects.filter(device__user=author).count() == 9
    other = Client()
    sign_in(other)
    again = enter(other, codes[0], url="staff:use-recovery-code", field="recovery_code")
    assert "That recovery code is not right, or was used before." in again.content.decode()
    assert other.get(reverse("admin:index")).status_code == 302


def test_staff_without_an_email_address_are_told_what_to_do(sign_in, browser):
    StaffFactory(username="nomail", email="")
    sign_in(browser, "nomail")
    page = browser.get(verify_url()).content.decode()
    assert "Your account has no email address, so we cannot email you a code." in page
    assert "authenticator app" in page
    assert "manage.py reset_staff_verification nomail --email" in page
    assert mail.outbox == []


def test_logging_out_ends_a_pending_sign_in(author, sign_in, browser):
    sign_in(browser)
    assert browser.post(reverse("admin:logout")).status_code == 200
    response = browser.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_pending_sign_in_is_signed_out_on_the_public_site(author, sign_in, browser):
    sign_in(browser)
    response = browser.get("/")
    assert response.wsgi_request.user.is_anonymous


def test_revoking_a_trusted_browser_signs_it_out(author, sign_in, browser):
    sign_in(browser)
    enter(browser, code_from(mail.outbox[0]))
    TrustedDevice.objects.filter(user=author).delete()
    response = browser.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))


def test_force_login_sessions_are_not_held(author, client):
    """Tests elsewhere sign staff in with force_login(); no view ran, so nothing is held."""
    client.force_login(author)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_setting_turns_verification_off(author, sign_in, browser, settings):
    settings.STAFF_DEVICE_VERIFICATION = False
    sign_in(browser)
    assert browser.get(reverse("admin:index")).status_code == 200
    assert mail.outbox == []
