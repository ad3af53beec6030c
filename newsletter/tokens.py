"""Signed tokens in newsletter links and forms, each salted for one purpose.

- Confirmation links carry the subscriber's random key and the nonce of the email they came in,
  so a link works once (confirming clears the nonce) and stops after NEWSLETTER_CONFIRM_MAX_AGE.
- Unsubscribe and preferences links carry only the random key, signed: opaque, unforgeable
  (RFC 8058 §6) and valid for as long as the subscription exists. Signatures made with an old
  SECRET_KEY still verify through SECRET_KEY_FALLBACKS, so links in old emails keep working.
- The signup form carries a signed, timestamped random nonce (a "stamp"): a bot posting
  instantly, or replaying a form, is refused without any cookie. A stamp lives
  NEWSLETTER_FORM_MAX_AGE (30 minutes) and is used once: the first signup made with it
  claims its nonce in the shared cache. The form lives on cached pages, where a stamp would
  be as old as the cached copy and shared by every visitor, so the form's script fetches a
  fresh one from `newsletter:signup-stamp` when the reader turns to the form (issue 10,
  item 13); the stamp in the cached HTML is only the no-JavaScript fallback.
"""

import enum
import time

from django.conf import settings

from core.stamps import FormStamps, Refusal
from core.tokens import BadToken, Expired, Signed

CONFIRM_LINK = Signed("newsletter.confirm", objects=True)
# Unstamped: valid for as long as the subscription exists.
UNSUBSCRIBE_LINK = Signed("newsletter.unsubscribe", stamped=False)
PREFERENCES_LINK = Signed("newsletter.preferences", stamped=False)
FORM_STAMPS = FormStamps("newsletter.signup-form")


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
    USED = "used"


_STAMP_STATES = {
    Refusal.MISSING: Stamp.INVALID,
    Refusal.INVALID: Stamp.INVALID,
    Refusal.EXPIRED: Stamp.EXPIRED,
    Refusal.TOO_QUICK: Stamp.TOO_FAST,
    Refusal.USED: Stamp.USED,
}


def make_form_stamp(*, for_page: bool = False) -> str:
    """A stamp with a random nonce, for the script and for answers that are never cached.

    A page's own stamp (`for_page`, the no-JavaScript fallback, shared by every reader of a
    cached copy anyway) takes the second it was made as its nonce instead, so two renders of
    one page in the same second are the same page (which the "same answer for every address"
    tests compare byte for byte).
    """
    return FORM_STAMPS.make(nonce=f"page-{int(time.time())}" if for_page else None)


def check_form_stamp(stamp: str) -> Stamp:
    """Whether the form was rendered by us, long enough ago for a person, not too long ago.

    Only reads: the stamp is used up by `use_form_stamp`, once the signup is accepted.
    """
    refusal = FORM_STAMPS.refusal(
        stamp,
        max_age=settings.NEWSLETTER_FORM_MAX_AGE,
        min_age=settings.NEWSLETTER_MIN_SUBMIT_SECONDS,
    )
    return Stamp.OK if refusal is None else _STAMP_STATES[refusal]


def use_form_stamp(stamp: str) -> bool:
    """Claim a checked stamp for one signup; False if another request had it first."""
    return FORM_STAMPS.claim(stamp, max_age=settings.NEWSLETTER_FORM_MAX_AGE)
