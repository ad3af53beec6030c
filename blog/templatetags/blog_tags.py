import datetime

from django import template

from core.links import absolute_url
from core.seo import json_ld_script

register = template.Library()

register.simple_tag(json_ld_script, name="json_ld")

register.filter("absolute", absolute_url)


@register.filter
def datetime_attr(value: datetime.date | datetime.datetime | None) -> str:
    """The site's one format for machine-readable dates (`<time datetime>`, `article:*` meta):
    ISO 8601 to the second. Django's "c" format prints microseconds, which HTML's "valid
    global date and time string" does not allow. A date stays a date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.replace(microsecond=0)
    return value.isoformat()
