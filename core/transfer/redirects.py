"""Old addresses of imported posts answering 301 to their new ones.

Looked up only where an old address can land: a request that would otherwise be a 404, and
WordPress's query-string addresses on the home page ("/?p=123", "/?page_id=7"), which the
home page would otherwise answer itself. The target's own `is_published` (when it has one)
decides: a post back in draft has no public address to send anyone to.
"""

from django.http import HttpResponsePermanentRedirect

from core.models import ImportedRedirect

HOME_QUERY_KEYS = {"p", "page_id"}


def target_url(old_path: str) -> str | None:
    if "\x00" in old_path:
        return None  # no stored address holds a NUL (PostgreSQL refuses one even in a lookup)
    redirect = (
        ImportedRedirect.objects.select_related("record__content_type")
        .filter(old_path=old_path)
        .first()
    )
    if redirect is None:
        return None
    target = redirect.record.target
    if target is None or not getattr(target, "is_published", True):
        return None
    return target.get_absolute_url()


def _candidates(request) -> list[str]:
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    found = [f"{path}?{query}"] if query else []
    found.append(path)
    if path.endswith("/") and len(path) > 1:
        found.append(path.rstrip("/"))
    elif not path.endswith("/"):
        found.append(path + "/")
    return found


class ImportedRedirectMiddleware:
    """301 from an address the site had on its old platform (`ImportedRedirect`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path == "/":
            keys = set(request.GET)
            if keys & HOME_QUERY_KEYS:
                for key in sorted(keys & HOME_QUERY_KEYS):
                    url = target_url(f"/?{key}={request.GET[key]}")
                    if url:
                        return HttpResponsePermanentRedirect(url)
        response = self.get_response(request)
        if response.status_code == 404 and request.method in ("GET", "HEAD"):
            for candidate in _candidates(request):
                url = target_url(candidate)
                if url:
                    return HttpResponsePermanentRedirect(url)
        return response
