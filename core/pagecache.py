"""A shared cache for anonymous page views, invalidated by publishing.

Anonymous GETs of public pages are stored whole in the default cache (Redis, or the database
cache, so every gunicorn worker and web node sees the same copy) and marked
`Cache-Control: public` so a reverse proxy or CDN may keep them too. Anything personal bypasses
it: a request carrying a session or messages cookie, a response that sets a cookie or varies on
one, or any status but 200.

Invalidation is by generation: every stored page records the generation it was stored under
and counts only while that generation is current; a change to public content starts a new one.
A hit costs one cache round trip, which fetches the generation and the page together.
`refresh_public_pages()` is the only way to start one, and it does so after the transaction
commits: cleared any earlier, a visitor arriving during the save would store the old page
under the new generation.

A page is stored once as it will be served: gzipped (level 9, once, never per request) when
that pays, with a weak ETag of the plain body. A hit answers `If-None-Match` with a 304 and
otherwise sends the stored bytes as they are to any client that accepts gzip, with
`Vary: Accept-Encoding` (the rare client without gzip gets them decompressed); nothing is
rendered, pickled as a response or compressed again.
With PAGE_CACHE_SECONDS=0 the cache is not consulted or written at all.

A page a view marked with `core.pageviews.count_as()` keeps its key in the stored entry, so a
read is counted wherever it is answered from (memory, the shared cache or a render); readers
who bypass the cache are counted here too, unless they are signed-in staff.

The generation also remembers the next scheduled change (a post's `publish_at`), so a scheduled
post appears on time without any job running. Apps that schedule public changes tell the cache
how to find the next one with `register_scheduled_change()`; this module knows no app.
"""

import datetime
import functools
import gzip
import hashlib
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from core import pageviews

# Part of every key: raise it whenever the stored shape changes, so that after an upgrade
# no process reads an entry that an older release wrote into the shared cache.
FORMAT = 3
STATE_KEY = f"pagecache:v{FORMAT}:state"
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
@functools.cache
def _cookie_pattern(names: frozenset[str]) -> re.Pattern:
    return re.compile(r"(?:^|;)\s*(?:" + "|".join(map(re.escape, sorted(names))) + r")=")


_STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}
_ENTITY_HEADERS = {"content-length", "content-encoding", "etag", "vary"}
# The test Django's GZipMiddleware uses, so both layers agree on who gets gzip.
_accepts_gzip = re.compile(r"\bgzip\b")

# How long a value of `remember_until_change` is kept at most: a new generation replaces it
# anyway, and this bounds what values of generations long gone occupy in the shared cache.
DATA_SECONDS = 24 * 60 * 60

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
    _forget_local_state()


def _next_scheduled_change(now: datetime.datetime) -> datetime.datetime | None:
    moments = [moment for find in _scheduled_changes if (moment := find(now)) is not None]
    return min(moments, default=None)


def _current_state(now, stored: dict) -> dict:
    """The generation in force, from what `get_many` found; starts one when none is or it is due."""
    state = stored.get(STATE_KEY)
    if state is None or (state["next_publish"] and state["next_publish"] <= now):
        state = {"generation": uuid.uuid4().hex, "next_publish": _next_scheduled_change(now)}
        cache.set(STATE_KEY, state, None)
    return state


def remember_until_change[T](
    name: str, build: Callable[[], T], *, seconds: int = DATA_SECONDS
) -> T:
    """`build()`, computed once per generation of public content and shared by every process.

    For what a page derives from every public post (the sitemap, the archive's month counts):
    worked out once after each change instead of on every request, so serving it costs one
    cache round trip however many posts there are. It follows `refresh_public_pages()` and
    scheduled posts exactly as stored pages do, whether or not the page cache is on.
    A value built while a change commits is stored under the generation it was read in, which
    is no longer current, so nobody reads it. `name` says what the value is and its shape
    (`blog:archive:v1`): give it a new version whenever `build()` returns something new, so a
    release never reads what the previous one stored.
    """
    key = f"pagecache:v{FORMAT}:data:{name}"
    stored = cache.get_many([STATE_KEY, key])
    generation = _current_state(timezone.now(), stored)["generation"]
    entry = stored.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = build()
    cache.set(key, (generation, value), seconds)
    return value


def _uncached_prefixes() -> tuple[str, ...]:
    """Files (whitenoise, the media view) and the health probes a balancer calls every few
    seconds (core.health, mounted there by config.urls): never worth a cache round trip.

    Read per request, not at import: config.wsgi imports this module before settings load.
    """
    return (settings.STATIC_URL, settings.MEDIA_URL, "/healthz", "/readyz")


