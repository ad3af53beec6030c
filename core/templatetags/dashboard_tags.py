from django import template
from django.urls import reverse
from django.utils import formats

from core import charts, dashboard

register = template.Library()


@register.inclusion_tag("admin/dashboard/figures.html", takes_context=True)
def dashboard_figures(context, scope="site", subject=None, periods=True, only=""):
    """Every figure of a scope (or those named in `only`, comma-separated), with period links
    when `periods`: `{% dashboard_figures %}`, `{% dashboard_figures "post" post.pk %}`."""
    request = context["request"]
    days = dashboard.period(request.GET.get("days"))
    pk = None if subject is None else int(subject)
    keys = {key.strip() for key in only.split(",") if key.strip()}
    shown = dashboard.shown(scope, days=days, subject_pk=pk, keys=keys or None)
    for item in shown:
        if pk is None:
            url = reverse("admin:dashboard-csv", args=[scope, item.figure.key])
        else:
            url = reverse("admin:dashboard-subject-csv", args=[scope, pk, item.figure.key])
        item.extra["csv_url"] = f"{url}?days={days}" if item.figure.periodic else url
    return {
        "figures": shown,
        "days": days,
        "periods": dashboard.PERIODS if periods and any(s.figure.periodic for s in shown) else (),
        "path": request.path,
        "scope": scope,
    }


@register.simple_tag
def chart(item):
    """The SVG of a shown figure, or nothing for a table-only one."""
    if item.figure.chart is None or not item.table.rows:
        return ""
    return charts.svg(
        kind=item.figure.chart,
        dom_id=item.dom_id,
        title=item.figure.title,
        description=item.table.summary or item.figure.description,
        columns=item.table.columns,
        rows=item.table.rows,
    )


@register.simple_tag
def chart_legend(item):
    return charts.legend(item.table.columns) if item.figure.chart else ""


@register.filter
def cell_link(value):
    """The link of a table cell, or None."""
    return value if isinstance(value, dashboard.Link) else None


@register.filter
def cell_text(value):
    """A table cell as read: whole numbers grouped in thousands in the site's locale, as in
    the summary above the table (the CSV keeps the bare number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    return value
