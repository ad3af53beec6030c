"""sitemap.xml: every public page, on the site's canonical address.

https://www.sitemaps.org/protocol.html
"""

import datetime

from django.db.models import Max
from django.db.models.functions import Greatest
from django.urls import reverse

from blog.models import Post, Tag
from core.sitemaps import SiteUrlSitemap


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
