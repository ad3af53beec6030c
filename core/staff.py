"""New-device verification for staff sign-in: the password alone is not the keys.

How it fits together:

- A staff member signs in through the admin's login view as usual; Django's `login()` runs and
  sends `user_logged_in`. `on_user_logged_in` then looks for a trusted-browser cookie. With a
  current one the browser is in; without, the session is marked *pending* and (unless the
  person has an authenticator app) a 6-digit code is emailed.
- `core.middleware.StaffVerificationMiddleware` keeps a pending session at the verification
  page (`staff:verify`): every other admin URL redirects there, and elsewhere the session
  counts as signed out.
- The right code (emailed, authenticator, or a recovery code) makes the browser trusted: it
  gets a random token in a long-lived cookie, and a `TrustedDevice` row holds its hash.

Authenticator (TOTP) and recovery codes are django-otp's `TOTPDevice` and `StaticDevice`.
"""

import dataclasses
import datetime
import enum
import hashlib
import logging
import re
import secrets
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import identity, ratelimit
from core.mail import templated_message
from core.models import StaffSignInCode, TrustedDevice

logger = logging.getLogger(__name__)

PENDING_SESSION_KEY = "_staff_verification_pending"
DEVICE_SESSION_KEY = "_staff_trusted_device"
RECOVERY_CODE_COUNT = 10
CODE_SALT = "core.staff.sign-in-code"


class Outcome(enum.Enum):
    EMAIL = "email"
    AUTHENTICATOR = "authenticator"
    RECOVERY = "recovery"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


@dataclasses.dataclass(frozen=True)
class Check:
    outcome: Outcome
    tries_left: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome in {Outcome.EMAIL, Outcome.AUTHENTICATOR, Outcome.RECOVERY}


# Reading the state --------------------------------------------------------------------------


def is_pending(request) -> bool:
    return settings.STAFF_DEVICE_VERIFICATION and PENDING_SESSION_KEY in request.session


def mask_email(address: str) -> str:
    """`maren@example.org` → `m••••@example.org`: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    if not domain:
        return "•" * len(address)
    return f"{local[:1]}{'•' * max(3, len(local) - 1)}@{domain}"


def has_authenticator(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def active_code(user: AbstractBaseUser, *, now: datetime.datetime) -> StaffSignInCode | None:
    """The emailed code that can still be entered: not expired, not locked by wrong tries."""
    return StaffSignInCode.objects.filter(
        user=user, expires_at__gt=now, failed_attempts__lt=settings.STAFF_CODE_MAX_ATTEMPTS
    ).first()


def device_label(user_agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent header, for the list of trusted browsers."""
    browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for marker, name in browsers if marker in user_agent), "")
    system = next((name for marker, name in systems if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return (browser or system or user_agent)[:200]


# Trusted browsers ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash cannot be reversed by guessing.
    return hashlib.sha256(token.encode()).hexdigest()


def trusted_device_for(request, user, *, now: datetime.datetime) -> TrustedDevice | None:
    """The user's current trusted device whose token this browser's cookie carries."""
    token = request.COOKIES.get(settings.STAFF_DEVICE_COOKIE_NAME)
    if not token or len(token) > 100:
        return None
    return (
        TrustedDevice.objects.current(now=now)
        .filter(user=user, token_hash=_token_hash(token))
        .first()
    )


def trust_device(*, user, user_agent: str, now: datetime.datetime) -> tuple[TrustedDevice, str]:
    """A new trusted device for `user`; returns it and the token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    device = TrustedDevice.objects.create(
        user=user,
        token_hash=_token_hash(token),
        label=device_label(user_agent),
        last_used_at=now,
        expires_at=now + datetime.timedelta(days=settings.STAFF_DEVICE_TRUST_DAYS),
    )
    TrustedDevice.objects.filter(user=user, expires_at__lte=now).delete()
    return device, token


def set_device_cookie(request, response, token: str) -> None:
    """HttpOnly, SameSite=Lax, Secure over https, for as long as the trust lasts."""
    response.set_cookie(
        settings.STAFF_DEVICE_COOKIE_NAME,
        token,
        max_age=settings.STAFF_DEVICE_TRUST_DAYS * 24 * 3600,
        path="/",
        secure=settings.HTTPS or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


# Emailed codes ------------------------------------------------------------------------------


def _code_hash(user, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{user.pk}:{code}", algorithm="sha256").hexdigest()


def may_send_code(user) -> bool:
    """Count one code for `user`; False once STAFF_CODES_PER_HOUR have gone out this hour."""
    return ratelimit.allow(
        "staff-sign-in-code", str(user.pk), limit=settings.STAFF_CODES_PER_HOUR, period=3600
    )


def send_code(*, user, user_agent: str, now: datetime.datetime) -> None:
    """Replace the user's sign-in code with a new one and email it once the request commits."""
    code = f"{secrets.randbelow(10**6):06d}"
    StaffSignInCode.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _code_hash(user, code),
            "created_at": now,
            "expires_at": now + datetime.timedelta(minutes=settings.STAFF_CODE_VALID_MINUTES),
            "failed_attempts": 0,
        },
    )
    message = templated_message(
        template="emails/staff/verification_code",
        subject=f"Your sign-in code for {identity.current().site_name}",
        to=[user.email],
        context={
            "code": code,
            "minutes": settings.STAFF_CODE_VALID_MINUTES,
            "browser": device_label(user_agent) or "an unknown browser",
            "username": user.get_username(),
        },
    )
    transaction.on_commit(partial(message.send), robust=True)


