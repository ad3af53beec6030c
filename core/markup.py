"""Markdown source to safe HTML, once, when a post is saved.

The writer types (or pastes) prose where every line is a paragraph, as in most editors and
email clients, so single line breaks between ordinary lines become paragraph breaks before
Markdown runs. Lists, quotes, headings, tables and code keep their Markdown meaning.
Whatever Markdown lets through (it passes raw HTML) is then cleaned by nh3 against an
explicit allowlist.

Punctuation is made typographic as it renders (Python-Markdown's `smarty`): straight quotes
curl, `--` and `---` become en and em dashes, `...` an ellipsis. Code spans and blocks keep
exactly what was typed.
"""

import html as html_lib
import re

import nh3

POST_TAGS = {
    "a", "abbr", "blockquote", "br", "cite", "code", "em", "figcaption", "figure", "h2", "h3",
    "h4", "hr", "img", "li", "ol", "p", "pre", "q", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_BLOCK_START = re.compile(r"^(\s{4}|\t|>|[-*+]\s|\d+[.)]\s|#|\||```|~~~|<)")
_FENCE = re.compile(r"^(```|~~~)")


def lines_to_paragraphs(source: str) -> str:
    """Insert a blank line between two consecutive prose lines (outside code fences)."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        previous = out[-1] if out else ""
        if (
            not in_fence
            and line.strip()
            and previous.strip()
            and not _BLOCK_START.match(line)
            and not _BLOCK_START.match(previous)
        ):
            out.append("")
        out.append(line)
    return "\n".join(out)


def render_post_body(source: str) -> str:
    # Imported here: Markdown (and the ElementTree it builds on) runs when a post is saved,
    # never while a page is served, so web workers need not hold it (issue 12).
    import markdown

    html = markdown.markdown(
        lines_to_paragraphs(source),
        extensions=["fenced_code", "tables", "sane_lists", "smarty"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=POST_TAGS,
        attributes=POST_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def plain_text(html: str) -> str:
    """Text content of sanitised HTML: for word counts and meta descriptions."""
    text = html_lib.unescape(nh3.clean(html, tags=set()).replace("><", "> <"))
    return re.sub(r"\s+", " ", text).strip()
