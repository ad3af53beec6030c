from collections import Counter
from functools import partial

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import DetailView, ListView, MonthArchiveView, TemplateView

from blog import articles
from blog.models import AuthorProfile, OldSlug, Post, Tag
from blog.previews import read_preview_token
from blog.search import MAX_RANKED_RESULTS, search_posts
from blog.stats import page_view_key
from core import identity, pageviews, seo
from core.links import absolute_url
from core.pagecache import remember_until_change
from core.pagination import RememberedCountPaginator
from core.text import strip_invisible

RELATED_POSTS = 3
# How many of the newest (post, shared tag) rows related posts are chosen from.
RELATED_CANDIDATES = 60


class PublishedPostMixin:
    """Every public view starts from the same published queryset."""

    def get_queryset(self):
        return Post.objects.published().for_listing()


class RememberedCountMixin:
    """A listing of public posts whose page total is counted once per change, not per visit."""

    paginator_class = RememberedCountPaginator

    def get_paginator(self, *args, **kwargs):
        return super().get_paginator(*args, count_key=self.count_key(), **kwargs)

    def count_key(self) -> str:
        """The listing this total belongs to, the same for every page of it: its URL name and
        arguments ("blog:post-list", "blog:tag-detail:slug=harbour")."""
        match = self.request.resolver_match
        arguments = [f"{name}={value}" for name, value in sorted(match.kwargs.items())]
        return ":".join([match.view_name, *arguments])


def post_detail_context(post, *, request=None, stored: bool = False) -> dict:
    """What the post template needs beyond the post, fetched in a fixed number of queries.

    With `stored`, the post's stored article is used when it is current (`blog.articles`),
    and none of what only the article shows is read.
    """
    context = {"post": post, "related_cards": related_cards(post, request=request)}
    if stored and (stored_article := articles.stored_article(post)) is not None:
        return context | {"stored_article": stored_article}
    return context | articles.article_context(post)


def related_cards(post, *, request=None) -> list[str]:
    """The cards of the published posts sharing the most tags with this one, newest first
    among equals: chosen and rendered once per change of public content, then shared by
    every process (`remember_until_change`). What they show moves only when a post is
    published, edited or retagged, or a comment changes a count, and each of those starts
    a new generation; the key carries what the cards' rendering depends on besides their
    posts (`articles.cards_key`), so a release or a setting that changes them starts afresh.
    Shared by every reader: a card shows nothing of the reader's (a stored one is rendered
    without a request, byte for byte the same); the request only lets outdated cards read
    their comment counts in one query (`comments.threads.request_stats`).
    """
    return remember_until_change(
        f"blog:related:{articles.cards_key()}:{post.pk}",
        partial(_choose_related_cards, post, request=request),
    )


def _choose_related_cards(post, *, request=None) -> list[str]:
    """Only the `RELATED_CANDIDATES` newest (post, shared tag) rows are weighed, so a tag on
    ten thousand posts costs what a tag on ten does (issue 12). They are counted here rather
    than with a grouped query (the ORM's machinery cost more than the rows themselves), and
    they bring their posts' stored cards along: one query for the whole section.
    """
    tagged = Post.tags.through.objects
    rows = (
        tagged.filter(
            tag_id__in=tagged.filter(post_id=post.pk).values("tag_id"),
            post__status=Post.Status.PUBLISHED,
            post__publish_at__lte=timezone.now(),
        )
        .exclude(post_id=post.pk)
        .order_by("-post__publish_at", "-post_id")
        .values_list("post_id", "post__card_html", "post__article_key", "post__article_version")[
            :RELATED_CANDIDATES
        ]
    )
    stored = {pk: card for pk, *card in rows}
    # Newest first, then a stable sort by shared tags keeps the newest first among equals.
    shared = Counter(pk for pk, *_ in rows)
    chosen = sorted(shared, key=shared.__getitem__, reverse=True)[:RELATED_POSTS]
    return articles.related_cards(chosen, stored=stored, request=request)


class PostListView(seo.IndexedPageMixin, RememberedCountMixin, PublishedPostMixin, ListView):
    """The home page: the latest featured post on top, then everything newest first."""

    template_name = "blog/post_list.html"
    paginate_by = 10

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1 and context["post_list"]:
            featured = next((post for post in context["post_list"] if post.featured), None)
            if featured is not None:
                context["featured_post"] = featured
                context["post_list"] = [p for p in context["post_list"] if p is not featured]
        return context

    def get_json_ld(self, context: dict) -> dict:
        home = absolute_url(reverse("blog:post-list"))
        search = absolute_url(reverse("blog:search"))
        return {
            "@context": "https://schema.org",
            **seo.website(),
            "url": home,
            "description": settings.SITE_TAGLINE,
            "publisher": seo.publisher(),
            "image": seo.image_object(seo.default_image()),
            "potentialAction": {
                "@type": "SearchAction",
                "target": f"{search}?q={{search_term_string}}",
                "query-input": "required name=search_term_string",
            },
        }


class PostDetailView(PublishedPostMixin, DetailView):
    template_name = "blog/post_detail.html"

    def get_queryset(self):
        # The author comes with a post's stored article; only one rendered live reads it.
        return Post.objects.published()

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            return redirect_from_old_slug(request, self.kwargs["slug"])
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            # The slug identifies the post; an outdated year/month in a shared link still works.
            return permanent_redirect_keeping_query(request, canonical)
        response = self.render_to_response(self.get_context_data(object=self.object))
        return pageviews.count_as(response, page_view_key(self.object.pk))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) | post_detail_context(
            self.object, request=self.request, stored=True
        )
        context["canonical_url"] = absolute_url(self.object.get_absolute_url())
        return context


