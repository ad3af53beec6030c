"""Helpers for the comment tests: stored comments, and form posts as a browser sends them."""

import re
from html.parser import HTMLParser

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from blog.models import Post
from comments.forms import CommentForm
from comments.models import Comment
from comments.stamps import new_stamp

ORIGIN = {"origin": "http://testserver"}
JSON = {"origin": "http://testserver", "accept": "application/json"}


def add_comment(post, *, text="I disagree with the second point.", parent=None, **fields):
    """A stored comment on `post` (a reply to `parent`), public unless told otherwise."""
    values = {
        "content_type": ContentType.objects.get_for_model(Post),
        "object_pk": str(post.pk),
        "site_id": 1,
        "user_name": "Zoë Reader",
        "user_email": "zoe@example.org",
        "comment": text,
        "is_public": True,
        **fields,
    }
    if parent is not None:
        values["parent_id"] = parent.pk
    return Comment.objects.create(**values)


def form_data(post, **fields) -> dict:
    """What the comment form on the post page sends, with its signed security fields."""
    initial = CommentForm(post).initial
    data = {
        name: initial[name] for name in ("content_type", "object_pk", "timestamp", "security_hash")
    }
    data |= {
        "stamp": new_stamp(post),
        "name": "Ada Reader",
        "email": "ada@example.org",
        "url": "",
        "comment": "A fair point, but the buses are late.",
        "reply_to": "0",
        "honeypot": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def post_comment(client, post, *, headers=ORIGIN, **fields):
    return client.post(reverse("comments:post"), form_data(post, **fields), headers=headers)


def link_in(message, path_start: str) -> str:
    """The first https?:// link in the plain-text part whose path starts with `path_start`."""
    body = message.get_body(("plain",)).get_content()
    match = re.search(rf"https?://[^\s]+{re.escape(path_start)}[^\s]*", body)
    assert match, f"no {path_start} link in:\n{body}"
    return match.group(0)


class _Elements(HTMLParser):
    """Every element of a page with its attributes and its text content."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[dict] = []
        self.open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.found.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index]["tag"] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data


def elements(html: str, tag: str | None = None) -> list[dict]:
    parser = _Elements()
    parser.feed(html)
    return [e for e in parser.found if tag is None or e["tag"] == tag]


def section_of(html: str) -> str:
    """The comment section of a post page."""
    start = html.index('<section class="comments"')
    return html[start : html.index("</section>", start)]
