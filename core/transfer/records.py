"""Import records: which object an earlier import made from which source object, and the
old addresses that lead to it. This is what makes an import idempotent."""

from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import ImportedRedirect, ImportRecord
from core.transfer.appliers import Context


def find(context: Context, kind: str, source_id: str) -> ImportRecord | None:
    """The record of an earlier import of this source object, if any."""
    return (
        ImportRecord.objects.select_related("content_type")
        .filter(platform=context.platform, kind=kind, source_id=source_id)
        .first()
    )


def target(context: Context, kind: str, source_id: str, model: type[models.Model]):
    """The object an earlier import made from this source object, or None (never imported, or
    deleted since)."""
    pk = (
        ImportRecord.objects.filter(
            platform=context.platform,
            kind=kind,
            source_id=source_id,
            content_type=ContentType.objects.get_for_model(model),
        )
        .values_list("object_id", flat=True)
        .first()
    )
    return model._default_manager.filter(pk=pk).first() if pk is not None else None


def remember(context: Context, kind: str, source_id: str, obj: models.Model) -> ImportRecord:
    return ImportRecord.objects.create(
        platform=context.platform,
        kind=kind,
        source_id=source_id,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        imported_at=context.now,
    )


def normalise_old_path(url: str) -> str:
    """The path (and query) of an old address, without scheme and host: what a reader's
    request for it carries. "https://old.example/?p=12" -> "/?p=12"."""
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{path}?{parts.query}" if parts.query else path


def add_redirects(record: ImportRecord, old_urls: list[str], *, new_path: str) -> int:
    """Point each old address at the record's object, except its new address itself and
    addresses another object already claims. Returns how many were added."""
    added = 0
    for url in old_urls:
        old_path = normalise_old_path(url)
        if old_path == new_path or len(old_path) > 500:
            continue
        _, created = ImportedRedirect.objects.get_or_create(
            old_path=old_path, defaults={"record": record}
        )
        added += created
    return added
