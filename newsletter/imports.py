"""Reading a subscriber CSV: every row checked before anything is written.

The only required column is the email address. The columns of the admin's CSV export are
understood, so an export imports back as it was (round trip): `status`, `cadence`, the consent
record's timestamps, source, page, consent text version and IP addresses. The subscriber
exports of other platforms import as they come (issue 11): header names are matched without
case, surrounding spaces or the difference between spaces, hyphens and underscores; the known
ones are mapped (`COLUMN_ALIASES`), every other column is ignored and listed in the report.
"""

import datetime
import io
import ipaddress
import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.addresses import normalise_email
from core.text import strip_invisible
from newsletter.consent import CONSENT_TEXTS, RECORD_FIELDS
from newsletter.models import Subscriber

# The wording agreed to is kept by version in the CSV (the texts live in newsletter/consent.py).
EXPORT_COLUMNS = [
    "email",
    "status",
    "cadence",
    *(name for name in RECORD_FIELDS if name != "consent_text"),
]
DATETIME_COLUMNS = {
    "signed_up_at",
    "confirmation_sent_at",
    "confirmed_at",
    "unsubscribed_at",
}
IP_COLUMNS = {"signup_ip", "confirmed_ip"}
OPT_OUT_STATUSES = {Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED}

# Other platforms' header names (normalised by `_column_key`) for our fields, and for the
# columns that only say whether someone still wants the newsletter (`STATUS_COLUMNS`).
# Where each name comes from:
# - Substack: the subscriber export ("email", "active_subscription", "expiry", "plan",
#   "email_disabled", "created_at", "first_payment_at", "type" of free/paid/comp), as the
#   test fixtures of Ghost's Substack migration tool and public dbt models of it show.
# - Ghost: the members CSV, https://ghost.org/help/import-members/ ("email", "name", "note",
#   "subscribed_to_emails" true/false, "created_at" ISO 8601, "labels", ...).
# - Mailchimp: an audience export is a ZIP of three files, subscribed, unsubscribed and
#   cleaned (hard bounces), with "Email Address", "MEMBER_RATING", "OPTIN_TIME",
#   "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LATITUDE", ...; the unsubscribed file adds
#   "UNSUB_TIME", the cleaned file "CLEAN_TIME" (times in UTC, "2019-03-21 10:20:33").
# - Buttondown: the subscribers export and API ("email" or "email_address",
#   "creation_date", "subscriber_type" or "type"; the types are Buttondown's SubscriberType
#   enum, github.com/buttondown/openapi enums.json).
COLUMN_ALIASES = {
    "email_address": "email",
    "e_mail": "email",
    "created_at": "signed_up_at",
    "creation_date": "signed_up_at",
    "date": "signed_up_at",
    "subscription_date": "signed_up_at",
    "optin_time": "signed_up_at",
    "optin_ip": "signup_ip",
    "confirm_time": "confirmed_at",
    "confirm_ip": "confirmed_ip",
    "subscribed_to_emails": "subscribed_to_emails",
    "email_disabled": "email_disabled",
    "subscriber_type": "subscriber_type",
    "type": "subscriber_type",
    "unsub_time": "unsub_time",
    "clean_time": "clean_time",
}
STATUS_COLUMNS = {
    "subscribed_to_emails",
    "email_disabled",
    "subscriber_type",
    "unsub_time",
    "clean_time",
}
# Buttondown's subscriber types and Substack's subscription types, as our statuses. A paused
# Buttondown subscriber has paused a paid plan but still receives the newsletter.
SUBSCRIBER_TYPES = {
    "regular": Subscriber.Status.ACTIVE,
    "premium": Subscriber.Status.ACTIVE,
    "trialed": Subscriber.Status.ACTIVE,
    "unpaid": Subscriber.Status.ACTIVE,
    "gifted": Subscriber.Status.ACTIVE,
    "churning": Subscriber.Status.ACTIVE,
    "paused": Subscriber.Status.ACTIVE,
    "past_due": Subscriber.Status.ACTIVE,
    "unactivated": Subscriber.Status.PENDING,
    "unsubscribed": Subscriber.Status.UNSUBSCRIBED,
    "spammy": Subscriber.Status.UNSUBSCRIBED,
    "removed": Subscriber.Status.UNSUBSCRIBED,
    "free": Subscriber.Status.ACTIVE,
    "paid": Subscriber.Status.ACTIVE,
    "comp": Subscriber.Status.ACTIVE,
    "gift": Subscriber.Status.ACTIVE,
    "founding": Subscriber.Status.ACTIVE,
}
# When several columns speak about one row, the most cautious status wins: an opt-out is
# never turned back on, and someone who never confirmed is asked to.
STATUS_PRECEDENCE = [
    Subscriber.Status.BOUNCED,
    Subscriber.Status.UNSUBSCRIBED,
    Subscriber.Status.PENDING,
    Subscriber.Status.ACTIVE,
]
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP):
# the export prefixes it with an apostrophe, and the import takes the apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ImportRow:
    line: int
    email: str
    values: dict

    def to_subscriber(self, *, mode: str, consent_source: str, now) -> Subscriber:
        """The new subscriber this row describes, in the chosen import mode."""
        consent_source = strip_invisible(consent_source)
        values = dict(self.values)
        status = values.pop("status", "") or Subscriber.Status.ACTIVE
        subscriber = Subscriber(email=self.email, **values)
        subscriber.signed_up_at = values.get("signed_up_at") or now
        if not subscriber.signup_source:
            subscriber.signup_source = (
                f"CSV import: {consent_source}" if consent_source else ("CSV import")
            )
        if subscriber.consent_text_version in CONSENT_TEXTS:
            subscriber.consent_text = CONSENT_TEXTS[subscriber.consent_text_version]
        if status in OPT_OUT_STATUSES:
            subscriber.status = status
            subscriber.unsubscribed_at = subscriber.unsubscribed_at or now
        elif mode == Subscriber.Status.ACTIVE and status == Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.confirmed_at = subscriber.confirmed_at or now
        else:
            subscriber.status = Subscriber.Status.PENDING
            subscriber.confirmed_at = subscriber.confirmed_ip = None
            subscriber.confirmation_nonce = secrets.token_urlsafe(12)
            subscriber.confirmation_sent_at = now
        return subscriber


