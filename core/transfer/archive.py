"""Reading our own site archive (`core.transfer.export`) back into a `Document`.

`import_site dispatch <file.zip>` restores a site from it. The neutral fields of each item are
filled in as for any other platform; each item also carries the archive's whole record
(`record`), from which the apps' archive appliers (`<app>/restore.py`, registered for the
platform "archive") restore what only this site has: post kinds, sources, corrections, old
slugs, stored image names, comment states, pending subscribers and consent records.

It reads a zip (or the folder it was unzipped to) through `core.transfer.bundle`, the reader
every import shares: no member outside the archive, no link, no zip bomb, no member read past
the size its header gave. Images go to storage only under names the blog applier checks.
"""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.utils.dateparse import parse_datetime

from core.transfer import document
from core.transfer.bundle import Bundle
from core.transfer.document import UnreadableExport
from core.transfer.export import FORMAT_NAME, FORMAT_VERSION

PLATFORM = "archive"


@dataclass
class ArchiveAuthor(document.Author):
    record: dict = field(default_factory=dict)


@dataclass
class ArchiveTag(document.Tag):
    record: dict = field(default_factory=dict)


@dataclass
class ArchivePost(document.Post):
    record: dict = field(default_factory=dict)


@dataclass
class ArchiveComment(document.Comment):
    record: dict = field(default_factory=dict)


@dataclass
class ArchiveSubscriber(document.Subscriber):
    record: dict = field(default_factory=dict)


@dataclass
class ArchiveDocument(document.Document):
    """A `Document` with what only our archive has: the site's own record and the hashes of
    erased addresses, which stay off the list on the restored site."""

    site: dict = field(default_factory=dict)
    erased: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION


