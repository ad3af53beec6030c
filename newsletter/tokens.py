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
from django.core import signing

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
PREFERENCES_SALT = "newsletter.preferences"
FORM_SALT = "newsletter.signup-form"
FORM_STAMP_VALUE = "signup"


class Link(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def make_confirm_token(subscriber) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object(
        {"k": subscriber.key, "n": subscriber.confirmation_nonce}
    )


def read_confirm_token(token: str) -> tuple[Link, dict | None]:
    """(VALID, payload), (EXPIRED, None) or (INVALID, None) for a confirmation link."""
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        payload = signer.unsign_object(token, max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        return Link.EXPIRED, None
    except (signing.BadSignature, ValueError, UnicodeError):
        return Link.INVALID, None
    if not isinstance(payload, dict) or not {"k", "n"} <= payload.keys():
        return Link.INVALID, None
    return Link.VALID, payload


def _make_key_token(subscriber, salt: str) -> str:
    return signing.Signer(salt=salt).sign(subscriber.key)


def _read_key_token(token: str, salt: str) -> str | None:
    try:
        return signing.Signer(salt=salt).unsign(token)
    except (signing.BadSignature, UnicodeError):
        return None


def make_unsubscribe_token(subscriber) -> str:
    return _make_key_token(subscriber, UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> str | None:
    """The subscriber key the link was made for, or None when it was altered."""
    return _read_key_token(token, UNSUBSCRIBE_SALT)


def make_preferences_token(subscriber) -> str:
    return _make_key_token(subscriber, PREFERENCES_SALT)


def read_preferences_token(token: str) -> str | None:
    return _read_key_token(token, PREFERENCES_SALT)


class Stamp(enum.Enum):
    OK = "ok"
    TOO_FAST = "too-fast"
    EXPIRED = "expired"
    INVALID = "invalid"


def make_form_stamp() -> str:
    return signing.TimestampSigner(salt=FORM_SALT).sign(FORM_STAMP_VALUE)


def check_form_stamp(stamp: str) -> Stamp:
    """Whether the form was rendered by us, long enough ago for a person, not too long ago."""
    signer = signing.TimestampSigner(salt=FORM_SALT)
    try:
        signer.unsign(stamp, max_age=settings.NEWSLETTER_FORM_MAX_AGE)
    except signing.SignatureExpired:
        return Stamp.EXPIRED
    except (signing.BadSignature, UnicodeError):
        return Stamp.INVALID
    if settings.NEWSLETTER_MIN_SUBMIT_SECONDS:
        try:
            signer.unsign(stamp, max_age=settings.NEWSLETTER_MIN_SUBMIT_SECONDS)
        except signing.SignatureExpired:
            return Stamp.OK
        return Stamp.TOO_FAST
    return Stamp.OK
