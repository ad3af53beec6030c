"""Editions (weekly, or one new post), what they carry, and one delivery per recipient."""

import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.markup import render_post_body
from newsletter.models.headlines import Headline
from newsletter.models.subscribers import Subscriber


class EditionQuerySet(models.QuerySet):
    def weekly(self):
        """The weekly editions (not the every-post emails)."""
        return self.filter(kind=Edition.Kind.WEEKLY)

    def archived(self):
        """Weekly editions readers may read on the site: those going out or gone out.

        An edition is public from the moment its recipients are frozen, because the first
        emails link to the web version while the last ones are still being sent.
        """
        return self.weekly().filter(status__in=[Edition.Status.SENDING, Edition.Status.SENT])

    def due(self, *, now: datetime.datetime):
        """Scheduled editions whose time has come."""
        return self.filter(status=Edition.Status.SCHEDULED, send_at__lte=now)

    def sending(self):
        """Editions the worker is delivering (or will resume after an outage or a crash)."""
        return self.filter(status=Edition.Status.SENDING)


class Edition(models.Model):
    """One newsletter issue: the weekly edition, or the email announcing one new post.

    Both kinds go through the same delivery engine (newsletter/delivery.py). A post gets at
    most one announcement: the unique constraint on `post` for kind "post" makes that a
    property of the database, not of the code path that creates it.
    """

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly edition"
        POST = "post", "New post"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind, default=Kind.WEEKLY, editable=False)
    post = models.ForeignKey(
        "blog.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="newsletter_editions",
        help_text="The post a “new post” email announces.",
    )
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=150,
        blank=True,
        help_text="The line mail programs show after the subject in the inbox.",
    )
    intro = models.TextField(blank=True, help_text="Markdown. A few words before the articles.")
    intro_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT, editable=False)
    send_at = models.DateTimeField(null=True, blank=True, editable=False)
    frozen_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the recipient list was fixed."
    )
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The email body as it was sent, rendered once when the recipients were frozen: every
    # recipient gets the same edition even if a post changes during the send.
    content_html = models.TextField(editable=False, default="")
    content_text = models.TextField(editable=False, default="")
    recipients_count = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    temporary_errors = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Times the mail server was unreachable or said “later”.",
    )
    consecutive_errors = models.PositiveSmallIntegerField(default=0, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        indexes = [
            models.Index(fields=["status", "send_at"], name="edition_status_send_at_idx"),
            models.Index(fields=["kind", "status", "-finished_at"], name="edition_archive_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(kind="post"), name="edition_once_per_post"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="weekly") | models.Q(post__isnull=True),
                name="edition_weekly_has_no_post",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(send_at__isnull=False),
                name="edition_scheduled_has_send_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["sending", "sent", "failed"])
                | models.Q(frozen_at__isnull=False),
                name="edition_sending_is_frozen",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    sent_count__lte=models.F("recipients_count") - models.F("failed_count")
                ),
                name="edition_counts_add_up",
            ),
        ]

    def __str__(self):
        return self.subject

    def save(self, *args, **kwargs):
        self.intro_html = render_post_body(self.intro) if self.intro.strip() else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("newsletter:edition-detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        """Drafts and scheduled editions may change; once frozen, the edition is history."""
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    @property
    def is_archived(self) -> bool:
        """Mirrors `EditionQuerySet.archived()` for one instance."""
        return self.kind == self.Kind.WEEKLY and self.status in (
            self.Status.SENDING,
            self.Status.SENT,
        )


class EditionItem(models.Model):
    """A post in an edition, in the author's order, with an optional one-line note."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(
        max_length=200, blank=True, help_text="Optional: one line on why it is worth reading."
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "post"], name="edition_item_post_once"),
        ]

    def __str__(self):
        return f"{self.position}. {self.post}"


class EditionHeadline(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="headline_links")
    headline = models.ForeignKey(Headline, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "headline in the edition"
        verbose_name_plural = "headlines in the edition"
        constraints = [
            models.UniqueConstraint(fields=["edition", "headline"], name="edition_headline_once"),
        ]

    def __str__(self):
        return f"{self.position}. {self.headline}"


class DeliveryQuerySet(models.QuerySet):
    def due(self, *, now: datetime.datetime):
        """Waiting rows whose time has come (any retry backoff is over), oldest first."""
        return self.filter(status=Delivery.Status.PENDING, available_at__lte=now).order_by("pk")

    def leased_by(self, token: str):
        """The rows a worker claimed under this lease and has not finished."""
        return self.filter(lease_token=token, status=Delivery.Status.SENDING)

    def lease_expired(self, *, now: datetime.datetime):
        """Rows claimed by a worker that never finished them (it died): the lease ran out."""
        return self.filter(status=Delivery.Status.SENDING, lease_expires_at__lt=now)

    def status_counts(self) -> dict[str, int]:
        """How many rows each status holds (one grouped query; absent statuses missing)."""
        return dict(self.order_by().values_list("status").annotate(n=models.Count("pk")))

    def next_wake_up(self) -> datetime.datetime | None:
        """When there may be work again: the next retry, or the next lease to run out."""
        pending = self.filter(status=Delivery.Status.PENDING)
        leased = self.filter(status=Delivery.Status.SENDING)
        times = [
            pending.aggregate(at=models.Min("available_at"))["at"],
            leased.aggregate(at=models.Min("lease_expires_at"))["at"],
        ]
        return min((moment for moment in times if moment is not None), default=None)

    def latest_outcomes(self, *, subscriber_id: int, limit: int) -> list[bool]:
        """Whether each of a subscriber's last `limit` finished deliveries was a hard bounce."""
        finished = self.filter(
            subscriber_id=subscriber_id,
            status__in=[Delivery.Status.SENT, Delivery.Status.FAILED],
            last_attempt_at__isnull=False,
        )
        return list(
            finished.order_by("-last_attempt_at", "-pk").values_list("hard_bounce", flat=True)[
                :limit
            ]
        )


class Delivery(models.Model):
    """One edition to one subscriber: the unit of sending, retrying and counting.

    The unique (edition, subscriber) pair is what makes sending idempotent: freezing the
    recipients twice adds nobody twice, and a delivery is `sent` only after the mail server
    accepted the message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no longer subscribed)"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField(
        default=timezone.now, help_text="Not claimed before this time (retry backoff)."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    hard_bounce = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "subscriber"], name="delivery_once_per_subscriber"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="delivery_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(lease_expires_at__isnull=False),
                name="delivery_sending_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["edition", "status", "available_at"], name="delivery_claim_idx"),
            models.Index(fields=["subscriber", "-last_attempt_at"], name="delivery_history_idx"),
        ]

    def __str__(self):
        return f"{self.edition} → {self.subscriber}"


class LinkClick(models.Model):
    """How many times a link of an edition was followed: a count, never who clicked."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="link_clicks")
    url = models.CharField(max_length=2000)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-count", "url"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "url"], name="link_click_per_url"),
        ]

    def __str__(self):
        return f"{self.url}: {self.count}"
