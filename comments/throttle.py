"""Limits against comment floods and mail-bombing, counted in the shared cache.

- Comments per commenter (the signed-in account, or the address typed into the form) and
  per client network (an IPv4 /24, an IPv6 /64), each per minute and per hour
  (COMMENTS_PER_ADDRESS_PER_MINUTE and the three others). The defaults let a reader answer
  every 30 seconds for a quarter of an hour, and a handful of colleagues behind one office
  address talk at the same time, while a script posting every second is stopped within
  seconds. Only comments that pass every other check count: a form sent back for one more
  press, or refused, does not use up the reader's allowance.
- Posting attempts of any kind per network (ATTEMPTS_PER_MINUTE), before the form is even
  read: far above what people send, it only keeps a flood of junk cheap.
- One confirmation mail per address per 24 hours until that address confirms: a victim
  typed into the form by someone else gets at most one mail a day.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from core import ratelimit

CONFIRMATION_PERIOD = 24 * 3600
ATTEMPTS_PER_MINUTE = 60
IPV6_NETWORK_PREFIX = 64


def network(request) -> str:
    return ratelimit.client_network(request, ipv6_prefix=IPV6_NETWORK_PREFIX)


def allow_attempt(request) -> bool:
    """Any POST to the comment form, counted before the form is read."""
    return ratelimit.allow(
        "comment-attempts", network(request), limit=ATTEMPTS_PER_MINUTE, period=60
    )


def comment_limits(request, *, user=None, email: str = "") -> list[ratelimit.Limit]:
    """The four limits a new comment counts against."""
    commenter = f"user:{user.pk}" if user is not None else f"email:{email.strip().lower()}"
    where = network(request)
    return [
        ratelimit.Limit("comments-by", commenter, settings.COMMENTS_PER_ADDRESS_PER_MINUTE, 60),
        ratelimit.Limit("comments-by", commenter, settings.COMMENTS_PER_ADDRESS_PER_HOUR, 3600),
        ratelimit.Limit("comments-from", where, settings.COMMENTS_PER_NETWORK_PER_MINUTE, 60),
        ratelimit.Limit("comments-from", where, settings.COMMENTS_PER_NETWORK_PER_HOUR, 3600),
    ]


def take_comment(request, *, user=None, email: str = "") -> tuple[ratelimit.Limit, int] | None:
    """Count a comment about to be posted; None if allowed, else (the limit, seconds to wait)."""
    return ratelimit.take(comment_limits(request, user=user, email=email))


def by_commenter(limit: ratelimit.Limit) -> bool:
    """The limit is the commenter's own (not their network's)."""
    return limit.scope == "comments-by"


def allow_stamp(request) -> bool:
    """Form stamps per network: a reader gets one per form they start, a few per minute."""
    return ratelimit.allow("comment-stamps", network(request), limit=30, period=60)


def _confirmation_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"comments:confirmation-sent:{digest}"


def claim_confirmation(email: str) -> bool:
    """True (and remembered for 24 h) if no confirmation mail is pending for this address."""
    return cache.add(_confirmation_key(email), 1, CONFIRMATION_PERIOD)


def forget_confirmation(email: str) -> None:
    """The address confirmed: its owner may post (and be mailed) again."""
    cache.delete(_confirmation_key(email))