class ArchiveReader:
    """The members of one archive (a `Bundle`), as bytes, JSON or a loader."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.members = set(bundle.names())

    def json(self, name: str) -> Any:
        if name not in self.members:
            raise UnreadableExport(f"The archive has no {name}.")
        try:
            return json.loads(self.bundle.read(name).decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UnreadableExport(f"{name} is not valid JSON: {err}.") from err

    def loader(self, name: str | None):
        return self.bundle.loader(name) if name and name in self.members else None


def reset_sequences(*models) -> None:
    """After rows were inserted with the ids they had on the old site (so that links to
    `#c12` or a post's comment feed keep working), the database's next id starts above them
    (PostgreSQL sequences; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _when(value) -> datetime.datetime | None:
    if not value:
        return None
    if not isinstance(value, str) or (parsed := parse_datetime(value)) is None:
        raise UnreadableExport(f"Not a date and time: {value!r}.")
    return parsed


def _image(reader: ArchiveReader, data: dict) -> document.Image:
    return document.Image(
        source=data.get("file") or data.get("stored_name") or "",
        load=reader.loader(data.get("file")),
        alt_text=data.get("alt_text", ""),
        caption=data.get("caption", ""),
        credit=data.get("credit", ""),
    )


NEUTRAL_COMMENT_STATUS = {"public": "approved", "held": "pending", "removed": "spam"}
# Never a status that mails someone: a pending address is "unsubscribed" to other appliers.
NEUTRAL_SUBSCRIBER_STATUS = {
    "active": "subscribed",
    "pending": "unsubscribed",
    "unsubscribed": "unsubscribed",
    "bounced": "bounced",
}


def parse(bundle: Bundle) -> ArchiveDocument:
    """The archive as a Document; UnreadableExport if it is not one of ours."""
    reader = ArchiveReader(bundle)
    if "site.json" not in reader.members:
        raise UnreadableExport("No site.json: not an archive made by export_site.")
    site = reader.json("site.json")
    if not isinstance(site, dict) or site.get("format") != FORMAT_NAME:
        raise UnreadableExport(f"site.json does not name the {FORMAT_NAME!r} format.")
    version = site.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UnreadableExport(
            f"Format version {version!r}: this install reads up to {FORMAT_VERSION}."
        )
    try:
        return _document(reader, site)
    except (KeyError, TypeError, AttributeError) as err:
        raise UnreadableExport(f"The archive is incomplete or damaged ({err!r}).") from err


def _document(reader: ArchiveReader, site: dict) -> ArchiveDocument:
    identity = site.get("site", {})
    doc = ArchiveDocument(
        platform=PLATFORM,
        site_title=identity.get("name", ""),
        site_url=identity.get("url", ""),
        site=site,
        format_version=site["format_version"],
    )
    for author in site.get("authors", []):
        photo = {"file": author["photo"], "alt_text": author.get("photo_alt", "")}
        doc.authors.append(
            ArchiveAuthor(
                source_id=str(author["id"]),
                display_name=author["display_name"],
                bio=author.get("bio", ""),
                photo=_image(reader, photo) if author.get("photo") else None,
                record=author,
            )
        )
    tag_names = {}
    for tag in site.get("tags", []):
        tag_names[tag["slug"]] = tag["name"]
        doc.tags.append(
            ArchiveTag(
                name=tag["name"],
                slug=tag["slug"],
                description=tag.get("description", ""),
                record=tag,
            )
        )
    post_ids = {}
    for name in sorted(reader.members):
        if not (name.startswith("posts/") and name.endswith(".json")):
            continue
        data = reader.json(name)
        images = [_image(reader, image) for image in data.get("images", [])]
        cover = next(
            (
                img
                for img, raw in zip(images, data.get("images", []), strict=True)
                if raw["is_cover"]
            ),
            None,
        )
        post = ArchivePost(
            source_id=str(data["id"]),
            title=data["title"],
            slug=data["slug"],
            body=data["body"],
            body_format="markdown",
            excerpt=data.get("standfirst", ""),
            status="published" if data["status"] == "published" else "draft",
            published_at=_when(data.get("publish_at")),
            updated_at=_when(data.get("updated_at")),
            author_id=str(data["author"]["id"]),
            tags=[tag_names.get(slug, slug) for slug in data.get("tags", [])],
            feature_image=cover,
            images=[image for image in images if image is not cover],
            comments_open=bool(data.get("comments_open", True)),
            record=data,
        )
        post_ids[post.slug] = post.source_id
        doc.posts.append(post)
    if "comments.json" in reader.members:
        for row in reader.json("comments.json")["comments"]:
            if row["post"] not in post_ids:
                doc.warnings.append(f"Comment {row['id']} is on a post not in the archive.")
                continue
            _when(row.get("published_at"))  # checked here; comments' applier reads it
            _when(row.get("edited_at"))
            doc.comments.append(
                ArchiveComment(
                    source_id=str(row["id"]),
                    post_source_id=post_ids[row["post"]],
                    body=row.get("body", ""),
                    parent_source_id=str(row["parent"]) if row.get("parent") else "",
                    author_name=row.get("name", ""),
                    author_email=row.get("email", ""),
                    author_url=row.get("url", ""),
                    submitted_at=_when(row.get("submitted_at")),
                    status=NEUTRAL_COMMENT_STATUS.get(row.get("state"), "pending"),
                    record=row,
                )
            )
    if "consent.json" in reader.members:
        consent = reader.json("consent.json")
        doc.erased = [str(digest) for digest in consent.get("erased", [])]
        for row in consent.get("subscribers", []):
            record = row.get("consent", {})
            doc.subscribers.append(
                ArchiveSubscriber(
                    email=row["email"],
                    status=NEUTRAL_SUBSCRIBER_STATUS.get(row.get("status"), "unsubscribed"),
                    subscribed_at=_when(record.get("signed_up_at")),
                    unsubscribed_at=_when(record.get("unsubscribed_at")),
                    consent_source=record.get("source", ""),
                    consent_text=record.get("consent_text", ""),
                    record=row,
                )
            )
    return doc
