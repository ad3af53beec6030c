import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import timezones
from newsletter import delivery, editions
from newsletter.models import Edition

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Send an edition, or resume one that is being sent, and wait until it is complete. "
        "Running it twice, or beside the worker, sends nobody a second copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("edition_id", type=int)
        parser.add_argument(
            "--now", action="store_true", help="Send a scheduled edition before its time."
        )

    def handle(self, *args, edition_id, now, **options):
        edition = Edition.objects.filter(pk=edition_id).first()
        if edition is None:
            raise CommandError(f"There is no edition {edition_id}.")
        if edition.status in (Edition.Status.SENT, Edition.Status.FAILED):
            self.stdout.write(f"Edition {edition_id} was already sent ({edition.status}).")
            return
        if edition.status == Edition.Status.SCHEDULED and edition.send_at > timezone.now():
            if not now:
                raise CommandError(
                    f"Edition {edition_id} is scheduled for {timezones.local(edition.send_at)} "
                    f"({timezones.zone_name()}); "
                    "use --now to send it now."
                )
        if edition.is_editable:
            try:
                recipients = editions.freeze_recipients(edition=edition, now=timezone.now())
            except editions.NotReady as err:
                raise CommandError(str(err)) from err
            self.stdout.write(f"Sending “{edition.subject}” to {recipients} subscriber(s).")
        else:
            self.stdout.write(f"Resuming “{edition.subject}”.")
        self.last_line = ""
        delivery.deliver(edition=edition, wait=True, on_progress=self.show)
        self.stdout.write("")
        state = delivery.progress(edition)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {state.sent} sent, {state.failed} failed, {state.skipped} skipped."
            )
        )

    def show(self, state: delivery.Progress) -> None:
        """A text progress bar, redrawn in place on a terminal, one line per change in a log."""
        filled = BAR_WIDTH * state.percent // 100
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {state.percent:3d}% "
            f"{state.done}/{state.total} ({state.sent} sent, {state.failed} failed)"
        )
        if line == self.last_line:
            return
        self.last_line = line
        tty = hasattr(sys.stdout, "isatty") and self.stdout.isatty()
        self.stdout.write(("\r" + line) if tty else line, ending="" if tty else "\n")
        self.stdout.flush()
