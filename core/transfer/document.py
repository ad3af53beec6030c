"""A site being moved, described without any of our models: what a parser reads, what the
appliers registered by the apps write.

Each parser (`core.transfer.wordpress`, `ghost`, `substack`; the export of our own site
reads back the same way) turns an export into one `Document`. Nothing here touches the
database, the storage or the network, so a parser can be run and tested on its own and a
dry run costs nothing but reading the file.

Identifiers are the source platform's own (`source_id`), as text: a WordPress post ID, a
Ghost object id, a Substack post id. Appliers record `(platform, kind, source_id)` against
the object they made (`core.models.ImportRecord`), which is what makes a second run change
nothing. References between objects (a post's author, a comment's post and parent) use the
same source ids, never Python object identity.

Keep the field names stable: the export side builds these too.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

PostStatus = Literal["published", "draft"]
BodyFormat = Literal["html", "markdown"]
CommentStatus = Literal["approved", "pending", "spam"]
SubscriberStatus = Literal["subscribed", "unsubscribed", "suppressed", "bounced"]


@dataclass
class Image:
    """An image the export mentions: a featured image, an author's photo, one in a body.

    `source` is how the export names it: the URL written in the post or the path inside the
    archive; bodies are matched against it. `load` returns the bytes when the file is in the
    export (the archive, the zip, a folder next to the file); it is None when only a URL is
    known, and such an image is never fetched: it stays a link and is reported.
    """

    source: str
    load: Callable[[], bytes] | None = None
    alt_text: str = ""
    caption: str = ""
    credit: str = ""


@dataclass
class Author:
    source_id: str
    display_name: str
    email: str = ""
    bio: str = ""
    photo: Image | None = None


@dataclass
class Tag:
    """A tag or a category (we have only tags); posts name theirs by `name`."""

    name: str
    slug: str = ""
    description: str = ""


@dataclass
class Post:
    """A post as the source platform had it.

    `body` is HTML or Markdown (`body_format`); HTML from another platform is untrusted and
    goes through the site's sanitiser like everything else. `old_urls` are the paths (with
    the query where it matters: "/?p=123") readers may still follow to it; each answers 301
    to the post's new address once imported. `images` are the images the body refers to.
    """

    source_id: str
    title: str
    slug: str
    body: str
    body_format: BodyFormat = "html"
    excerpt: str = ""
    status: PostStatus = "published"
    published_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    author_id: str = ""
    tags: list[str] = field(default_factory=list)
    feature_image: Image | None = None
    images: list[Image] = field(default_factory=list)
    old_urls: list[str] = field(default_factory=list)
    comments_open: bool = True


@dataclass
class Page(Post):
    """A standalone page (About, Contact): imported as a post outside the date archive where
    the site has no separate pages."""


@dataclass
class Comment:
    source_id: str
    post_source_id: str
    body: str
    parent_source_id: str = ""
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""
    submitted_at: datetime.datetime | None = None
    status: CommentStatus = "approved"


@dataclass
class Subscriber:
    """An address on the source's list, with its state there. `suppressed` is an address the
    platform will not mail (complaint, manual block); `bounced` one whose mail came back."""

    email: str
    status: SubscriberStatus = "subscribed"
    name: str = ""
    source_id: str = ""
    subscribed_at: datetime.datetime | None = None
    unsubscribed_at: datetime.datetime | None = None
    consent_source: str = ""
    consent_text: str = ""


@dataclass
class Document:
    """Everything one export holds. `platform` names the source ("wordpress", "ghost",
    "substack", "archive"); `warnings` are what the parser saw but could not use, shown in
    the report before anything is applied."""

    platform: str
    site_title: str = ""
    site_url: str = ""
    authors: list[Author] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class UnreadableExport(ValueError):
    """The file is not an export of the format asked for, or is damaged or hostile (truncated,
    too large, entities, paths outside the archive). The message is shown to the writer as it
    is; nothing has been written when it is raised."""
