"""Counting requests per client network in the shared cache, for every public POST.

The cache is Redis or the database cache in production, so every web worker and node sees
the same counts. Counting is a sliding window approximated from two fixed ones (the current
window plus the previous one weighted by how much of it still overlaps), so a burst that
straddles a window's edge is still caught, with no extra service.
"""

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the proxy-set header when told to trust one."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        # The last address is the one our own proxy saw; earlier ones are client-supplied.
        candidates = [part.strip() for part in forwarded.split(",") if part.strip()]
        if candidates:
            return candidates[-1]
    return request.META.get("REMOTE_ADDR", "")


def client_network(request, *, ipv6_prefix: int = 48) -> str:
    """The client's /24 (IPv4) or /48 (IPv6, or `ipv6_prefix`): one household or one small
    provider block (a /64 is one IPv6 subnet: one home or office network)."""
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else ipv6_prefix
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _keys(scope: str, key: str, period: int, now: float) -> tuple[str, str, float]:
    window, position = divmod(now, period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    current_key = f"ratelimit:{scope}:{digest}:{int(window)}"
    previous_key = f"ratelimit:{scope}:{digest}:{int(window) - 1}"
    return current_key, previous_key, position


def _count(current_key: str, period: int) -> int:
    if cache.add(current_key, 1, 2 * period + 1):
        return 1
    try:
        return cache.incr(current_key)
    except ValueError:  # expired between add() and incr()
        cache.set(current_key, 1, 2 * period + 1)
        return 1


def allow(scope: str, key: str, *, limit: int, period: int, now: float | None = None) -> bool:
    """Count one attempt for `key` in `scope`; False once more than `limit` fall in `period`."""
    now = time.time() if now is None else now
    current_key, previous_key, position = _keys(scope, key, period, now)
    current = _count(current_key, period)
    previous = cache.get(previous_key, 0)
    overlap = 1 - position / period
    return current + previous * overlap <= limit


@dataclass(frozen=True)
class Limit:
    """At most `limit` attempts per `period` seconds for one `key` (an address, a network)."""

    scope: str
    key: str
    limit: int
    period: int


def seconds_to_wait(limit: Limit, *, current: int, previous: int, position: float) -> int:
    """How long until one more attempt fits under `limit`, given the counts without it."""
    period, room = limit.period, limit.limit - 1
    if current <= room:
        # Within this window, once enough of the previous one has slid out of view.
        needed = 0.0 if previous == 0 else period * (1 - (room - current) / previous)
        wait = max(0.0, needed - position)
    else:
        # In the next window, where this one's attempts count less and less.
        wait = (period - position) + period * max(0.0, 1 - room / current)
    return max(1, math.ceil(wait))


def take(limits, *, now: float | None = None) -> tuple[Limit, int] | None:
    """Count one attempt against every limit if all of them allow it.

    None when the attempt is allowed (and counted everywhere). Otherwise nothing is counted,
    so a refused attempt never makes the wait longer, and the answer is the limit that
    refused with the seconds until it would allow one more (the longest such wait).
    """
    now = time.time() if now is None else now
    counted, refused = [], []
    for limit in limits:
        current_key, previous_key, position = _keys(limit.scope, limit.key, limit.period, now)
        current = _count(current_key, limit.period)
        counted.append(current_key)
        previous = cache.get(previous_key, 0)
        if current + previous * (1 - position / limit.period) > limit.limit:
            wait = seconds_to_wait(limit, current=current - 1, previous=previous, position=position)
            refused.append((wait, limit))
    if not refused:
        return None
    for current_key in counted:
        try:
            cache.decr(current_key)
        except ValueError:  # expired meanwhile: nothing left to give back
            pass
    wait, limit = max(refused, key=lambda pair: pair[0])
    return limit, wait


def too_many_requests(request, *, message: str, retry_after: int) -> TemplateResponse:
    """The 429 page: what happened and when to try again, never a bare error."""
    response = TemplateResponse(
        request,
        "429.html",
        {"message": message, "retry_after_minutes": max(1, round(retry_after / 60))},
        status=429,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response