@dataclass
class ParsedFile:
    rows: list[ImportRow]
    errors: list[tuple[int, str]]
    duplicates: list[tuple[int, str, str]]
    # Columns no field is read from, by their names in the file ("Ignored columns: ...").
    ignored_columns: list[str] = field(default_factory=list)


def _column_key(name: str) -> str:
    """A header name as `COLUMN_ALIASES` spells it: "Email Address" -> "email_address"."""
    return re.sub(r"[\s_-]+", "_", strip_invisible(name).strip().lower())


def _map_columns(header: list[str]) -> tuple[list[str | None], list[str]]:
    """The field each column fills (None: ignored), and the ignored columns' names.

    A second column for a field already taken is ignored rather than merged.
    """
    fields, ignored, taken = [], [], set()
    for name in header:
        key = _column_key(name)
        target = key if key in EXPORT_COLUMNS else COLUMN_ALIASES.get(key)
        if target is None or target in taken:
            fields.append(None)
            if name.strip():
                ignored.append(name.strip())
            continue
        taken.add(target)
        fields.append(target)
    return fields, ignored


def _parse_datetime(column: str, raw: str):
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"{column} is not a date and time (use ISO 8601): {raw[:40]!r}")
        value = datetime.datetime.combine(day, datetime.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def _parse_yes_no(column: str, raw: str) -> bool:
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{column} is not true or false: {raw[:40]!r}")


def _parse_status_column(target: str, column: str, raw: str):
    """What a platform's own status column says: a status (or "" for nothing), and for
    Mailchimp's unsubscribed and cleaned files, when it happened."""
    if target == "subscribed_to_emails":
        subscribed = _parse_yes_no(column, raw) if raw else True
        return ("" if subscribed else Subscriber.Status.UNSUBSCRIBED), None
    if target == "email_disabled":
        return (Subscriber.Status.UNSUBSCRIBED if _parse_yes_no(column, raw) else ""), None
    if target == "subscriber_type":
        if not raw:
            return "", None
        if raw.lower() not in SUBSCRIBER_TYPES:
            raise ValueError(f"unknown subscriber type {raw[:40]!r} in {column}")
        return SUBSCRIBER_TYPES[raw.lower()], None
    when = _parse_datetime(column, raw)
    if when is None:
        return "", None
    bounced = target == "clean_time"
    status = Subscriber.Status.BOUNCED if bounced else Subscriber.Status.UNSUBSCRIBED
    return status, when


def _parse_value(column: str, raw: str):
    raw = strip_invisible(raw).strip()  # bidi overrides and zero-width characters (item 15)
    if column in DATETIME_COLUMNS:
        return _parse_datetime(column, raw)
    if column in IP_COLUMNS:
        if not raw:
            return None
        try:
            return str(ipaddress.ip_address(raw))
        except ValueError:
            raise ValueError(f"{column} is not an IP address: {raw[:40]!r}") from None
    if column == "status":
        if raw and raw not in Subscriber.Status.values:
            raise ValueError(f"unknown status {raw[:40]!r}")
        return raw
    if column == "cadence":
        if raw and raw not in Subscriber.Cadence.values:
            raise ValueError(f"unknown cadence {raw[:40]!r}")
        return raw or Subscriber.Cadence.WEEKLY
    if column == "unsubscribe_method":
        if raw and raw not in Subscriber.UnsubscribeMethod.values:
            raise ValueError(f"unknown unsubscribe method {raw[:40]!r}")
        return raw
    limits = {"signup_source": 200, "signup_url": 500, "consent_text_version": 20}
    if len(raw) > limits[column]:
        raise ValueError(f"{column} is longer than {limits[column]} characters")
    return raw


def _row_values(cells: dict[str, tuple[str, str]]) -> dict:
    """The subscriber fields of one row (`cells`: field -> (column name, raw text)), with
    the platforms' status columns folded into `status` and `unsubscribed_at`."""
    values, statuses, opted_out_at = {}, [], None
    for target, (column, raw) in cells.items():
        if target in STATUS_COLUMNS:
            status, when = _parse_status_column(target, column, strip_invisible(raw).strip())
            statuses.append(status)
            opted_out_at = opted_out_at or when
        else:
            values[target] = _parse_value(target, raw)
    statuses.append(values.pop("status", ""))
    status = next((status for status in STATUS_PRECEDENCE if status in statuses), "")
    if status:
        values["status"] = status
    if opted_out_at and status in OPT_OUT_STATUSES and not values.get("unsubscribed_at"):
        values["unsubscribed_at"] = opted_out_at
    return values


def parse_subscriber_csv(text: str) -> ParsedFile:
    """Rows ready to import, and every problem with its line number (line 1 is the header)."""
    import csv  # imported when a file is imported, not by every web worker

    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        return ParsedFile([], [(1, "the file is empty")], [])
    except csv.Error as err:
        return ParsedFile([], [(1, f"not a CSV file: {err}")], [])
    fields, ignored = _map_columns(header)
    if "email" not in fields:
        found = ", ".join(name.strip() for name in header if name.strip())[:200] or "none"
        problem = (
            "the first line must name the columns, one of them “email” (or “Email Address”): "
            f"there is no column of email addresses, and this file has: {found}"
        )
        return ParsedFile([], [(1, problem)], [])
    rows, errors, duplicates, seen = [], [], [], {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                errors.append((line, f"{len(record)} fields where the header has {len(header)}"))
                continue
            cells = {
                target: (column.strip(), _unescape_cell(cell))
                for target, column, cell in zip(fields, header, record, strict=True)
                if target is not None
            }
            try:
                email = normalise_email(cells.pop("email")[1])
            except ValidationError as err:
                errors.append((line, err.messages[0]))
                continue
            try:
                values = _row_values(cells)
            except ValueError as err:
                errors.append((line, str(err)))
                continue
            if email.lower() in seen:
                duplicates.append((line, email, f"same address as line {seen[email.lower()]}"))
                continue
            seen[email.lower()] = line
            rows.append(ImportRow(line=line, email=email, values=values))
    except csv.Error as err:
        errors.append((reader.line_num, f"unreadable CSV: {err}"))
    return ParsedFile(rows, errors, duplicates, ignored)


def _escape_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def export_row(subscriber: Subscriber) -> list[str]:
    """One subscriber as the CSV export writes it (and the import reads it back)."""
    values = []
    for column in EXPORT_COLUMNS:
        value = getattr(subscriber, column)
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).isoformat()
        values.append(_escape_cell("" if value is None else str(value)))
    return values
