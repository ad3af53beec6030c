"""WordPress's export (Tools → Export: a WXR file, "WordPress eXtended RSS").

The format, from WordPress's own exporter (developer.wordpress.org/reference/files/
wp-admin/includes/export.php, `export_wp()`), is an RSS 2.0 `<channel>` with WordPress's
elements in the namespace `http://wordpress.org/export/1.2/` (1.0 and 1.1 in older
exports), post bodies in `content:encoded` and excerpts in `excerpt:encoded`
(`http://wordpress.org/export/1.2/excerpt/`). What we read:

- channel: `title`, `link`, `wp:base_site_url`, `wp:wxr_version` (proves the format);
  `wp:author` (`author_login`, `author_email`, `author_display_name`); `wp:category`
  (`category_nicename`, `cat_name`, `category_description`) and `wp:tag` (`tag_slug`,
  `tag_name`, `tag_description`).
- each `item`: `title`, `link` (the permalink), `dc:creator` (an author login),
  `content:encoded`, `excerpt:encoded`, `wp:post_id`, `wp:post_date_gmt` (falling back to
  `wp:post_date`), `wp:post_modified_gmt`, `wp:comment_status` (open/closed),
  `wp:post_name` (the slug), `wp:status` (publish, future, draft, pending, private,
  trash, auto-draft, inherit), `wp:post_type` (post, page, attachment; anything else is
  skipped), `wp:attachment_url`, `wp:postmeta` (`_thumbnail_id`: the featured image's
  attachment id; `_wp_attachment_image_alt`), and `category` elements with
  `domain="category"` or `"post_tag"` and the slug in `nicename`.
- each `wp:comment` of an item: `comment_id`, `comment_author`, `comment_author_email`,
  `comment_author_url`, `comment_date_gmt`, `comment_content`, `comment_approved`
  ("1" approved, "0" pending, "spam", "trash"), `comment_type` (pingbacks and trackbacks
  are skipped), `comment_parent` ("0" for a top-level comment).

WordPress keeps the files out of the export ("WXR files do not include ... the attachment
files themselves", wp-cli's `export`): an image is imported only when the file is in the
folder or zip given with the XML (the uploads folder copied beside it), found by the tail
of its URL; otherwise it stays a link and the report says so. Classic-editor bodies have
no paragraph tags (WordPress adds them when it shows a post, `wpautop`): `html.autop`
does the same. A split export (several XML files) is read as one.

The XML is parsed by defusedxml with DTDs forbidden: an export never has one, and refusing
it stops external entities (XXE) and entity expansion bombs before they are read.
"""

import datetime
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from core.transfer import html
from core.transfer.bundle import Bundle
from core.transfer.document import (
    Author,
    Comment,
    Document,
    Image,
    Page,
    Post,
    Tag,
    UnreadableExport,
)

CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
STATUSES = {
    "publish": "published",
    "future": "published",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
}
COMMENT_STATUSES = {"1": "approved", "0": "pending", "spam": "spam"}


def parse(bundle: Bundle) -> Document:
    names = bundle.find(suffix=".xml")
    if not names:
        raise UnreadableExport("No WordPress export (.xml file) found in what was given.")
    document = Document(platform="wordpress")
    for name in names:
        _read_file(bundle, name, document)
    return document


def _parse_xml(data: bytes, name: str) -> ET.Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as err:
        raise UnreadableExport(
            f"{name} declares a DTD or entities, which a WordPress export never does: refused."
        ) from err
    except ET.ParseError as err:
        raise UnreadableExport(f"{name} is not complete, well-formed XML ({err}).") from err


class _Names:
    """Element names in the export's WordPress namespace (its version varies)."""

    def __init__(self, channel: ET.Element, name: str):
        for child in channel:
            if child.tag.endswith("}wxr_version") and "wordpress.org/export/" in child.tag:
                self.wp = child.tag[: child.tag.index("}") + 1]
                self.excerpt = self.wp[:-1] + "excerpt/}"
                return
        raise UnreadableExport(f"{name} is XML but not a WordPress export (no wxr_version).")

    def text(self, element: ET.Element, tag: str, *, ns: str | None = None) -> str:
        found = element.find((self.wp if ns is None else ns) + tag)
        return (found.text or "").strip() if found is not None else ""


def _date(raw: str) -> datetime.datetime | None:
    if not raw or raw.startswith("0000"):
        return None
    try:
        value = datetime.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return value.replace(tzinfo=datetime.UTC)


