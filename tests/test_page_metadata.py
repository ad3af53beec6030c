"""What search engines and link previews read in each page's head.

Every indexed page names one canonical address (pagination kept, other query strings dropped),
carries Open Graph, X card and schema.org data with an image (the site's default when it has
none of its own); pages at a personal address say noindex, in the page and in the header.
"""

import email
import email.policy
import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html
from PIL import Image as PILImage

from blog.models import AuthorProfile, Tag
from blog.previews import make_preview_token
from comments.accounts.links import make_sign_in_token
from newsletter import tokens
from newsletter.models import Edition
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.factories import ImageFactory, PostFactory, UserFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://opinion.example.org"
DEFAULT_IMAGE = f"{SITE_URL}/static/img/social-default.png"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE_URL
    post = PostFactory(title="Buses first")
    tag = Tag.objects.create(name="Transit", slug="transit")
    post.tags.add(tag)
    AuthorProfile.objects.create(user=post.author, bio="Writes about *buses*.")
    edition = make_edition(posts=1, headlines=1, subject="The week: buses")
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT, frozen_at=timezone.now(), finished_at=timezone.now()
    )
    local = timezone.localtime(post.publish_at)
    return {
        "post": post,
        "tag": tag,
        "edition": edition,
        "month": reverse("blog:archive-month", kwargs={"year": local.year, "month": local.month}),
    }


