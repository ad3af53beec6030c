"""Asking for a sign-in link, checking it and spending it."""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from comments.accounts.links import SignInLink, make_sign_in_token, state_matches
from comments.accounts.readers import AddressRefused, create_reader, reader_for
from core import identity
from core.links import absolute_url
from core.mail import templated_message

logger = logging.getLogger(__name__)


def send_sign_in_email(*, email: str, url: str) -> None:
    """The link, as text and HTML, through the queued `default` mailer (retried if refused)."""
    message = templated_message(
        template="emails/accounts/sign_in",
        subject=f"Your sign-in link for {identity.current().site_name}",
        to=[email],
        context={"url": url, "minutes": settings.READER_SIGN_IN_MAX_AGE // 60},
    )
    message.send()


def request_sign_in_link(*, email: str, next_url: str) -> bool:
    """Mail a one-time sign-in link to `email`; False (and no mail) for a refused address.

    The caller answers the same either way, so nobody learns which addresses have accounts.
    """
    try:
        user = reader_for(email)
    except AddressRefused:
        logger.info("Sign-in link refused for a staff or deactivated address.")
        return False
    token = make_sign_in_token(email=email, next_url=next_url, user=user)
    url = absolute_url(reverse("accounts:sign-in-confirm", kwargs={"token": token}))
    transaction.on_commit(partial(send_sign_in_email, email=email, url=url))
    return True


def check_sign_in_link(link: SignInLink | None) -> bool:
    """True while the link may still sign someone in (unused, unexpired, address allowed)."""
    if link is None:
        return False
    try:
        user = reader_for(link.email)
    except AddressRefused:
        return False
    return state_matches(link.state, user=user, email=link.email)


def sign_in_with_link(*, request, link: SignInLink | None) -> AbstractBaseUser | None:
    """Sign the reader in and spend the link; None when it cannot be used (any more)."""
    if link is None:
        return None
    User = get_user_model()
    with transaction.atomic():
        try:
            user = reader_for(link.email)
        except AddressRefused:
            return None
        if not state_matches(link.state, user=user, email=link.email):
            return None
        if user is None:
            # Two quick presses of "Sign in" must not make two accounts: the first to mark
            # the link in the shared cache creates the reader.
            if not cache.add(f"sign-in-new:{link.state}", True, settings.READER_SIGN_IN_MAX_AGE):
                return None
            user = create_reader(email=link.email)
        # Compare-and-set on last_login: of two simultaneous uses of one link, one wins.
        spent = User.objects.filter(pk=user.pk, last_login=user.last_login).update(
            last_login=timezone.now()
        )
        if not spent:
            return None
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def safe_next_url(request, url: str) -> str:
    """A path on this site to return to after signing in, or "" for anything else."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""
