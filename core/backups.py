"""One archive holding a whole site: its database rows, its uploaded files, and a manifest.

`manage.py backup` writes it and `manage.py restore` reads it (docs/decisions.md: why our own
format rather than django-dbbackup). The archive is a gzipped tar, readable by hand:

- `manifest.json`: when and by which code it was made, the migrations applied, the rows per
  model, every media file (size and SHA-256), and what links in emails already sent depend on;
- `data.jsonl`: every row, as `dumpdata --format jsonl --natural-foreign --natural-primary`
  writes it (times kept to the microsecond, core.backup_format), so it loads into SQLite or
  PostgreSQL whichever it came from;
- `media/…`: the files of the `default` storage (local disk or S3-compatible), by their names.

What old emails' links depend on is listed, never copied: the settings they are signed with
(`SECRET_KEY`, `SECRET_KEY_FALLBACKS`) are named, with a probe signed by each (an HMAC of a
fixed word; it proves a key matches, it cannot give the key away); the `SITE_URL` the links
point at; and the purposes (salts) and lifetimes of each kind of link, which the apps register
in `AppConfig.ready()`:

    backups.register_link(
        CONFIRM_LINK.salt,
        description="Newsletter confirmation links",
        max_age_setting="NEWSLETTER_CONFIRM_MAX_AGE",
    )

A restore onto a machine whose keys cannot verify those probes, or whose SITE_URL differs, says
which links will break and how to keep them working.
"""

import contextlib
import datetime
import hashlib
import io
import json
import os
import posixpath
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers, signing
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import backup_format

if TYPE_CHECKING:
    import tarfile

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
MEDIA = "media/"
# Rebuilt by `migrate` on any machine (references to them travel as natural keys), or
# per-machine and short-lived (sign-in sessions: everyone signs in again after a restore).
NOT_BACKED_UP = ["contenttypes.contenttype", "auth.permission", "sessions.session"]
# Rows `migrate` itself writes into an empty database: their presence does not make it "in use".
MADE_BY_MIGRATE = {"sites.site"}
KEY_PROBE_SALT = "core.backups.key-probe"
KEY_PROBE_VALUE = "key-probe"


class RestoreRefused(Exception):
    """The archive cannot be restored here as things stand; the message says why."""


@dataclass(frozen=True)
class EmailedLink:
    purpose: str
    description: str
    max_age_setting: str | None = None


_links: dict[str, EmailedLink] = {}


def register_link(purpose: str, *, description: str, max_age_setting: str | None = None) -> None:
    """Declare a kind of signed link that goes out in emails (called from AppConfig.ready())."""
    _links[purpose] = EmailedLink(purpose, description, max_age_setting)


def emailed_links() -> list[EmailedLink]:
    return sorted(_links.values(), key=lambda link: link.purpose)


def _probe(key: str) -> str:
    return signing.Signer(key=key, salt=KEY_PROBE_SALT).sign(KEY_PROBE_VALUE)


def _probe_verifies_here(probe: str) -> bool:
    """Whether a link signed with the archive's key verifies with this machine's keys."""
    try:
        return signing.Signer(salt=KEY_PROBE_SALT).unsign(probe) == KEY_PROBE_VALUE
    except signing.BadSignature:
        return False


def link_manifest() -> dict:
    """What links in emails already sent need from the settings: named and probed, not copied."""
    return {
        "site_url": settings.SITE_URL,
        "keys": {
            "SECRET_KEY": _probe(settings.SECRET_KEY),
            "SECRET_KEY_FALLBACKS": [_probe(key) for key in settings.SECRET_KEY_FALLBACKS],
        },
        "links": [
            {
                "purpose": link.purpose,
                "description": link.description,
                "max_age_setting": link.max_age_setting,
                "max_age": getattr(settings, link.max_age_setting)
                if link.max_age_setting
                else None,
            }
            for link in emailed_links()
        ],
    }


