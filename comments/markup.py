"""Comment text to safe HTML, once, when a comment is saved.

Readers write a small Markdown subset: paragraphs, line breaks, emphasis, links, quotes, code
and lists. Markdown's raw-HTML passthrough is switched off, so `<b>` typed in a comment stays
text; whatever Markdown produces is then cleaned by nh3 against an explicit allowlist of
tags, attributes and link schemes. django-comments-xtd's `render_markup_comment` filter is
never used: it marks unsanitised Markdown output safe.
"""

import re

import nh3

from core.markup import URL_SCHEMES

COMMENT_TAGS = {"p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "br"}
COMMENT_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "nofollow ugc noopener"


def _markdown():
    # Imported when a comment is saved (3 MB a web worker that only reads pages never needs).
    import markdown

    md = markdown.Markdown(extensions=["fenced_code", "sane_lists", "nl2br"], output_format="html")
    # Raw HTML is escaped as text instead of being passed through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


# What nh3 leaves of a link whose address it refused (javascript:, data:…): keep the text.
_LINK_WITHOUT_HREF = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)


def render_comment(source: str) -> str:
    """The sanitised HTML of a comment's Markdown source."""
    html = _markdown().convert(source.replace("\r\n", "\n"))
    clean = nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )
    return _LINK_WITHOUT_HREF.sub(r"\1", clean)
