from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import nh3
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf

from core import markup


def reversing_context() -> tuple:
    """What `reverse()` reads besides its arguments: the URLconf and the script prefix.

    A reversed path is the same while these are, so it may be remembered under them. Outside
    a request (a worker, a command) no URLconf is set and `reverse()` reads ROOT_URLCONF, as a
    request does by default: both count as the same.
    """
    return (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def remembered_url(instance, parts: tuple, build: Callable[[], str]) -> str:
    """`build()` once for `instance` while `parts` (what its URL is made of) and the reversing
    context stay the same: a page asks a post for its URL five times."""
    key = (*parts, *reversing_context())
    memo = instance.__dict__.get("_remembered_url")
    if memo is None or memo[0] != key:
        memo = instance.__dict__["_remembered_url"] = (key, build())
    return memo[1]


def absolute_url(url: str) -> str:
    """`url` on the public site address (SITE_URL), for feeds, emails and link previews.

    Pages are often reached through a proxy or on 127.0.0.1, so the request's own host is not
    what readers should be sent to. An address that already names its host is kept.
    """
    if not url:
        return url
    parts = urlsplit(url)
    if parts.netloc:
        return url if parts.scheme else f"{urlsplit(settings.SITE_URL).scheme}:{url}"
    return f"{settings.SITE_URL}{url}"


# Attributes holding one address, and `srcset`, holding a list of "address width" pairs.
_URL_ATTRIBUTES = {"href", "src"}
# Post HTML's allowlist (comment HTML's is a subset), with the `rel` nh3 added to links.
_ATTRIBUTES = {
    tag: {*attributes, "rel"} if tag == "a" else attributes
    for tag, attributes in markup.POST_ATTRIBUTES.items()
}


def absolutise_html(html: str, base_url: str | None = None) -> str:
    """Sanitised HTML (a post body, a comment, an intro) with every link and image address absolute.

    Feed readers and mail programs resolve nothing relative, so `/about/`, `../x`, `#note` and
    `<img src="/media/…">` written in a post would lead nowhere once the text leaves the site.
    Addresses resolve against `base_url`, the address the text is shown at (a post's page),
    else the site's home. The text is our own sanitised HTML; nh3 parses it again against
    the same allowlist (links keep their `rel`) and rewrites only the addresses.
    """
    if not html:
        return html
    base = base_url or f"{settings.SITE_URL}/"

    def rewrite(tag: str, attribute: str, value: str) -> str:
        if attribute in _URL_ATTRIBUTES:
            return urljoin(base, value) if value else value
        if attribute == "srcset":
            return ", ".join(_absolute_candidate(base, candidate) for candidate in value.split(","))
        return value

    return nh3.clean(
        html,
        tags=markup.POST_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=markup.URL_SCHEMES,
        link_rel=None,
        attribute_filter=rewrite,
    )


def _absolute_candidate(base: str, candidate: str) -> str:
    url, _, descriptor = candidate.strip().partition(" ")
    return f"{urljoin(base, url)} {descriptor.strip()}".strip()
