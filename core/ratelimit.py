"""Counting requests per client network in the shared cache, for every public POST.

The cache is Redis or the database cache in production, so every web worker and node sees
the same counts. Counting is a sliding window approximated from two fixed ones (the current
window plus the previous one weighted by how much of it still overlaps), so a burst that
straddles a window's edge is still caught, with no extra service.
"""

import hashlib
import ipaddress
import time

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


def client_network(request) -> str:
    """The client's /24 (IPv4) or /48 (IPv6): one household or one small provider block."""
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def allow(scope: str, key: str, *, limit: int, period: int, now: float | None = None) -> bool:
    """Count one attempt for `key` in `scope`; False once more than `limit` fall in `period`."""
    now = time.time() if now is None else now
    window, position = divmod(now, period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    current_key = f"ratelimit:{scope}:{digest}:{int(window)}"
    previous_key = f"ratelimit:{scope}:{digest}:{int(window) - 1}"
    if cache.add(current_key, 1, 2 * period + 1):
        current = 1
    else:
        try:
            current = cache.incr(current_key)
        except ValueError:  # expired between add() and incr()
            cache.set(current_key, 1, 2 * period + 1)
            current = 1
    previous = cache.get(previous_key, 0)
    overlap = 1 - position / period
    return current + previous * overlap <= limit


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
