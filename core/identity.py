"""Who the site is and who its email comes from: the admin's Site identity over the settings.

The writer fills in `core.models.SiteIdentity` in the admin; what they leave blank comes from
the environment (SITE_NAME, DEFAULT_FROM_EMAIL, NEWSLETTER_POSTAL_ADDRESS). Pages read the
site name through the context processor and every email reads its sender here, so a name
changed in the admin reaches both at once.

The row is cached in the shared cache (every web and worker process sees a save at once) and
forgotten when it is saved. Only the stored fields are cached, never the merged result, so a
setting changed in the environment counts at the next start without a stale cache entry.

Mail never comes from `@localhost`: when no sender is set, the address is `noreply@` the host
of SITE_URL (`mail_domain()`), which is also the right-hand side of every Message-ID.
"""

import functools
import time
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.urls import reverse

from core import checklist
from core.addresses import domain_of_site
from core.models import SiteIdentity
from core.pagecache import refresh_public_pages

CACHE_KEY = "core:site-identity:1"
FIELDS = ("site_name", "sender_name", "sender_address", "reply_to_address", "postal_address")


def mail_domain(site_url: str | None = None) -> str:
    """The site's own domain for mail (SITE_URL's unless given), also the right-hand side of
    every Message-ID."""
    return domain_of_site(settings.SITE_URL if site_url is None else site_url)


def fallback_sender_address(site_url: str | None = None) -> str:
    return f"noreply@{mail_domain(site_url)}"


@dataclass(frozen=True)
class Identity:
    site_name: str
    sender_name: str
    sender_address: str
    reply_to_address: str
    postal_address: str
    # Which of these the writer or the operator actually chose (the first-run checklist).
    has_site_name: bool
    has_sender: bool

    @property
    def from_header(self) -> str:
        """`"Name" <address>` for the From header."""
        return formataddr((self.sender_name, self.sender_address))

    @property
    def reply_to(self) -> list[str]:
        """Where replies to the newsletter reach the writer; empty while nobody said where."""
        return [self.reply_to_address] if self.reply_to_address else []


# This process's copy of the row: a page asks for the identity five or six times while it
# renders (header, titles, link previews, JSON-LD), and each read of the shared cache is a
# round trip (a query, on the database cache). A save elsewhere shows here within
# PAGE_CACHE_LOCAL_SECONDS, as a cached page does (core.pagecache); here, at once (`forget`).
_local: dict = {"stored": None, "read_at": 0.0}


def _stored() -> dict:
    """The admin's row as a dict of its fields ({} before the writer saved it), cached."""
    now = time.monotonic()
    if _local["stored"] is not None and now - _local["read_at"] < settings.PAGE_CACHE_LOCAL_SECONDS:
        return _local["stored"]
    stored = cache.get(CACHE_KEY)
    if stored is None:
        row = SiteIdentity.objects.filter(pk=SiteIdentity.SINGLETON_PK).values(*FIELDS).first()
        stored = row or {}
        cache.set(CACHE_KEY, stored, None)
    _local.update(stored=stored, read_at=now)
    return stored


def forget_local_copy() -> None:
    _local.update(stored=None, read_at=0.0)


def current() -> Identity:
    """The site's identity now: the admin's values, the settings for what is left blank."""
    try:
        stored = _stored()
    except DatabaseError:
        # The error page must render with the database down: settings alone, then.
        stored = {}
    # A page asks five or six times; the merge is made once for what it is made of.
    return _merged(
        tuple(stored.get(name) or "" for name in FIELDS),
        settings.SITE_NAME,
        settings.DEFAULT_FROM_EMAIL,
        settings.SITE_URL,
        settings.NEWSLETTER_POSTAL_ADDRESS,
    )


@functools.lru_cache(maxsize=16)
def _merged(
    stored_values: tuple[str, ...],
    site_name_setting: str,
    default_from_email: str,
    site_url: str,
    postal_address_setting: str,
) -> Identity:
    """The admin's values over the settings (`current()` reads both)."""
    stored = dict(zip(FIELDS, stored_values, strict=True))
    site_name = stored["site_name"] or site_name_setting
    fallback_address = fallback_sender_address(site_url)
    sender_address = stored["sender_address"] or parseaddr(default_from_email)[1]
    has_sender = bool(sender_address) and sender_address.lower() != fallback_address
    if not sender_address:
        sender_address = fallback_address
    return Identity(
        site_name=site_name,
        sender_name=stored["sender_name"] or site_name,
        sender_address=sender_address,
        reply_to_address=stored["reply_to_address"] or (sender_address if has_sender else ""),
        postal_address=stored["postal_address"] or postal_address_setting,
        has_site_name=bool(stored["site_name"]),
        has_sender=has_sender,
    )


def forget(**kwargs) -> None:
    """Drop the cached row and the cached pages that print the site's name (connected to
    SiteIdentity's post_save and post_delete)."""
    cache.delete(CACHE_KEY)
    forget_local_copy()
    transaction.on_commit(_forget_after_commit, robust=True)
    refresh_public_pages()


def _forget_after_commit() -> None:
    cache.delete(CACHE_KEY)
    forget_local_copy()


def _identity_page() -> str:
    return reverse("admin:core_siteidentity_change", args=[SiteIdentity.SINGLETON_PK])


def register_checklist_items() -> None:
    """Site name, sender and postal address on the first-run checklist (CoreConfig.ready)."""
    checklist.register(
        "site-name",
        label="Site name",
        explanation="The name at the top of every page and in every email's subject.",
        is_done=lambda: current().has_site_name,
        fix_url=_identity_page,
    )
    checklist.register(
        "sender-address",
        label="Sender address",
        explanation=(
            "Newsletters and replies come from this address, on your own domain; until it is "
            "set, mail would come from a noreply address and look like spam."
        ),
        is_done=lambda: current().has_sender,
        fix_url=_identity_page,
        needed_before_sending=True,
    )
    checklist.register(
        "postal-address",
        label="Postal address",
        explanation="Printed at the foot of every newsletter, as the law asks of bulk senders.",
        is_done=lambda: bool(current().postal_address.strip()),
        fix_url=_identity_page,
        needed_before_sending=True,
    )
