from django.core.management.base import BaseCommand
from django.utils import timezone

from newsletter import delivery, editions


class Command(BaseCommand):
    help = (
        "Start scheduled editions and new posts' emails whose time has come, and finish every "
        "edition being sent, now. The worker does this by itself on every periodic tick; this is a "
        "manual safety net."
    )

    def handle(self, *args, **options):
        sending = editions.start_due(now=timezone.now())
        if not sending:
            self.stdout.write("Nothing to send.")
        for edition in sending:
            sent = delivery.deliver(edition=edition, wait=True)
            state = delivery.progress(edition)
            self.stdout.write(
                f"“{edition.subject}”: {sent} sent now; {state.sent} of {state.total} in all, "
                f"{state.failed} failed."
            )
