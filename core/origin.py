"""The same-origin check: cross-site request protection for forms that live on cached pages.

Public pages are cached whole and shared between visitors, so their forms cannot carry a
per-visitor CSRF token or cookie. Their POST endpoints instead accept a request only when the
browser says it comes from this site (the Origin header, or Referer where Origin is absent),
the approach the OWASP CSRF cheat sheet calls "verifying origin with standard headers".
Each form adds its own signed timestamp on top, so a form cannot be replayed forever.
"""

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def trusted_origins(request) -> set[str]:
    origins = {_origin_of(settings.SITE_URL), f"{request.scheme}://{request.get_host()}".lower()}
    return origins | {origin.lower() for origin in settings.CSRF_TRUSTED_ORIGINS}


def is_same_origin(request) -> bool:
    """True when the browser says the form was submitted from one of our own pages."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin.lower() in trusted_origins(request)
    referer = request.headers.get("Referer")
    return bool(referer) and _origin_of(referer) in trusted_origins(request)


def wants_json(request) -> bool:
    """The page's enhancing script asked for an answer to show in place, not a new page."""
    return "application/json" in request.headers.get("Accept", "")


def cross_site_refusal(request) -> TemplateResponse:
    """The 403 page for a POST that did not come from one of our pages."""
    return TemplateResponse(
        request, "403_csrf.html", {"reason": "The form was not sent from this site."}, status=403
    )


def same_origin_post(view):
    """Exempt a view from the CSRF cookie check, and require a same-origin POST instead."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            if not is_same_origin(request):
                return cross_site_refusal(request)
            # Views wrapped further in (django-comments' csrf_protect) must not re-check.
            request._dont_enforce_csrf_checks = True
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
