import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutgoingEmailQuerySet(models.QuerySet):
    def finished_before(self, moment: datetime.datetime):
        """Sent or given-up messages older than `moment`: kept for the record, then purged."""
        return self.filter(
            status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED],
            created_at__lt=moment,
        )


class OutgoingEmail(models.Model):
    """One message waiting for, or past, delivery by the worker.

    Requests never talk to the mail server: they store the finished message here and a
    background task sends it, retrying with backoff while the server is unreachable. The row
    holds the message exactly as it will be sent (RFC 5322 bytes), not a pickle.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    mailer = models.CharField(max_length=40, help_text="The MAILERS alias that delivers it.")
    from_email = models.CharField(max_length=320)
    recipients = models.JSONField()
    subject = models.CharField(max_length=300, blank=True)
    message = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        # The table predates this app (the outbox lived in `blog`); moved without copying rows.
        db_table = "blog_outgoingemail"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outgoing_due_idx"),
            models.Index(fields=["status", "created_at"], name="outgoing_finished_idx"),
        ]
        verbose_name = "outgoing email"

    def __str__(self):
        return f"{self.subject} → {', '.join(self.recipients)}"


class TrustedDeviceQuerySet(models.QuerySet):
    def current(self, *, now: datetime.datetime):
        """Devices whose trust has not run out: the only ones a sign-in may skip the code for."""
        return self.filter(expires_at__gt=now)


class TrustedDevice(models.Model):
    """A browser a staff member proved, with an emailed or authenticator code, to be theirs.

    The browser keeps a random token in a cookie; only its SHA-256 is stored, so this table
    cannot be used to impersonate a browser. Deleting a row (admin: Site › Trusted browsers, or
    `manage.py reset_staff_verification`) signs that browser out and asks it for a code again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_devices"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True, help_text="Browser and system.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = TrustedDeviceQuerySet.as_manager()

    class Meta:
        ordering = ["-last_used_at"]
        verbose_name = "trusted browser"

    def __str__(self):
        return f"{self.label or 'Unknown browser'} ({self.user})"


class StaffSignInCode(models.Model):
    """The 6-digit code last emailed to a staff member signing in from a new browser.

    One per person: sending a new code replaces the old one. Only an HMAC of the code is kept
    (a plain hash of six digits is undone by trying all million). Wrong tries are counted in
    the row, with an atomic UPDATE, so parallel guesses cannot exceed the limit.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sign_in_code"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "staff sign-in code"

    def __str__(self):
        return f"Sign-in code for {self.user}"


class SiteIdentity(models.Model):
    """Who the site is and who its email comes from, as the writer fills it in the admin.

    One row (pk 1). Every field left blank falls back to the environment's setting
    (SITE_NAME, DEFAULT_FROM_EMAIL, NEWSLETTER_POSTAL_ADDRESS); `core.identity.current()`
    merges the two and caches the result until the row is saved again.
    """

    SINGLETON_PK = 1

    site_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="Shown at the top of every page and in every email's subject.",
    )
    sender_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="The name inboxes show as the sender. Blank: the site name.",
    )
    sender_address = models.EmailField(
        blank=True,
        help_text=(
            "Every email comes from this address. Use one on your own domain that your mail "
            "service is allowed to send for (SPF and DKIM), never a free webmail address."
        ),
    )
    reply_to_address = models.EmailField(
        "reply-to address",
        blank=True,
        help_text="Where replies to the newsletter go. Blank: the sender address.",
    )
    postal_address = models.TextField(
        blank=True,
        help_text=(
            "Printed at the foot of every newsletter, as the law asks of anyone sending bulk "
            "email (CAN-SPAM; a PO box or registered agent address will do)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site identity"
        verbose_name_plural = "site identity"

    def __str__(self):
        return "Site identity"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)


class PageViewDay(models.Model):
    """How many times the page counted as `key` was read on `day` (core.pageviews).

    A number per page and day, nothing about who: no address, cookie or browser trait.
    `key` names what was read ("blog.post:42"); the app that marks its pages reads it back.
    """

    key = models.CharField(max_length=100)
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "key"]
        constraints = [
            models.UniqueConstraint(fields=["key", "day"], name="page_view_day_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="page_view_day_idx")]

    def __str__(self):
        return f"{self.key} on {self.day}: {self.views}"


class ReferrerDay(models.Model):
    """How many reads of `key` on `day` came from a link on another site: its domain only."""

    key = models.CharField(max_length=100)
    day = models.DateField()
    domain = models.CharField(max_length=253)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "key", "-views"]
        constraints = [
            models.UniqueConstraint(fields=["key", "day", "domain"], name="referrer_day_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="referrer_day_idx")]

    def __str__(self):
        return f"{self.key} from {self.domain} on {self.day}: {self.views}"


class ImportRecord(models.Model):
    """What an import made from one object of another platform's export: running the same
    import again finds the record and leaves the object alone (`core.transfer.records`).

    Core imports no app, so the object is referred to generically; an object deleted since
    simply leaves its record, and the next import skips it rather than bringing it back.
    """

    platform = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    source_id = models.CharField(max_length=255)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "source_id"], name="import_record_unique_source"
            ),
        ]

    def __str__(self):
        return f"{self.platform} {self.kind} {self.source_id}"

    @property
    def target(self):
        """The object the import made, or None once it has been deleted."""
        model = self.content_type.model_class()
        return model._default_manager.filter(pk=self.object_id).first() if model else None


class ImportedRedirect(models.Model):
    """An address an imported object had on its old platform ("/?p=123", "/p/slug",
    "/2019/03/hello/"): it answers 301 to the object's address here while the object is
    public (`core.transfer.redirects`)."""

    old_path = models.CharField(max_length=500, unique=True)
    record = models.ForeignKey(ImportRecord, on_delete=models.CASCADE, related_name="redirects")

    class Meta:
        ordering = ["old_path"]
        verbose_name = "imported address"

    def __str__(self):
        return self.old_path
