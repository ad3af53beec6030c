"""Limits against comment floods and mail-bombing, counted in the shared cache.

- Comments per client network (/24 or /48) per minute (COMMENTS_RATE_LIMIT_PER_MINUTE),
  like Isso's default rate limit.
- One confirmation mail per address per 24 hours until that address confirms: a victim
  typed into the form by someone else gets at most one mail a day.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from core import ratelimit

CONFIRMATION_PERIOD = 24 * 3600


def allow_comment(request) -> bool:
    return ratelimit.allow(
        "comments",
        ratelimit.client_network(request),
        limit=settings.COMMENTS_RATE_LIMIT_PER_MINUTE,
        period=60,
    )


def allow_stamp(request) -> bool:
    """Form stamps per network: a reader gets one per form they start, a few per minute."""
    return ratelimit.allow("comment-stamps", ratelimit.client_network(request), limit=30, period=60)


def _confirmation_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"comments:confirmation-sent:{digest}"


def claim_confirmation(email: str) -> bool:
    """True (and remembered for 24 h) if no confirmation mail is pending for this address."""
    return cache.add(_confirmation_key(email), 1, CONFIRMATION_PERIOD)


def forget_confirmation(email: str) -> None:
    """The address confirmed: its owner may post (and be mailed) again."""
    cache.delete(_confirmation_key(email))
