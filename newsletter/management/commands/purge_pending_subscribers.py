from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from newsletter import subscriptions


class Command(BaseCommand):
    help = (
        "Delete signups never confirmed within NEWSLETTER_PENDING_PURGE_DAYS days (an address "
        "that had unsubscribed before returns to that state). The worker does this daily by itself."
    )

    def handle(self, *args, **options):
        days = settings.NEWSLETTER_PENDING_PURGE_DAYS
        self.stdout.write(f"Purging signups left unconfirmed for more than {days} day(s)…")
        deleted, returned = subscriptions.purge_pending(now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"{deleted} unconfirmed address(es) deleted, "
                f"{returned} returned to their earlier unsubscribed state."
            )
        )
