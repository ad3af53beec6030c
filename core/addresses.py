"""Email addresses as the site stores and compares them: one spelling per mailbox.

- The domain is case-insensitive (RFC 5321 §2.4): lowercased, without a trailing dot, and an
  internationalised domain in its ASCII (IDNA) form, so `Zoe@Bücher.example` and
  `zoe@xn--bcher-kva.example` are one address.
- A quoted local part that needs no quotes is the same mailbox as the bare one (RFC 5321
  §4.1.2: `"zoe"` and `zoe` are equivalent, and a quoted-pair `\\x` is just `x`), so quotes
  are dropped when what they hold is a plain dot-atom. One that does need them (a space,
  a second `@`) keeps them, escaping exactly `\\`, `"`, space and tab, so two spellings of
  it are still one.
- Invisible characters (zero-width, bidi overrides: core.text) are dropped first.
- The local part otherwise keeps its case (some mail servers treat it as case-sensitive);
  comparisons and uniqueness ignore case (`mailbox_key`, a `Lower("email")` constraint).
"""

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.text import strip_invisible

MAX_LENGTH = 254  # RFC 5321 §4.5.3.1.3, the longest address a mail server must accept

# RFC 5322 §3.2.3 dot-atom: atext runs separated by single dots.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
# Inside quotes, what Django's validator (and RFC 5322 qtext) only takes as a quoted-pair.
_NEEDS_ESCAPE = re.compile(r'[\\" \t]')


def _canonical_local_part(local: str) -> str:
    if len(local) < 2 or not (local.startswith('"') and local.endswith('"')):
        return local
    inner = _QUOTED_PAIR.sub(r"\1", local[1:-1])
    if _DOT_ATOM.fullmatch(inner):
        return inner
    return '"' + _NEEDS_ESCAPE.sub(r"\\\g<0>", inner) + '"'


def normalise_email(value: str) -> str:
    """The stored form of an address, or ValidationError with a message a visitor understands."""
    address = strip_invisible(value or "").strip()
    if not address:
        raise ValidationError("Enter your email address.", code="required")
    if len(address) > MAX_LENGTH:
        raise ValidationError(
            f"That address is too long: at most {MAX_LENGTH} characters.", code="max_length"
        )
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(
            "Enter a complete email address, like name@example.org.", code="invalid"
        )
    try:
        ascii_domain = domain.strip().rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError as err:
        raise ValidationError(
            "The part after the @ is not a valid domain name.", code="invalid"
        ) from err
    normalised = f"{_canonical_local_part(local)}@{ascii_domain}"
    if len(normalised) > MAX_LENGTH:
        raise ValidationError(
            f"That address is too long: at most {MAX_LENGTH} characters.", code="max_length"
        )
    try:
        validate_email(normalised)
    except ValidationError as err:
        raise ValidationError(
            "Enter a valid email address, like name@example.org.", code="invalid"
        ) from err
    return normalised


def mailbox_key(address: str) -> str:
    """What two spellings of one mailbox have in common: for comparing, hashing, never sending.

    An address that does not validate (an old row, a typo) is compared as typed, lowercased.
    """
    try:
        return normalise_email(address).lower()
    except ValidationError:
        return (address or "").strip().lower()


def domain_of_site(site_url: str) -> str:
    """The domain the site's mail comes from: SITE_URL's host, an IP address as an RFC 5322
    literal, and `localhost` as 127.0.0.1 ("@localhost" reads as spam anywhere)."""
    host = urlsplit(site_url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{host}]"
