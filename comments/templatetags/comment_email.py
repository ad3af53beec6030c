"""A comment's Markdown as email HTML: the site's sanitised rendering, with inline styles.

Email clients drop style sheets, so each tag the comment renderer allows gets its look inline.
The input is `comments.markup.render_comment` output, whose tags nh3 has normalised (bare tags,
and `<a href=… rel=…>`), so plain string replacement is enough and cannot open a hole.
"""

import html as html_lib

from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from comments.markup import render_comment
from core.links import absolutise_html

register = template.Library()

_TEXT = "font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.55;"
_STYLES = {
    "<p>": f'<p style="margin:0 0 12px;{_TEXT}">',
    "<blockquote>": (
        '<blockquote class="em-quote" style="margin:0 0 12px;padding:0 0 0 12px;'
        'border-left:3px solid #dedad2;color:#5b5750;">'
    ),
    "<ul>": f'<ul style="margin:0 0 12px;padding:0 0 0 24px;{_TEXT}">',
    "<ol>": f'<ol style="margin:0 0 12px;padding:0 0 0 24px;{_TEXT}">',
    "<li>": '<li style="margin:0 0 4px;">',
    "<pre>": (
        '<pre style="margin:0 0 12px;padding:8px;white-space:pre-wrap;background-color:#f3f1ec;'
        'border-radius:4px;font-size:14px;">'
    ),
    "<code>": '<code style="font-family:Menlo,Consolas,monospace;font-size:14px;">',
    "<a ": '<a style="color:#9e2a1f;text-decoration:underline;" ',
}


@register.filter
def comment_email_html(source: str) -> str:
    """The comment's Markdown `source` rendered (and sanitised) for an HTML email part."""
    # A mail program resolves nothing relative: `/about/` in a comment must name the site.
    html = absolutise_html(render_comment(source or ""))
    for tag, styled in _STYLES.items():
        html = html.replace(tag, styled)
    return mark_safe(html)  # nh3-cleaned above; only our own style attributes are added


@register.filter
def comment_plain(source: str) -> str:
    """The comment's words without Markdown marks, on one line (for a preheader)."""
    return " ".join(html_lib.unescape(strip_tags(render_comment(source or ""))).split())
