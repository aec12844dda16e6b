"""Small template helpers shared by every app's pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, number_format

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ dict|get_item:key }}` — a dictionary lookup with a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def iso_datetime(value):
    """Show an ISO timestamp kept in JSON as a local date and time."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "SHORT_DATETIME_FORMAT")


@register.filter
def get_item_at(sequence, index):
    """`{{ list|get_item_at:n }}` — a list element by a variable position."""
    try:
        return sequence[int(index)]
    except (IndexError, TypeError, ValueError):
        return None


@register.filter
def heat_class(value):
    """A colour band for a score in % (the number is always printed too)."""
    if value is None:
        return "heat-none"
    for limit, name in ((50, "heat-1"), (65, "heat-2"), (80, "heat-3")):
        if value < limit:
            return name
    return "heat-4"


@register.filter
def with_unit(value, unit):
    """An indicator's value as people read it: «да»/«нет» for yes/no, «62,5 %» otherwise."""
    if value is None or value == "":
        return ""
    if unit == "да/нет":
        return "да" if float(str(value).replace(",", ".")) == 1 else "нет"
    if isinstance(value, float):
        value = number_format(round(value, 2), decimal_pos=None)
    return f"{value} {unit}".strip()
