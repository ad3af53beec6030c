import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.links import absolute_url

register = template.Library()

# Characters that could close the <script> element or start markup, escaped as JSON escapes
# (the same translation Django's json_script filter applies).
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data: dict):
    """A `<script type="application/ld+json">` block; a data block, so CSP does not apply."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


register.filter("absolute", absolute_url)


@register.filter
def datetime_attr(value) -> str:
    """A `<time datetime>` value: ISO 8601 to the second (the HTML spec allows no microseconds
    in the form Django's "c" format prints them)."""
    if not value:
        return ""
    return value.replace(microsecond=0).isoformat()
