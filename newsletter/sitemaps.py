"""The newsletter's public pages in sitemap.xml: its landing page, the archive, each edition."""

import datetime

from django.db.models import Max
from django.urls import reverse

from core.sitemaps import SiteUrlSitemap
from newsletter.models import Edition


class EditionSitemap(SiteUrlSitemap):
    def items(self):
        return Edition.objects.archived().only("pk", "frozen_at").order_by("-frozen_at", "-pk")

    def lastmod(self, edition: Edition) -> datetime.datetime:
        """An edition's content is frozen with its recipients, and never changes after."""
        return edition.frozen_at


class NewsletterPageSitemap(SiteUrlSitemap):
    def items(self) -> list[str]:
        return ["newsletter:subscribe", "newsletter:edition-archive"]

    def location(self, url_name: str) -> str:
        return reverse(url_name)

    def lastmod(self, url_name: str) -> datetime.datetime | None:
        """The newsletter last changed when its latest edition went out (none yet: no date)."""
        if not hasattr(self, "_latest"):
            self._latest = Edition.objects.archived().aggregate(latest=Max("frozen_at"))["latest"]
        return self._latest


SITEMAPS = {"newsletter": NewsletterPageSitemap, "editions": EditionSitemap}
