import base64
import datetime
import sys
from urllib.parse import urlencode

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin, messages
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.static import serve as static_serve
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import staff
from core.forms import AuthenticatorConfirmForm, RecoveryCodeForm, VerificationCodeForm


def csrf_failure(request, reason=""):
    """A refused form gets the site's own page and a way back, not Django's bare 403."""
    response = TemplateResponse(
        request, "403_csrf.html", {"reason": "The form's security check failed."}, status=403
    )
    return response.render()


def server_error(request):
    """500 page, or a 503 with Retry-After when the database is unreachable.

    Django hands any uncaught exception to this view, including ones raised in middleware
    before a view runs. An outage of the database is temporary: say so, tell clients and proxies
    when to come back (a reverse proxy may then serve its stale copy), and touch nothing that
    needs the database. The templates are rendered without context processors.
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response.headers["Retry-After"] = "120"
    else:
        response = HttpResponse(render_to_string("500.html"), status=500)
    add_never_cache_headers(response)
    return response


def serve_media(request, path):
    """Uploaded images, when no web server in front serves MEDIA_ROOT itself (SERVE_MEDIA).

    Every file there was decoded and re-encoded by Pillow under a server-chosen name, and is
    sent with headers that stop a browser from ever running it as a page (ASVS 5.3.1, 3.2.1):
    no content sniffing, and a sandboxing CSP that allows nothing.
    """
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the 429 page, with Retry-After.

    Retry-After tells scripts and browsers when the cool-off ends (RFC 9110 §10.2.3).
    """
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    seconds = max(1, int(cool_off.total_seconds()))
    response = TemplateResponse(
        request,
        "locked_out.html",
        {"cooloff_minutes": max(1, round(seconds / 60))},
        status=429,
    )
    response.headers["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response.render()


# Staff sign-in security (core.staff) -------------------------------------------------------

CODE_REFUSED = {
    staff.Outcome.WRONG: "That code is not right.",
    staff.Outcome.EXPIRED: (
        "That code has expired: codes work for {minutes} minutes. Ask for a new one below."
    ),
    staff.Outcome.LOCKED: (
        "Too many wrong tries: that code no longer works. Ask for a new one below."
    ),
}


def _next_url(request) -> str:
    """Where to go once verified: a path on this site, never another host (no open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def staff_verify(request):
    """The code page for a staff sign-in held by StaffVerificationMiddleware.

    GET only shows the page; codes are sent and checked on POST, so a prefetch or a reload
    never sends mail nor uses up a try.
    """
    next_url = _next_url(request)
    if not staff.is_pending(request):
        return HttpResponseRedirect(next_url)
    user = request.user
    now = timezone.now()
    code_form, recovery_form = VerificationCodeForm(), RecoveryCodeForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "verify")
        if action == "send":
            if not user.email:
                messages.error(request, "Your account has no email address to send a code to.")
            elif staff.may_send_code(user):
                staff.send_code(
                    user=user, user_agent=request.headers.get("User-Agent", ""), now=now
                )
                messages.success(request, f"We sent a new code to {staff.mask_email(user.email)}.")
            else:
                messages.error(
                    request,
                    "Too many codes were sent to you in the last hour. Wait a while, then ask "
                    "again, or use your authenticator app or a recovery code.",
                )
            return HttpResponseRedirect(f"{request.path}?{urlencode({'next': next_url})}")
        if action == "recovery":
            recovery_form = RecoveryCodeForm(request.POST)
            check = None
            if recovery_form.is_valid():
                check = staff.check_recovery_code(
                    user=user, code=recovery_form.cleaned_data["recovery_code"]
                )
                if check.accepted:
                    return _browser_verified(request, check=check, now=now, next_url=next_url)
                recovery_form.add_error(
                    "recovery_code", "That recovery code is not right, or was used before."
                )
        else:
            code_form = VerificationCodeForm(request.POST)
            if code_form.is_valid():
                check = staff.check_code(user=user, code=code_form.cleaned_data["code"], now=now)
                if check.accepted:
                    return _browser_verified(request, check=check, now=now, next_url=next_url)
                error = CODE_REFUSED[check.outcome].format(
                    minutes=settings.STAFF_CODE_VALID_MINUTES
                )
                if check.outcome is staff.Outcome.WRONG and check.tries_left:
                    error += f" You can try {check.tries_left} more time" + (
                        "s." if check.tries_left > 1 else "."
                    )
                code_form.add_error("code", error)
    code = staff.active_code(user, now=now)
    context = {
        **admin.site.each_context(request),
        "title": "Confirm it’s you",
        "next": next_url,
        "code_form": code_form,
        "recovery_form": recovery_form,
        "has_email": bool(user.email),
        "masked_email": staff.mask_email(user.email) if user.email else "",
        "code_sent": code is not None,
        "code_minutes": settings.STAFF_CODE_VALID_MINUTES,
        "has_authenticator": staff.has_authenticator(user),
        "has_recovery_codes": staff.recovery_codes_left(user) > 0,
        "username": user.get_username(),
    }
    return TemplateResponse(request, "admin/staff/verify.html", context, status=status)


def _browser_verified(request, *, check, now, next_url):
    token = staff.complete_verification(request, check=check, now=now)
    response = HttpResponseRedirect(next_url)
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


def staff_authenticator(request):
    """Set up, confirm or remove an authenticator app, and make new recovery codes.

    The secret is shown as a QR code (inline SVG made here), as text to type, and as an
    otpauth:// link: nothing is fetched from elsewhere and no JavaScript is needed.
    """
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    form = AuthenticatorConfirmForm()
    recovery_codes = None
    here = reverse("staff:authenticator")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            staff.start_authenticator(user=user)
            return HttpResponseRedirect(here)
        if action == "confirm" and unconfirmed is not None:
            form = AuthenticatorConfirmForm(request.POST)
            if form.is_valid():
                recovery_codes = staff.confirm_authenticator(
                    device=unconfirmed, code=form.cleaned_data["code"]
                )
                if recovery_codes is None:
                    form.add_error(
                        "code",
                        "That code is not right. Check the app shows this site’s entry and "
                        "that your phone’s clock is right, then try the newest code.",
                    )
                else:
                    confirmed, unconfirmed = unconfirmed, None
        elif action == "recovery-codes" and confirmed is not None:
            recovery_codes = staff.new_recovery_codes(user=user)
        elif action == "remove":
            staff.remove_authenticator(user=user)
            messages.success(request, "The authenticator app and recovery codes were removed.")
            return HttpResponseRedirect(here)
        else:
            return HttpResponseRedirect(here)
    context = {
        **admin.site.each_context(request),
        "title": "Authenticator app",
        "form": form,
        "confirmed": confirmed,
        "unconfirmed": unconfirmed,
        "secret": _grouped_base32(unconfirmed.bin_key) if unconfirmed else "",
        "qr_code": _qr_code_svg(unconfirmed.config_url) if unconfirmed else "",
        "recovery_codes": recovery_codes,
        "recovery_codes_left": staff.recovery_codes_left(user),
    }
    return TemplateResponse(request, "admin/staff/authenticator.html", context)


def _qr_code_svg(url: str) -> str:
    """The otpauth:// link as an inline SVG QR code, drawn here by segno: nothing is fetched."""
    label = "QR code of the setup key"
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="staff-authenticator__qr"
    )
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _grouped_base32(key: bytes) -> str:
    secret = base64.b32encode(key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
