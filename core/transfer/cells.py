"""Values as exports write them: dates in ISO 8601 (with or without "Z") or epoch
milliseconds, yes/no as "true"/"false"."""

import datetime

from django.utils.dateparse import parse_datetime


def date(raw) -> datetime.datetime | None:
    """An aware datetime (UTC when the export gives no offset), or None when empty or
    unreadable."""
    if raw in (None, ""):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.datetime.fromtimestamp(raw / 1000, tz=datetime.UTC)
    try:
        value = parse_datetime(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


TRUE_WORDS = {"true", "yes", "1", "y"}


def yes(raw: str) -> bool:
    return str(raw).strip().lower() in TRUE_WORDS
