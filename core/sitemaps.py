"""sitemap.xml: the base of every app's section (URLs on SITE_URL, not on the request's host)
and the view that serves the whole, stored until public content changes."""

import gzip
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from core.pagecache import remember_until_change


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


# The answer headers of Django's sitemap view worth keeping with the stored XML.
_KEPT_HEADERS = ("Content-Type", "Last-Modified", "X-Robots-Tag")
# More digits than any page number a sitemap of 50,000 URLs a page will ever have.
_MAX_PAGE_DIGITS = 6
# The test Django's GZipMiddleware uses.
_accepts_gzip = re.compile(r"\bgzip\b")


@require_safe
def sitemap(request, sitemaps: dict, **kwargs) -> HttpResponse:
    """Django's sitemap view, built once per change of public content and then served stored.

    Every URL of the site is in it, so building it takes time in proportion to the number of
    posts; `remember_until_change` keeps it, gzipped, until something public changes, so a
    crawler costs one cache round trip and the stored bytes (a megabyte of XML for 10,000
    posts is some 40 KB gzipped) sent as they are to any client that accepts gzip.
    The XML depends on nothing in the request but the page number (`SiteUrlSitemap` builds
    every URL on SITE_URL), so one copy serves every request; a page number that is not a
    plain small number goes to Django's view unstored (it answers 404).
    """
    page = request.GET.get("p", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= _MAX_PAGE_DIGITS):
        return sitemap_views.sitemap(request, sitemaps, **kwargs)

    def build() -> tuple[bytes, list[tuple[str, str]]]:
        response = sitemap_views.sitemap(request, sitemaps, **kwargs)
        response.render()
        headers = [(name, response[name]) for name in _KEPT_HEADERS if name in response]
        return gzip.compress(response.content, mtime=0), headers

    gzipped, headers = remember_until_change(f"sitemap:v1:{int(page)}", build)
    if _accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(gzipped)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(gzipped))
    for name, value in headers:
        response[name] = value
    patch_vary_headers(response, ["Accept-Encoding"])
    return response
