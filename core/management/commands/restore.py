from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = (
        "Restore an archive from `manage.py backup` into this site's database and media "
        "storage: migrates first, refuses a database that already holds rows unless --force, "
        "and warns when this machine's keys or SITE_URL would break links in old emails."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The .tar.gz written by `backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete every row in this database before restoring (it is not empty).",
        )

    def handle(self, *, archive, force, verbosity, **options):
        if not archive.is_file():
            raise CommandError(f"No such file: {archive}")
        if verbosity:
            self.stdout.write(f"Restoring {archive}…")
        try:
            report = backups.restore_backup(path=archive, force=force)
        except backups.RestoreRefused as err:
            raise CommandError(str(err)) from err
        if report.flushed:
            self.stdout.write("Deleted every row the database held before (--force).")
        self.stdout.write(
            f"Restored {report.rows:,} rows of {report.models} models and "
            f"{report.media_files:,} media files; the page cache starts afresh."
        )
        for warning in report.warnings:
            self.stderr.write(f"Warning: {warning}")
        if not report.warnings:
            self.stdout.write(
                "Links in emails sent before the backup will work here: same SITE_URL, keys "
                "and link lifetimes."
            )
