"""The pages of staff sign-in security: the code page for a new browser, and the
authenticator-app page. One view per POST action; GET only shows a page, so a prefetch or a
reload never sends mail, uses up a try or changes a device.
"""

import base64
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import staff
from core.forms import AuthenticatorConfirmForm, RecoveryCodeForm, VerificationCodeForm

CODE_REFUSED = {
    staff.Outcome.WRONG: "That code is not right.",
    staff.Outcome.EXPIRED: (
        "That code has expired: codes work for {minutes} minutes. Ask for a new one below."
    ),
    staff.Outcome.LOCKED: (
        "Too many wrong tries: that code no longer works. Ask for a new one below."
    ),
}
WRONG_FIRST_CODE = (
    "That code is not right. Check the app shows this site’s entry and that your phone’s "
    "clock is right, then try the newest code."
)


def _next_url(request) -> str:
    """Where to go once verified: a path on this site, never another host (no open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _verify_page(request, *, code_form=None, recovery_form=None, status=200):
    user = request.user
    code = staff.active_code(user, now=timezone.now())
    context = {
        **admin.site.each_context(request),
        "title": "Confirm it’s you",
        "next": _next_url(request),
        "code_form": code_form or VerificationCodeForm(),
        "recovery_form": recovery_form or RecoveryCodeForm(),
        "has_email": bool(user.email),
        "masked_email": staff.mask_email(user.email) if user.email else "",
        "code_sent": code is not None,
        "code_minutes": settings.STAFF_CODE_VALID_MINUTES,
        "has_authenticator": staff.has_authenticator(user),
        "has_recovery_codes": staff.recovery_codes_left(user) > 0,
        "username": user.get_username(),
    }
    return TemplateResponse(request, "admin/staff/verify.html", context, status=status)


def _browser_verified(request, *, check, now):
    token = staff.complete_verification(request, check=check, now=now)
    response = HttpResponseRedirect(_next_url(request))
    staff.set_device_cookie(request, response, token)
    days = settings.STAFF_DEVICE_TRUST_DAYS
    messages.success(request, f"This browser is now trusted for {days} days.")
    if check.outcome is staff.Outcome.RECOVERY:
        left = staff.recovery_codes_left(request.user)
        messages.warning(
            request,
            f"You used a recovery code; {left} left. Make new ones from “Authenticator app”.",
        )
    return response


def _not_pending(request):
    """A browser already verified (or never held) has nothing to do on these pages."""
    if staff.is_pending(request):
        return None
    return HttpResponseRedirect(_next_url(request))


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    """The code page for a sign-in held by StaffVerificationMiddleware; POST checks a code
    (emailed, or from the authenticator app)."""
    if (done := _not_pending(request)) is not None:
        return done
    if request.method != "POST":
        return _verify_page(request)
    form = VerificationCodeForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, code_form=form)
    now = timezone.now()
    check = staff.check_code(user=request.user, code=form.cleaned_data["code"], now=now)
    if check.accepted:
        return _browser_verified(request, check=check, now=now)
    error = CODE_REFUSED[check.outcome].format(minutes=settings.STAFF_CODE_VALID_MINUTES)
    if check.outcome is staff.Outcome.WRONG and check.tries_left:
        plural = "s" if check.tries_left > 1 else ""
        error += f" You can try {check.tries_left} more time{plural}."
    form.add_error("code", error)
    return _verify_page(request, code_form=form)


@require_POST
def send_code(request):
    """Email a new code (the sign-in sends the first one), within STAFF_CODES_PER_HOUR."""
    if (done := _not_pending(request)) is not None:
        return done
    user = request.user
    if not user.email:
        messages.error(request, "Your account has no email address to send a code to.")
    elif staff.may_send_code(user):
        staff.send_code(
            user=user, user_agent=request.headers.get("User-Agent", ""), now=timezone.now()
        )
        messages.success(request, f"We sent a new code to {staff.mask_email(user.email)}.")
    else:
        messages.error(
            request,
            "Too many codes were sent to you in the last hour. Wait a while, then ask again, "
            "or use your authenticator app or a recovery code.",
        )
    query = urlencode({"next": _next_url(request)})
    return HttpResponseRedirect(f"{reverse('staff:verify')}?{query}")


@require_POST
def use_recovery_code(request):
    """One of the single-use recovery codes shown when the authenticator was set up."""
    if (done := _not_pending(request)) is not None:
        return done
    form = RecoveryCodeForm(request.POST)
    if form.is_valid():
        check = staff.check_recovery_code(
            user=request.user, code=form.cleaned_data["recovery_code"]
        )
        if check.accepted:
            return _browser_verified(request, check=check, now=timezone.now())
        form.add_error("recovery_code", "That recovery code is not right, or was used before.")
    return _verify_page(request, recovery_form=form)


# Authenticator app -------------------------------------------------------------------------


def _authenticator_page(request, *, form=None, recovery_codes=None):
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    context = {
        **admin.site.each_context(request),
        "title": "Authenticator app",
        "form": form or AuthenticatorConfirmForm(),
        "confirmed": confirmed,
        "unconfirmed": unconfirmed,
        "secret": _grouped_base32(unconfirmed.bin_key) if unconfirmed else "",
        "qr_code": _qr_code_svg(unconfirmed.config_url) if unconfirmed else "",
        "recovery_codes": recovery_codes,
        "recovery_codes_left": staff.recovery_codes_left(user),
    }
    return TemplateResponse(request, "admin/staff/authenticator.html", context)


@require_GET
def authenticator(request):
    """Set up, confirm or remove an authenticator app, and make new recovery codes.

    The secret is shown as a QR code (inline SVG made here), as text to type, and as an
    otpauth:// link: nothing is fetched from elsewhere and no JavaScript is needed.
    """
    return _authenticator_page(request)


@require_POST
def authenticator_start(request):
    staff.start_authenticator(user=request.user)
    return HttpResponseRedirect(reverse("staff:authenticator"))


@require_POST
def authenticator_confirm(request):
    """The first code from the app proves it is set up; the recovery codes are shown once."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        return HttpResponseRedirect(reverse("staff:authenticator"))
    form = AuthenticatorConfirmForm(request.POST)
    recovery_codes = None
    if form.is_valid():
        recovery_codes = staff.confirm_authenticator(device=device, code=form.cleaned_data["code"])
        if recovery_codes is None:
            form.add_error("code", WRONG_FIRST_CODE)
    return _authenticator_page(request, form=form, recovery_codes=recovery_codes)


@require_POST
def authenticator_recovery_codes(request):
    if not staff.has_authenticator(request.user):
        return HttpResponseRedirect(reverse("staff:authenticator"))
    recovery_codes = staff.new_recovery_codes(user=request.user)
    return _authenticator_page(request, recovery_codes=recovery_codes)


@require_POST
def authenticator_remove(request):
    staff.remove_authenticator(user=request.user)
    messages.success(request, "The authenticator app and recovery codes were removed.")
    return HttpResponseRedirect(reverse("staff:authenticator"))


def _qr_code_svg(url: str) -> str:
    """The otpauth:// link as an inline SVG QR code, drawn here by segno: nothing is fetched."""
    import segno  # only this staff page draws one: kept out of every web worker (issue 12)

    label = "QR code of the setup key"
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="staff-authenticator__qr"
    )
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _grouped_base32(key: bytes) -> str:
    secret = base64.b32encode(key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
