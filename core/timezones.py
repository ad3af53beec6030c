"""Say which time zone a date is in, wherever the writer enters or reads one.

Django reads and shows every date of the admin in the current time zone, TIME_ZONE (set
from the environment); these helpers put its name beside the fields and on every admin page,
so 09:00 means 09:00 where the writer lives, and the writer knows it.
"""

from django.db import models
from django.utils import formats, timezone


def zone_name() -> str:
    """The site's time zone as the writer set it, e.g. "Europe/Paris"."""
    return timezone.get_current_timezone_name()


def zone_note() -> str:
    """A sentence for a date field's help text: "Times are in Europe/Paris (CET, UTC+01:00)"."""
    now = timezone.localtime()
    offset = now.strftime("%z")
    return f"Times are in {zone_name()} ({now.tzname()}, UTC{offset[:3]}:{offset[3:]})."


def local(value, format_name: str = "DATETIME_FORMAT") -> str:
    """A moment in the site's time zone, in the locale's format (LANGUAGE_CODE), never a
    hard-coded pattern: "4 Dec 2026, 9 a.m." in en-gb, "Dec. 4, 2026, 9 a.m." in en-us."""
    return formats.date_format(timezone.localtime(value), format_name)


def with_zone_note(help_text: str) -> str:
    return f"{help_text} {zone_note()}".strip()


class ZoneNotedDatesMixin:
    """For a ModelAdmin or an inline: every date-and-time field says which zone it is in."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(db_field, models.DateTimeField):
            formfield.help_text = with_zone_note(str(formfield.help_text or ""))
        return formfield
