"""Charts drawn on the server as SVG: no script, no third party, readable with CSS alone.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>` (the
totals in words); the numbers themselves are in the table the template puts behind it. Colours
come from CSS classes (static/css/dashboard-admin.css), so light and dark mode each get their
own, and every series also has its own dash pattern, so no series is told apart by colour alone.
"""

import datetime
import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 34
GRID_LINES = 4


def nice_ceiling(value: float) -> int:
    """The top of the scale: GRID_LINES steps of a round whole number (1, 1.5, 2, 2.5, 3, 4, 5,
    6 or 8 × 10ⁿ), the smallest that reaches `value`."""
    wanted = max(value, 1) / GRID_LINES
    magnitude = 10 ** max(math.floor(math.log10(wanted)), 0)
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step >= wanted and step == int(step):
            return int(step) * GRID_LINES
    return int(10 * magnitude) * GRID_LINES


def _label(day) -> str:
    if isinstance(day, datetime.date):
        return f"{day:%-d %b}"
    return str(day)


def svg(*, kind: str, dom_id: str, title: str, description: str, columns, rows) -> SafeString:
    """A line or bar chart of `rows` (first cell the day, then one number per series)."""
    series = list(columns[1:])
    count = len(rows)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((max(row[1:], default=0) for row in rows), default=0))

    def y(value) -> float:
        return round(TOP + plot_height * (1 - value / top), 1)

    grid = format_html_join(
        "",
        '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart__tick" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                y(step * top / GRID_LINES),
                y(step * top / GRID_LINES),
                LEFT - 6,
                y(step * top / GRID_LINES) + 4,
                f"{step * top // GRID_LINES:,}",
            )
            for step in range(GRID_LINES + 1)
        ),
    )
    slot = plot_width / max(count, 1)
    marks = []
    if count:
        # The first and last labels keep inside the drawing: anchored at their outer end.
        picks = {0: "start", count // 2: "middle", count - 1: "end"}
        marks = [
            (round(LEFT + slot * (index + 0.5), 1), HEIGHT - 8, anchor, _label(rows[index][0]))
            for index, anchor in sorted(picks.items())
        ]
    x_labels = format_html_join(
        "", '<text class="chart__tick" x="{}" y="{}" text-anchor="{}">{}</text>', marks
    )
    if kind == "bars":
        bar = max(slot * 0.8, 0.6)
        shapes = format_html_join(
            "",
            '<rect class="chart__bar chart__series-{}" x="{}" y="{}" width="{}" height="{}"/>',
            (
                (
                    1,
                    round(LEFT + slot * index + (slot - bar) / 2, 2),
                    y(row[1]),
                    round(bar, 2),
                    round(TOP + plot_height - y(row[1]), 1),
                )
                for index, row in enumerate(rows)
                if row[1]
            ),
        )
    else:
        lines = []
        for number in range(1, len(series) + 1):
            points = " ".join(
                f"{round(LEFT + slot * (index + 0.5), 1)},{y(row[number])}"
                for index, row in enumerate(rows)
            )
            lines.append((number, points))
        shapes = format_html_join(
            "", '<polyline class="chart__line chart__series-{}" points="{}"/>', lines
        )
    return format_html(
        '<svg class="chart__svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '{}<line class="chart__axis" x1="{}" x2="{}" y1="{}" y2="{}"/>{}{}</svg>',
        WIDTH,
        HEIGHT,
        dom_id,
        dom_id,
        dom_id,
        title,
        dom_id,
        description,
        grid,
        LEFT,
        WIDTH - RIGHT,
        TOP + plot_height,
        TOP + plot_height,
        shapes,
        x_labels,
    )


def legend(columns) -> SafeString:
    """The series' names beside a sample of their colour and dash."""
    if len(columns) <= 2:
        return mark_safe("")
    items = format_html_join(
        "",
        '<li class="chart__key"><svg class="chart__swatch" viewBox="0 0 24 8" aria-hidden="true" '
        'xmlns="http://www.w3.org/2000/svg"><line class="chart__line chart__series-{}" '
        'x1="0" x2="24" y1="4" y2="4"/></svg>{}</li>',
        ((number, name) for number, name in enumerate(columns[1:], start=1)),
    )
    return format_html('<ul class="chart__legend">{}</ul>', items)