def redirect_from_old_slug(request, slug: str) -> HttpResponsePermanentRedirect:
    """A link sent before the post was renamed: 301 to its current address, while it is public.

    A post taken back to draft is a 404 like any other, so its new slug is never revealed.
    """
    old_slug = get_object_or_404(
        OldSlug.objects.select_related("post").filter(post__in=Post.objects.published()),
        slug=slug,
    )
    return permanent_redirect_keeping_query(request, old_slug.post.get_absolute_url())


def permanent_redirect_keeping_query(request, url: str) -> HttpResponsePermanentRedirect:
    """Campaign tags and comment anchors in an old link still work on the new address."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def render_post_preview(request, post) -> TemplateResponse:
    """A post that is not public yet, exactly as it will look; never cached, never indexed."""
    context = post_detail_context(post, request=request) | {
        "object": post,
        "is_preview": True,
        "robots": "noindex, nofollow",
    }
    response = TemplateResponse(request, "blog/post_detail.html", context)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


class SharedPreviewView(View):
    """The link an author shares before publishing: signed, expiring, read-only."""

    def get(self, request, token):
        payload = read_preview_token(token)
        if payload is None:
            raise Http404("This preview link is not valid or has expired.")
        post = get_object_or_404(
            Post.objects.select_related("author__profile").prefetch_related("tags"),
            pk=payload["id"],
            slug=payload["slug"],
        )
        return render_post_preview(request, post)


class TagDetailView(seo.IndexedPageMixin, RememberedCountMixin, PublishedPostMixin, ListView):
    template_name = "blog/tag_detail.html"
    paginate_by = 10

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().tagged(self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"tag": self.tag}

    def get_json_ld(self, context: dict) -> dict:
        return seo.page_json_ld(
            "CollectionPage",
            name=self.tag.name,
            description=tag_description(self.tag),
            url=context["canonical_url"],
        )


def tag_description(tag: Tag) -> str:
    return tag.description or f"Posts tagged {tag.name} on {identity.current().site_name}."


class PostMonthArchiveView(seo.IndexedPageMixin, PublishedPostMixin, MonthArchiveView):
    template_name = "blog/post_archive_month.html"
    date_field = "publish_at"
    month_format = "%m"
    paginate_by = 20
    allow_empty = False

    def get_json_ld(self, context: dict) -> dict:
        month = context["month"]
        return seo.page_json_ld(
            "CollectionPage",
            name=f"{month:%B %Y}",
            description=f"Everything published on {identity.current().site_name} in {month:%B %Y}.",
            url=context["canonical_url"],
        )


class ArchiveView(seo.IndexedPageMixin, TemplateView):
    """Every month with posts, with how many, plus every tag: the site's table of contents."""

    template_name = "blog/archive.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | remember_until_change(
            "blog:archive:v2", archive_contents
        )

    def get_json_ld(self, context: dict) -> dict:
        return seo.page_json_ld(
            "CollectionPage",
            name="Archive",
            description=f"Every month and every topic on {identity.current().site_name}.",
            url=context["canonical_url"],
        )


def archive_contents() -> dict:
    """The archive's months (newest first) and topics, each with its number of public posts,
    and the HTML listing them.

    Counted by the database in two grouped queries and rendered once, then kept until public
    content changes: the list has a line for every month the site has been writing and every
    topic, so it is not worked out again on every visit.
    """
    published = Post.objects.published()
    months = (
        published.annotate(month=TruncMonth("publish_at"))
        .order_by("-month")
        .values_list("month")
        .annotate(count=Count("pk"))
    )
    tags = (
        Tag.objects.filter(posts__in=published)
        .annotate(published_count=Count("posts"))
        .order_by("name")
    )
    contents = {"months": [(month.date(), count) for month, count in months], "tags": list(tags)}
    return contents | {"contents_html": render_to_string("blog/archive.html#contents", contents)}


class AboutView(seo.IndexedPageMixin, TemplateView):
    template_name = "blog/about.html"

    def get_context_data(self, **kwargs):
        profiles = list(AuthorProfile.objects.for_about_page())
        return super().get_context_data(**kwargs | {"profiles": profiles})

    def get_json_ld(self, context: dict) -> dict:
        people = [
            {"@type": "Person", "name": str(profile)}
            | ({"image": absolute_url(profile.photo.url)} if profile.photo else {})
            for profile in context["profiles"]
        ]
        return seo.page_json_ld(
            "AboutPage",
            name=f"About {identity.current().site_name}",
            description=settings.SITE_TAGLINE,
            url=context["canonical_url"],
            **({"mainEntity": people[0] if len(people) == 1 else people} if people else {}),
        )


class SearchView(ListView):
    """Site search: ranked full-text search on PostgreSQL, a plain word match elsewhere."""

    template_name = "blog/search.html"
    paginate_by = 10
    max_query_length = 200

    def get_queryset(self):
        typed = strip_invisible(self.request.GET.get("q", ""))
        self.query = " ".join(typed.split())[: self.max_query_length]
        if not self.query:
            return Post.objects.none()
        return search_posts(Post.objects.published().for_listing(), self.query)

    def get_context_data(self, **kwargs):
        # Result pages are not worth indexing; the posts they lead to are.
        return super().get_context_data(**kwargs) | {
            "query": self.query,
            "robots": "noindex, follow",
            "results_capped": MAX_RANKED_RESULTS,
        }
