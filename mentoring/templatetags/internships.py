"""Template helpers of the internship pages."""

from django import template

from mentoring.internships import format_minutes, stage_label

register = template.Library()


@register.filter
def duration(minutes):
    """`{{ entry.minutes|duration }}` — «1 ч 30 мин»."""
    return format_minutes(minutes or 0)


@register.filter
def stage_name(stage):
    """`{{ internship.stage|stage_name }}` — the stage as the order names it."""
    return stage_label(stage)