def check_code(*, user, code: str, now: datetime.datetime) -> Check:
    """Try a 6-digit code against the emailed code, then the authenticator app.

    A wrong try counts against the emailed code only (the authenticator throttles itself).
    """
    limit = settings.STAFF_CODE_MAX_ATTEMPTS
    with transaction.atomic():
        row = StaffSignInCode.objects.select_for_update().filter(user=user).first()
        if row and row.failed_attempts < limit and row.expires_at > now:
            if constant_time_compare(_code_hash(user, code), row.code_hash):
                row.delete()
                return Check(Outcome.EMAIL)
        authenticators = TOTPDevice.objects.devices_for_user(user, confirmed=True)
        for device in authenticators.select_for_update():
            if device.verify_token(code):
                return Check(Outcome.AUTHENTICATOR)
        if row is None:
            return Check(Outcome.WRONG)
        if row.failed_attempts >= limit:
            return Check(Outcome.LOCKED)
        if row.expires_at <= now:
            return Check(Outcome.EXPIRED)
        StaffSignInCode.objects.filter(pk=row.pk, failed_attempts__lt=limit).update(
            failed_attempts=F("failed_attempts") + 1
        )
        tries_left = limit - row.failed_attempts - 1
        return Check(Outcome.WRONG if tries_left > 0 else Outcome.LOCKED, tries_left=tries_left)


def check_recovery_code(*, user, code: str) -> Check:
    """A recovery code works once: django-otp deletes it when it matches."""
    code = re.sub(r"[\s-]", "", code).lower()
    devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    with transaction.atomic():
        for device in devices.select_for_update():
            if device.verify_token(code):
                return Check(Outcome.RECOVERY)
    return Check(Outcome.WRONG)


# Signing in ---------------------------------------------------------------------------------


def on_user_logged_in(sender, request, user, **kwargs):
    """Hold a staff sign-in from an unknown browser until a code proves it is theirs.

    Only logins made by a view are held (`request.resolver_match` is set): the test client's
    `force_login()`/`login()` and the shell log in without a request to a view, exactly like
    a session that has already been verified.
    """
    if not (settings.STAFF_DEVICE_VERIFICATION and user.is_staff):
        return
    if request is None or getattr(request, "resolver_match", None) is None:
        return
    now = timezone.now()
    device = trusted_device_for(request, user, now=now)
    if device is not None:
        TrustedDevice.objects.filter(pk=device.pk).update(last_used_at=now)
        request.session[DEVICE_SESSION_KEY] = device.pk
        return
    request.session[PENDING_SESSION_KEY] = user.pk
    if user.email and not has_authenticator(user) and may_send_code(user):
        send_code(user=user, user_agent=request.headers.get("User-Agent", ""), now=now)


def complete_verification(request, *, check: Check, now: datetime.datetime) -> str:
    """Mark the session verified and the browser trusted; returns the token for the cookie."""
    user = request.user
    device, token = trust_device(
        user=user, user_agent=request.headers.get("User-Agent", ""), now=now
    )
    if check.outcome is not Outcome.EMAIL:
        otp_device = (
            (TOTPDevice if check.outcome is Outcome.AUTHENTICATOR else StaticDevice)
            .objects.filter(user=user, confirmed=True)
            .first()
        )
        otp_login(request, otp_device)
    # A new session key for the new privilege, like Django's own login() does.
    request.session.cycle_key()
    request.session.pop(PENDING_SESSION_KEY, None)
    request.session[DEVICE_SESSION_KEY] = device.pk
    logger.info("Staff user %s verified a new browser (%s).", user.pk, check.outcome.value)
    return token


# Authenticator app and recovery codes -------------------------------------------------------


def start_authenticator(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def confirm_authenticator(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm with a first code; returns the new recovery codes, None for a wrong code."""
    with transaction.atomic():
        if not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_recovery_codes(user=device.user)


def new_recovery_codes(*, user) -> list[str]:
    """RECOVERY_CODE_COUNT fresh single-use codes; any earlier ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remove_authenticator(*, user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


@dataclasses.dataclass(frozen=True)
class Reset:
    trusted_devices: int
    authenticators: int
    recovery_code_sets: int


def reset_verification(*, user) -> Reset:
    """Forget every trusted browser and OTP device of `user` (a lost phone or laptop)."""
    devices = {
        "trusted": TrustedDevice.objects.filter(user=user),
        "authenticators": TOTPDevice.objects.filter(user=user),
        "recovery": StaticDevice.objects.filter(user=user),
    }
    with transaction.atomic():
        counts = {name: queryset.count() for name, queryset in devices.items()}
        for queryset in devices.values():
            queryset.delete()
        StaffSignInCode.objects.filter(user=user).delete()
    return Reset(
        trusted_devices=counts["trusted"],
        authenticators=counts["authenticators"],
        recovery_code_sets=counts["recovery"],
    )
