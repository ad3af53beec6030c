"""Signed tokens in newsletter links and forms, each salted for one purpose.

- Confirmation links carry the subscriber's random key and the nonce of the email they came in,
  so a link works once (confirming clears the nonce) and stops after NEWSLETTER_CONFIRM_MAX_AGE.
- Unsubscribe and preferences links carry only the random key, signed: opaque, unforgeable
  (RFC 8058 §6) and valid for as long as the subscription exists. Signatures made with an old
  SECRET_KEY still verify through SECRET_KEY_FALLBACKS, so links in old emails keep working.
- The signup form carries a signed timestamp: a bot posting instantly, or replaying a form
  scraped days ago, is refused without any cookie or per-visitor state.
"""

import enum

from django.conf import settings

from core.tokens import BadToken, Expired, Signed

CONFIRM_LINK = Signed("newsletter.confirm", objects=True)
# Unstamped: valid for as long as the subscription exists.
UNSUBSCRIBE_LINK = Signed("newsletter.unsubscribe", stamped=False)
PREFERENCES_LINK = Signed("newsletter.preferences", stamped=False)
FORM_STAMP = Signed("newsletter.signup-form")
FORM_STAMP_VALUE = "signup"


class Link(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def make_confirm_token(subscriber) -> str:
    return CONFIRM_LINK.sign({"k": subscriber.key, "n": subscriber.confirmation_nonce})


def read_confirm_token(token: str) -> tuple[Link, dict | None]:
    """(VALID, payload), (EXPIRED, None) or (INVALID, None) for a confirmation link."""
    try:
        payload = CONFIRM_LINK.read(token, max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE)
    except Expired:
        return Link.EXPIRED, None
    except BadToken:
        return Link.INVALID, None
    if not isinstance(payload, dict) or not {"k", "n"} <= payload.keys():
        return Link.INVALID, None
    return Link.VALID, payload


def _read_key_token(token: str, link: Signed) -> str | None:
    try:
        return link.read(token)
    except BadToken:
        return None


def make_unsubscribe_token(subscriber) -> str:
    return UNSUBSCRIBE_LINK.sign(subscriber.key)


def read_unsubscribe_token(token: str) -> str | None:
    """The subscriber key the link was made for, or None when it was altered."""
    return _read_key_token(token, UNSUBSCRIBE_LINK)


def make_preferences_token(subscriber) -> str:
    return PREFERENCES_LINK.sign(subscriber.key)


def read_preferences_token(token: str) -> str | None:
    return _read_key_token(token, PREFERENCES_LINK)


class Stamp(enum.Enum):
    OK = "ok"
    TOO_FAST = "too-fast"
    EXPIRED = "expired"
    INVALID = "invalid"


def make_form_stamp() -> str:
    return FORM_STAMP.sign(FORM_STAMP_VALUE)


def check_form_stamp(stamp: str) -> Stamp:
    """Whether the form was rendered by us, long enough ago for a person, not too long ago."""
    try:
        FORM_STAMP.read(stamp, max_age=settings.NEWSLETTER_FORM_MAX_AGE)
    except Expired:
        return Stamp.EXPIRED
    except BadToken:
        return Stamp.INVALID
    minimum = settings.NEWSLETTER_MIN_SUBMIT_SECONDS
    if minimum and not FORM_STAMP.is_older_than(stamp, minimum):
        return Stamp.TOO_FAST
    return Stamp.OK
