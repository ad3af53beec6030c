"""RSS and Atom feeds of the latest posts, site-wide and per tag, with each post's full text.

Every link in them is absolute on `settings.SITE_URL`: feed readers resolve nothing relative,
and the public address is not necessarily the host the request came in on.
"""

import datetime
import mimetypes

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure
from django.utils.html import escape

from blog.models import Image, Post, Tag
from core import identity
from core.links import absolute_url, absolutise_html

FEED_LENGTH = 20
FULL_TEXT_TEMPLATE = "blog/feed_item_description.html"


def feed_posts() -> QuerySet:
    """Published posts with what a feed entry needs, in a fixed number of queries."""
    return (
        Post.objects.published()
        .select_related("author__profile")
        .prefetch_related(
            Prefetch("images", queryset=Image.objects.filter(is_cover=True), to_attr="covers"),
            Prefetch("tags", queryset=Tag.objects.only("name")),
        )
    )


def full_text(post: Post) -> str:
    """The standfirst and the body, every address in them absolute (relative ones lead nowhere
    in a feed reader), resolved against the post's own address as its page would."""
    html = render_to_string(FULL_TEXT_TEMPLATE, {"obj": post})
    return absolutise_html(html, absolute_url(post.get_absolute_url()))


def cover_enclosure(image: Image) -> Enclosure | None:
    """The cover's original file as an enclosure, or nothing when the file has gone missing.

    RSS requires the length in bytes, and a missing file must not take the whole feed down.
    """
    try:
        size = image.file.size
    except OSError:
        return None
    mime_type = mimetypes.guess_type(image.file.name)[0] or "application/octet-stream"
    return Enclosure(absolute_url(image.file.url), str(size), mime_type)


class AtomFullContent1Feed(Atom1Feed):
    """Atom with the full text in `<content>`, the summary staying a summary (RFC 4287 4.1.3)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestPostsRssFeed(Feed):
    """The latest posts with their full text, for feed readers."""

    url_name = "blog:feed-rss"

    def title(self, obj) -> str:
        return identity.current().site_name

    def description(self, obj) -> str:
        return settings.SITE_TAGLINE

    def link(self, obj) -> str:
        return absolute_url(reverse("blog:post-list"))

    def feed_url(self, obj) -> str:
        return absolute_url(reverse(self.url_name))

    def items(self, obj) -> QuerySet:
        return feed_posts()[:FEED_LENGTH]

    def item_title(self, item: Post) -> str:
        return item.title

    def item_link(self, item: Post) -> str:
        return absolute_url(item.get_absolute_url())

    def item_author_name(self, item: Post) -> str:
        return item.author_name

    def item_pubdate(self, item: Post) -> datetime.datetime:
        return item.publish_at

    def item_updateddate(self, item: Post) -> datetime.datetime:
        """A post scheduled after its last edit was, for readers, last updated when it went live."""
        return max(item.updated_at, item.publish_at)

    def item_description(self, item: Post) -> str:
        return full_text(item)

    def item_categories(self, item: Post) -> list[str]:
        """The kind of piece, then its tags: what feed readers file and filter entries by."""
        return [item.get_kind_display(), *(tag.name for tag in item.tags.all())]

    def item_enclosures(self, item: Post) -> list[Enclosure]:
        enclosure = cover_enclosure(item.cover) if item.cover else None
        return [enclosure] if enclosure else []


class AtomFeedMixin:
    """Atom flavour of a feed: the standfirst as summary, the full text as content."""

    feed_type = AtomFullContent1Feed

    def subtitle(self, obj) -> str:
        return self.description(obj)

    def item_description(self, item: Post) -> str:
        """Escaped: Django marks Atom summaries `type="html"`, and the standfirst is plain text."""
        return escape(item.description)

    def item_extra_kwargs(self, item: Post) -> dict:
        return {"content": full_text(item)}


class LatestPostsAtomFeed(AtomFeedMixin, LatestPostsRssFeed):
    url_name = "blog:feed-atom"


class TagRssFeed(LatestPostsRssFeed):
    """The latest posts under one tag, for readers who follow a single topic."""

    url_name = "blog:tag-feed-rss"

    def get_object(self, request, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag: Tag) -> str:
        return f"{identity.current().site_name}: {tag.name}"

    def description(self, tag: Tag) -> str:
        return tag.description or f"Posts tagged “{tag.name}” on {identity.current().site_name}."

    def link(self, tag: Tag) -> str:
        return absolute_url(tag.get_absolute_url())

    def feed_url(self, tag: Tag) -> str:
        return absolute_url(reverse(self.url_name, kwargs={"slug": tag.slug}))

    def items(self, tag: Tag) -> QuerySet:
        return feed_posts().tagged(tag)[:FEED_LENGTH]


class TagAtomFeed(AtomFeedMixin, TagRssFeed):
    url_name = "blog:tag-feed-atom"
