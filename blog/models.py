import math
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from blog import images
from core import identity, timezones
from core.links import remembered_url
from core.markup import plain_text, render_post_body

WORDS_PER_MINUTE = 230
WORD = re.compile(r"\w")


def reading_stats(body_html: str) -> tuple[int, int]:
    """Words in a rendered body, and the minutes a reader needs for them (at least one).

    A dash or an ellipsis standing alone is punctuation, not a word."""
    words = sum(1 for token in plain_text(body_html).split() if WORD.search(token))
    return words, max(1, math.ceil(words / WORDS_PER_MINUTE))


class Tag(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(
        max_length=300, blank=True, help_text="One line shown at the top of the tag's page."
    )
    # Created by `load_demo_content`; `remove_demo_content` deletes it unless the writer uses it.
    is_demo = models.BooleanField("demo", default=False, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return remembered_url(
            self, (self.slug,), lambda: reverse("blog:tag-detail", kwargs={"slug": self.slug})
        )


class PostQuerySet(models.QuerySet):
    def published(self, *, now=None):
        """Posts the public may read: published, and their publication time has come.

        A post scheduled for later is simply a published post whose `publish_at` lies in the
        future, so it appears at that moment with no job having to flip a flag.
        """
        return self.filter(status=Post.Status.PUBLISHED, publish_at__lte=now or timezone.now())

    def scheduled(self, *, now=None):
        """Published posts still waiting for their `publish_at`."""
        return self.filter(status=Post.Status.PUBLISHED, publish_at__gt=now or timezone.now())

    def next_publication(self, now):
        """When the next scheduled post goes public (None if none is waiting): the page cache's
        cue to start afresh at that moment."""
        return (
            self.scheduled(now=now).order_by("publish_at").values_list("publish_at", flat=True)
        ).first()

    def drafts(self):
        """Posts the author is still writing: never shown to the public."""
        return self.filter(status=Post.Status.DRAFT)

    def tagged(self, tag):
        """Posts carrying the given tag."""
        return self.filter(tags=tag)

    def for_listing(self):
        """What listing pages show, in a fixed number of queries whatever the page size."""
        return (
            self.select_related("author__profile")
            .prefetch_related(
                models.Prefetch("tags", queryset=Tag.objects.only("name", "slug")),
                models.Prefetch(
                    "images", queryset=Image.objects.filter(is_cover=True), to_attr="covers"
                ),
            )
            .defer(*Post.LARGE_FIELDS)
        )


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        OPED = "oped", "OpEd"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the post's address. Keep it once published: links use it.",
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.OPED)
    standfirst = models.CharField(
        max_length=300,
        blank=True,
        help_text="One or two sentences under the title; also the search-engine description.",
    )
    body = models.TextField(
        help_text="Markdown. Each line is a paragraph; “> ” starts a quote, “## ” a subheading."
    )
    body_html = models.TextField(editable=False, default="")
    last_public_slug = models.SlugField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The slug the post had when it was last public: kept while it is back in "
        "draft, so a rename there still leaves a redirect from the address readers were sent.",
    )
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the post goes live: empty means now, a future time schedules it.",
    )
    featured = models.BooleanField(default=False, help_text="Shown first on the home page.")
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    comments_open = models.BooleanField(
        default=True,
        help_text="Untick to close the discussion (comments also close by themselves after "
        "COMMENTS_CLOSE_AFTER_DAYS).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Created by `load_demo_content`: never announced by email, deleted by `remove_demo_content`.
    is_demo = models.BooleanField("demo", default=False, editable=False)
    # The article, head tags and related-reading card as rendered when they last changed, and
    # what they count under (`blog.articles`): pages read them instead of rendering them.
    # Database defaults too: the release before writes posts without these columns.
    article_version = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    article_key = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    article_head_html = models.TextField(blank=True, default="", db_default="", editable=False)
    article_html = models.TextField(blank=True, default="", db_default="", editable=False)
    card_html = models.TextField(blank=True, default="", db_default="", editable=False)

    objects = PostQuerySet.as_manager()

    # The text and what is stored rendered: what cards, counts and listings leave unread.
    LARGE_FIELDS = ("body", "body_html", "article_head_html", "article_html", "card_html")

    class Meta:
        ordering = ["-publish_at", "-id"]
        get_latest_by = "publish_at"
        indexes = [models.Index(fields=["status", "-publish_at"], name="post_status_publish_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(publish_at__isnull=False),
                name="post_published_has_publish_at",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        if not self.body.strip():
            raise ValidationError({"body": "A post needs some text."})

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        self.body_html = render_post_body(self.body)
        self.reading_minutes = reading_stats(self.body_html)[1]
        if not self._state.adding:
            # Whatever changed, the stored article no longer counts (blog.articles).
            self.article_version = models.F("article_version") + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "article_version"}
        with transaction.atomic():
            stored_slug, public_slug = self._stored_slugs()
            if self.is_published:
                self.last_public_slug = self.slug
            elif public_slug:
                self.last_public_slug = public_slug
            super().save(*args, **kwargs)
            if isinstance(self.article_version, models.Expression):
                # The raised number is the database's: read back only if asked for.
                del self.article_version
            if stored_slug not in (None, self.slug):
                if public_slug not in (None, self.slug):
                    OldSlug.objects.update_or_create(slug=public_slug, defaults={"post": self})
                # Renamed back: its current slug is no longer an old one.
                self.old_slugs.filter(slug=self.slug).delete()

    def _stored_slugs(self) -> tuple[str | None, str | None]:
        """The stored slug, and the slug readers may have been sent: the stored one if the
        stored post is public, else the one it had when it was last public. A post that was never
        public (a draft, a post still scheduled) was never at a public address, so renaming it
        leaves nothing.

        Publish, take back to draft, rename, publish again: the first address still redirects.
        """
        if self.pk is None:
            return None, None
        stored = (
            type(self)
            .objects.filter(pk=self.pk)
            .values("slug", "status", "publish_at", "last_public_slug")
            .first()
        )
        if stored is None:
            return None, None
        public = (
            stored["status"] == self.Status.PUBLISHED
            and stored["publish_at"] is not None
            and stored["publish_at"] <= timezone.now()
        )
        return stored["slug"], stored["slug"] if public else stored["last_public_slug"] or None

    def get_absolute_url(self):
        moment = self.publish_at or self.created_at
        if moment is None:  # not saved yet: its address would change with the clock
            return self._reverse_url(timezone.now())
        parts = (self.slug, moment, timezone.get_current_timezone_name())
        return remembered_url(self, parts, lambda: self._reverse_url(moment))

    def _reverse_url(self, moment) -> str:
        when = timezone.localtime(moment)
        return reverse(
            "blog:post-detail", kwargs={"year": when.year, "month": when.month, "slug": self.slug}
        )

    @property
    def is_published(self) -> bool:
        """Mirrors `PostQuerySet.published()` for one instance."""
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    @property
    def state_label(self) -> str:
        if self.is_published:
            return "Published"
        if self.is_scheduled:
            return "Scheduled"
        return "Draft"

    @property
    def description(self) -> str:
        """The standfirst, or the opening of the text when there is none."""
        if self.standfirst:
            return self.standfirst
        text = plain_text(self.body_html)
        return text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"

    @property
    def author_name(self) -> str:
        """The byline: the author's display name, never their login name."""
        return author_display_name(self.author)

    @property
    def cover(self):
        """The image marked as cover, from the listing prefetch when there is one."""
        if hasattr(self, "covers"):
            return self.covers[0] if self.covers else None
        return self.images.filter(is_cover=True).first()

    @property
    def card_tags(self):
        """The tags a card lists: read by `attach_card_tags`, else the (prefetched) relation."""
        if "_card_tags" in self.__dict__:
            return self._card_tags
        return self.tags.all()

    @classmethod
    def attach_card_tags(cls, posts) -> None:
        """Read the tags of these posts' cards in one plain query.

        For a handful of posts picked by hand (related reading), where `for_listing`'s
        prefetch would cost more than the rows it fetches.
        """
        posts = {post.pk: post for post in posts}
        for post in posts.values():
            post._card_tags = []
        rows = (
            cls.tags.through.objects.filter(post_id__in=posts)
            .select_related("tag")
            .only("post_id", "tag__name", "tag__slug")
            .order_by("tag__name")
        )
        for row in rows:
            posts[row.post_id]._card_tags.append(row.tag)


class OldSlug(models.Model):
    """A slug a published post was renamed from: links already sent with it still reach the post.

    The post detail view answers 301 from an old slug to the post's current address while the
    post is public; a live post that now uses the slug wins. Issue 11, day-one trap 2.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200, unique=True)
    retired_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-retired_at", "-id"]
        verbose_name = "old address"

    def __str__(self):
        return self.slug


class PostRevision(models.Model):
    """A copy of a post's title and text: autosaved while the writer types, or kept on a save
    or before a restore, so no version is ever lost. Revisions never change the post itself;
    `blog.revisions` makes, bounds and restores them."""

    class Kind(models.TextChoices):
        AUTOSAVE = "autosave", "Autosaved"
        SAVED = "saved", "Saved"
        BEFORE_RESTORE = "before_restore", "Before a restore"

    # None while the post is still being written for the first time (the admin's add page).
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="revisions", null=True, blank=True
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.AUTOSAVE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated", "-id"]
        get_latest_by = ["updated", "id"]
        indexes = [
            models.Index(fields=["post", "-updated"], name="revision_post_updated_idx"),
            models.Index(fields=["author", "post", "-updated"], name="revision_author_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.updated):%d %b %Y %H:%M}"


def image_upload_to(instance, filename):
    """Server-chosen names only: nothing of the uploader's file name reaches the disk.

    The extension is that of the format the upload was re-encoded to (`images.sanitise_upload`).
    """
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension not in images.FILE_EXTENSIONS.values():
        raise ValueError(f"Not the name of a re-encoded image: {filename!r}.")
    return f"uploads/{uuid.uuid4().hex}.{extension}"


class Image(models.Model):
    """An image uploaded on a post's page: in the body, or the post's cover."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    file = models.ImageField(
        upload_to=image_upload_to,
        width_field="width",
        height_field="height",
        validators=[images.validate_image_upload],
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt_text = models.CharField(
        max_length=250,
        help_text="What the image shows, for readers who cannot see it. Required.",
    )
    caption = models.CharField(max_length=300, blank=True)
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or source.")
    is_cover = models.BooleanField("cover", default=False, help_text="Use as the post's cover.")
    renditions = models.JSONField(default=list, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(is_cover=True), name="image_one_cover_per_post"
            ),
        ]

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        new_upload = images.is_new_upload(self.file)
        replaced_files = self._stored_file_names() if new_upload else []
        if new_upload:
            self.file = images.sanitise_upload(self.file)
            self.renditions = []
        # Read by blog.signals.image_saved, which has the renditions cut once this commits.
        self.needs_renditions = new_upload
        super().save(*args, **kwargs)
        if new_upload:
            images.delete_files_on_commit(replaced_files)

    def _stored_file_names(self) -> list[str]:
        """The files this row pointed to before a new upload replaced them."""
        if self.pk is None:
            return []
        stored = type(self).objects.filter(pk=self.pk).values_list("file", "renditions").first()
        return images.stored_file_names(*stored) if stored else []


class Source(models.Model):
    """A link the post cites, listed under it as “Sources”."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="sources")
    position = models.PositiveSmallIntegerField(default=0)
    publisher = models.CharField(max_length=120, help_text="e.g. Reuters, MSN, a city council.")
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=600)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.publisher}: {self.title}"


class Correction(models.Model):
    """A dated correction or update note, shown at the top of the post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="corrections")
    noted_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(help_text="What changed and why, in a sentence or two.")

    class Meta:
        ordering = ["noted_at", "id"]
        get_latest_by = "noted_at"

    def __str__(self):
        return f"Correction of {timezones.local(self.noted_at, 'DATE_FORMAT')}"


