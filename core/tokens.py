"""Signed tokens for links and forms: one way to make them, one way to read them.

Every token is salted for one purpose, so a token made for one link is worthless in another.
Signatures made with an old SECRET_KEY still verify through SECRET_KEY_FALLBACKS (Django's
signers read that setting), so links in emails sent before a key rotation keep working.
Reading raises `Expired` or `Invalid` (both `BadToken`), never one of the many exceptions a
crafted token can otherwise provoke (bad base64, bad JSON, bad compression, bad Unicode).
"""

import binascii
import zlib
from dataclasses import dataclass
from typing import Any

from django.core import signing


class BadToken(Exception):
    """The token cannot be used."""


class Expired(BadToken):
    """The signature is ours, but older than allowed."""


class Invalid(BadToken):
    """Altered, truncated, made for another purpose or not a token at all."""


_MALFORMED = (
    signing.BadSignature,
    ValueError,
    TypeError,
    OverflowError,
    binascii.Error,
    zlib.error,
)


@dataclass(frozen=True)
class Signed:
    """Tokens for one purpose (`salt`).

    `stamped` tokens carry the time they were made, so their age can be checked; `objects`
    tokens carry a JSON value (compact, optionally compressed) instead of a plain string.
    """

    salt: str
    stamped: bool = True
    objects: bool = False

    def _signer(self) -> signing.Signer:
        return (
            signing.TimestampSigner(salt=self.salt)
            if self.stamped
            else signing.Signer(salt=self.salt)
        )

    def sign(self, value: Any, *, compress: bool = False) -> str:
        if self.objects:
            return self._signer().sign_object(value, compress=compress)
        return self._signer().sign(value)

    def read(self, token: str, *, max_age: float | None = None) -> Any:
        """The signed value; `max_age` (seconds, stamped tokens only) refuses older ones."""
        signer = self._signer()
        kwargs = {"max_age": max_age} if self.stamped and max_age is not None else {}
        try:
            if self.objects:
                return signer.unsign_object(token, **kwargs)
            return signer.unsign(token, **kwargs)
        except signing.SignatureExpired as err:
            raise Expired(str(err)) from err
        except _MALFORMED as err:
            raise Invalid(str(err)) from err

    def is_older_than(self, token: str, seconds: float) -> bool:
        """Whether a valid stamped token was made more than `seconds` ago."""
        try:
            self.read(token, max_age=seconds)
        except Expired:
            return True
        return False
