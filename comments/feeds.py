"""Atom feeds of the latest public comments, site-wide and per post.

Only comments on published posts appear; every link is absolute on SITE_URL (core.links),
those written in a comment included.
"""

import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Max
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post
from comments.models import Comment
from core import identity
from core.links import absolute_url, absolutise_html

FEED_LENGTH = 30
# The date of a feed with nothing in it and nothing published yet: fixed, so it never changes.
NEVER_UPDATED = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class StableAtom1Feed(Atom1Feed):
    """Atom whose `<updated>`, when it has no entry, is the date the Feed gives: the callable
    `empty_updated` (called only then, so a feed with entries costs no query for it).

    Django falls back to the time of the request, so an empty feed would look new on every
    poll and a feed reader could never tell that nothing has changed.
    """

    def latest_post_date(self):
        if not self.items:
            return self.feed["empty_updated"]()
        return super().latest_post_date()


class LatestCommentsFeed(Feed):
    feed_type = StableAtom1Feed

    def title(self, obj=None):
        return f"Comments on {identity.current().site_name}"

    def subtitle(self, obj=None):
        return f"The latest comments readers left on {identity.current().site_name}."

    def link(self, obj=None):
        return absolute_url(reverse("blog:post-list"))

    def feed_url(self, obj=None):
        return absolute_url(reverse("comments:feed"))

    def posts(self, obj=None):
        return Post.objects.published()

    def feed_extra_kwargs(self, obj=None):
        """Without a comment, the feed last changed when the latest post went live."""

        def latest_publication():
            latest = self.posts(obj).aggregate(latest=Max("publish_at"))["latest"]
            return latest or NEVER_UPDATED

        return {"empty_updated": latest_publication}

    def published_comments(self, obj=None):
        """Comments that were ever public, on this table alone: newest first, the walk
        is down `comment_feed_idx` without touching the other two comment tables."""
        return Comment.objects.filter(published_at__isnull=False)

    def items(self, obj=None):
        """The latest FEED_LENGTH public comments on published posts.

        The newest comments ever published are read from the index first (twice the feed's
        length), then the ones still public on published posts are kept: a fixed amount of
        work however many comments the site holds. Should hidden comments or unpublished
        posts leave the feed short, a longer stretch of the index is read.
        """
        posts = self.posts(obj)
        wanted = FEED_LENGTH * 2
        while True:
            newest = list(
                self.published_comments(obj)
                .order_by("-published_at", "-pk")
                .values_list("pk", "post_pk")[:wanted]
            )
            by_pk = {post.pk: post for post in posts.filter(pk__in={pk for _, pk in newest})}
            comments = list(
                Comment.objects.public()
                .filter(pk__in=[pk for pk, post_pk in newest if post_pk in by_pk])
                .select_related(None)
                .order_by("-published_at", "-pk")[:FEED_LENGTH]
            )
            if len(comments) == FEED_LENGTH or len(newest) < wanted:
                break
            wanted *= 4
        for comment in comments:
            comment.show_on(by_pk[comment.post_pk])
        return comments

    def item_title(self, comment):
        return f"{comment.user_name} on “{comment.content_object.title}”"

    def item_description(self, comment):
        post_url = absolute_url(comment.content_object.get_absolute_url())
        return absolutise_html(comment.comment_html, post_url)

    def item_link(self, comment):
        return absolute_url(comment.get_absolute_url())

    def item_guid(self, comment):
        return absolute_url(comment.get_absolute_url())

    def item_author_name(self, comment):
        return comment.user_name

    def item_pubdate(self, comment):
        return comment.published_at or comment.submit_date

    def item_updateddate(self, comment):
        return comment.edited_at or comment.published_at or comment.submit_date


class PostCommentsFeed(LatestCommentsFeed):
    def get_object(self, request, post_pk):
        return get_object_or_404(Post.objects.published(), pk=post_pk)

    def title(self, obj=None):
        return f"Comments on “{obj.title}”"

    def subtitle(self, obj=None):
        return f"What readers say about “{obj.title}” on {identity.current().site_name}."

    def link(self, obj=None):
        return absolute_url(f"{obj.get_absolute_url()}#comments")

    def feed_url(self, obj=None):
        return absolute_url(reverse("comments:post-feed", args=[obj.pk]))

    def posts(self, obj=None):
        return Post.objects.published().filter(pk=obj.pk)

    def published_comments(self, obj=None):
        """The post's comments that were ever public (`comment_post_feed_idx`)."""
        return super().published_comments(obj).filter(post_pk=obj.pk)

    def feed_extra_kwargs(self, obj=None):
        return {"empty_updated": lambda: obj.publish_at}