def _personal_cookie_names() -> set[str]:
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, *PERSONAL_COOKIES}


def _has_personal_cookie(request) -> bool:
    return any(name in request.COOKIES for name in _personal_cookie_names())


def storable(response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    vary = response.headers.get("Vary", "").lower()
    cache_control = response.headers.get("Cache-Control", "").lower()
    # A response that set its own max-age (the favicon, uploaded images) keeps its caching.
    return "cookie" not in vary and not any(
        word in cache_control for word in ("private", "no-store", "no-cache", "max-age")
    )


def _entry(response, generation: str) -> dict:
    """What the cache keeps of a response: its bytes, gzipped when that pays (the plain body is
    rebuilt for the rare client without gzip), a weak ETag, and the header lists of each answer
    it can give, so serving it builds nothing."""
    content_type = response.headers.get("Content-Type", "")
    # GZipMiddleware leaves what the cache stores to it; a view that gzips its own answer (the
    # sitemap) did so once for all, and its bytes are kept as they are.
    if response.headers.get("Content-Encoding") == "gzip":
        gzipped, body = response.content, gzip.decompress(response.content)
    else:
        body, gzipped = response.content, None
        if len(body) >= MIN_COMPRESSIBLE_BYTES and content_type.startswith(COMPRESSIBLE_TYPES):
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            if len(gzipped) >= len(body):
                gzipped = None
    etag = f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    common = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in _ENTITY_HEADERS and name.lower() != "content-type"
    ]
    common.append(("ETag", etag))
    vary = response.headers.get("Vary", "")
    if gzipped is not None and "accept-encoding" not in vary.lower():  # GZipMiddleware's own
        vary = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    if vary:
        common.append(("Vary", vary))
    typed = [("Content-Type", content_type), *common]
    return {
        "generation": generation,
        "count": pageviews.marked_key(response),
        "etag": etag,
        "body": body if gzipped is None else None,
        "gzip": gzipped,
        "headers": {
            "plain": [*typed, ("Content-Length", str(len(body)))],
            "gzip": None
            if gzipped is None
            else [*typed, ("Content-Encoding", "gzip"), ("Content-Length", str(len(gzipped)))],
            "not-modified": common,
        },
    }


def _etag_matches(wanted: str | None, etag: str) -> bool:
    if not wanted:
        return False
    opaque = etag.removeprefix("W/")
    return wanted.strip() == "*" or any(
        candidate.strip().removeprefix("W/") == opaque for candidate in wanted.split(",")
    )


def _answer(entry: dict, *, accept_encoding: str, if_none_match: str | None):
    """(status, headers, body) for a stored entry: a 304, the gzipped bytes, or the plain ones."""
    if _etag_matches(if_none_match, entry["etag"]):
        return 304, entry["headers"]["not-modified"], b""
    if entry["gzip"] is None:
        return 200, entry["headers"]["plain"], entry["body"]
    if _accepts_gzip.search(accept_encoding):
        return 200, entry["headers"]["gzip"], entry["gzip"]
    return 200, entry["headers"]["plain"], gzip.decompress(entry["gzip"])


def _serve(request, entry: dict) -> HttpResponse:
    status, headers, body = _answer(
        entry,
        accept_encoding=request.META.get("HTTP_ACCEPT_ENCODING", ""),
        if_none_match=request.META.get("HTTP_IF_NONE_MATCH"),
    )
    response = HttpResponse(body, status=status)
    if status == 304:
        del response.headers["Content-Type"]
    for name, value in headers:
        response.headers[name] = value
    return response


# This process's own copy of the pages it served lately, for `serve_cached_pages` -----------
#
# Every hit through Django costs a round trip to the shared cache and the whole request
# machinery, several times what the app server spends on the request itself. The WSGI wrapper
# below answers a page this process has stored or fetched lately straight from memory, after
# checking the shared generation at most every PAGE_CACHE_LOCAL_SECONDS: a change published by
# another process shows here within that delay (at once in the process that made it).

# What this process keeps, in stored bytes (the gzipped page, or the plain one when it is not
# compressed): a few hundred pages of a blog. The oldest go first when a new one needs room,
# so a crawler walking the archive cannot make a worker grow (issue 12, goal 6).
LOCAL_MAX_BYTES = 4 * 1024 * 1024
_local_pages: dict[str, dict] = {}
_local_state: dict = {"generation": None, "checked": 0.0, "next_publish": None}


