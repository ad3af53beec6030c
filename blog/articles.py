"""A post's article, head tags and card, stored as HTML when they change (issue 12).

The post page's `<article>` (title, byline, tags, corrections, cover, text, sources), its head
tags (Open Graph, `article:*`, schema.org) and the card other posts show it by under "Related
reading" are the same for every reader until the post or something they show changes. They are
rendered then, from the templates pages render live (`blog/includes/article.html#head` and
`#body`, `includes/post_card.html`), and stored on the post, so a page view reads them with
the post instead of a dozen more queries and three hundred template nodes.

What is stored counts only under the key it was stored with: the settings, site identity and
release it was rendered for, and the post's `article_version`. Every change to what it shows
raises that version in the changing transaction (`Post.save` itself; the receivers in
`blog.signals` for tags, images, sources, corrections and the author's name; a comment count
that changed, in `comments.counts.recount`), and the parts are rendered again once the change
commits. A page read in between, or after a crash between the commit and the rendering, finds
the key outdated and renders live, exactly as before: nothing stored is ever shown stale, only
sometimes not used. A rendering that read an older version than the row now has is not
written, so two changes racing cannot leave the older one behind. `store_outdated_articles()`
(after `migrate`, and hourly) stores again everything stored under another key: a new
release, other settings, rows written in bulk.
"""

import functools
import hashlib
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe

from blog.models import Image, Post
from blog.templatetags.blog_images import image_url
from core import identity, seo
from core.links import absolute_url, reversing_context

# Part of every key: raise it when the templates or what they are given change shape.
FORMAT = 1
TEMPLATE = "blog/includes/article.html"
CARD_TEMPLATE = "includes/post_card.html"
# Related reading's cards sit under the page's "Related reading" heading.
CARD_HEADING_LEVEL = 3


def _fingerprint() -> str:
    """What stored parts depend on besides their post's rows."""
    return _fingerprint_of(
        settings.TIME_ZONE,
        settings.LANGUAGE_CODE,
        settings.SITE_URL,
        settings.MEDIA_URL,
        settings.STATIC_URL,
        repr(settings.STORAGES),
        *reversing_context(),
        identity.current().site_name,
    )


@functools.cache
def _fingerprint_of(*parts) -> str:
    # The default image and the publisher's logo are static files: their hashed names are fixed
    # for the process by these parts and the collected files' manifest.
    described = (FORMAT, parts, seo.default_image(), seo.publisher())
    return hashlib.sha256(repr(described).encode()).hexdigest()[:24]


def article_key(version: int) -> str:
    return f"{_fingerprint()}:{version}"


def cards_key() -> str:
    """What rendered cards depend on besides their posts' rows, for keys of stored lists."""
    return f"v{FORMAT}:{_fingerprint()}"


def article_context(post) -> dict:
    """What the partials need beyond the post, in four queries."""
    images = list(post.images.all())
    corrections = list(post.corrections.all())
    cover = next((image for image in images if image.is_cover), None)
    updated_at = corrections[-1].noted_at if corrections else None
    tags = list(post.tags.all())
    return {
        "post": post,
        "tags": tags,
        "cover": cover,
        "sources": list(post.sources.all()),
        "corrections": corrections,
        "updated_at": updated_at,
        "social_image": cover_social_image(cover),
        "article_json_ld": post_json_ld(post, tags=tags, cover=cover, updated_at=updated_at),
    }


def cover_social_image(cover) -> dict | None:
    """The cover's 1200 px rendition for link previews; None leaves the site's default image."""
    if cover is None or not cover.file:
        return None
    return {"url": absolute_url(image_url(cover, width=1200)), "alt": cover.alt_text}


def post_json_ld(post, *, tags, cover=None, updated_at=None) -> dict:
    """schema.org metadata: OpinionNewsArticle for OpEds, NewsArticle for reporting."""
    data = {
        "@context": "https://schema.org",
        "@type": "OpinionNewsArticle" if post.kind == Post.Kind.OPED else "NewsArticle",
        "headline": post.title,
        "description": post.description,
        "datePublished": post.publish_at.isoformat() if post.publish_at else None,
        "dateModified": (updated_at or post.updated_at).isoformat(),
        "author": {
            "@type": "Person",
            "name": post.author_name,
            "url": absolute_url(reverse("blog:about")),
        },
        "publisher": seo.publisher(),
        "mainEntityOfPage": absolute_url(post.get_absolute_url()),
        "keywords": [tag.name for tag in tags],
    }
    if cover is not None:
        data["image"] = {
            "@type": "ImageObject",
            "url": absolute_url(cover.file.url),
            "width": cover.width,
            "height": cover.height,
        }
    else:
        data["image"] = seo.image_object(seo.default_image())
    return data


