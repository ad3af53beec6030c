"""Headlines: major news stories linked at their source, and the feeds they come from."""

import datetime

from django.db import models
from django.utils import timezone

from newsletter.addresses import normalise_url


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
        """Stories published from `start` to `end`, both included (the composer's week)."""
        return self.filter(published_at__gte=start, published_at__lte=end)


class Headline(models.Model):
    """A major news story, linked at its source: added by hand or imported from a feed.

    `url` is stored normalised (newsletter/addresses.py), so the same story reached through
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
        self.url = normalise_url(self.url)

    def save(self, *args, **kwargs):
        self.url = normalise_url(self.url)
        super().save(*args, **kwargs)
