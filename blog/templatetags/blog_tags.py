from django import template

from core.links import absolute_url
from core.seo import json_ld_script

register = template.Library()

register.simple_tag(json_ld_script, name="json_ld")

register.filter("absolute", absolute_url)


@register.filter
def datetime_attr(value) -> str:
    """A `<time datetime>` value: ISO 8601 to the second (the HTML spec allows no microseconds
    in the form Django's "c" format prints them)."""
    if not value:
        return ""
    return value.replace(microsecond=0).isoformat()
