from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core import staff
from core.models import TrustedDevice
from core.urls import VERIFICATION_URL_NAMES


class PermissionsPolicyMiddleware:
    """Add the Permissions-Policy header, which Django has no setting for.

    https://www.w3.org/TR/permissions-policy/ — the site needs no camera, microphone or
    location, so every page says so and embedded content cannot ask either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class StaffVerificationMiddleware:
    """Keep a staff sign-in from an unknown browser at the verification page (core.staff).

    A session is *pending* when `core.staff.on_user_logged_in` marked it: a staff member gave
    the right password to a login view from a browser without a current trusted-device cookie.
    While pending, every URL under the admin but the verification page and logout redirects to
    the verification page (with `next`), and everywhere else the session counts as signed out,
    so no staff-only page outside the admin is reachable either. Logging out flushes the mark.

    Sessions are never blocked for lacking a mark, only for having one: logins that no view
    performed (the test client's `force_login()`, the shell) are not held, so tests that sign
    staff in that way need no code, while every real sign-in goes through the login view.

    A verified session remembers its trusted device; once that device is revoked (admin, or
    `reset_staff_verification`), the session is signed out at its next admin request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie there is nothing to hold, and not touching the session keeps
        # anonymous pages free of "Vary: Cookie" (and so cacheable, core.pagecache).
        if settings.STAFF_DEVICE_VERIFICATION and settings.SESSION_COOKIE_NAME in request.COOKIES:
            response = self.hold(request)
            if response is not None:
                return response
        return self.get_response(request)

    def hold(self, request):
        in_admin = request.path.startswith(reverse("admin:index"))
        if staff.PENDING_SESSION_KEY in request.session:
            if not request.user.is_authenticated:
                return None
            if not in_admin:
                request.user = AnonymousUser()
                return None
            allowed = {reverse(f"staff:{name}") for name in VERIFICATION_URL_NAMES}
            if request.path in allowed | {reverse("admin:logout")}:
                return None
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('staff:verify')}?{query}")
        device_pk = request.session.get(staff.DEVICE_SESSION_KEY)
        if in_admin and device_pk is not None and request.user.is_authenticated:
            still_trusted = (
                TrustedDevice.objects.current(now=timezone.now())
                .filter(pk=device_pk, user_id=request.user.pk)
                .exists()
            )
            if not still_trusted:
                logout(request)
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return None