def link_warnings(recorded: dict) -> list[str]:
    """What will break, here, in the links of emails sent before the backup."""
    warnings = []
    if recorded["site_url"] != settings.SITE_URL:
        warnings.append(
            f"SITE_URL was {recorded['site_url']} and is {settings.SITE_URL} here: links in "
            f"emails sent before the backup point at {recorded['site_url']} (redirect it here, "
            "or set SITE_URL back)."
        )
    keys = recorded["keys"]
    if not _probe_verifies_here(keys["SECRET_KEY"]):
        warnings.append(
            "The archive's SECRET_KEY is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS "
            "here: every signed link in emails sent before the backup (unsubscribe, "
            "confirmation, sign-in) will be refused. Set SECRET_KEY to the old key, or add the "
            "old key to SECRET_KEY_FALLBACKS."
        )
    lost = [
        n
        for n, probe in enumerate(keys["SECRET_KEY_FALLBACKS"], start=1)
        if not _probe_verifies_here(probe)
    ]
    if lost:
        which = ", ".join(f"#{n}" for n in lost)
        warnings.append(
            f"SECRET_KEY_FALLBACKS {which} of the archive's {len(keys['SECRET_KEY_FALLBACKS'])} "
            "are not known here: links signed with them before the backup will be refused."
        )
    known = {link.purpose: link for link in emailed_links()}
    for link in recorded["links"]:
        here = known.get(link["purpose"])
        if here is None:
            warnings.append(
                f"{link['description']} ({link['purpose']}) are no longer read by this version "
                "of the site: those in old emails will not work."
            )
            continue
        if link["max_age_setting"]:
            now_max_age = getattr(settings, link["max_age_setting"], None)
            if now_max_age != link["max_age"]:
                warnings.append(
                    f"{link['max_age_setting']} was {link['max_age']} and is {now_max_age} here: "
                    f"{link['description'].lower()} from before the backup expire accordingly."
                )
    return warnings


def _models_backed_up() -> list[str]:
    return sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.label_lower not in NOT_BACKED_UP
        and model._meta.managed
        and not model._meta.proxy
    )


def _applied_migrations(using: str) -> list[list[str]]:
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


@contextlib.contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """Read every table as of one moment while the site keeps writing.

    PostgreSQL: one REPEATABLE READ, READ ONLY transaction. SQLite (WAL): a deferred read
    transaction, which holds its snapshot without taking the write lock that our IMMEDIATE
    transactions would (writers carry on during the dump).
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic(using=using):
        yield


def _media_names(path: str = "") -> Iterator[str]:
    try:
        folders, files = default_storage.listdir(path)
    except FileNotFoundError:  # no upload yet: MEDIA_ROOT does not exist
        return
    for name in sorted(files):
        yield posixpath.join(path, name) if path else name
    for folder in sorted(folders):
        yield from _media_names(posixpath.join(path, folder) if path else folder)


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class BackupReport:
    path: Path
    rows: int
    models: int
    media_files: int
    media_bytes: int


def _add_bytes(tar: "tarfile.TarFile", name: str, data: bytes, mtime: float) -> None:
    import tarfile

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _register_format() -> None:
    if backup_format.NAME not in serializers.get_serializer_formats():
        serializers.register_serializer(backup_format.NAME, backup_format.__name__)


def write_backup(*, path: Path, using: str = DEFAULT_DB_ALIAS, stdout=None) -> BackupReport:
    """Write the archive to `path` (mode 0600, written aside then renamed into place)."""
    # Imported here and in restore_backup: web workers import this module (the apps register
    # their emailed links at start) but never write or read a backup.
    import tarfile

    _register_format()
    now = timezone.now()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="backup-", dir=path.parent) as work:
        data_path = Path(work) / DATA
        with _snapshot(using):
            call_command(
                "dumpdata",
                format=backup_format.NAME,
                natural_foreign=True,
                natural_primary=True,
                exclude=NOT_BACKED_UP,
                output=str(data_path),
                database=using,
                verbosity=0,
                stdout=stdout or io.StringIO(),
            )
            migrations = _applied_migrations(using)
        rows = Counter()
        with data_path.open("rb") as data:
            for line in data:
                rows[json.loads(line)["model"]] += 1
        with data_path.open("rb") as data:
            data_sha256 = _sha256(data)

        media = []
        for name in _media_names():
            with default_storage.open(name, "rb") as stored:
                media.append({"name": name, "size": stored.size, "sha256": _sha256(stored)})

        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "django": django.get_version(),
            "database_vendor": connections[using].vendor,
            "migrations": migrations,
            "rows": dict(sorted(rows.items())),
            "data_sha256": data_sha256,
            "media_storage": settings.STORAGES["default"]["BACKEND"],
            "media": media,
            "emailed_links": link_manifest(),
        }

        partial = Path(work) / "archive.tar.gz"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            mtime = now.timestamp()
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), mtime)
            info = tar.gettarinfo(str(data_path), arcname=DATA)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with data_path.open("rb") as data:
                tar.addfile(info, data)
            for entry in media:
                with default_storage.open(entry["name"], "rb") as stored:
                    info = tarfile.TarInfo(MEDIA + entry["name"])
                    info.size, info.mtime, info.mode = entry["size"], mtime, 0o600
                    tar.addfile(info, stored)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    return BackupReport(
        path=path,
        rows=sum(rows.values()),
        models=len(rows),
        media_files=len(media),
        media_bytes=sum(entry["size"] for entry in media),
    )


def read_manifest(tar: "tarfile.TarFile") -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise RestoreRefused("This is not a site backup: it has no manifest.json.") from None
    manifest = json.load(tar.extractfile(member))
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(
            f"This backup is in format {manifest.get('format')!r}; this version reads {FORMAT}."
        )
    return manifest


def rows_in_use(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The models that already hold rows a restore would mix with (migrate's own excepted)."""
    return [
        label
        for label in _models_backed_up()
        if label not in MADE_BY_MIGRATE
        and apps.get_model(label)._base_manager.using(using).exists()
    ]


