"""Subscribers, with the record of their consent, and the hashes of erased addresses."""

import datetime
import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core import timezones
from core.addresses import normalise_email
from newsletter.addresses import suppression_digest


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

    def receiving(self, edition):
        """Who gets this edition: every active subscriber, or those who chose every post."""
        if edition.kind == edition.Kind.POST:
            return self.active().filter(cadence=Subscriber.Cadence.EVERY_POST)
        return self.active()

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
    source_post = models.ForeignKey(
        "blog.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The post whose signup form they used (the dashboard counts signups per post).",
    )
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
        return f"{self.get_reason_display()} on {timezones.local(self.created_at, 'DATE_FORMAT')}"
