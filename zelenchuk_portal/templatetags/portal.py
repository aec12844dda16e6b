"""Small template helpers shared by every app's pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

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
