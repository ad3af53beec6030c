"""Putting the demo publication in an empty site, and taking all of it out again.

`load` fills a site only when it is empty and never did before (one `DemoContentLoad` row
remembers), so `make run` can call it every time: a demo post the writer deleted stays deleted.
Every row it creates is marked `is_demo` (posts, tags, the fictional author's profile); their
images and sources belong to the demo posts. `remove` deletes exactly those rows, the
comments readers left on demo posts and the fictional author's account, and nothing the writer
made. Issue 11, day-one trap 1.
"""

import datetime
from dataclasses import dataclass

import django_comments
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from blog import images
from blog.demo import demo_posts
from blog.models import AuthorProfile, DemoContentLoad, Image, Post, Source, Tag

DEMO_AUTHOR = {"username": "maren", "first_name": "Maren", "last_name": "Adair"}
DEMO_DISPLAY_NAME = "Maren Adair"
DEMO_BIO = (
    "Maren Adair has covered city halls, energy markets and elections for fifteen years — "
    "first for a regional daily, now independently.\n"
    "She writes OpEds when the facts call for an opinion, and plain reporting when they don’t. "
    "Every piece lists its sources; every correction is dated and kept on the page.\n"
    "Write to her at the address in the newsletter, or answer in the comments."
)


@dataclass(frozen=True)
class Removed:
    posts: int
    comments: int
    tags: int
    profiles: int
    accounts: int

    def __str__(self):
        return (
            f"{self.posts} post(s), {self.comments} comment(s), {self.tags} tag(s), "
            f"{self.profiles} author profile(s) and {self.accounts} account(s)"
        )


def why_not_load() -> str:
    """Why demo content would not be loaded now, or "" when the site is empty and never had it."""
    first = DemoContentLoad.objects.order_by("loaded_at").first()
    if first is not None:
        removal = (
            " Remove it with `manage.py remove_demo_content` or from the admin's home page."
            if has_demo_content()
            else ""
        )
        return (
            f"Demo content was loaded on {timezone.localdate(first.loaded_at).isoformat()}; "
            f"it is never loaded twice, so deleted demo posts stay deleted.{removal}"
        )
    if Post.objects.exists() or AuthorProfile.objects.exists():
        return (
            "The site has posts or an author profile of its own; demo content is only loaded "
            "into an empty site."
        )
    return ""


def has_demo_content() -> bool:
    return (
        Post.objects.filter(is_demo=True).exists()
        or AuthorProfile.objects.filter(is_demo=True).exists()
        or Tag.objects.filter(is_demo=True).exists()
    )


@transaction.atomic
def load(report=lambda line: None) -> int:
    """Fill an empty site with the demo publication; returns the number of posts added."""
    from blog.demo import artwork  # Pillow: only when demo content is loaded

    reason = why_not_load()
    if reason:
        report(reason)
        return 0
    DemoContentLoad.objects.create()
    author = _demo_author()
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    posts = demo_posts()
    for number, demo in enumerate(posts, start=1):
        post = Post.objects.create(
            slug=demo.slug,
            title=demo.title,
            kind=demo.kind,
            standfirst=demo.standfirst,
            body=demo.body,
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=today - datetime.timedelta(days=demo.days_ago),
            featured=demo.featured,
            is_demo=True,
        )
        post.tags.set(_tags_named(demo.tags))
        Image.objects.create(
            post=post,
            file=ContentFile(artwork.landscape_jpeg(demo.slug), name="cover.jpg"),
            alt_text="An abstract landscape of hills under a low sun, drawn for the demo.",
            credit="Illustration generated for the demo site",
            is_cover=True,
        )
        Source.objects.bulk_create(
            Source(post=post, position=position, publisher=pub, title=title, url=url)
            for position, (pub, title, url) in enumerate(demo.sources)
        )
        report(f"  [{number}/{len(posts)}] {demo.title}")
    return len(posts)


def _demo_author():
    from blog.demo import artwork  # Pillow: only when demo content is loaded

    User = get_user_model()
    author, created = User.objects.get_or_create(
        username=DEMO_AUTHOR["username"],
        defaults={"first_name": DEMO_AUTHOR["first_name"], "last_name": DEMO_AUTHOR["last_name"]},
    )
    if created:
        author.set_unusable_password()
        author.save(update_fields=["password"])
    AuthorProfile.objects.create(
        user=author,
        display_name=DEMO_DISPLAY_NAME,
        bio=DEMO_BIO,
        photo=ContentFile(artwork.portrait_png("MA", author.username), name="portrait.png"),
        photo_alt="Monogram of Maren Adair’s initials, MA, in a circle.",
        is_demo=True,
    )
    return author


def _tags_named(names):
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "is_demo": True}
        )
        tags.append(tag)
    return tags


@transaction.atomic
def remove() -> Removed:
    """Delete every demo row and what hangs off it; the writer's own content stays."""
    demo_posts = Post.objects.filter(is_demo=True)
    post_ids = [str(pk) for pk in demo_posts.values_list("pk", flat=True)]
    comments = django_comments.get_model().objects.filter(
        content_type=ContentType.objects.get_for_model(Post), object_pk__in=post_ids
    )
    comment_count = len([comment.delete() for comment in comments.order_by("-level", "-pk")])
    demo_authors = list(
        AuthorProfile.objects.filter(is_demo=True).values_list("user_id", flat=True)
    )
    post_count = len(post_ids)
    for post in demo_posts:
        post.delete()  # one by one: image files go with their rows (blog.images)
    # A demo tag the writer put on a post of their own is theirs now.
    Tag.objects.filter(is_demo=True, posts__isnull=False).update(is_demo=False)
    _, deleted = Tag.objects.filter(is_demo=True).delete()
    tag_count = deleted.get(Tag._meta.label, 0)
    profile_count = 0
    for profile in AuthorProfile.objects.filter(is_demo=True):
        images.delete_files_on_commit([profile.photo.name] if profile.photo else [])
        profile.delete()
        profile_count += 1
    # The fictional author's account, unless someone made it a real one since.
    accounts = get_user_model().objects.filter(
        pk__in=demo_authors, is_staff=False, is_superuser=False, posts__isnull=True
    )
    account_count = 0
    for account in accounts:
        if not account.has_usable_password():
            account.delete()
            account_count += 1
    DemoContentLoad.objects.filter(removed_at__isnull=True).update(removed_at=timezone.now())
    return Removed(
        posts=post_count,
        comments=comment_count,
        tags=tag_count,
        profiles=profile_count,
        accounts=account_count,
    )
