"""Helpers shared by tests of several apps."""

from core import identity


def warm_site_identity() -> None:
    """Cache the site's identity as production has it after its first request.

    Every page prints the site's name (core.identity, cached for good and forgotten only when
    the writer saves it); tests start with an empty cache, so query budgets warm it first.
    """
    identity.current()
