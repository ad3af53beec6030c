"""The first-run checklist on the admin index (templates/admin/index.html)."""

from django import template

from core import checklist

register = template.Library()


@register.inclusion_tag("admin/checklist.html")
def first_run_checklist() -> dict:
    """Every registered item with its state; nothing at all once every item is done."""
    statuses = checklist.statuses()
    remaining = sum(not status.done for status in statuses)
    return {"statuses": statuses, "remaining": remaining, "show": remaining > 0}
