"""`manage.py export_site [--output PATH]`: the whole site as one zip archive (core.transfer)."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.transfer import export


class Command(BaseCommand):
    help = (
        "Write the site (posts, images, comments, subscribers with their consent) to one zip "
        "archive that `import_site dispatch` restores. Readable by you only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="Where to write the archive (a file, or a folder for the default name "
            "<site>-export-<date>.zip). Default: that name in the current folder.",
        )

    def handle(self, *args, output=None, **options):
        now = timezone.now()
        target = Path(output or ".")
        if target.is_dir():
            target = target / export.archive_filename(now)
        if not target.parent.is_dir():
            raise CommandError(f"No such folder: {target.parent}")
        # Written under a private temporary name beside the target, then renamed: a crash leaves
        # no half archive under the real name, and no one else can read it at any moment.
        handle, temporary = tempfile.mkstemp(
            prefix=".export-", suffix=".zip.part", dir=target.parent
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                counts = export.write_archive(
                    stream, now=now, progress=lambda key: self.stdout.write(f"Wrote {key}.")
                )
            os.replace(temporary, target)
        except BaseException as err:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise CommandError(f"Could not write {target}: {err}") from err
            raise
        summary = ", ".join(f"{number} {key}" for key, number in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Exported {summary or 'an empty site'} to {target}"))
