"""The writer's dashboard on the admin index: figures the apps register, drawn by core.

Core knows no app. Each app registers its figures in `AppConfig.ready()`:

    dashboard.register(
        "site", "views-per-day",
        title="Views per day",
        description="Reads of posts per day, robots and your own visits left out.",
        compute=views_per_day,     # (*, days, today, subject) -> Table
        chart="line",
    )

A figure is a table first: the chart is drawn from it on the server (core.charts), the table
sits behind the chart for anyone who prefers numbers, and the CSV export is the same table.
Scope "site" figures are on the admin index; other scopes ("post", "edition") are about one
object, named with `register_subject()`; they have a page of their own and may be shown on the
object's admin page too. Computed tables are kept in the cache for DASHBOARD_CACHE_SECONDS, so
opening the admin index again does not count a year of rows again.
"""

import datetime
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 30
SITE = "site"
CACHE_FORMAT = 1
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True)
class Link:
    """A table cell that links to a page (its text is what the CSV holds)."""

    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass(frozen=True)
class Table:
    """Rows of a figure. For a chart, the first column is the day and the others the series."""

    columns: Sequence[str]
    rows: Sequence[Sequence]
    summary: str = ""

    @property
    def series(self) -> list[str]:
        return list(self.columns[1:])


@dataclass(frozen=True)
class Figure:
    scope: str
    key: str
    title: str
    description: str
    compute: Callable[..., Table]
    chart: str | None = None
    periodic: bool = True
    empty_text: str = "Nothing yet."
    order: int = 100
    wide: bool = False


@dataclass(frozen=True)
class Subject:
    name: Callable[[int], str | None]
    admin_url: Callable[[int], str]
    noun: str


@dataclass
class Shown:
    """A figure with its table for one request: what the templates render."""

    figure: Figure
    table: Table
    days: int
    subject: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def dom_id(self) -> str:
        return f"figure-{self.figure.scope}-{self.figure.key}"


_figures: dict[tuple[str, str], Figure] = {}
_subjects: dict[str, Subject] = {}


def register(
    scope: str,
    key: str,
    *,
    title: str,
    description: str,
    compute: Callable[..., Table],
    chart: str | None = None,
    periodic: bool = True,
    empty_text: str = "Nothing yet.",
    order: int = 100,
    wide: bool | None = None,
) -> None:
    """Add a figure (registering a key again replaces it). `chart`: "line", "bars" or None.

    `periodic` figures follow the period links (30, 90 or 365 days); others ignore them.
    Figures are shown by `order`, then in the order they were registered; charts and `wide`
    tables take the whole width, other tables may sit side by side.
    """
    if chart not in (None, "line", "bars"):
        raise ValueError(f"unknown chart kind {chart!r}")
    _figures[scope, key] = Figure(
        scope=scope,
        key=key,
        title=title,
        description=description,
        compute=compute,
        chart=chart,
        periodic=periodic,
        empty_text=empty_text,
        order=order,
        wide=chart is not None if wide is None else wide,
    )


def register_subject(
    scope: str, *, noun: str, name: Callable[[int], str | None], admin_url: Callable[[int], str]
) -> None:
    """Name the objects a scope's figures are about: `name(pk)` is None when there is none."""
    _subjects[scope] = Subject(name=name, admin_url=admin_url, noun=noun)


def figures(scope: str) -> list[Figure]:
    return sorted(
        (figure for (each, _key), figure in _figures.items() if each == scope),
        key=lambda figure: figure.order,
    )


def figure(scope: str, key: str) -> Figure | None:
    return _figures.get((scope, key))


def subject(scope: str) -> Subject | None:
    return _subjects.get(scope)


def period(raw: str | None) -> int:
    """The period asked for in the query string, or the default for anything else."""
    try:
        days = int(raw or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def first_day(*, days: int, today: datetime.date) -> datetime.date:
    """The first of the `days` days ending today."""
    return today - datetime.timedelta(days=days - 1)


def day_range(*, days: int, today: datetime.date) -> list[datetime.date]:
    """The `days` days ending today, oldest first."""
    return [today - datetime.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def every_day(by_day: dict, *, days: int, today: datetime.date) -> list[tuple]:
    """(day, number) for each of the period's days: a day missing from `by_day` is a 0."""
    return [(day, by_day.get(day, 0)) for day in day_range(days=days, today=today)]


def count_per_day(queryset, field: str, *, days: int, today: datetime.date) -> dict:
    """How many rows of `queryset` have `field` (a datetime) on each day of the period."""
    start, end = day_bounds(days=days, today=today)
    return dict(
        queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .annotate(day=TruncDate(field))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )


def day_bounds(*, days: int, today: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as moments in the site's time zone: its first midnight and the next one after
    today, so a query on a datetime column can use its index (no per-row date conversion)."""
    first = first_day(days=days, today=today)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def table(fig: Figure, *, days: int, subject_pk: int | None = None) -> Table:
    """The figure's table, counted at most every DASHBOARD_CACHE_SECONDS."""
    today = timezone.localdate()
    days = days if fig.periodic else 0
    key = f"dashboard:v{CACHE_FORMAT}:{fig.scope}:{fig.key}:{subject_pk}:{days}:{today}"
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds:
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = fig.compute(days=days, today=today, subject=subject_pk)
    if seconds:
        cache.set(key, result, seconds)
    return result


def shown(
    scope: str, *, days: int, subject_pk: int | None = None, keys: set[str] | None = None
) -> list[Shown]:
    return [
        Shown(
            figure=fig,
            table=table(fig, days=days, subject_pk=subject_pk),
            days=days,
            subject=subject_pk,
        )
        for fig in figures(scope)
        if keys is None or fig.key in keys
    ]


def safe_cell(value) -> str | int:
    """A cell as a spreadsheet should read it: numbers stay numbers, text is never a formula."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(result: Table) -> str:
    import csv  # imported for a download: the dashboard module is imported by every web worker

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(column) for column in result.columns])
    for row in result.rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_filename(fig: Figure, *, days: int, subject_pk: int | None) -> str:
    parts = [fig.key if subject_pk is None else f"{fig.scope}-{subject_pk}-{fig.key}"]
    if fig.periodic:
        parts.append(f"{days}-days")
    parts.append(timezone.localdate().isoformat())
    return "-".join(parts) + ".csv"