def head(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, url
    return lxml_html.fromstring(response.content).find("head"), response


def canonicals(head_element) -> list[str]:
    return head_element.xpath('link[@rel="canonical"]/@href')


def meta(head_element, key: str) -> list[str]:
    return head_element.xpath(f'meta[@property="{key}" or @name="{key}"]/@content')


def json_ld(head_element) -> dict:
    (block,) = head_element.xpath('script[@type="application/ld+json"]/text()')
    return json.loads(block)


def indexed_pages(site) -> dict[str, str]:
    return {
        "home": reverse("blog:post-list"),
        "post": site["post"].get_absolute_url(),
        "tag": site["tag"].get_absolute_url(),
        "archive": reverse("blog:archive"),
        "month": site["month"],
        "about": reverse("blog:about"),
        "newsletter": reverse("newsletter:subscribe"),
        "editions": reverse("newsletter:edition-archive"),
        "edition": site["edition"].get_absolute_url(),
    }


def test_every_indexed_page_has_exactly_one_canonical_on_the_site_url(client, site):
    for name, url in indexed_pages(site).items():
        element, _ = head(client, f"{url}?utm_source=newsletter&ref=x")
        assert canonicals(element) == [f"{SITE_URL}{url}"], name
        assert meta(element, "robots") == [], name


def test_a_paginated_list_names_its_own_page_and_the_first_page_has_no_number(client, site):
    for post in PostFactory.create_batch(10):
        post.tags.add(site["tag"])
    for url in [reverse("blog:post-list"), site["tag"].get_absolute_url()]:
        assert canonicals(head(client, f"{url}?page=2&utm_source=x")[0]) == [
            f"{SITE_URL}{url}?page=2"
        ]
        assert canonicals(head(client, f"{url}?page=1")[0]) == [f"{SITE_URL}{url}"]
        # Django's "last" names page 2 here.
        assert canonicals(head(client, f"{url}?page=last")[0]) == [f"{SITE_URL}{url}?page=2"]


@pytest.mark.parametrize(
    ("name", "schema_type", "og_type"),
    [
        ("home", "WebSite", "website"),
        ("tag", "CollectionPage", "website"),
        ("about", "AboutPage", "website"),
        ("archive", "CollectionPage", "website"),
        ("month", "CollectionPage", "website"),
        ("newsletter", "WebPage", "website"),
        ("editions", "CollectionPage", "website"),
        ("edition", "Article", "article"),
    ],
)
def test_pages_carry_open_graph_x_card_and_json_ld(client, site, name, schema_type, og_type):
    url = indexed_pages(site)[name]
    element, _ = head(client, url)
    data = json_ld(element)
    assert data["@context"] == "https://schema.org" and data["@type"] == schema_type
    assert data["publisher"]["logo"]["url"] == f"{SITE_URL}/static/img/publisher-logo.png"
    assert data["image"]["url"] == DEFAULT_IMAGE
    assert meta(element, "og:type") == [og_type]
    assert meta(element, "og:url") == [f"{SITE_URL}{url}"]
    assert meta(element, "og:image") == [DEFAULT_IMAGE]
    assert meta(element, "og:image:width") == ["1200"]
    assert meta(element, "og:image:height") == ["630"]
    assert meta(element, "twitter:card") == ["summary_large_image"]
    assert meta(element, "twitter:image") == [DEFAULT_IMAGE]
    title, description = meta(element, "og:title"), meta(element, "og:description")
    assert len(title) == 1 and title[0].strip(), name
    assert len(description) == 1 and description[0].strip(), name
    assert meta(element, "twitter:title") == title
    assert meta(element, "description") == description


def test_the_json_ld_names_what_each_page_is_about(client, site):
    assert json_ld(head(client, site["tag"].get_absolute_url())[0])["name"] == "Transit"
    about = json_ld(head(client, reverse("blog:about"))[0])
    assert about["mainEntity"] == {"@type": "Person", "name": site["post"].author_name}
    edition = json_ld(head(client, site["edition"].get_absolute_url())[0])
    assert edition["headline"] == "The week: buses"
    assert edition["datePublished"].startswith(f"{timezone.now():%Y-%m-%d}")
    home = json_ld(head(client, reverse("blog:post-list"))[0])
    assert home["potentialAction"]["target"] == f"{SITE_URL}/search/?q={{search_term_string}}"


def test_a_post_without_a_cover_shows_the_default_image_and_the_publisher_logo(client, site):
    element, _ = head(client, site["post"].get_absolute_url())
    data = json_ld(element)
    assert data["@type"] == "OpinionNewsArticle"
    assert data["image"] == {
        "@type": "ImageObject",
        "url": DEFAULT_IMAGE,
        "width": 1200,
        "height": 630,
    }
    assert data["publisher"]["logo"]["@type"] == "ImageObject"
    assert meta(element, "og:image") == [DEFAULT_IMAGE]
    assert meta(element, "twitter:card") == ["summary_large_image"]


def test_a_post_with_a_cover_shows_its_cover(client, site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post = PostFactory()
    cover = ImageFactory(post=post, is_cover=True)
    element, _ = head(client, post.get_absolute_url())
    assert meta(element, "og:image") == [f"{SITE_URL}{cover.file.url}"]
    assert meta(element, "og:image:alt") == [cover.alt_text]
    assert json_ld(element)["image"]["url"] == f"{SITE_URL}{cover.file.url}"


def test_the_shipped_images_are_large_enough_for_link_previews():
    with PILImage.open(finders.find("img/social-default.png")) as image:
        assert image.size[0] >= 1200 and image.size[1] >= 630
        assert image.size[0] / image.size[1] == pytest.approx(1.91, abs=0.01)
    with PILImage.open(finders.find("img/publisher-logo.png")) as logo:
        assert min(logo.size) >= 112  # Google's minimum for a logo


def test_a_post_preview_is_noindex_and_names_no_canonical(client, site):
    draft = PostFactory(draft=True)
    element, response = head(client, reverse("blog:post-preview", args=[make_preview_token(draft)]))
    assert canonicals(element) == []
    assert meta(element, "robots") == ["noindex, nofollow"]


# Pages at a personal address


def received(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def token_pages(client, site, on_commit) -> dict[str, str]:
    subscriber, pending = SubscriberFactory(), SubscriberFactory(pending=True)
    post = site["post"]
    reader = UserFactory(email="cy@example.org")
    add_comment(post, user_email="bo@example.org", user_name="Bo", followup=True)
    client.force_login(reader)
    with on_commit(execute=True):
        post_comment(client, post, comment="A reply Bo hears about.")
    client.logout()
    (notice,) = [m for m in mail.outbox if m.to == ["bo@example.org"]]
    mute = urlsplit(link_in(received(notice), "/comments/mute/")).path
    post_comment(client, post, comment="Teh buses are late.")
    confirm = urlsplit(link_in(received(mail.outbox[-1]), "/comments/confirm/")).path
    published = client.post(confirm, headers=ORIGIN).content.decode()
    edit = re.search(r'href="(/comments/edit/\d+/\?token=[^"]+)"', published)[1]
    return {
        "comment mute": mute,
        "comment edit": edit.replace("&amp;", "&"),
        "comment confirm (used)": confirm,
        "newsletter confirm": reverse(
            "newsletter:confirm", args=[tokens.make_confirm_token(pending)]
        ),
        "unsubscribe": reverse(
            "newsletter:unsubscribe", args=[tokens.make_unsubscribe_token(subscriber)]
        ),
        "preferences": reverse(
            "newsletter:preferences", args=[tokens.make_preferences_token(subscriber)]
        ),
        "check your inbox": reverse("newsletter:check-inbox"),
        "sign-in": reverse("accounts:sign-in"),
        "sign-in sent": reverse("accounts:sign-in-sent"),
        "sign-in link": reverse(
            "accounts:sign-in-confirm",
            args=[make_sign_in_token(email="cy@example.org", next_url="", user=reader)],
        ),
    }


def test_token_pages_are_noindex_in_the_page_and_the_header(
    client, site, django_capture_on_commit_callbacks
):
    for name, url in token_pages(client, site, django_capture_on_commit_callbacks).items():
        element, response = head(client, url)
        assert meta(element, "robots") == ["noindex, nofollow"], name
        assert response["X-Robots-Tag"] == "noindex, nofollow", name
        assert canonicals(element) == [], name


def test_the_published_page_is_noindex(client, site):
    post_comment(client, site["post"], comment="Teh buses are late.")
    confirm = urlsplit(link_in(received(mail.outbox[-1]), "/comments/confirm/")).path
    response = client.post(confirm, headers=ORIGIN)
    assert "Your comment is published" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert meta(lxml_html.fromstring(response.content).find("head"), "robots") == [
        "noindex, nofollow"
    ]
