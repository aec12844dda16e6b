"""The list of candidates: its columns, the counts by status and the Excel export.

The page and the export take the same filtered queryset through `for_list`, so they never
disagree; each runs a fixed number of queries whatever the number of candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from zelenchuk_portal.excel import Sheet

from .models import Candidacy, Status, Training

LIST_RELATED = (
    "person",
    "period",
    "organization",
    "target_organization",
    "appointed_organization",
    "nominated_by",
)


def with_training_hours(candidacies: QuerySet[Candidacy]) -> QuerySet[Candidacy]:
    """Annotate `training_hours`: the hours of the candidacy's training records (a subquery,
    so that other joins never multiply it)."""
    hours = (
        Training.objects.filter(candidacy=OuterRef("pk"))
        .order_by()
        .values("candidacy")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return candidacies.annotate(
        training_hours=Coalesce(Subquery(hours, output_field=IntegerField()), Value(0))
    )


def for_list(candidacies: QuerySet[Candidacy]) -> QuerySet[Candidacy]:
    """The candidacies with what the list shows, people in alphabetical order."""
    return (
        with_training_hours(candidacies)
        .select_related(*LIST_RELATED)
        .order_by("person__last_name", "person__first_name", "person__patronymic", "-pk")
    )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Counts:
    total: int
    awaiting: int
    rows: list[StatusCount]  # every status, in the order of the flow


def status_counts(candidacies: QuerySet[Candidacy]) -> Counts:
    """How many candidacies in each status, and how many nominations await approval (one
    query)."""
    aggregates = {status: Count("pk", filter=Q(status=status)) for status in Status.values}
    aggregates["awaiting_"] = Count("pk", filter=Q(status=Status.NOMINEE, approved_on=None))
    aggregates["total_"] = Count("pk")
    row = candidacies.order_by().aggregate(**aggregates)
    rows = [StatusCount(s, str(label), row[s]) for s, label in Status.choices]
    return Counts(row["total_"], row["awaiting_"], rows)


def candidates_sheet(candidacies: QuerySet[Candidacy]) -> Sheet:
    """The filtered list as one Excel sheet (dates stay dates, hours stay numbers)."""
    headers = [
        _("Person"),
        _("Date of birth"),
        _("Current organisation"),
        _("Current position"),
        _("Period of nomination"),
        _("Status"),
        _("Awaits approval"),
        _("Date of nomination"),
        _("Nominated by"),
        _("Reason for nomination"),
        _("Target position"),
        _("Target organisation"),
        _("Enrolment order No."),
        _("Date of enrolment"),
        _("Training, hours"),
        _("Left the reserve on"),
        _("Appointed as"),
        _("Appointed to"),
        _("Reason for removal"),
    ]
    yes, no = _("yes"), _("no")

    def rows():
        for c in candidacies.iterator(chunk_size=500):
            yield [
                c.person.full_name or c.person.username,
                c.person.birth_date,
                c.organization.short_name,
                c.position,
                c.period.label,
                c.get_status_display(),
                yes if c.awaits_approval else no,
                c.nominated_on,
                c.nominated_by.short_name,
                c.reason,
                c.target_position,
                c.target_organization.short_name if c.target_organization else "",
                c.enrolment_order,
                c.enrolled_on,
                c.training_hours,
                c.left_on,
                c.appointed_position,
                c.appointed_organization.short_name if c.appointed_organization else "",
                c.removal_reason,
            ]

    return Sheet(title=_("Personnel reserve"), headers=headers, rows=rows())
