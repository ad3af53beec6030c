"""Another platform's post HTML, made safe and stored as our posts store their text.

Our posts keep a Markdown source (`Post.body`) rendered on save. Markdown passes a block of
HTML that starts a line through untouched, so an imported body is kept as HTML blocks (one
paragraph, list, quote or figure per line, blank lines between) inside that source: nothing
is lost to a lossy HTML-to-Markdown conversion, the writer can still edit it in the same
field, and it goes through nh3 twice (here, and again when the post renders), with the same
allowlist as everything else (`core.markup`). docs/decisions.md explains the choice.
"""

import html as html_lib
import re
from html.parser import HTMLParser

import nh3

from core.markup import POST_ATTRIBUTES, POST_TAGS, URL_SCHEMES

# A `srcset` would name more files on the old site than the one imported: left out.
IMPORT_ATTRIBUTES = {
    **POST_ATTRIBUTES,
    "img": POST_ATTRIBUTES["img"] - {"srcset", "sizes"},
}
BLOCK_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "pre", "figure", "table", "hr"}
VOID_TAGS = {"br", "hr", "img"}
_BLOCK_START = re.compile(
    r"^\s*<(p|h[1-6]|ul|ol|blockquote|figure|table|pre|div|hr|!--)[\s>/]", re.IGNORECASE
)
_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)
_CAPTION_SHORTCODE = re.compile(r"\[/?caption[^\]]*\]", re.IGNORECASE)
_SHORTCODE = re.compile(r"\[(gallery|embed|audio|video|playlist)\b[^\]]*\]", re.IGNORECASE)


def autop(text: str) -> str:
    """WordPress stores classic-editor posts without paragraph tags and adds them when it
    shows the post (`wpautop`): blank lines part paragraphs, a single newline is a line
    break. Block HTML (and Gutenberg's block comments) is left as it is."""
    chunks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    out = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        if _BLOCK_START.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>")
    return "\n\n".join(out)


def shortcodes(text: str) -> tuple[str, list[str]]:
    """Caption shortcodes taken off (the image and its text stay); the names of other
    shortcodes left in the text, for the report."""
    text = _CAPTION_SHORTCODE.sub("", text)
    return text, sorted({match.lower() for match in _SHORTCODE.findall(text)})


def clean(html: str) -> str:
    """The site's allowlist, with headings shifted into the levels a post may use (the
    post's title is the page's only h1)."""
    html = _HEADING.sub(lambda m: f"<{m[1]}h{min(max(int(m[2]) + (m[2] == '1'), 2), 4)}", html)
    return nh3.clean(
        html,
        tags=POST_TAGS,
        attributes=IMPORT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


class _Blocks(HTMLParser):
    """Cuts clean HTML into top-level blocks; loose inline content becomes a paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.in_block = False
        self.in_pre = 0

    def _flush_inline(self):
        text = "".join(self.current).strip()
        if text and not self.in_block:
            self.blocks.append(f"<p>{text}</p>")
        self.current = []

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text() or f"<{tag}>"
        if self.depth == 0 and tag in BLOCK_TAGS:
            self._flush_inline()
            self.in_block = True
        self.current.append(raw)
        if tag == "pre":
            self.in_pre += 1
        if tag not in VOID_TAGS:
            self.depth += 1 if self.in_block else 0
        elif self.in_block and self.depth == 0:  # <hr> at the top level
            self._end_block()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        self.current.append(f"</{tag}>")
        if tag == "pre":
            self.in_pre = max(self.in_pre - 1, 0)
        if self.in_block:
            self.depth -= 1
            if self.depth == 0:
                self._end_block()

    def _end_block(self):
        self.blocks.append("".join(self.current).strip())
        self.current = []
        self.in_block = False

    def handle_data(self, data):
        if self.in_pre:
            self.current.append(data.replace("\n", "&#10;"))
        else:
            self.current.append(re.sub(r"\s+", " ", data))

    def handle_entityref(self, name):
        self.current.append(f"&{name};")

    def handle_charref(self, name):
        self.current.append(f"&#{name};")

    def close(self):
        super().close()
        if self.in_block:
            self._end_block()
        self._flush_inline()


def to_post_source(html: str) -> str:
    """Clean HTML as a Markdown source: one block per line, a blank line between blocks."""
    parser = _Blocks()
    parser.feed(clean(html))
    parser.close()
    return "\n\n".join(block for block in parser.blocks if not _EMPTY.match(block))


_EMPTY = re.compile(r"^(<p>(\s|<br>)*</p>)?$")
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)


def image_sources(html: str) -> list[str]:
    """The src of every image in clean HTML, in order, once each."""
    return list(dict.fromkeys(_IMG_SRC.findall(html)))


def plain(html: str) -> str:
    """Text only (an excerpt, a bio)."""
    return re.sub(r"\s+", " ", html_lib.unescape(nh3.clean(html, tags=set()))).strip()


_ALT = re.compile(r"\balt=\"([^\"]*)\"", re.IGNORECASE)
_LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]+)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>|</blockquote>|</li>", re.IGNORECASE)


def to_text(html_text: str) -> str:
    """A comment's HTML as the plain text and Markdown links our comments are written in:
    paragraphs kept, links as `[text](address)`, every other tag dropped."""
    text = autop(html_text)
    text = _LINK.sub(lambda m: f"[{plain(m[2])}]({html_lib.unescape(m[1])})", clean(text))
    text = _BREAK.sub("\n\n", text)
    text = html_lib.unescape(nh3.clean(text, tags=set()))
    paragraphs = [re.sub(r"[ \t]+", " ", part).strip() for part in text.split("\n\n")]
    return "\n\n".join(part for part in paragraphs if part)


def unlink_image(html_text: str, src: str, *, label: str) -> str:
    """Each `<img>` showing `src` replaced by a link to it, named by its alt text: a file the
    export does not hold is never fetched, and no page of ours makes readers' browsers ask
    another site for it. An address that is not absolute (Ghost's `__GHOST_URL__/...`)
    leads nowhere here, so only the alt text stays."""
    pattern = re.compile(r"<img\b[^>]*?\bsrc=\"" + re.escape(src) + r"\"[^>]*>", re.IGNORECASE)

    def link(match: re.Match) -> str:
        alt = _ALT.search(match[0])
        text = html_lib.unescape(alt[1]) if alt and alt[1].strip() else label
        if not src.startswith(("https://", "http://")):
            return html_lib.escape(text)
        return f'<a href="{src}">{html_lib.escape(text)}</a>'

    return pattern.sub(link, html_text)


def replace_image(html_text: str, src: str, new_src: str) -> str:
    """Each `<img>` showing `src` pointed at our copy of the file instead."""
    return html_text.replace(f'src="{src}"', f'src="{html_lib.escape(new_src)}"')


def alt_of(html_text: str, src: str) -> str:
    """The alt text of the first `<img>` showing `src`, or ""."""
    tag = re.search(r"<img\b[^>]*?\bsrc=\"" + re.escape(src) + r"\"[^>]*>", html_text, re.I)
    alt = _ALT.search(tag[0]) if tag else None
    return html_lib.unescape(alt[1]).strip() if alt else ""
