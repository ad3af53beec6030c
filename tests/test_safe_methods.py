"""GET and HEAD never change anything, on any route of the newsletter, the blog and the site.

Issue 10, item 2: a HEAD request to an unsubscribe link unsubscribed the reader, and link
checkers and mail scanners send HEAD. Only a POST (RFC 8058's one-click, or the page's own
button) may change state. This sweep walks every route of `newsletter`, `blog` and the site
(`core` and the project's own URLs), public and admin, with real, valid tokens and objects,
sends GET and HEAD to each, and compares every row of every table before and after.

The one deliberate exception is the click counter: a reader's GET of an edition's link is the
click being counted (its HEAD is not). A new route fails `test_every_route_is_walked` until it
is added here.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from blog.models import AuthorProfile, Post
from blog.previews import make_preview_token
from core.models import OutgoingEmail, SiteIdentity, TrustedDevice
from newsletter import tokens
from newsletter.models import Edition, Headline, HeadlineFeed, LinkClick, Suppression
from newsletter.rendering import click_token
from tests.factories import PostFactory, StaffFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

APPS = {"newsletter", "blog", "core"}
SITE_ROUTES = {"sitemap", "robots-txt", "media", "favicon"}


def snapshot() -> dict:
    """Every row of every table the project's models know, in a comparable form."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
    }


def changed_tables(before: dict, after: dict) -> set[str]:
    return {label for label in before if before[label] != after[label]}


