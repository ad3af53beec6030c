"""The base of every app's sitemap section: URLs on SITE_URL, not on the request's host."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap


class SiteUrlSitemap(Sitemap):
    """URLs built on `settings.SITE_URL`, whatever host and scheme the request came in on.

    Without `django.contrib.sites` Django would use the request's; a sitemap fetched through an
    internal address or plain http must still list the public https addresses.
    """

    @property
    def protocol(self) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        """The host of SITE_URL, with its path when the site lives below the domain's root."""
        parts = urlsplit(settings.SITE_URL)
        return f"{parts.netloc}{parts.path}"
