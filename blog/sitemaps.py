"""sitemap.xml: every public page, on the site's canonical address.

https://www.sitemaps.org/protocol.html
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.db.models.functions import Greatest
from django.urls import reverse

from blog.models import Post, Tag


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


class PostSitemap(SiteUrlSitemap):
    def items(self):
        return Post.objects.published().only("slug", "publish_at", "created_at", "updated_at")

    def lastmod(self, post: Post) -> datetime.datetime:
        """A post scheduled after its last edit first changed, for the public, when it went live."""
        return max(post.updated_at, post.publish_at)


class TagSitemap(SiteUrlSitemap):
    def items(self):
        """Tags with at least one published post; an empty tag page is not worth crawling."""
        return (
            Tag.objects.filter(posts__in=Post.objects.published())
            .annotate(last_change=Greatest(Max("posts__updated_at"), Max("posts__publish_at")))
            .only("slug")
            .order_by("name")
        )

    def lastmod(self, tag: Tag) -> datetime.datetime:
        return tag.last_change


class StaticPageSitemap(SiteUrlSitemap):
    def items(self) -> list[str]:
        return ["blog:post-list", "blog:about", "blog:archive"]

    def location(self, url_name: str) -> str:
        return reverse(url_name)


SITEMAPS = {"posts": PostSitemap, "tags": TagSitemap, "pages": StaticPageSitemap}
