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

The generation also remembers the next scheduled change (a post's `publish_at`), so a scheduled
post appears on time without any job running. Apps that schedule public changes tell the cache
how to find the next one with `register_scheduled_change()`; this module knows no app.
"""

import datetime
import hashlib
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control

STATE_KEY = "pagecache:state"
# Browsers revalidate every time (a 304 from the cache costs next to nothing), so a reader who
# has just signed in, commented or subscribed never sees their own stale anonymous copy;
# shared caches (ours, a proxy's, a CDN's) keep the page for s-maxage.
BROWSER_MAX_AGE = 0
PERSONAL_COOKIES = ("sessionid", "csrftoken", "messages")

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
    # A response that set its own max-age (the favicon, uploaded images) keeps its caching.
    return "cookie" not in vary and not any(
        word in cache_control for word in ("private", "no-store", "no-cache", "max-age")
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or _has_personal_cookie(request):
            return self.get_response(request)

        now = timezone.now()
        state = _current_state(now)
        url_digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"pagecache:{state['generation']}:{url_digest}"
        cached = cache.get(key)
        if cached is not None:
            return cached

        response = self.get_response(request)
        if _storable(response):
            timeout = settings.PAGE_CACHE_SECONDS
            if state["next_publish"]:
                seconds_left = (state["next_publish"] - now).total_seconds()
                timeout = max(1, min(timeout, int(seconds_left) + 1))
            patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE, s_maxage=timeout)
            cache.set(key, response, timeout)
        return response