@pytest.fixture
def world(now):
    """One of everything a route can point at, with the links a reader or author holds."""
    post = PostFactory(title="Buses first")
    draft = PostFactory(title="Embargoed scoop", draft=True)
    tag = post.tags.create(name="Transport", slug="transport")
    subscriber = SubscriberFactory()
    pending = SubscriberFactory(pending=True)
    edition = make_edition(posts=1, headlines=1)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT, frozen_at=now, finished_at=now
    )
    feed = HeadlineFeed.objects.create(name="Herald", url="https://news.example.org/feed")
    Suppression.objects.create(digest="0" * 64, reason=Suppression.Reason.ERASED)
    email = OutgoingEmail.objects.create(
        mailer="transport",
        from_email="site@example.org",
        recipients=["reader@example.org"],
        subject="Hello",
        message=b"Subject: Hello\r\n\r\nHello",
    )
    AuthorProfile.objects.create(user=post.author, bio="Writes about *buses*.")
    device = TrustedDevice.objects.create(
        user=post.author,
        token_hash="f" * 64,
        label="Firefox on Linux",
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    local = timezone.localtime(post.publish_at)
    public = {
        "newsletter:subscribe": {},
        "newsletter:signup": {},
        "newsletter:signup-stamp": {},
        "newsletter:check-inbox": {},
        "newsletter:confirm": {"token": tokens.make_confirm_token(pending)},
        "newsletter:unsubscribe": {"token": tokens.make_unsubscribe_token(subscriber)},
        "newsletter:preferences": {"token": tokens.make_preferences_token(subscriber)},
        "newsletter:export-data": {"token": tokens.make_preferences_token(subscriber)},
        "newsletter:erase": {"token": tokens.make_preferences_token(subscriber)},
        "newsletter:edition-archive": {},
        "newsletter:edition-detail": {"pk": edition.pk},
        "newsletter:click": {
            "token": click_token(edition_id=edition.pk, url=post.get_absolute_url())
        },
        "blog:post-list": {},
        "blog:feed-rss": {},
        "blog:feed-atom": {},
        "blog:tag-detail": {"slug": tag.slug},
        "blog:tag-feed-rss": {"slug": tag.slug},
        "blog:tag-feed-atom": {"slug": tag.slug},
        "blog:archive": {},
        "blog:about": {},
        "blog:search": {},
        "blog:post-preview": {"token": make_preview_token(draft)},
        "blog:archive-month": {"year": local.year, "month": local.month},
        "blog:post-detail": {"year": local.year, "month": local.month, "slug": post.slug},
        "sitemap": {},
        "robots-txt": {},
        "favicon": {},
        "media": {"path": "uploads/missing.jpg"},
    }
    instances = {
        Post: post,
        Edition: edition,
        Headline: Headline.objects.first(),
        HeadlineFeed: feed,
        Suppression: Suppression.objects.first(),
        OutgoingEmail: email,
        TrustedDevice: device,
        SiteIdentity: SiteIdentity.objects.create(site_name="The Dispatch"),
    }
    return {"public": public, "instances": instances, "subscriber": subscriber}


def public_route_names() -> set[str]:
    names = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace in {"newsletter", "blog"}:
            names |= {f"{pattern.namespace}:{p.name}" for p in pattern.url_patterns if p.name}
        elif isinstance(pattern, URLPattern) and pattern.name in SITE_ROUTES:
            names.add(pattern.name)
    return names


def admin_urls(instances) -> dict[str, str]:
    """Every named admin URL of the three apps' models, filled with a real object's id."""
    urls = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        instance = instances.get(model) or model._default_manager.first()
        assert instance is not None, f"the sweep needs a {model._meta.label} to point at"
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            kwargs = dict.fromkeys(pattern.pattern.converters, instance.pk)
            urls[f"admin:{pattern.name}"] = reverse(f"admin:{pattern.name}", kwargs=kwargs)
    return urls


def assert_safe(client, url: str, *, allowed: set[str] = frozenset()):
    for method in ("get", "head"):
        before, outbox = snapshot(), len(mail.outbox)
        response = getattr(client, method)(url)
        assert response.status_code < 500, (method, url, response.status_code)
        changed = changed_tables(before, snapshot())
        if method == "get":
            changed -= allowed
        assert changed == set(), f"{method.upper()} {url} changed {sorted(changed)}"
        assert len(mail.outbox) == outbox, f"{method.upper()} {url} sent mail"


def test_every_route_is_walked(world):
    assert public_route_names() == set(world["public"])
    assert admin_urls(world["instances"]), "the admin routes were not found"


@pytest.mark.parametrize("as_staff", [False, True], ids=["anonymous", "staff"])
def test_get_and_head_change_nothing_on_any_public_route(world, as_staff):
    """Item 2: HEAD on /newsletter/u/<token>/ unsubscribed; GET and HEAD never change state."""
    client = Client()
    if as_staff:
        client.force_login(StaffFactory(username="author"))
    for name, kwargs in world["public"].items():
        allowed = {LinkClick._meta.label} if name == "newsletter:click" else set()
        assert_safe(client, reverse(name, kwargs=kwargs), allowed=allowed)
    subscriber = world["subscriber"]
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_get_and_head_change_nothing_on_any_admin_route(world):
    """Item 2, the author's side: admin buttons that change state answer GET and HEAD with 405."""
    client = Client()
    client.force_login(StaffFactory(username="author"))
    for url in admin_urls(world["instances"]).values():
        assert_safe(client, url)


def test_a_head_request_to_an_unsubscribe_link_unsubscribes_nobody(world):
    """Item 2, the reported case on its own: a link checker's HEAD, then the reader's GET."""
    subscriber = world["subscriber"]
    url = reverse(
        "newsletter:unsubscribe", kwargs={"token": tokens.make_unsubscribe_token(subscriber)}
    )
    assert Client().head(url).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.is_active and subscriber.unsubscribed_at is None


def test_get_and_head_change_nothing_at_a_renamed_posts_old_address(world):
    """Issue 11, trap 2: the old address's redirect and the post's list of old addresses."""
    post = world["instances"][Post]
    old_url = post.get_absolute_url()
    post.slug = "buses-first-at-last"
    post.save()
    assert Client().get(old_url).status_code == 301
    assert_safe(Client(), old_url)
    staff = Client()
    staff.force_login(StaffFactory(username="author"))
    assert_safe(staff, reverse("admin:blog_post_change", args=[post.pk]))
