from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django_comments.models import CommentFlag
from django_comments_xtd.models import (
    DISLIKEDIT_FLAG,
    LIKEDIT_FLAG,
    XtdComment,
    XtdCommentManager,
)

from blog.models import Post
from comments import avatars
from comments.markup import render_comment

# What readers may see: published by the rules or a moderator, and not removed. The one
# definition of a public comment: `public()`, `is_visible` and every count use it.
PUBLIC = models.Q(is_public=True, is_removed=False)


class CommentQuerySet(models.QuerySet):
    def public(self):
        """Comments readers may see (`PUBLIC`)."""
        return self.filter(PUBLIC)

    def on_posts(self):
        """Comments on blog posts (the only thing readers comment on today)."""
        return self.filter(content_type__app_label="blog", content_type__model="post")

    def for_object(self, obj):
        """Comments on one commented object (a post), whatever their state."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
        )


class CommentManager(XtdCommentManager.from_queryset(CommentQuerySet)):
    pass


class Comment(XtdComment):
    """A reader's comment: django-comments-xtd's threaded comment plus what our layer adds.

    Rows span three tables (django_comments, django_comments_xtd_xtdcomment and this one):
    xtd's comment is a multi-table child of django-contrib-comments' comment.
    """

    # Named explicitly: the default reverse name, "comment", clashes with the text field.
    xtdcomment_ptr = models.OneToOneField(
        XtdComment,
        on_delete=models.CASCADE,
        parent_link=True,
        primary_key=True,
        related_name="our_comment",
    )
    comment_html = models.TextField(editable=False, default="")
    card_html = models.TextField(
        editable=False,
        default="",
        help_text="The comment as shown in a thread (author, date, text), rendered on save.",
    )
    # Kept in step with django-comments' flags by comments.receivers, so a thread needs no
    # counting subqueries per comment.
    like_count = models.PositiveIntegerField(default=0, editable=False)
    dislike_count = models.PositiveIntegerField(default=0, editable=False)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the comment first became public: the 15-minute editing window starts.",
    )
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    newsletter_optin = models.BooleanField(
        "asked for the newsletter",
        default=False,
        editable=False,
        help_text="The commenter ticked “Also send me the weekly newsletter”.",
    )
    # Copies of what never changes once a comment exists (its post, and whether it starts a
    # thread), kept in this table so one index finds a post's threads in order: the post id
    # lives in django-comments' table and the thread fields in xtd's, and no index spans two.
    post_pk = models.PositiveIntegerField(null=True, editable=False)
    starts_thread = models.BooleanField(default=False, editable=False)

    objects = CommentManager()

    class Meta:
        verbose_name = "comment"
        verbose_name_plural = "comments"
        ordering = ["thread_id", "order"]
        indexes = [
            # The comments feed, newest first (the id orders comments published together).
            models.Index(fields=["published_at", "xtdcomment_ptr"], name="comment_feed_idx"),
            # A post's top-level threads, oldest or newest first, page by page.
            models.Index(
                fields=["post_pk", "starts_thread", "xtdcomment_ptr"],
                name="comment_post_threads_idx",
            ),
            # A post's comments feed, newest first.
            models.Index(
                fields=["post_pk", "published_at", "xtdcomment_ptr"], name="comment_post_feed_idx"
            ),
        ]

    def save(self, *args, **kwargs):
        self.comment_html = render_comment(self.comment)
        on_post = self.content_type_id == ContentType.objects.get_for_model(Post).pk
        self.post_pk = int(self.object_pk) if on_post else None
        self.starts_thread = not self.parent_id or self.parent_id == self.pk
        if self.published_at is None and self.is_public and not self.is_removed:
            self.published_at = timezone.now()
        if self.pk is not None:
            self.card_html = self.render_card()
        super().save(*args, **kwargs)
        if not self.card_html:  # a new comment saved raw: the receiver did not store its card
            self.store_card()

    def store_card(self) -> None:
        """Render the card of a saved comment and store it (a new one links to its own id)."""
        self.card_html = self.render_card()
        type(self).objects.filter(pk=self.pk).update(card_html=self.card_html)

    def render_card(self) -> str:
        """The comment's card, rendered once when it changes, not on every page view.

        Rendering 100 cards per request is what made xtd's stock thread slow (its recursive
        template costs queries and time per comment); threads print this stored HTML and add
        only what depends on the reader.
        """
        target = self.content_object
        return render_to_string(
            "comments/includes/card.html",
            {
                "comment": self,
                "is_author": self.user_id is not None
                and self.user_id == getattr(target, "author_id", None),
            },
        )

    def get_absolute_url(self, anchor_pattern: str = "#c%(id)s") -> str:
        """The comment's permalink: its post's page, at the comment's anchor.

        django-contrib-comments' own permalink is a redirect through `cr/<ct>/<pk>/`; this
        is where that redirect lands. `anchor_pattern` keeps its `get_comment_permalink` tag
        working.
        """
        return self.content_object.get_absolute_url() + anchor_pattern % {"id": self.pk}

    def get_fresh_url(self, *, anchor: str = "") -> str:
        """Where a reader lands after posting, editing, reacting or deleting: the permalink
        with `?c=`, or the post at `anchor` (a deleted comment has no anchor of its own).

        The query string makes it an address no shared cache holds yet: a proxy or CDN may
        keep the post page from before the change for its `s-maxage`.
        """
        post_url, _, own_anchor = self.get_absolute_url().partition("#")
        return f"{post_url}?c={self.pk}#{anchor or own_anchor}"

    def show_on(self, post) -> None:
        """Remember the post this comment is on, already loaded: its URL then costs no query."""
        self._meta.get_field("content_object").set_cached_value(self, post)

    @classmethod
    def recount_feedback(cls, comment_id: int) -> None:
        """Refresh a comment's like and dislike counts from its flags."""

        def count(flag):
            return Coalesce(
                models.Subquery(
                    CommentFlag.objects.filter(comment_id=comment_id, flag=flag)
                    .order_by()
                    .values("comment_id")
                    .annotate(n=models.Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )

        cls.objects.filter(pk=comment_id).update(
            like_count=count(LIKEDIT_FLAG), dislike_count=count(DISLIKEDIT_FLAG)
        )

    def apply_edit(self, text: str, *, now=None) -> None:
        """The author's own edit: new text, "edited" marker, and a fresh card.

        A queryset update, not save(): xtd's pre_save receiver would otherwise re-publish
        held replies and shift the thread's counters.
        """
        self.comment = text
        self.comment_html = render_comment(text)
        self.edited_at = now or timezone.now()
        self.card_html = self.render_card()
        type(self).objects.filter(pk=self.pk).update(
            comment=self.comment,
            comment_html=self.comment_html,
            edited_at=self.edited_at,
            card_html=self.card_html,
        )

    @property
    def initials(self) -> str:
        return avatars.initials(self.user_name)

    @property
    def avatar_hue(self) -> str:
        return avatars.avatar_hue(self.user_name)

    @property
    def shown_date(self):
        """The date readers see: when the comment was published, or else written."""
        return self.published_at or self.submit_date

    @property
    def is_visible(self) -> bool:
        """`PUBLIC` for one instance (mirrors `CommentQuerySet.public()`)."""
        return self.is_public and not self.is_removed


class Discussion(models.Model):
    """A post's discussion in numbers, stored so no page counts comment rows.

    Written only by `comments.counts.recount`, which every change to what a thread shows
    calls; `manage.py repair_comment_counts` puts right any row that drifted.
    """

    post = models.OneToOneField(
        "blog.Post", on_delete=models.CASCADE, primary_key=True, related_name="discussion"
    )
    comment_count = models.PositiveIntegerField(default=0, help_text="Public comments (`PUBLIC`).")
    thread_count = models.PositiveIntegerField(
        default=0,
        help_text="Public top-level comments, removed ones included: they stay as placeholders "
        "above their replies.",
    )

    # The comment section as every signed-out reader of its first page sees it (oldest first),
    # stored by `recount` so a render of the post page reads it instead of building it (issue
    # 12; `comments.sections`). `first_page_key` names what shaped it besides the comments; a
    # section whose key is not the current one (comments closed since, a renamed post, a new
    # release, other settings) is rendered live.
    first_page_html = models.TextField(default="", editable=False)
    first_page_key = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        verbose_name = "discussion"

    def __str__(self):
        return f"{self.comment_count} comments in {self.thread_count} threads"


class BlockedWord(models.Model):
    """A word or phrase the author does not want published unseen: comments using it are held."""

    word = models.CharField(
        max_length=100,
        unique=True,
        help_text="Matched case-insensitively as a whole word (or phrase) in the comment, "
        "the name and the link.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        verbose_name = "blocked word"

    def __str__(self):
        return self.word

    def save(self, *args, **kwargs):
        self.word = " ".join(self.word.split()).lower()
        super().save(*args, **kwargs)


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    ABUSE = "abuse", "Abusive, hateful or harassing"
    PRIVATE = "private", "Shares someone’s private information"
    FALSE = "misleading", "Deliberately false or misleading"
    OFF_TOPIC = "off-topic", "Off topic"
    OTHER = "other", "Something else"


class FlagReport(models.Model):
    """Why a reader flagged a comment: the reason they chose and, if they wrote one, a note.

    Beside django-comments' own `CommentFlag` ("removal suggestion"), which xtd, the
    moderation queue and the hiding rule (comments.flags) count.
    """

    flag = models.OneToOneField(CommentFlag, on_delete=models.CASCADE, related_name="report")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.TextField(blank=True, max_length=500)

    class Meta:
        verbose_name = "flag report"

    def __str__(self):
        return self.get_reason_display()


class PendingComment(models.Model):
    """A comment written without signing in, waiting for its author's confirmation link.

    The link names this row (comments.links) rather than carrying the comment itself, so it
    stays one short line in the email however long the comment is. Rows go once the link has
    expired (COMMENTS_CONFIRMATION_MAX_AGE_DAYS, a periodic job).
    """

    key = models.CharField(max_length=32, primary_key=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "comment awaiting confirmation"
        verbose_name_plural = "comments awaiting confirmation"

    def __str__(self):
        return f"Comment awaiting confirmation since {self.created_at:%Y-%m-%d %H:%M}"
