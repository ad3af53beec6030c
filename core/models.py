import datetime

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
