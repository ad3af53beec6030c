from django.core.management.base import BaseCommand
from django.utils import timezone

from core import outbox


class Command(BaseCommand):
    help = (
        "Deliver every stored email that is due now, including sends that died mid-way. "
        "The worker does this by itself; run it from cron as a safety net or after an outage."
    )

    def handle(self, *args, **options):
        due = list(outbox.due_messages())
        outcomes: dict[str, int] = {}
        for number, pk in enumerate(due, start=1):
            row = outbox.claim(pk)
            if row is None:
                continue
            status = outbox.deliver(row)
            outcomes[status] = outcomes.get(status, 0) + 1
            self.stdout.write(f"  [{number}/{len(due)}] {row.subject!r}: {status}")
        purged = outbox.purge_finished(now=timezone.now())
        summary = ", ".join(f"{count} {status}" for status, count in outcomes.items()) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(due)} due message(s): {summary}; {purged} old message(s) purged."
            )
        )
