"""An edition as email: rendered once per send, personalised per recipient.

The body (posts, headlines, intro) is rendered once when the recipients are frozen and stored
on the edition, so every recipient gets the same words even if a post is edited mid-send, and
the worker does not render ten posts ten thousand times. Each message then only wraps that
body with what belongs to its recipient: the unsubscribe and preferences links and the
RFC 8058 list headers (`newsletter.emails.newsletter_message`).

Links to posts and headlines go through the first-party click counter when
NEWSLETTER_CLICK_TRACKING is on: a signed token carries (edition, url), so the redirect can
only lead where the edition itself pointed, and only a per-link total is kept.
"""

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac

from core import identity
from core.links import absolute_url, absolutise_html
from core.tokens import BadToken, Signed
from newsletter import emails
from newsletter.models import Edition, Subscriber

CLICK_LINK = Signed("newsletter.click", stamped=False, objects=True)
EMAIL_CONTENT_WIDTH = 536  # 600 px message minus 2 × 32 px padding
_INTRO_HREF = re.compile(r'href="((?:https?://|/)[^"]*)"')


def click_token(*, edition_id: int, url: str) -> str:
    return CLICK_LINK.sign({"e": edition_id, "u": url}, compress=True)


def read_click_token(token: str) -> tuple[int, str] | None:
    """(edition id, url) from a click link we made, or None for anything else."""
    try:
        payload = CLICK_LINK.read(token)
    except BadToken:
        return None
    if not isinstance(payload, dict):
        return None
    edition_id, url = payload.get("e"), payload.get("u")
    if not isinstance(edition_id, int) or not isinstance(url, str):
        return None
    if not url.startswith(("https://", "http://")):
        return None
    return edition_id, url


def link(edition: Edition, url: str, *, track: bool) -> str:
    """The href for `url` in this edition's email: counted, or straight to the target."""
    url = absolute_url(url)
    if not track or edition.pk is None:
        return url
    token = click_token(edition_id=edition.pk, url=url)
    return absolute_url(reverse("newsletter:click", kwargs={"token": token}))