def render_article(context: dict) -> dict[str, str]:
    """The head tags, the article and the card, as pages render them live."""
    post = context["post"]
    context = context | {
        "site_name": identity.current().site_name,
        "default_social_image": seo.default_image(),
        "canonical_url": absolute_url(post.get_absolute_url()),
    }
    parts = {part: get_template(f"{TEMPLATE}#{part}").render(context) for part in ("head", "body")}
    # The card's cover and tags as `related_cards` gives them to the live card.
    post.covers = [context["cover"]] if context["cover"] else []
    post._card_tags = context["tags"]  # by name, as `Post.attach_card_tags` reads them
    return parts | {"card": render_card(post)}


def render_card(post, *, request=None, listed=()) -> str:
    """The post's card as related reading shows it; `listed`: the cards rendered with it,
    whose comment counts the first one reads in the same query."""
    context = {"post": post, "heading_level": CARD_HEADING_LEVEL, "related_posts": listed}
    return get_template(CARD_TEMPLATE).render(context, request)


def related_cards(post_ids: list[int], *, stored: dict, request=None) -> list[str]:
    """The cards of these posts, in this order. `stored` maps a post's id to its stored card,
    key and version (read with the query that chose the posts): a current one is used as it
    is, the others are rendered now, with their covers, tags and comment counts in one query
    each."""
    fingerprint = _fingerprint()
    cards = {}
    missing = []
    for pk in post_ids:
        card, key, version = stored[pk]
        if key == f"{fingerprint}:{version}":
            cards[pk] = mark_safe(card)  # rendered by our own template, which escaped it
        else:
            missing.append(pk)
    if missing:
        posts = list(Post.objects.defer(*Post.LARGE_FIELDS).filter(pk__in=missing))
        Post.attach_card_tags(posts)
        related_covers(posts)
        for post in posts:
            cards[post.pk] = render_card(post, request=request, listed=posts)
    return [cards[pk] for pk in post_ids if pk in cards]


def stored_article(post) -> dict[str, str] | None:
    """The post's stored head and article, or None when they are outdated (render live)."""
    if post.article_key != article_key(post.article_version):
        return None
    # Rendered by our own templates, which escaped what they were given.
    return {"head": mark_safe(post.article_head_html), "body": mark_safe(post.article_html)}


def store_articles(post_ids: Iterable[int]) -> int:
    """Render and store the articles of these posts; returns how many were written."""
    fingerprint = _fingerprint()
    posts = Post.objects.filter(pk__in=list(post_ids)).select_related("author__profile")
    written = 0
    # The versions are read before the rows they describe: a change committed in between
    # raises the version, and the older rendering is then not written.
    parts = ("tags", "images", "corrections", "sources")  # what `article_context` reads
    for post in posts.prefetch_related(*parts).iterator(chunk_size=100):
        rendered = render_article(article_context(post))
        written += Post.objects.filter(pk=post.pk, article_version=post.article_version).update(
            article_key=f"{fingerprint}:{post.article_version}",
            article_head_html=rendered["head"],
            article_html=rendered["body"],
            card_html=rendered["card"],
        )
    return written


def outdate_articles(post_ids: Iterable[int]) -> None:
    """Something these posts' articles show changed in this transaction: raise their version
    now, render them again once it commits."""
    ids = sorted(set(post_ids))
    if not ids:
        return
    Post.objects.filter(pk__in=ids).update(article_version=F("article_version") + 1)
    transaction.on_commit(partial(store_articles, ids), robust=True)


def store_outdated_articles(*, now=None) -> int:
    """Store again every article stored under another key; returns how many. Reads only the
    keys, never the stored HTML."""
    fingerprint = _fingerprint()
    rows = Post.objects.values_list("pk", "article_key", "article_version").order_by()
    outdated = [
        pk
        for pk, key, version in rows.iterator(chunk_size=2000)
        if key != f"{fingerprint}:{version}"
    ]
    for start in range(0, len(outdated), 100):
        store_articles(outdated[start : start + 100])
    return len(outdated)


def related_covers(posts) -> None:
    """Give each of these posts its cover (`covers`, as listings have it), in one query."""
    covers = Image.objects.filter(post__in=posts, is_cover=True)
    by_post = {}
    for image in covers:
        by_post.setdefault(image.post_id, []).append(image)
    for post in posts:
        post.covers = by_post.get(post.pk, [])
