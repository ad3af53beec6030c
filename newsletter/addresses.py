"""Addresses as the newsletter stores them: one spelling per mailbox, one per web page.

Email: `core.addresses` (shared with the comments) defines the one spelling: domain lowercased
and in IDNA form, needless quotes around the local part dropped, the local part's case kept.
Uniqueness is case-insensitive over the whole address (a `Lower("email")` constraint).

Web: a headline's link is stored normalised, so the same story reached through two feeds, or
with tracking parameters, is one headline.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.addresses import mailbox_key

# Query parameters that only say where a click came from: the same story with or without them
# is one headline.
TRACKING_PARAMETERS = {"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid"}


def suppression_digest(address: str) -> str:
    """SHA-256 of the normalised, lowercased address: enough to recognise it, not to read it.

    Every spelling of one mailbox (`"Zoe"@Example.ORG`, `zoe@example.org`) has one digest.
    """
    return hashlib.sha256(mailbox_key(address).encode()).hexdigest()


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
