import datetime
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from blog.articles import store_articles
from blog.models import AuthorProfile, Correction, Post, Source, Tag
from blog.previews import make_preview_token, preview_url
from tests.blog.test_admin import inline_management_forms
from tests.factories import PostFactory, StaffFactory
from tests.htmlparse import event_handler_attributes, script_blocks, texts
from tests.support import related_titles, warm_site_identity, without_clock

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "oped.txt"


def test_pasted_oped_comes_back_paragraph_for_paragraph_character_for_character(client):
    title, *paragraphs = SAMPLE.read_text(encoding="utf-8").strip().split("\n")
    author = StaffFactory(username="author")
    client.force_login(author)
    client.post(
        reverse("admin:blog_post_add"),
        {
            "title": title,
            "slug": "lanvoria-votes-at-16",
            "kind": "oped",
            "body": "\n".join(paragraphs),
            "status": "published",
            "author": author.pk,
            **inline_management_forms(),
        },
    )
    post = Post.objects.get(slug="lanvoria-votes-at-16")
    client.logout()
    html = client.get(post.get_absolute_url()).content.decode()
    assert texts(html, "h1", within="article") == [title]
    assert texts(html, "p", within="article__body") == paragraphs


def test_tag_page_lists_only_published_posts_with_that_tag(client):
    energy = Tag.objects.create(name="Energy", slug="energy")
    tagged = PostFactory(title="Gas prices")
    tagged.tags.add(energy)
    PostFactory(title="Unrelated piece")
    hidden = PostFactory(title="Scheduled energy piece", scheduled=True)
    hidden.tags.add(energy)
    html = client.get(energy.get_absolute_url()).content.decode()
    assert "Gas prices" in html
    assert "Unrelated piece" not in html
    assert "Scheduled energy piece" not in html
    assert reverse("blog:tag-feed-rss", args=["energy"]) in html


def test_unknown_tag_is_a_404(client):
    assert client.get(reverse("blog:tag-detail", args=["nope"])).status_code == 404


