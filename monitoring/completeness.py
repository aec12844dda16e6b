"""How complete a period's data is: missing inputs, self-reports, values to review.

Counts are aggregated in SQL per organisation type, so the page costs the same few queries for
35 organisations or 40,000 (the list itself is paginated).
"""

from dataclasses import dataclass

from django.db.models import Count

from zelenchuk_portal.models import Organization, OrganizationType, Period

from .catalogue import Catalogue
from .formulas import inputs_for_type
from .methodology import version_for
from .models import Score, SelfReport, Value


def required_inputs(catalogue: Catalogue, org_type: str) -> list[str]:
    """Organisation inputs that someone must supply (imported, entered or self-reported)."""
    inputs = catalogue.inputs_by_code
    return [
        code
        for code in inputs_for_type(catalogue, org_type)
        if inputs[code].scope == "org" and inputs[code].provided_by != "derived"
    ]


@dataclass
class CompletenessRow:
    organization: Organization
    required: int
    present: int
    self_report: str  # a SelfReport.Status value, or "" when none was started
    preliminary: bool | None
    outliers: int

    @property
    def missing(self) -> int:
        return self.required - self.present

    @property
    def percent(self) -> int:
        return round(100 * self.present / self.required) if self.required else 100


@dataclass
class CompletenessSummary:
    organizations: int
    complete: int
    reports_submitted: int
    reports_accepted: int
    reports_missing: int


def completeness_rows(period: Period, organizations) -> list[CompletenessRow]:
    """Rows for a page of organisations (pass a slice: the work is per page, not per district)."""
    catalogue = version_for(period).catalogue
    organizations = list(organizations)
    ids = [org.pk for org in organizations]
    required = {t: required_inputs(catalogue, t) for t in OrganizationType.values}
    present: dict[int, int] = {}
    for org_type, codes in required.items():
        counts = (
            Value.objects.filter(
                period=period,
                organization_id__in=ids,
                organization__org_type=org_type,
                input_code__in=codes,
            )
            .values("organization_id")
            .annotate(n=Count("id"))
        )
        present.update({row["organization_id"]: row["n"] for row in counts})
    reports = dict(
        SelfReport.objects.filter(period=period, organization_id__in=ids).values_list(
            "organization_id", "status"
        )
    )
    scores = {
        s["organization_id"]: s
        for s in Score.objects.filter(period=period, organization_id__in=ids).values(
            "organization_id", "preliminary", "outliers"
        )
    }
    return [
        CompletenessRow(
            organization=org,
            required=len(required[org.org_type]),
            present=present.get(org.pk, 0),
            self_report=reports.get(org.pk, ""),
            preliminary=scores[org.pk]["preliminary"] if org.pk in scores else None,
            outliers=len(scores[org.pk]["outliers"]) if org.pk in scores else 0,
        )
        for org in organizations
    ]


def completeness_summary(period: Period, *, complete: int | None = None) -> CompletenessSummary:
    """Counts for the dashboard; `complete` (organisations scored with complete data) may come
    from the period's summary instead of a count over its scores."""
    organizations = Organization.objects.active().count()
    statuses = dict(
        SelfReport.objects.filter(period=period, organization__is_active=True)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    if complete is None:
        complete = Score.objects.filter(
            period=period, organization__is_active=True, preliminary=False
        ).count()
    submitted = statuses.get(SelfReport.Status.SUBMITTED, 0)
    accepted = statuses.get(SelfReport.Status.ACCEPTED, 0)
    return CompletenessSummary(
        organizations=organizations,
        complete=complete,
        reports_submitted=submitted,
        reports_accepted=accepted,
        reports_missing=organizations - submitted - accepted,
    )
