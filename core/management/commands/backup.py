from pathlib import Path

from django.core.management.base import BaseCommand

from core import backups


class Command(BaseCommand):
    help = (
        "Write one archive of the site: every database row, every uploaded file, and a "
        "manifest of what links in emails already sent depend on (keys named, never copied). "
        "Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Where to write the archive (default: VAR_DIR/backups/site-<time>.tar.gz).",
        )

    def handle(self, *, output, verbosity, **options):
        path = output or backups.default_backup_path()
        if verbosity:
            self.stdout.write("Reading the database (one consistent snapshot) and media…")
        report = backups.write_backup(path=path, stdout=self.stdout)
        self.stdout.write(
            f"Wrote {report.path} (mode 0600): {report.rows:,} rows of {report.models} models, "
            f"{report.media_files:,} media files ({report.media_bytes:,} bytes)."
        )
