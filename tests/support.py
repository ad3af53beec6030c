"""Helpers shared by tests of several apps."""

import re

from core import identity


def warm_site_identity() -> None:
    """Cache the site's identity as production has it after its first request.

    Every page prints the site's name (core.identity, cached for good and forgotten only when
    the writer saves it); tests start with an empty cache, so query budgets warm it first.
    """
    identity.current()


def related_titles(response) -> list[str]:
    """The titles of a post page's "Related reading" cards, in the order shown."""
    html = response.content.decode()
    if 'id="related-title"' not in html:
        return []
    section = html.split('id="related-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="post-card__title"><a href="[^"]+">([^<]+)</a>', section)


def without_clock(html: bytes) -> bytes:
    """A page without the fields that change by the second: the comment form's signed time
    and hash, and the signup form's stamp."""
    return re.sub(rb'name="(timestamp|security_hash|stamp)" value="[^"]*"', b"", html)