def _read_file(bundle: Bundle, name: str, document: Document) -> None:
    root = _parse_xml(bundle.read(name), name)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise UnreadableExport(f"{name} is XML but not a WordPress export (no RSS channel).")
    wp = _Names(channel, name)
    document.site_title = document.site_title or (channel.findtext("title") or "").strip()
    document.site_url = (
        document.site_url
        or wp.text(channel, "base_blog_url")
        or (channel.findtext("link") or "").strip()
    )

    for element in channel.findall(wp.wp + "author"):
        login = wp.text(element, "author_login")
        if login:
            document.authors.append(
                Author(
                    source_id=login,
                    display_name=wp.text(element, "author_display_name") or login,
                    email=wp.text(element, "author_email"),
                )
            )
    for element in channel.findall(wp.wp + "category"):
        document.tags.append(
            Tag(
                name=wp.text(element, "cat_name"),
                slug=wp.text(element, "category_nicename"),
                description=wp.text(element, "category_description"),
            )
        )
    for element in channel.findall(wp.wp + "tag"):
        document.tags.append(
            Tag(
                name=wp.text(element, "tag_name"),
                slug=wp.text(element, "tag_slug"),
                description=wp.text(element, "tag_description"),
            )
        )

    items = channel.findall("item")
    attachments = {}
    for item in items:
        if wp.text(item, "post_type") == "attachment":
            attachments[wp.text(item, "post_id")] = _attachment(bundle, wp, item, document)
    by_url = {image.source: image for image in attachments.values()}

    skipped_types: dict[str, int] = {}
    for item in items:
        kind = wp.text(item, "post_type")
        if kind == "attachment":
            continue
        if kind not in ("post", "page"):
            skipped_types[kind] = skipped_types.get(kind, 0) + 1
            continue
        _item(bundle, wp, item, kind, attachments, by_url, document)
    for kind, count in sorted(skipped_types.items()):
        document.warnings.append(f"{count} item(s) of type {kind!r} are not posts: left out.")


def _meta(wp: _Names, item: ET.Element) -> dict[str, str]:
    return {
        wp.text(meta, "meta_key"): wp.text(meta, "meta_value")
        for meta in item.findall(wp.wp + "postmeta")
    }


def _attachment(bundle: Bundle, wp: _Names, item: ET.Element, document: Document) -> Image:
    url = wp.text(item, "attachment_url") or (item.findtext("guid") or "").strip()
    member = bundle.find_url(url)
    return Image(
        source=url,
        load=bundle.loader(member) if member else None,
        alt_text=_meta(wp, item).get("_wp_attachment_image_alt", ""),
        caption=html.plain(wp.text(item, "encoded", ns=wp.excerpt)),
    )


def _item(bundle, wp, item, kind, attachments, by_url, document) -> None:
    source_id = wp.text(item, "post_id")
    title = (item.findtext("title") or "").strip()
    raw_status = wp.text(item, "status")
    if raw_status not in STATUSES:
        document.warnings.append(
            f"{kind.title()} {title or source_id!r} is {raw_status or 'without a status'} "
            "on WordPress: left out."
        )
        return
    body, codes = html.shortcodes(html.autop(item.findtext(CONTENT + "encoded") or ""))
    if codes:
        document.warnings.append(
            f"{title!r} uses WordPress shortcodes ({', '.join(codes)}) that only WordPress "
            "understands: they stay as text."
        )
    cleaned = html.clean(body)
    images = []
    for src in html.image_sources(cleaned):
        image = by_url.get(src)
        if image is None:
            member = bundle.find_url(src)
            image = Image(source=src, load=bundle.loader(member) if member else None)
        images.append(image)
    meta = _meta(wp, item)
    feature = attachments.get(meta.get("_thumbnail_id", ""))
    link = (item.findtext("link") or "").strip()
    old_urls = [link] if link else []
    old_urls.append(f"/?page_id={source_id}" if kind == "page" else f"/?p={source_id}")
    published = _date(wp.text(item, "post_date_gmt")) or _date(wp.text(item, "post_date"))
    tags = [
        (category.text or "").strip()
        for category in item.findall("category")
        if category.get("domain") in ("category", "post_tag") and (category.text or "").strip()
    ]
    fields = {
        "source_id": source_id,
        "title": title or f"Untitled ({source_id})",
        "slug": wp.text(item, "post_name"),
        "body": cleaned,
        "body_format": "html",
        "excerpt": html.plain(wp.text(item, "encoded", ns=wp.excerpt)),
        "status": STATUSES[raw_status],
        "published_at": published,
        "updated_at": _date(wp.text(item, "post_modified_gmt")),
        "author_id": (item.findtext(DC + "creator") or "").strip(),
        "tags": list(dict.fromkeys(tags)),
        "feature_image": feature,
        "images": images,
        "old_urls": old_urls,
        "comments_open": wp.text(item, "comment_status") != "closed",
    }
    if kind == "page":
        document.pages.append(Page(**fields))
    else:
        document.posts.append(Post(**fields))
    for element in item.findall(wp.wp + "comment"):
        _comment(wp, element, source_id, title, document)


def _comment(wp, element, post_id, title, document) -> None:
    comment_id = wp.text(element, "comment_id")
    comment_type = wp.text(element, "comment_type")
    approved = wp.text(element, "comment_approved")
    if comment_type not in ("", "comment"):
        document.warnings.append(f"A {comment_type} on {title!r} is not a comment: left out.")
        return
    if approved not in COMMENT_STATUSES:
        document.warnings.append(f"Comment {comment_id} on {title!r} was in the trash: left out.")
        return
    parent = wp.text(element, "comment_parent")
    document.comments.append(
        Comment(
            source_id=comment_id,
            post_source_id=post_id,
            parent_source_id="" if parent in ("", "0") else parent,
            body=wp.text(element, "comment_content"),
            author_name=wp.text(element, "comment_author"),
            author_email=wp.text(element, "comment_author_email"),
            author_url=wp.text(element, "comment_author_url"),
            submitted_at=_date(wp.text(element, "comment_date_gmt"))
            or _date(wp.text(element, "comment_date")),
            status=COMMENT_STATUSES[approved],
        )
    )