def test_month_archive_lists_that_months_posts(client):
    march = datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC)
    PostFactory(title="March piece", publish_at=march)
    PostFactory(title="April piece", publish_at=march + datetime.timedelta(days=30))
    response = client.get(reverse("blog:archive-month", kwargs={"year": 2026, "month": 3}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "March piece" in html and "April piece" not in html


def test_empty_month_is_a_404(client):
    url = reverse("blog:archive-month", kwargs={"year": 2019, "month": 1})
    assert client.get(url).status_code == 404


def test_archive_counts_months_and_tags(client):
    tag = Tag.objects.create(name="Media", slug="media")
    for post in PostFactory.create_batch(2):
        post.tags.add(tag)
    PostFactory(draft=True).tags.add(tag)
    html = client.get(reverse("blog:archive")).content.decode()
    assert re.search(r'href="/tag/media/">Media</a> <span class="meta">\(2\)', html)


def test_about_page_shows_the_authors_bio(client):
    author = StaffFactory(username="maren")
    AuthorProfile.objects.create(user=author, bio="Reporter for *fifteen* years.")
    html = client.get(reverse("blog:about")).content.decode()
    assert "<em>fifteen</em>" in html


def test_related_posts_share_tags_and_exclude_the_post(client):
    tag = Tag.objects.create(name="Climate", slug="climate")
    post, sibling, _ = PostFactory.create_batch(3)
    post.tags.add(tag)
    sibling.tags.add(tag)
    response = client.get(post.get_absolute_url())
    assert related_titles(response) == [sibling.title]


def test_sources_and_corrections_are_shown_with_the_updated_date(client, now):
    post = PostFactory()
    Source.objects.create(
        post=post, publisher="MSN", title="Belarus drills", url="https://example.com/a"
    )
    Correction.objects.create(post=post, noted_at=now, note="An earlier version misspelt a name.")
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'href="https://example.com/a"' in html and "— MSN" in html
    assert "An earlier version misspelt a name." in html
    assert "Updated <time" in html


def test_post_page_carries_open_graph_and_json_ld(client):
    oped = PostFactory(kind=Post.Kind.OPED, title="A view on “budgets”")
    article = PostFactory(kind=Post.Kind.ARTICLE)
    for post, expected in ((oped, "OpinionNewsArticle"), (article, "NewsArticle")):
        html = client.get(post.get_absolute_url()).content.decode()
        match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        data = json.loads(match.group(1))
        assert data["@type"] == expected
        assert data["headline"] == post.title
        assert data["author"]["name"] == post.author_name
        assert data["datePublished"] == post.publish_at.isoformat()
        assert '<meta property="og:type" content="article">' in html
        assert (
            f'<meta property="og:url" content="http://testserver{post.get_absolute_url()}">' in html
        )


def test_markup_in_title_and_standfirst_is_escaped_everywhere(client):
    post = PostFactory(
        title="<script>alert(1)</script>Title",
        standfirst='"><img src=x onerror=alert(2)>',
        body="<script>alert(3)</script>\n<img src=x onerror=alert(4)>",
    )
    for url in (post.get_absolute_url(), reverse("blog:post-list"), reverse("blog:feed-rss")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x onerror" not in html
        if url != reverse("blog:feed-rss"):
            assert event_handler_attributes(html) == []
            assert all("alert" not in block for block in script_blocks(html, executable=True))


def test_json_ld_cannot_be_broken_out_of(client):
    post = PostFactory(title="</script><script>alert(1)</script>")
    html = client.get(post.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block
    assert json.loads(block)["headline"] == post.title


def test_post_page_query_count_is_constant(client, django_assert_max_num_queries):
    tags = [Tag.objects.create(name=f"T{i}", slug=f"t{i}") for i in range(5)]
    post = PostFactory()
    post.tags.set(tags)
    for other in PostFactory.create_batch(6):
        other.tags.set(tags)
    for i in range(4):
        Source.objects.create(post=post, publisher="P", title=f"S{i}", url="https://example.org")
    warm_site_identity()
    # As rendered live, while nothing is stored yet (or all is outdated) ...
    with django_assert_max_num_queries(14):
        live = client.get(post.get_absolute_url())
    # ... and as readers get it: articles and cards stored when they changed (blog.articles).
    assert store_articles(Post.objects.values_list("pk", flat=True)) == 7
    cache.clear()
    warm_site_identity()
    with django_assert_max_num_queries(4):
        stored = client.get(post.get_absolute_url())
    assert without_clock(stored.content) == without_clock(live.content)


def test_tag_and_archive_pages_query_counts_are_constant(client, django_assert_max_num_queries):
    tag = Tag.objects.create(name="Energy", slug="energy")
    for post in PostFactory.create_batch(12):
        post.tags.add(tag)
    warm_site_identity()
    with django_assert_max_num_queries(7):  # 6 + the cards' comment counts (one query)
        client.get(tag.get_absolute_url())
    with django_assert_max_num_queries(4):
        client.get(reverse("blog:archive"))


def test_author_previews_a_draft_from_the_admin(client):
    draft = PostFactory(draft=True, title="Work in progress")
    client.force_login(StaffFactory(username="author"))
    response = client.get(reverse("admin:blog_post_preview", args=[draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Work in progress" in html and "This is a draft" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "no-store" in response["Cache-Control"]


def test_visitors_cannot_use_the_admin_preview(client):
    draft = PostFactory(draft=True)
    response = client.get(reverse("admin:blog_post_preview", args=[draft.pk]))
    assert response.status_code == 302


def test_shared_preview_link_shows_the_draft_without_login(client):
    draft = PostFactory(draft=True, title="Embargoed piece")
    response = client.get(preview_url(draft))
    assert response.status_code == 200
    assert "Embargoed piece" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "public" not in response["Cache-Control"]


def test_tampered_preview_link_is_a_404(client):
    draft = PostFactory(draft=True)
    token = make_preview_token(draft)
    forged = token.replace(token[-3:], "abc" if token[-3:] != "abc" else "xyz")
    assert client.get(reverse("blog:post-preview", args=[forged])).status_code == 404
    assert client.get(reverse("blog:post-preview", args=["not-a-token"])).status_code == 404


def test_expired_preview_link_is_a_404(client, settings):
    draft = PostFactory(draft=True)
    url = preview_url(draft)
    settings.PREVIEW_LINK_MAX_AGE = -1
    assert client.get(url).status_code == 404


def test_preview_link_dies_when_the_slug_changes(client):
    draft = PostFactory(draft=True)
    url = preview_url(draft)
    draft.slug = "renamed"
    draft.save()
    assert client.get(url).status_code == 404


def test_home_puts_the_featured_post_first(client, now):
    PostFactory(title="Newest piece")
    featured = PostFactory(
        title="The big one", featured=True, publish_at=now - datetime.timedelta(days=3)
    )
    response = client.get(reverse("blog:post-list"))
    assert response.context["featured_post"] == featured
    html = response.content.decode()
    assert html.index("The big one") < html.index("Newest piece")