def _wsgi_key(environ) -> str:
    """The page's address as the WSGI server hands it over, scheme as Django will judge it."""
    scheme = environ.get("wsgi.url_scheme", "http")
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        forwarded = environ.get(header)
        if forwarded is not None:
            scheme = "https" if forwarded.split(",")[0].strip() == secure_value else "http"
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{scheme}://{host}{path}?{environ.get('QUERY_STRING', '')}"


def _remember_locally(request, entry: dict, state: dict) -> None:
    if settings.PAGE_CACHE_LOCAL_SECONDS <= 0:
        return
    size = _stored_bytes(entry)
    if size <= LOCAL_MAX_BYTES:
        key = _wsgi_key(request.META)
        _local_pages.pop(key, None)
        used = sum(map(_stored_bytes, _local_pages.values()))
        while _local_pages and used + size > LOCAL_MAX_BYTES:
            used -= _stored_bytes(_local_pages.pop(next(iter(_local_pages))))
        _local_pages[key] = entry
    next_publish = state["next_publish"].timestamp() if state["next_publish"] else None
    _local_state.update(
        generation=state["generation"], checked=time.monotonic(), next_publish=next_publish
    )


def _stored_bytes(entry: dict) -> int:
    return len(entry["gzip"] if entry["gzip"] is not None else entry["body"])


def _local_generation() -> str | None:
    """The generation in force, re-read from the shared cache when the local copy is old."""
    now = time.monotonic()
    due = _local_state["next_publish"]
    if now - _local_state["checked"] >= settings.PAGE_CACHE_LOCAL_SECONDS or (
        due is not None and time.time() >= due
    ):
        state = cache.get(STATE_KEY)
        if state is None or (state["next_publish"] and state["next_publish"] <= timezone.now()):
            return None  # Django starts the next generation
        next_publish = state["next_publish"].timestamp() if state["next_publish"] else None
        _local_state.update(generation=state["generation"], checked=now, next_publish=next_publish)
    return _local_state["generation"]


def _forget_local_state() -> None:
    _local_state.update(generation=None, checked=0.0, next_publish=None)


def serve_cached_pages(application):
    """Wrap the WSGI application: anonymous GET and HEAD of a page this process holds for the
    current generation are answered before Django runs; everything else goes to Django."""

    def cached_pages_first(environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (
            method in ("GET", "HEAD")
            and _local_pages
            and not _cookie_pattern(frozenset(_personal_cookie_names())).search(
                environ.get("HTTP_COOKIE", "")
            )
        ):
            entry = _local_pages.get(_wsgi_key(environ))
            if entry is not None and entry["generation"] == _local_generation():
                if entry["count"] is not None:
                    pageviews.record(entry["count"], environ)
                status, headers, body = _answer(
                    entry,
                    accept_encoding=environ.get("HTTP_ACCEPT_ENCODING", ""),
                    if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                )
                start_response(_STATUS_LINES[status], headers)
                return [b""] if method == "HEAD" else [body]
        return application(environ, start_response)

    return cached_pages_first


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or settings.PAGE_CACHE_SECONDS == 0
            or request.path_info.startswith(_uncached_prefixes())
            or _has_personal_cookie(request)
        ):
            response = self.get_response(request)
            _count_uncached(request, response)
            return response

        now = timezone.now()
        url_digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"pagecache:v{FORMAT}:page:{url_digest}"
        # One round trip (one query on the database cache) for both the state and the page.
        stored = cache.get_many([STATE_KEY, key])
        state = _current_state(now, stored)
        entry = stored.get(key)
        if entry is None or entry["generation"] != state["generation"]:
            # The stored copy is compressed here, once, at level 9: the page is not compressed
            # for this request too (core.middleware.GZipMiddleware) unless it is not stored.
            request.page_cache_stores = True
            response = self.get_response(request)
            if not storable(response):
                _count_uncached(request, response)
                return response
            timeout = settings.PAGE_CACHE_SECONDS
            if state["next_publish"]:
                seconds_left = (state["next_publish"] - now).total_seconds()
                timeout = max(1, min(timeout, int(seconds_left) + 1))
            patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE, s_maxage=timeout)
            entry = _entry(response, state["generation"])
            cache.set(key, entry, timeout)
        _remember_locally(request, entry, state)
        response = _serve(request, entry)
        if entry["count"] is not None and response.status_code in (200, 304):
            pageviews.record(entry["count"], request.META)
        return response


def _count_uncached(request, response) -> None:
    """A marked page rendered for this request alone: counted unless staff read it."""
    key = pageviews.marked_key(response)
    if key is None or response.status_code not in (200, 304):
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_staff:
        return
    pageviews.record(key, request.META)
