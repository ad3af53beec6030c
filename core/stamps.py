"""Single-use form stamps, for forms that live on cached pages.

A cached page is the same for every visitor, so a timestamp in its HTML says when the page was
rendered, not when this reader started writing, and can be replayed by anyone who fetched it.
A stamp fixes both: it is signed (salted per form), carries a random nonce, is fetched per
visitor by the form's script when the reader turns to the form, must be old enough for a person
and young enough to be fresh, and works once: its nonce is claimed in the shared cache with
`cache.add`, which is atomic in Redis and the database cache, so of two requests racing with one
stamp exactly one wins.
"""

import enum
import secrets
from dataclasses import dataclass, field

from django.core.cache import cache

from core.tokens import BadToken, Expired, Signed


class Refusal(enum.StrEnum):
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"
    TOO_QUICK = "too quick"
    USED = "used"


@dataclass(frozen=True)
class FormStamps:
    """The stamps of one form (`purpose` salts them and names their nonces in the cache)."""

    purpose: str
    signed: Signed = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "signed", Signed(self.purpose, objects=True))

    def make(self, *, nonce: str | None = None, **fields) -> str:
        """A new stamp; `fields` are signed with it (say, the post the form is on)."""
        return self.signed.sign({"n": nonce or secrets.token_urlsafe(12), **fields})

    def refusal(self, token: str, *, max_age: int, min_age: int = 0, **fields) -> Refusal | None:
        """Why `token` cannot be used for a form carrying `fields` (None: it can). Reads only."""
        if not token:
            return Refusal.MISSING
        try:
            payload = self.signed.read(token, max_age=max_age)
        except Expired:
            return Refusal.EXPIRED
        except BadToken:
            return Refusal.INVALID
        if not isinstance(payload, dict) or not payload.get("n"):
            return Refusal.INVALID
        if any(payload.get(name) != value for name, value in fields.items()):
            return Refusal.INVALID
        if min_age and not self.signed.is_older_than(token, min_age):
            return Refusal.TOO_QUICK
        if cache.get(self._used_key(payload["n"])):
            return Refusal.USED
        return None

    def claim(self, token: str, *, max_age: int) -> bool:
        """Spend a stamp that `refusal` accepted; False if another request spent it first."""
        try:
            payload = self.signed.read(token, max_age=max_age)
        except BadToken:
            return False
        if not isinstance(payload, dict) or not payload.get("n"):
            return False
        return cache.add(self._used_key(payload["n"]), 1, max_age + 60)

    def _used_key(self, nonce: str) -> str:
        return f"stamp:{self.purpose}:{nonce}"
