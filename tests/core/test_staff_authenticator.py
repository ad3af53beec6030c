"""Authenticator apps, recovery codes, trusted browsers in the admin, and the reset command."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import staff
from core.models import TrustedDevice
from tests.core.staff_support import FIREFOX, code_from, enter, staff_secret
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_an_authenticator_is_set_up_with_a_first_code(author, client):
    client.force_login(author)
    assert (
        "Set up an authenticator app" in client.get(reverse("staff:authenticator")).content.decode()
    )
    client.post(reverse("staff:authenticator-start"))
    device = TOTPDevice.objects.get(user=author, confirmed=False)
    page = client.get(reverse("staff:authenticator")).content.decode()
    assert "otpauth://totp/The%20Dispatch%3Aauthor?secret=" in page
    assert staff_secret(device) in page.replace(" ", "")
    assert '<svg role="img" aria-label="QR code of the setup key"' in page
    code = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("staff:authenticator-confirm"), {"code": code})
    device.refresh_from_db()
    assert device.confirmed
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=author).values_list("token", flat=True)
    )


def test_a_wrong_first_code_does_not_confirm_the_authenticator(author, client):
    client.force_login(author)
    client.post(reverse("staff:authenticator-start"))
    device = TOTPDevice.objects.get(user=author)
    wrong = f"{(totp(device.bin_key) + 1) % 10**6:06d}"
    response = client.post(reverse("staff:authenticator-confirm"), {"code": wrong})
    assert "That code is not right." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_the_admin_never_shows_authenticator_secrets_or_recovery_codes(author, client):
    device = TOTPDevice.objects.create(user=author, name="Phone", confirmed=True)
    codes = staff.new_recovery_codes(user=author)
    client.force_login(author)
    totp_page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    static_page = client.get(
        reverse("admin:otp_static_staticdevice_change", args=[author.staticdevice_set.get().pk])
    )
    assert totp_page.status_code == static_page.status_code == 200
    assert device.key not in totp_page.content.decode()
    assert not any(code in static_page.content.decode() for code in codes)


def test_trusted_browsers_are_listed_in_the_admin(author, client):
    staff.trust_device(user=author, user_agent=FIREFOX, now=timezone.now())
    client.force_login(author)
    page = client.get(reverse("admin:core_trusteddevice_changelist")).content.decode()
    assert "Firefox on Linux" in page


def test_reset_command_forgets_browsers_and_authenticators(author, sign_in, browser):
    sign_in(browser)
    enter(browser, code_from(mail.outbox[0]))
    TOTPDevice.objects.create(user=author, name="Phone", confirmed=True)
    staff.new_recovery_codes(user=author)
    out = StringIO()
    call_command("reset_staff_verification", "author", stdout=out)
    assert out.getvalue().strip() == (
        "Removed for author: 1 trusted browser(s), 1 authenticator app(s), "
        "1 set(s) of recovery codes."
    )
    assert not TrustedDevice.objects.filter(user=author).exists()
    assert not TOTPDevice.objects.filter(user=author).exists()
    assert not StaticToken.objects.filter(device__user=author).exists()


def test_reset_command_can_set_the_address_codes_go_to(sign_in):
    user = StaffFactory(username="nomail", email="")
    out = StringIO()
    call_command("reset_staff_verification", "nomail", email="nomail@example.org", stdout=out)
    user.refresh_from_db()
    assert user.email == "nomail@example.org"
    assert "Sign-in codes for nomail now go to nomail@example.org." in out.getvalue()


def test_reset_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("reset_staff_verification", "nobody", stdout=StringIO())


@pytest.mark.parametrize(
    ("address", "masked"),
    [("maren@example.org", "m••••@example.org"), ("a@b.example", "a•••@b.example")],
)
def test_addresses_are_masked(address, masked):
    assert staff.mask_email(address) == masked


def test_every_authenticator_action_is_post_only(author, client):
    client.force_login(author)
    for name in ("start", "confirm", "recovery-codes", "remove"):
        url = reverse(f"staff:authenticator-{name}")
        assert client.get(url).status_code == 405
        assert client.head(url).status_code == 405
    assert not TOTPDevice.objects.filter(user=author).exists()
    assert client.post(reverse("staff:authenticator")).status_code == 405


def test_removing_the_authenticator_removes_its_recovery_codes(author, client):
    client.force_login(author)
    TOTPDevice.objects.create(user=author, name="Phone", confirmed=True)
    staff.new_recovery_codes(user=author)
    response = client.post(reverse("staff:authenticator-remove"), follow=True)
    assert "The authenticator app and recovery codes were removed." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=author).exists()
    assert staff.recovery_codes_left(author) == 0
