"""Moving out: the whole site as one zip archive another install (or another platform) reads.

Core knows no app. Each app registers the part of the archive it owns in `AppConfig.ready()`:

    export.register(
        "posts",
        write=write_posts,            # called with the ArchiveWriter
        readme="posts/<date>-<slug>.md ...",  # its paragraph of the archive's README.md
    )

`write_archive()` then writes every part, `site.json` (the format, its version, the export
date and what the parts put in `writer.site`) and `README.md` (the layout, from the parts'
paragraphs). `manage.py export_site` and the admin's "Export the site" page both call it.

What goes in is decided per part and said in the README: never a password hash, a token, a
session, an IP address of a reader or anything an erasure removed.
"""

import datetime
import json
import posixpath
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import slugify

from core import identity

FORMAT_NAME = "dispatch"
FORMAT_VERSION = 1
MEDIA_FOLDER = "media"
CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Part:
    key: str
    write: Callable[["ArchiveWriter"], None]
    readme: str


_parts: dict[str, Part] = {}


def register(key: str, *, write: Callable[["ArchiveWriter"], None], readme: str) -> None:
    """Add a part to every archive; registering a key again replaces the part."""
    _parts[key] = Part(key=key, write=write, readme=readme)


def parts() -> list[Part]:
    return list(_parts.values())


def safe_member_name(name: str) -> str:
    """`name` as a relative POSIX path inside the archive, or ValueError.

    Nothing absolute, no `..`, no backslash, no drive letter: the names a careless unzip would
    write outside its folder (zip slip) are refused when writing as when reading.
    """
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name:
        raise ValueError(f"Not a safe name inside an archive: {name!r}.")
    normal = posixpath.normpath(name)
    if normal != name or normal.startswith("../") or normal in (".", ".."):
        raise ValueError(f"Not a safe name inside an archive: {name!r}.")
    return normal


@dataclass
class ArchiveWriter:
    """What a part writes with: text, JSON and stored media, into one zip file."""

    zip: zipfile.ZipFile
    now: datetime.datetime
    # Top-level keys of site.json that parts fill in ("author", "tags", ...).
    site: dict[str, Any] = field(default_factory=dict)
    # What went in, by part: shown by the command and the admin, and in site.json.
    counts: dict[str, int] = field(default_factory=dict)
    _media: dict[str, str] = field(default_factory=dict)

    def _info(self, name: str) -> zipfile.ZipInfo:
        local = timezone.localtime(self.now)
        info = zipfile.ZipInfo(safe_member_name(name), date_time=local.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16  # whoever unzips it: readable by them only
        return info

    def add_text(self, name: str, text: str) -> None:
        self.zip.writestr(self._info(name), text.encode())

    def add_json(self, name: str, data: Any) -> None:
        self.add_text(name, to_json(data) + "\n")

    def add_media(self, storage_name: str) -> str | None:
        """Copy a file from the configured storage into `media/`; its name in the archive.

        The same stored file is copied once however many rows name it; a file the storage
        no longer has is left out (None), and the row's JSON still names it.
        """
        if not storage_name:
            return None
        if storage_name in self._media:
            return self._media[storage_name]
        name = safe_member_name(f"{MEDIA_FOLDER}/{storage_name}")
        if not default_storage.exists(storage_name):
            return None
        with (
            default_storage.open(storage_name, "rb") as source,
            self.zip.open(self._info(name), "w") as target,
        ):
            while chunk := source.read(CHUNK_SIZE):
                target.write(chunk)
        self._media[storage_name] = name
        self.counts["media"] = self.counts.get("media", 0) + 1
        return name

    def count(self, key: str, number: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + number


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


def timestamp(value: datetime.datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC, the one spelling every file of the archive uses."""
    return value.astimezone(datetime.UTC).isoformat() if value else None


def archive_filename(now: datetime.datetime) -> str:
    """`<site>-export-<date>.zip`, e.g. `the-dispatch-export-2026-12-04.zip`."""
    site = slugify(unicodedata.normalize("NFKD", identity.current().site_name)) or "site"
    return f"{site}-export-{timezone.localtime(now):%Y-%m-%d}.zip"


def write_archive(
    target: IO[bytes],
    *,
    now: datetime.datetime,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the whole archive to `target` (a binary file open for writing); what went in."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = ArchiveWriter(zip=archive, now=now)
        for part in parts():
            part.write(writer)
            if progress is not None:
                progress(part.key)
        current = identity.current()
        site = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "exported_at": timestamp(now),
            "site": {
                "name": current.site_name,
                "tagline": settings.SITE_TAGLINE,
                "url": settings.SITE_URL,
                "time_zone": settings.TIME_ZONE,
                "language": settings.LANGUAGE_CODE,
                "sender_name": current.sender_name if current.has_sender else "",
                "sender_address": current.sender_address if current.has_sender else "",
                "reply_to_address": current.reply_to_address,
                "postal_address": current.postal_address,
            },
            **writer.site,
            "counts": writer.counts,
        }
        writer.add_json("site.json", site)
        writer.add_text("README.md", readme(now=now))
    return writer.counts


README_HEAD = """\
# Export of {site_name}

Made on {date} by `manage.py export_site` (or the admin's "Export the site"). Format
`{format}`, version {version}. Every file is UTF-8; every date and time is ISO 8601 in UTC.

To restore this site on a fresh install:

    manage.py migrate
    manage.py import_site {format} {filename}

## Layout

- `README.md`: this page.
- `site.json`: the format and its version, the export date, the site's identity (name,
  tagline, address, time zone, sender and postal address), and what the parts below add to it.
"""

README_FOOT = """
## What is not here, on purpose

No account passwords or password hashes, no sign-in, confirmation or unsubscribe tokens, no
sessions, no `SECRET_KEY`, no readers' IP addresses on comments, no comment still waiting for
its writer's confirmation, no outgoing mail. An erased subscriber is not here at all, only the
one-way hash that keeps them off the list (see `consent.json`).
"""


def readme(*, now: datetime.datetime) -> str:
    current = identity.current()
    head = README_HEAD.format(
        site_name=current.site_name,
        date=f"{timezone.localtime(now):%Y-%m-%d %H:%M %Z}",
        format=FORMAT_NAME,
        version=FORMAT_VERSION,
        filename=archive_filename(now),
    )
    body = "".join(f"- {part.readme.strip()}\n" for part in parts())
    return head + body + README_FOOT
