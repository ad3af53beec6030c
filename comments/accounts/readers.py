"""Reader accounts: found or created by email address, never staff."""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string

USERNAME_MAX = 30


class AddressRefused(Exception):
    """The address belongs to an account that must not sign in by email link."""


def reader_for(email: str) -> AbstractBaseUser | None:
    """The reader account for `email`, None if there is none yet.

    Raises AddressRefused when any account with the address is staff or deactivated.
    """
    accounts = list(get_user_model().objects.filter(email__iexact=email).order_by("pk"))
    if any(user.is_staff or user.is_superuser or not user.is_active for user in accounts):
        raise AddressRefused(email)
    return accounts[0] if accounts else None


def username_for(email: str) -> str:
    """A readable, unique username from the address's local part (never the whole address)."""
    User = get_user_model()
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0], flags=re.ASCII)[:USERNAME_MAX]
    base = base.strip(".+-_") or "reader"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def create_reader(*, email: str) -> AbstractBaseUser:
    """A new reader: no usable password, never staff; the username is derived from the email."""
    User = get_user_model()
    username = username_for(email)
    for _ in range(3):
        try:
            with transaction.atomic():
                return User.objects.create_user(username=username, email=email, password=None)
        except IntegrityError:  # the same username was taken a moment ago
            username = f"{username_for(email)}-{get_random_string(4).lower()}"
    raise IntegrityError(f"No free username for a new reader ({email.split('@')[-1]}).")