class _TextWriter(HTMLParser):
    """Sanitised intro HTML to plain text: paragraphs kept, links written as "text <url>".

    Angle brackets delimit a URL in running text (RFC 3986, appendix C), so a full stop or
    a parenthesis after it never becomes part of the link a mail program makes of it.
    """

    BLOCKS = {"p", "blockquote", "li", "h2", "h3", "h4", "pre", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" <{href}>")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(value: str) -> str:
    writer = _TextWriter()
    writer.feed(value)
    writer.close()
    text = "".join(writer.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


EMAIL_IMAGE_WIDTHS = range(600, 801)  # enough for a 2x screen at the content width


def _email_rendition(image) -> dict | None:
    """The JPEG or PNG rendition (mail programs do not all read WebP) best for the email.

    One 600-800 px wide if there is one, else the widest narrower one (a small original);
    never the original upload, which may be a 5,000-pixel photograph. None until the worker
    has cut the renditions.
    """
    fallbacks = [r for r in image.renditions if r["format"] != "webp" and r["width"] <= 800]
    fitting = [r for r in fallbacks if r["width"] in EMAIL_IMAGE_WIDTHS]
    return max(fitting or fallbacks, key=lambda r: r["width"], default=None)


def _cover(post) -> dict | None:
    image = post.cover
    rendition = _email_rendition(image) if image is not None else None
    if rendition is None:
        return None
    width = min(EMAIL_CONTENT_WIDTH, rendition["width"])
    return {
        "src": absolute_url(default_storage.url(rendition["name"])),
        "alt": image.alt_text,
        "width": width,
        "height": round(rendition["height"] * width / rendition["width"]),
    }


def _absolute_hrefs(intro_html: str, edition: Edition, *, track: bool) -> str:
    """Every link of the intro absolute (a writer's `/about/`, `../x` or `#note` too, read
    against the edition's page), and counted if tracked."""
    written = absolutise_html(intro_html, absolute_url(edition.get_absolute_url()))
    return _INTRO_HREF.sub(
        lambda match: f'href="{html.escape(link(edition, html.unescape(match[1]), track=track))}"',
        written,
    )


# The intro's Markdown HTML (sanitised, so its tags are bare but for a link's href and rel)
# with the look email clients would otherwise drop from a style sheet.
_INTRO_STYLES = {
    "<p>": '<p style="margin:0 0 16px;">',
    "<a ": '<a style="color:#9e2a1f;text-decoration:underline;" ',
    "<blockquote>": (
        '<blockquote style="margin:0 0 16px;padding:0 0 0 16px;border-left:3px solid #dedad2;">'
    ),
}


def _inline_styles(intro_html: str) -> str:
    for tag, styled in _INTRO_STYLES.items():
        intro_html = intro_html.replace(tag, styled)
    return intro_html


def content_context(edition: Edition, *, track: bool) -> dict:
    """What the edition's body shows, with every href absolute (and counted if tracked).

    The HTML links through the click counter when `track` is on; the plain-text part always
    shows the real destination (`plain_url`), since a reader sees and may retype it there.
    Only the lead story (the first) carries its cover image.
    """
    rows = edition.items.select_related("post").prefetch_related("post__images")
    items = [
        {
            "title": item.post.title,
            "url": link(edition, item.post.get_absolute_url(), track=track),
            "plain_url": absolute_url(item.post.get_absolute_url()),
            "standfirst": item.post.description,
            "note": item.note,
            "kind": item.post.get_kind_display(),
            "reading_minutes": item.post.reading_minutes,
            "cover": _cover(item.post) if index == 0 else None,
        }
        for index, item in enumerate(rows)
    ]
    headlines = [
        {
            "title": link_row.headline.title,
            "url": link(edition, link_row.headline.url, track=track),
            "plain_url": link_row.headline.url,
            "source": link_row.headline.source_name,
            "summary": link_row.headline.summary,
        }
        for link_row in edition.headline_links.select_related("headline")
    ]
    return {
        "edition": edition,
        "items": items,
        "headlines": headlines,
        "intro_html": _inline_styles(_absolute_hrefs(edition.intro_html, edition, track=track)),
        "intro_text": html_to_text(_absolute_hrefs(edition.intro_html, edition, track=False)),
        "site_name": identity.current().site_name,
        "site_url": settings.SITE_URL,
        "archive_url": absolute_url(reverse("newsletter:edition-archive")),
    }


@dataclass(frozen=True)
class Content:
    html: str
    text: str


def render_content(edition: Edition) -> Content:
    """The edition's body as it will be sent (links counted when click tracking is on)."""
    context = content_context(edition, track=settings.NEWSLETTER_CLICK_TRACKING)
    return Content(
        html=render_to_string("emails/newsletter/_edition_content.html", context),
        text=render_to_string("emails/newsletter/_edition_content.txt", context),
    )


def stored_content(edition: Edition) -> Content:
    """The body frozen with the recipients, or a fresh rendering for a draft (preview, test)."""
    if edition.frozen_at and edition.content_html:
        return Content(html=edition.content_html, text=edition.content_text)
    return render_content(edition)


def why_text(edition: Edition, subscriber: Subscriber) -> str:
    """Why this reader gets this email (CAN-SPAM; and a reader who forgot deserves to know)."""
    site_name = identity.current().site_name
    if edition.kind == Edition.Kind.POST:
        return (
            f"You get this email because you subscribed to {site_name} and chose "
            "to receive every new post."
        )
    return f"You get this email because you subscribed to the weekly newsletter of {site_name}."


def edition_message(
    *, edition: Edition, subscriber: Subscriber, content: Content, test: bool = False
) -> EmailMultiAlternatives:
    """One recipient's message: plain text first, then HTML, with the list headers."""
    web_url = absolute_url(edition.get_absolute_url()) if edition.kind == "weekly" else ""
    subject = f"[Test] {edition.subject}" if test else edition.subject
    message = emails.newsletter_message(
        subscriber=subscriber,
        subject=subject,
        template="edition",
        bulk=True,
        context={
            "edition": edition,
            "subject": subject,
            "preheader": edition.preheader,
            "content_html": content.html,
            "content_text": content.text,
            "why": why_text(edition, subscriber),
            "web_url": web_url if edition.frozen_at else "",
            "is_test": test,
        },
    )
    if not test:
        message.extra_headers["Message-ID"] = delivery_message_id(edition, subscriber)
    return message


def delivery_message_id(edition: Edition, subscriber: Subscriber) -> str:
    """The same Message-ID each time this edition goes to this subscriber.

    A worker killed after the mail server accepted a message and before the ledger recorded it
    sends that one message again (RQ or the database queue gives the batch to another worker).
    With the same Message-ID, the copy is the same message to every mail program and server
    that collapses duplicates, and to our own checks. The id reveals neither the address nor
    the row numbers.
    """
    digest = salted_hmac(
        "newsletter.delivery-message-id", f"{edition.pk}:{subscriber.pk}", algorithm="sha256"
    ).hexdigest()[:32]
    return f"<{digest}@{identity.mail_domain()}>"


def preview_html(edition: Edition, *, subscriber: Subscriber) -> str:
    """The exact HTML part a subscriber would receive, for the admin's preview."""
    message = edition_message(
        edition=edition, subscriber=subscriber, content=stored_content(edition)
    )
    return message.alternatives[0].content


def preview_text(edition: Edition, *, subscriber: Subscriber) -> str:
    message = edition_message(
        edition=edition, subscriber=subscriber, content=stored_content(edition)
    )
    return message.body
