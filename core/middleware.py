import gzip
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.middleware import gzip as django_gzip
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from core import pagecache, staff
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


class GZipMiddleware(django_gzip.GZipMiddleware):
    """Django's GZipMiddleware, with pages compressed at level 3 rather than 6.

    What it compresses was rendered for one request (signed-in readers, errors, the render
    the page cache then keeps), on that request's time: under load, level 6 was an eighth of
    a worker's time on the post page. Level 3 takes 40 % of that CPU for 12 % more bytes
    (the 100-comment post: 0.15 ms and 6.8 KB against 0.38 ms and 6.1 KB); nginx compresses
    at level 1 by default. A page the cache is about to store is left to it: it keeps a copy
    at level 9 and answers this request from it too (core.pagecache).
    As in Django, short or already encoded bodies are left alone, a compressed body must be
    shorter, a strong ETag turns weak, and a random-length file name in the gzip header
    varies the size against BREACH. Streams are Django's own.
    """

    level = 3

    def process_response(self, request, response):
        if getattr(request, "page_cache_stores", False) and pagecache.storable(response):
            return response  # the cache compresses its copy (and says Vary), then answers
        if (
            response.streaming
            or len(response.content) < 200
            or response.has_header("Content-Encoding")
        ):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Encoding",))
        if not django_gzip.re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = gzip.compress(response.content, compresslevel=self.level, mtime=0)
        header = bytearray(compressed[:10])
        header[3] = gzip.FNAME
        name = b"a" * secrets.randbelow(self.max_random_bytes) + b"\x00"
        compressed = bytes(header) + name + compressed[10:]
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
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
