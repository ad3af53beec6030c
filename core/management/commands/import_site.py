"""`manage.py import_site wordpress export.xml [--dry-run]`: move a site in (issue 14)."""

from django.core.management.base import BaseCommand, CommandError

from core.transfer import appliers, formats
from core.transfer.document import UnreadableExport


class Command(BaseCommand):
    help = (
        "Import posts, pages, comments and subscribers from another platform's export. "
        "Running it again changes nothing; --dry-run reports without saving."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=sorted(formats.PARSERS))
        parser.add_argument("path", help="The export: a file, a folder or a zip.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; save nothing."
        )

    def handle(self, *args, **options):
        format_name, path, dry_run = options["format"], options["path"], options["dry_run"]
        self.stdout.write(f"Reading {path} as a {format_name} export…")
        try:
            document = formats.parse(format_name, path)
        except UnreadableExport as err:
            raise CommandError(str(err)) from err
        self.stdout.write(
            f"Found {len(document.posts)} posts, {len(document.pages)} pages, "
            f"{len(document.comments)} comments, {len(document.subscribers)} subscribers."
        )
        try:
            report = appliers.apply_document(document, dry_run=dry_run)
        except UnreadableExport as err:
            raise CommandError(str(err)) from err
        self.stdout.write(report.text())
