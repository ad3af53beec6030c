from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post

FEED_LENGTH = 20


class LatestPostsRssFeed(Feed):
    """The latest posts with their full text, for feed readers."""

    description_template = "blog/feed_item_description.html"

    def title(self):
        return settings.SITE_NAME

    def description(self):
        return settings.SITE_TAGLINE

    def link(self):
        return reverse("blog:post-list")

    def items(self):
        return Post.objects.published().select_related("author")[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_author_name(self, item):
        return item.author_name

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_kind_display()]


class LatestPostsAtomFeed(LatestPostsRssFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return settings.SITE_TAGLINE
