import datetime
import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from newsletter.addresses import normalise_email, suppression_digest


def new_subscriber_key() -> str:
    """The random part of every link sent to a subscriber (never their id, never guessable)."""
    return secrets.token_urlsafe(18)


class SubscriberQuerySet(models.QuerySet):
    def with_email(self, address: str):
        """The subscriber for this address, whatever its case ("Zoe@" and "zoe@" are one)."""
        return self.filter(email__iexact=normalise_email(address))

    def active(self):
        """Confirmed subscribers: the only addresses any newsletter mail may go to."""
        return self.filter(status=Subscriber.Status.ACTIVE)

    def pending(self):
        """Addresses that asked to subscribe and have not confirmed yet."""
        return self.filter(status=Subscriber.Status.PENDING)

    def unconfirmed_before(self, cutoff: datetime.datetime):
        """Pending requests older than `cutoff`: the link has long expired, so they are purged."""
        return self.pending().filter(signed_up_at__lt=cutoff)

    def status_counts(self) -> dict[str, int]:
        """How many subscribers each status holds, every status present (the admin's summary)."""
        counts = dict.fromkeys(Subscriber.Status.values, 0)
        rows = self.order_by().values_list("status").annotate(n=models.Count("pk"))
        counts.update(dict(rows))
        return counts


class Subscriber(models.Model):
    """One address on the list, with the record of how and when it agreed to be there."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "The weekly edition only"
        EVERY_POST = "every_post", "The weekly edition and every new post"

    class UnsubscribeMethod(models.TextChoices):
        ONE_CLICK = "one-click", "One-click (from the mail program)"
        LINK = "link", "Link in an email"
        ADMIN = "admin", "By the author in the admin"
        BOUNCE = "bounce", "Address bounced"
        COMPLAINT = "complaint", "Spam complaint"

    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    cadence = models.CharField(max_length=12, choices=Cadence, default=Cadence.WEEKLY)
    key = models.CharField(max_length=32, unique=True, default=new_subscriber_key, editable=False)
    confirmation_nonce = models.CharField(max_length=32, blank=True, editable=False)

    # The consent record (GDPR Art. 7(1)): what was agreed, where, when and from which address.
    signed_up_at = models.DateTimeField(default=timezone.now)
    signup_source = models.CharField(
        max_length=200, blank=True, help_text="The form or route the address came from."
    )
    signup_url = models.CharField(max_length=500, blank=True, help_text="The page of the form.")
    consent_text_version = models.CharField(max_length=20, blank=True)
    consent_text = models.TextField(blank=True, help_text="The exact words the person agreed to.")
    signup_ip = models.GenericIPAddressField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_ip = models.GenericIPAddressField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_method = models.CharField(
        max_length=12, choices=UnsubscribeMethod, blank=True, default=""
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_up_at", "-id"]
        get_latest_by = "signed_up_at"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(confirmed_at__isnull=False),
                name="subscriber_active_is_confirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "signed_up_at"], name="subscriber_status_idx"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        """Mirrors `SubscriberQuerySet.active()` for one instance."""
        return self.status == self.Status.ACTIVE

    def unsubscribe(self, *, method: str, now: datetime.datetime) -> bool:
        """Stop all mail to this address at once; False when it was already stopped."""
        if self.status in (self.Status.UNSUBSCRIBED, self.Status.BOUNCED):
            return False
        bounced = method == self.UnsubscribeMethod.BOUNCE
        self.status = self.Status.BOUNCED if bounced else self.Status.UNSUBSCRIBED
        self.unsubscribed_at = now
        self.unsubscribe_method = method
        self.confirmation_nonce = ""
        self.save(
            update_fields=[
                "status",
                "unsubscribed_at",
                "unsubscribe_method",
                "confirmation_nonce",
                "updated_at",
            ]
        )
        return True


class SuppressionQuerySet(models.QuerySet):
    def matching(self, address: str):
        """The entry for this address, if it was erased."""
        return self.filter(digest=suppression_digest(address))


class Suppression(models.Model):
    """An address that must never be mailed again unless it re-subscribes and confirms.

    Only a SHA-256 of the normalised address is kept: after an erasure the address itself is
    gone, but an import or a bulk send can still recognise it and leave it out.
    """

    class Reason(models.TextChoices):
        ERASED = "erased", "Erased on request"

    digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=12, choices=Reason, default=Reason.ERASED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.created_at:%Y-%m-%d}"


# Weekly edition (issue 6): editions, their posts and headlines, and one delivery per recipient.


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
        from core.markup import render_post_body

        self.intro_html = render_post_body(self.intro) if self.intro.strip() else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

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


class HeadlineFeed(models.Model):
    """A news feed (RSS or Atom) whose entries become candidate headlines."""

    name = models.CharField(max_length=120, help_text="Shown as the headlines' source.")
    url = models.URLField(max_length=600, unique=True)
    active = models.BooleanField(default=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "headline feed"

    def __str__(self):
        return self.name


class HeadlineQuerySet(models.QuerySet):
    def approved(self):
        """Headlines the author picked: the only ones an edition may carry."""
        return self.filter(status=Headline.Status.APPROVED)

    def published_between(self, start: datetime.datetime, end: datetime.datetime):
        return self.filter(published_at__gte=start, published_at__lte=end)


class Headline(models.Model):
    """A major news story, linked at its source: added by hand or imported from a feed.

    `url` is stored normalised (newsletter/headlines.py), so the same story reached through
    two feeds, or with tracking parameters, is one headline.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        APPROVED = "approved", "Approved"

    title = models.CharField(max_length=300)
    url = models.URLField(max_length=600, unique=True)
    source_name = models.CharField(max_length=120, help_text="e.g. Reuters, BBC News.")
    published_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.APPROVED)
    feed = models.ForeignKey(
        HeadlineFeed, on_delete=models.SET_NULL, null=True, blank=True, related_name="headlines"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        indexes = [
            models.Index(fields=["status", "-published_at"], name="headline_status_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        # Before the unique check, so a known story in another spelling is a form error.
        from newsletter.headlines import normalise_url

        self.url = normalise_url(self.url)

    def save(self, *args, **kwargs):
        from newsletter.headlines import normalise_url

        self.url = normalise_url(self.url)
        super().save(*args, **kwargs)


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


class Delivery(models.Model):
    """One edition to one subscriber: the unit of sending, retrying and counting.

    The unique (edition, subscriber) pair is what makes sending idempotent: freezing the
    recipients twice adds nobody twice, and a delivery is `sent` only after the mail server
    accepted the message (criteria N11).
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
