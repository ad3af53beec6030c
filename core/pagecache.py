"""A shared cache for anonymous page views, invalidated by publishing.

Anonymous GETs of public pages are stored whole in the default cache (Redis, or the database
cache, so every gunicorn worker and web node sees the same copy) and marked
`Cache-Control: public` so a reverse proxy or CDN may keep them too. Anything personal bypasses
it: a request carrying a session or messages cookie, a response that sets a cookie or varies on
one, or any status but 200.

Invalidation is by generation: every stored page is keyed under the current generation, and a
change to public content starts a new one. `refresh_public_pages()` is the only way to start
one, and it does so after the transaction commits: cleared any earlier, a visitor arriving
during the save would store the old page under the new generation.

A page is stored once as it will be served: its body, the same body gzipped (level 9, done
once, never per request), and a weak ETag of the body. A hit answers `If-None-Match` with a
304 and otherwise sends the gzipped bytes to any client that accepts them, with
`Vary: Accept-Encoding`; nothing is rendered, pickled as a response or compressed again.
With PAGE_CACHE_SECONDS=0 the cache is not consulted or written at all.

The generation also remembers the next scheduled change (a post's `publish_at`), so a scheduled
post appears on time without any job running. Apps that schedule public changes tell the cache
how to find the next one with `register_scheduled_change()`; this module knows no app.
"""

import datetime
import gzip
import hashlib
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

STATE_KEY = "pagecache:state"
# Browsers revalidate every time (a 304 from the cache costs next to nothing), so a reader who
# has just signed in, commented or subscribed never sees their own stale anonymous copy;
# shared caches (ours, a proxy's, a CDN's) keep the page for s-maxage.
BROWSER_MAX_AGE = 0
PERSONAL_COOKIES = ("sessionid", "csrftoken", "messages")
# Below this, gzip's own header and trailer outweigh what it saves.
MIN_COMPRESSIBLE_BYTES = 200
COMPRESSIBLE_TYPES = (
    "text/",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/json",
    "application/feed+json",
    "image/svg+xml",
)
# Headers that describe the stored bytes: set again from the entry, never copied.
_ENTITY_HEADERS = {"content-length", "content-encoding", "etag", "vary"}
# The test Django's GZipMiddleware uses, so both layers agree on who gets gzip.
_accepts_gzip = re.compile(r"\bgzip\b")

NextChange = Callable[[datetime.datetime], datetime.datetime | None]
_scheduled_changes: list[NextChange] = []


def register_scheduled_change(next_change: NextChange) -> None:
    """Tell the cache how to find the next moment an app's public content changes by itself.

    `next_change(now)` returns that moment (say, the next scheduled post's publish_at) or None.
    Called from an AppConfig.ready(); registering the same function twice has no effect.
    """
    if next_change not in _scheduled_changes:
        _scheduled_changes.append(next_change)


def refresh_public_pages() -> None:
    """Forget every cached public page once the current transaction commits (at once outside one).

    Call it whenever anything a public page shows has changed: posts, comments, editions.
    """
    transaction.on_commit(_start_new_generation, robust=True)


def _start_new_generation() -> None:
    cache.delete(STATE_KEY)


def _next_scheduled_change(now: datetime.datetime) -> datetime.datetime | None:
    moments = [moment for find in _scheduled_changes if (moment := find(now)) is not None]
    return min(moments, default=None)


def _current_state(now):
    state = cache.get(STATE_KEY)
    if state is None or (state["next_publish"] and state["next_publish"] <= now):
        state = {"generation": uuid.uuid4().hex, "next_publish": _next_scheduled_change(now)}
        cache.set(STATE_KEY, state, None)
    return state


def _has_personal_cookie(request) -> bool:
    names = {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, *PERSONAL_COOKIES}
    return any(name in request.COOKIES for name in names)


def _storable(response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    vary = response.headers.get("Vary", "").lower()
    cache_control = response.headers.get("Cache-Control", "").lower()
    return "cookie" not in vary and not any(
        word in cache_control for word in ("private", "no-store", "no-cache")
    )


def _entry(response) -> dict:
    """What the cache keeps of a response: its headers, body, gzipped body and ETag."""
    body = response.content
    content_type = response.headers.get("Content-Type", "")
    compressible = len(body) >= MIN_COMPRESSIBLE_BYTES and content_type.startswith(
        COMPRESSIBLE_TYPES
    )
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if compressible else None
    return {
        "headers": [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _ENTITY_HEADERS
        ],
        "body": body,
        "gzip": gzipped if gzipped is not None and len(gzipped) < len(body) else None,
        "etag": f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
        "vary": response.headers.get("Vary", ""),
    }


def _etag_matches(request, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match")
    if not wanted:
        return False
    opaque = etag.removeprefix("W/")
    return wanted.strip() == "*" or any(
        candidate.strip().removeprefix("W/") == opaque for candidate in wanted.split(",")
    )


def _serve(request, entry: dict) -> HttpResponse:
    """Answer from a stored entry: a 304, the gzipped bytes, or the plain ones."""
    if _etag_matches(request, entry["etag"]):
        response = HttpResponseNotModified()
    elif entry["gzip"] is not None and _accepts_gzip.search(
        request.headers.get("Accept-Encoding", "")
    ):
        response = HttpResponse(entry["gzip"])
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(entry["body"])
    for name, value in entry["headers"]:
        if not (response.status_code == 304 and name.lower() == "content-type"):
            response.headers[name] = value
    response.headers["ETag"] = entry["etag"]
    if entry["vary"]:
        response.headers["Vary"] = entry["vary"]
    if entry["gzip"] is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    if response.status_code == 200:
        response.headers["Content-Length"] = str(len(response.content))
    return response


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or _has_personal_cookie(request)
            or settings.PAGE_CACHE_SECONDS == 0
        ):
            return self.get_response(request)

        now = timezone.now()
        state = _current_state(now)
        url_digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"pagecache:{state['generation']}:{url_digest}"
        entry = cache.get(key)
        if entry is not None:
            return _serve(request, entry)

        response = self.get_response(request)
        if not _storable(response):
            return response
        timeout = settings.PAGE_CACHE_SECONDS
        if state["next_publish"]:
            seconds_left = (state["next_publish"] - now).total_seconds()
            timeout = max(1, min(timeout, int(seconds_left) + 1))
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE, s_maxage=timeout)
        entry = _entry(response)
        cache.set(key, entry, timeout)
        return _serve(request, entry)
