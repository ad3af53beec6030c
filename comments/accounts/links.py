"""The sign-in link's token: signed, timestamped, bound to the account's last sign-in."""

import dataclasses

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import constant_time_compare, salted_hmac

from core.tokens import BadToken, Signed

SALT = "comments.accounts.sign-in"
SIGN_IN_LINK = Signed(SALT, objects=True)


@dataclasses.dataclass(frozen=True)
class SignInLink:
    email: str
    next_url: str
    state: str


def login_state(*, user: AbstractBaseUser | None, email: str, secret: str | None = None) -> str:
    """What a link is bound to: the account as it was when the link was made.

    It hashes `last_login`, so the link dies once it has been used (or the reader signed in
    with a newer link); a link for a new address dies as soon as that account exists.
    `secret` defaults to SECRET_KEY (`state_matches` also tries the fallbacks).
    """
    if user is None:
        value = f"new:{email}"
    else:
        last_login = user.last_login.isoformat() if user.last_login else ""
        value = f"{user.pk}:{last_login}:{user.email.lower()}:{user.is_active}"
    return salted_hmac(SALT, value, secret=secret, algorithm="sha256").hexdigest()[:32]


def state_matches(state: str, *, user: AbstractBaseUser | None, email: str) -> bool:
    """The link's state is the account's, under SECRET_KEY or one of SECRET_KEY_FALLBACKS.

    A link mailed just before a key rotation keeps working until it expires, like its
    signature (Django's signers read the fallbacks too).
    """
    return any(
        constant_time_compare(state, login_state(user=user, email=email, secret=secret))
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def make_sign_in_token(*, email: str, next_url: str, user: AbstractBaseUser | None) -> str:
    payload = {"e": email, "n": next_url, "s": login_state(user=user, email=email)}
    return SIGN_IN_LINK.sign(payload, compress=True)


def read_sign_in_token(token: str) -> SignInLink | None:
    """The link's payload, or None when it was altered or is older than the allowed age."""
    try:
        payload = SIGN_IN_LINK.read(token, max_age=settings.READER_SIGN_IN_MAX_AGE)
        return SignInLink(email=payload["e"], next_url=payload["n"], state=payload["s"])
    except (BadToken, KeyError, TypeError):
        return None
