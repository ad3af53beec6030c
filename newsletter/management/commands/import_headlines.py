from django.core.management.base import BaseCommand
from django.utils import timezone

from newsletter.headlines import import_headlines


class Command(BaseCommand):
    help = "Fetch every active headline feed; new entries become candidate headlines."

    def handle(self, *args, **options):
        report = import_headlines(now=timezone.now())
        for name, error in report.failed:
            self.stdout.write(self.style.WARNING(f"Skipped {name}: {error}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created} new candidate headline(s), {report.merged} already known, "
                f"{len(report.failed)} feed(s) failed."
            )
        )