@dataclass
class RestoreReport:
    rows: int
    models: int
    media_files: int
    flushed: bool
    warnings: list[str] = field(default_factory=list)


def restore_backup(
    *, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS, stdout=None
) -> RestoreReport:
    """Load the archive into this site's database and media storage.

    Migrates the database first (a new machine starts empty), refuses one that already holds
    rows unless `force` (then it is flushed first), loads every row in one transaction, puts
    the media files back, and returns what it did with the warnings about old emails' links.
    """
    import tarfile

    quiet = io.StringIO()
    with tarfile.open(path, mode="r:gz") as tar:
        manifest = read_manifest(tar)
        warnings = link_warnings(manifest["emailed_links"])

        call_command("migrate", interactive=False, database=using, verbosity=0, stdout=quiet)
        call_command("createcachetable", database=using, verbosity=0, stdout=quiet)
        here = {tuple(pair) for pair in _applied_migrations(using)}
        unknown = sorted({tuple(pair) for pair in manifest["migrations"]} - here)
        if unknown:
            names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            raise RestoreRefused(
                f"The backup was made by a newer version of the site (migrations {names} are "
                "unknown here): deploy that version, or a later one, then restore."
            )
        in_use = rows_in_use(using)
        if in_use and not force:
            raise RestoreRefused(
                f"The database already holds rows ({', '.join(in_use[:5])}"
                f"{', …' if len(in_use) > 5 else ''}): restore into an empty database, or pass "
                "--force to delete everything in it first."
            )
        if in_use:
            call_command("flush", interactive=False, database=using, verbosity=0, stdout=quiet)

        _register_format()
        with tempfile.TemporaryDirectory(prefix="restore-") as work:
            # loaddata reads the format from the file's extension.
            data_path = Path(work) / f"data.{backup_format.NAME}"
            with data_path.open("wb") as data:
                data.write(tar.extractfile(tar.getmember(DATA)).read())
            with data_path.open("rb") as data:
                if _sha256(data) != manifest["data_sha256"]:
                    raise RestoreRefused("The archive's data does not match its manifest.")
            call_command(
                "loaddata", str(data_path), database=using, verbosity=0, stdout=stdout or quiet
            )

        restore_media(tar, manifest)

    # Whatever a cache kept from before (pages, the site identity) is from another database.
    from core import identity, pagecache

    pagecache.refresh_public_pages()
    identity.forget()
    return RestoreReport(
        rows=sum(manifest["rows"].values()),
        models=len(manifest["rows"]),
        media_files=len(manifest["media"]),
        flushed=bool(in_use),
        warnings=warnings,
    )


def restore_media(tar: "tarfile.TarFile", manifest: dict) -> None:
    """Put every file of the archive back in the `default` storage, under its own name."""
    for entry in manifest["media"]:
        member = tar.extractfile(MEDIA + entry["name"])
        if default_storage.exists(entry["name"]):
            default_storage.delete(entry["name"])
        saved = default_storage.save(entry["name"], File(member, name=entry["name"]))
        if saved != entry["name"]:
            raise RestoreRefused(f"Media file {entry['name']} was stored as {saved}.")


def default_backup_path(now: datetime.datetime | None = None) -> Path:
    moment = (now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"site-{moment}.tar.gz"
