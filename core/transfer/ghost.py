"""Ghost's export: the JSON of Settings → Advanced → Import/Export, and the members CSV.

The JSON, as Ghost documents it (docs.ghost.org/migration/custom), mirrors Ghost's database:
`{"db": [{"meta": {...}, "data": {...}}]}` (the "db" wrapper is optional) with tables as
lists. What we read from `data`:

- `posts`: `id`, `title`, `slug`, `html` (or `markdown` in old exports), `custom_excerpt`,
  `feature_image`, `type` ("post"/"page"; old exports: `page` true/false), `status`
  (published, draft, scheduled, sent), `published_at`, `updated_at` (ISO 8601; epoch
  milliseconds in old exports), `author_id` (old exports).
- `posts_meta`: `post_id`, `feature_image_alt`, `feature_image_caption`.
- `tags` (`id`, `name`, `slug`, `description`; internal tags, named "#...", are skipped)
  and `posts_tags` (`post_id`, `tag_id`, `sort_order`).
- `users` (`id`, `name`, `email`, `bio`, `profile_image`) and `posts_authors` (`post_id`,
  `author_id`, `sort_order`: the first is the byline).

Ghost writes its own address as `__GHOST_URL__` in image URLs; the images themselves are a
separate download (the `content/images` folder), imported when given in the same folder or
zip, found by the tail of their URL. A post's old address is Ghost's default permalink,
`/{slug}/`.

The members CSV (ghost.org/help/import-members/): `email` (required), `name`, `note`,
`subscribed_to_emails` (true/false), `complimentary_plan`, `stripe_customer_id`, `labels`,
`created_at` (ISO 8601); an `email_disabled` column (Ghost stops mail to an address after a
bounce or a spam complaint) marks the member suppressed.
"""

import json

from core.transfer import cells, html
from core.transfer.bundle import Bundle, csv_rows
from core.transfer.document import (
    Author,
    Document,
    Image,
    Page,
    Post,
    Subscriber,
    Tag,
    UnreadableExport,
)

STATUSES = {"published": "published", "scheduled": "published", "sent": "published"}


def parse(bundle: Bundle) -> Document:
    document = Document(platform="ghost")
    json_names = bundle.find(suffix=".json")
    csv_names = bundle.find(suffix=".csv")
    if not json_names and not csv_names:
        raise UnreadableExport("No Ghost export (.json) or members file (.csv) found.")
    for name in json_names:
        _read_json(bundle, name, document)
    for name in csv_names:
        _read_members(bundle, name, document)
    return document


def _data(bundle: Bundle, name: str) -> dict:
    try:
        content = json.loads(bundle.read(name))
    except (ValueError, RecursionError) as err:
        raise UnreadableExport(f"{name} is not valid JSON ({err}).") from err
    if isinstance(content, dict) and isinstance(content.get("db"), list) and content["db"]:
        content = content["db"][0]
    data = content.get("data") if isinstance(content, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("posts", []), list):
        raise UnreadableExport(f"{name} is JSON but not a Ghost export (no data.posts).")
    return data


def _table(data: dict, name: str) -> list[dict]:
    rows = data.get(name) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise UnreadableExport(f"The Ghost export's {name} is not a list of records.")
    return rows


def _text(row: dict, key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _image(bundle: Bundle, url: str, **fields) -> Image | None:
    if not url:
        return None
    member = bundle.find_url(url.replace("__GHOST_URL__", ""))
    return Image(source=url, load=bundle.loader(member) if member else None, **fields)


def _read_json(bundle: Bundle, name: str, document: Document) -> None:
    data = _data(bundle, name)
    for user in _table(data, "users"):
        document.authors.append(
            Author(
                source_id=str(user.get("id", "")),
                display_name=_text(user, "name") or _text(user, "slug"),
                email=_text(user, "email"),
                bio=_text(user, "bio"),
                photo=_image(bundle, _text(user, "profile_image")),
            )
        )
    tags = {}
    for row in _table(data, "tags"):
        tag_name = _text(row, "name")
        if not tag_name or tag_name.startswith("#"):
            continue
        tags[str(row.get("id"))] = tag_name
        document.tags.append(
            Tag(name=tag_name, slug=_text(row, "slug"), description=_text(row, "description"))
        )
    post_tags: dict[str, list[tuple[int, str]]] = {}
    for row in _table(data, "posts_tags"):
        tag = tags.get(str(row.get("tag_id")))
        if tag:
            order = row.get("sort_order") if isinstance(row.get("sort_order"), int) else 0
            post_tags.setdefault(str(row.get("post_id")), []).append((order, tag))
    bylines: dict[str, tuple[int, str]] = {}
    for row in _table(data, "posts_authors"):
        order = row.get("sort_order") if isinstance(row.get("sort_order"), int) else 0
        post_id = str(row.get("post_id"))
        if post_id not in bylines or order < bylines[post_id][0]:
            bylines[post_id] = (order, str(row.get("author_id")))
    metas = {str(row.get("post_id")): row for row in _table(data, "posts_meta")}

    for row in _table(data, "posts"):
        source_id = str(row.get("id", ""))
        title = _text(row, "title") or f"Untitled ({source_id})"
        status = _text(row, "status")
        if _text(row, "html"):
            body, body_format = html.clean(row["html"]), "html"
        elif _text(row, "markdown"):
            body, body_format = row["markdown"], "markdown"
        else:
            document.warnings.append(f"{title!r} has no HTML in the export: left out.")
            continue
        meta = metas.get(source_id, {})
        is_page = row.get("type") == "page" or row.get("page") in (True, 1)
        slug = _text(row, "slug")
        fields = {
            "source_id": source_id,
            "title": title,
            "slug": slug,
            "body": body,
            "body_format": body_format,
            "excerpt": _text(row, "custom_excerpt"),
            "status": STATUSES.get(status, "draft"),
            "published_at": cells.date(row.get("published_at")),
            "updated_at": cells.date(row.get("updated_at")),
            "author_id": bylines.get(source_id, (0, str(row.get("author_id") or "")))[1],
            "tags": [tag for _, tag in sorted(post_tags.get(source_id, []))],
            "feature_image": _image(
                bundle,
                _text(row, "feature_image"),
                alt_text=_text(meta, "feature_image_alt"),
                caption=html.plain(_text(meta, "feature_image_caption")),
            ),
            "images": [
                image
                for src in (html.image_sources(body) if body_format == "html" else [])
                if (image := _image(bundle, src))
            ],
            "old_urls": [f"/{slug}/"] if slug else [],
        }
        if is_page:
            document.pages.append(Page(**fields))
        else:
            document.posts.append(Post(**fields))


def _read_members(bundle: Bundle, name: str, document: Document) -> None:
    for row in csv_rows(bundle, name, required={"email"}):
        if cells.yes(row.get("email_disabled", "")):
            status = "suppressed"
        elif row.get("subscribed_to_emails") and not cells.yes(row["subscribed_to_emails"]):
            status = "unsubscribed"
        else:
            status = "subscribed"
        document.subscribers.append(
            Subscriber(
                email=row["email"],
                status=status,
                name=row.get("name", ""),
                source_id=row.get("id", "") or row["email"].lower(),
                subscribed_at=cells.date(row.get("created_at")),
                consent_source="Ghost members export",
            )
        )