def author_display_name(user) -> str:
    """How a writer is named on every page, feed and email: never their login name.

    Their profile's display name, else their full name, else the site's name (a byline reading
    "By The Dispatch" until the writer fills in the profile). Listing querysets select
    `author__profile`, so this costs no query.
    """
    profile = getattr(user, "profile", None)
    if profile is not None and profile.display_name.strip():
        return profile.display_name.strip()
    return user.get_full_name().strip() or identity.current().site_name


def public_name(user) -> str:
    """The name a signed-in person's comment carries: the writer's display name for staff (never
    their login name), a reader's full name or the name they chose when they signed up."""
    if user.is_staff:
        return author_display_name(user)
    return user.get_full_name().strip() or user.get_username()


class AuthorProfileQuerySet(models.QuerySet):
    def for_about_page(self):
        """The writer's own profiles; the demo author's only while the writer has none."""
        own = self.filter(is_demo=False)
        chosen = own if own.exists() else self.filter(is_demo=True)
        return chosen.select_related("user").order_by("pk")


class AuthorProfile(models.Model):
    """The writer as readers meet them on the About page and in bylines."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        max_length=100,
        help_text="Your name as readers see it: in bylines, on the About page, in feeds and in "
        "search results. Your login name is never shown.",
    )
    bio = models.TextField(
        blank=True, help_text="Markdown. Who you are and what you write about: the About page."
    )
    bio_html = models.TextField(editable=False, default="")
    photo = models.ImageField(
        upload_to=image_upload_to, blank=True, validators=[images.validate_image_upload]
    )
    photo_alt = models.CharField(max_length=250, blank=True)
    # Created by `load_demo_content` (the fictional author); `remove_demo_content` deletes it.
    is_demo = models.BooleanField("demo", default=False, editable=False)

    objects = AuthorProfileQuerySet.as_manager()

    class Meta:
        verbose_name = "author profile"

    def __str__(self):
        return author_display_name(self.user)

    def clean(self):
        if self.photo and not self.photo_alt.strip():
            raise ValidationError(
                {"photo_alt": "Describe the photo for readers who cannot see it."}
            )

    def save(self, *args, **kwargs):
        if images.is_new_upload(self.photo):
            self.photo = images.sanitise_upload(self.photo)
        self.bio_html = render_post_body(self.bio)
        super().save(*args, **kwargs)


class DemoContentLoad(models.Model):
    """When `load_demo_content` filled the site, and when the writer removed it.

    One row is enough to never load demo content again: a deleted demo post stays deleted, and
    an emptied site is not refilled by the next `make run`.
    """

    loaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-loaded_at"]
        get_latest_by = "loaded_at"

    def __str__(self):
        return f"Demo content loaded {self.loaded_at:%Y-%m-%d}"
