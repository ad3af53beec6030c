"""Reading a subscriber CSV: every row checked before anything is written.

The only required column is `email`. The columns of the admin's CSV export are understood
too, so an export imports back as it was (round trip): `status`, `cadence`, the consent
record's timestamps, source, page, consent text version and IP addresses.
"""

import csv
import datetime
import io
import ipaddress
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.addresses import normalise_email
from core.text import strip_invisible
from newsletter.consent import CONSENT_TEXTS, RECORD_FIELDS
from newsletter.models import Subscriber

# The wording agreed to is kept by version in the CSV (the texts live in newsletter/consent.py).
EXPORT_COLUMNS = [
    "email",
    "status",
    "cadence",
    *(field for field in RECORD_FIELDS if field != "consent_text"),
]
DATETIME_COLUMNS = {
    "signed_up_at",
    "confirmation_sent_at",
    "confirmed_at",
    "unsubscribed_at",
}
IP_COLUMNS = {"signup_ip", "confirmed_ip"}
OPT_OUT_STATUSES = {Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED}
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


def _parse_value(column: str, raw: str):
    raw = strip_invisible(raw).strip()  # bidi overrides and zero-width characters (item 15)
    if column in DATETIME_COLUMNS:
        if not raw:
            return None
        value = parse_datetime(raw)
        if value is None:
            raise ValueError(f"{column} is not a date and time (use ISO 8601): {raw[:40]!r}")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        return value
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


def parse_subscriber_csv(text: str) -> ParsedFile:
    """Rows ready to import, and every problem with its line number (line 1 is the header)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return ParsedFile([], [(1, "the file is empty")], [])
    except csv.Error as err:
        return ParsedFile([], [(1, f"not a CSV file: {err}")], [])
    if "email" not in header:
        problem = "the first line must name the columns, one of them “email”"
        return ParsedFile([], [(1, problem)], [])
    unknown = [name for name in header if name not in EXPORT_COLUMNS]
    if unknown:
        return ParsedFile([], [(1, f"unknown column(s): {', '.join(unknown)[:200]}")], [])
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
                column: _unescape_cell(cell) for column, cell in zip(header, record, strict=True)
            }
            try:
                email = normalise_email(cells.pop("email"))
            except ValidationError as err:
                errors.append((line, err.messages[0]))
                continue
            try:
                values = {column: _parse_value(column, raw) for column, raw in cells.items()}
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
    return ParsedFile(rows, errors, duplicates)


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
