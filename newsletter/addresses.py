"""Addresses as the newsletter stores them: one spelling per mailbox, one per web page.

Email: the local part is kept as typed (some mail servers treat it as case-sensitive); the domain is
lowercased and an internationalised domain is stored in its ASCII (IDNA) form, so
`Zoe@Bücher.example` and `zoe@xn--bcher-kva.example` are the same subscriber. Uniqueness is
case-insensitive over the whole address (a `Lower("email")` constraint).

Web: a headline's link is stored normalised, so the same story reached through two feeds, or
with tracking parameters, is one headline.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Query parameters that only say where a click came from: the same story with or without them
# is one headline.
TRACKING_PARAMETERS = {"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid"}
MAX_LENGTH = 254  # RFC 5321 §4.5.3.1.3, the longest address a mail server must accept


def normalise_email(value: str) -> str:
    """The stored form of an address, or ValidationError with a message a visitor understands."""
    address = (value or "").strip()
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
    normalised = f"{local}@{ascii_domain}"
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


def suppression_digest(address: str) -> str:
    """SHA-256 of the normalised, lowercased address: enough to recognise it, not to read it."""
    return hashlib.sha256(address.lower().encode()).hexdigest()


def normalise_url(url: str) -> str:
    """One spelling per story: lower-case scheme and host, no default port, no fragment,
    no tracking parameters, the rest of the query sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in {("http", 80), ("https", 443)}
        else (f"{host}:{port}")
    )
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))
