import datetime
import functools
import sys

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve


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


FAVICON_MAX_AGE = 7 * 24 * 3600


@functools.cache
def _favicon() -> bytes:
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request):
    """/favicon.ico, which browsers and feed readers ask for whatever a page links to.

    The shipped icon (static/img/, drawn by `make fonts`), cached for a week, so the address
    never answers 404 and never fills the log.
    """
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
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
