"""Reader sign-in by a one-time email link: no passwords, no account page beyond "My comments".

django-comments-xtd keeps likes and flags for signed-in users (issue 4), and a signed-in
reader comments without the confirmation email. Readers prove they own an address by
following a link we mail to it; the first time they do, a reader account is created.

The link is built like Django's `PasswordResetTokenGenerator`: a signed, timestamped payload
(the address, where to go afterwards, and a hash of the account's `last_login`), valid for
READER_SIGN_IN_MAX_AGE seconds. Signing in changes `last_login`, so a link works once.
Following it only shows a "Sign in" button: mail scanners that open links must not sign
anyone in, so the sign-in itself is a POST.

Staff and deactivated accounts never sign in this way (a link in a mailbox must not open the
admin), and the answer to a request never says whether an address has an account.
"""

import dataclasses
import logging
import re
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from comments.models import Comment
from core.links import absolute_url
from core.mail import templated_message
from core.ratelimit import allow, client_network, too_many_requests
from core.tokens import BadToken, Signed

logger = logging.getLogger(__name__)

SALT = "comments.accounts.sign-in"
SIGN_IN_LINK = Signed(SALT, objects=True)
# A person retrying a lost email stays well inside these; a script mail-bombing one address,
# or spraying many from one network, does not.
LINKS_PER_ADDRESS = (3, 15 * 60)
REQUESTS_PER_NETWORK = (10, 60 * 60)
USERNAME_MAX = 30


# Tokens -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SignInLink:
    email: str
    next_url: str
    state: str


def login_state(*, user: AbstractBaseUser | None, email: str) -> str:
    """What a link is bound to: the account as it was when the link was made.

    It hashes `last_login`, so the link dies once it has been used (or the reader signed in
    with a newer link); a link for a new address dies as soon as that account exists.
    """
    if user is None:
        value = f"new:{email}"
    else:
        last_login = user.last_login.isoformat() if user.last_login else ""
        value = f"{user.pk}:{last_login}:{user.email.lower()}:{user.is_active}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:32]


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


# Accounts -----------------------------------------------------------------------------


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


# Services -----------------------------------------------------------------------------


def send_sign_in_email(*, email: str, url: str) -> None:
    """The link, as text and HTML, through the queued `default` mailer (retried if refused)."""
    message = templated_message(
        template="emails/accounts/sign_in",
        subject=f"Your sign-in link for {settings.SITE_NAME}",
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
    return constant_time_compare(link.state, login_state(user=user, email=link.email))


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
        if not constant_time_compare(link.state, login_state(user=user, email=link.email)):
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


# Forms --------------------------------------------------------------------------------


class SignInRequestForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_next(self):
        return safe_next_url(self.request, self.cleaned_data["next"])


# Views --------------------------------------------------------------------------------


@never_cache
def sign_in(request):
    """Ask for an address and mail it a link; the same answer whether it has an account."""
    if request.user.is_authenticated:
        return redirect("accounts:my-comments")
    form = SignInRequestForm(
        request.POST if request.method == "POST" else None,
        initial={"next": safe_next_url(request, request.GET.get("next", ""))},
        request=request,
    )
    if request.method == "POST":
        limit, period = REQUESTS_PER_NETWORK
        if not allow("sign-in-network", client_network(request), limit=limit, period=period):
            return too_many_requests(
                request,
                message="Too many sign-in links were asked for from your network.",
                retry_after=period,
            )
        if form.is_valid():
            email = form.cleaned_data["email"]
            limit, period = LINKS_PER_ADDRESS
            if not allow("sign-in-address", email, limit=limit, period=period):
                return too_many_requests(
                    request,
                    message="We have already sent several sign-in links to that address.",
                    retry_after=period,
                )
            request_sign_in_link(email=email, next_url=form.cleaned_data["next"])
            return redirect("accounts:sign-in-sent")
    return TemplateResponse(request, "comments/accounts/sign_in.html", {"form": form})


@never_cache
def sign_in_sent(request):
    return TemplateResponse(
        request,
        "comments/accounts/sign_in_sent.html",
        {"minutes": settings.READER_SIGN_IN_MAX_AGE // 60},
    )


@never_cache
def sign_in_confirm(request, token):
    """GET shows a button (link scanners only GET); the POST signs the reader in."""
    link = read_sign_in_token(token)
    if link is not None and request.user.is_authenticated:
        if request.user.email.lower() == link.email:  # signed in by this link a moment ago
            return HttpResponseRedirect(reverse("accounts:my-comments"))
    if request.method == "POST":
        user = sign_in_with_link(request=request, link=link)
        if user is not None:
            messages.success(request, f"You are signed in as {user.email}.")
            return HttpResponseRedirect(
                safe_next_url(request, link.next_url) or reverse("accounts:my-comments")
            )
    elif check_sign_in_link(link):
        response = TemplateResponse(
            request, "comments/accounts/sign_in_confirm.html", {"email": link.email}
        )
        response.headers["X-Robots-Tag"] = "noindex"
        return response
    return TemplateResponse(request, "comments/accounts/sign_in_invalid.html", status=400)


@method_decorator([never_cache, login_required], name="dispatch")
class MyCommentsView(ListView):
    """The reader's own comments, newest first, with where each stands."""

    template_name = "comments/accounts/my_comments.html"
    context_object_name = "comment_list"
    paginate_by = 20

    def get_queryset(self):
        return (
            Comment.objects.filter(user=self.request.user)
            .select_related(None)
            .prefetch_related("content_object")
            .order_by("-submit_date", "-pk")
        )


my_comments = MyCommentsView.as_view()


@require_POST
def sign_out(request):
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("blog:post-list")
