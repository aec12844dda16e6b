"""The succession view («преемственность»): who could take over each organisation.

Every active organisation with its current head — name, age, years in post — and the reserve
candidates READY for appointment who target it (`Candidacy.target_organization`). An
organisation whose head is 60 or older and that has no ready successor is at risk: highlighted
on the page and available as a filter. A head whose date of birth is unknown is never counted as
60 or older (the page shows «—» and the registry should be completed). One builder feeds the page
and its Excel file, in three queries whatever the size of the district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.excel import Sheet
from zelenchuk_portal.models import Organization

from .models import Candidacy, Status
from .readiness import full_years

RETIREMENT_AGE = 60  # the threshold: a head this old needs a ready successor


@dataclass(frozen=True)
class Successor:
    candidacy_id: int
    name: str
    position: str  # the current one
    organization: str  # the current one
    target_position: str


@dataclass
class SuccessionRow:
    organization: Organization
    head_name: str = ""
    head_age: int | None = None
    years_in_post: int | None = None
    successors: list[Successor] = field(default_factory=list)

    @property
    def has_head(self) -> bool:
        return bool(self.head_name)

    @property
    def at_risk(self) -> bool:
        """The head is 60 or older and nobody ready targets the organisation."""
        return self.head_age is not None and self.head_age >= RETIREMENT_AGE and not self.successors


@dataclass
class Succession:
    today: date
    rows: list[SuccessionRow]
    untargeted: list[Successor]  # ready candidates who target no particular organisation
    only_at_risk: bool = False
    at_risk_count: int = 0
    total: int = 0  # active organisations, whatever the filter

    @property
    def retirement_age(self) -> int:
        return RETIREMENT_AGE


def _successor(candidacy: Candidacy) -> Successor:
    return Successor(
        candidacy_id=candidacy.pk,
        name=candidacy.person.full_name or candidacy.person.username,
        position=candidacy.position,
        organization=candidacy.organization.short_name,
        target_position=candidacy.target_position,
    )


def build_succession(*, only_at_risk: bool = False, today: date | None = None) -> Succession:
    """Every active organisation (or, with `only_at_risk`, only those at risk) with its head and
    ready successors, as of `today`."""
    today = today or timezone.localdate()
    ready = (
        Candidacy.objects.filter(status=Status.READY)
        .select_related("person", "organization")
        .order_by("person__last_name", "person__first_name", "pk")
    )
    by_target: dict[int, list[Successor]] = {}
    untargeted = []
    for candidacy in ready:
        if candidacy.target_organization_id is None:
            untargeted.append(_successor(candidacy))
        else:
            by_target.setdefault(candidacy.target_organization_id, []).append(_successor(candidacy))
    rows = []
    for organization in (
        Organization.objects.active().with_head().order_by("org_type", "short_name")
    ):
        row = SuccessionRow(organization, successors=by_target.get(organization.pk, []))
        if organization.head_rows:
            # The same head as `Organization.head`, with the membership for the years in post.
            membership = organization.head_rows[0]
            row.head_name = membership.user.full_name or membership.user.username
            row.head_age = membership.user.age_on(today)
            if membership.start_date:  # unknown for roles entered without a start date
                row.years_in_post = full_years(membership.start_date, today)
        rows.append(row)
    at_risk = [row for row in rows if row.at_risk]
    return Succession(
        today=today,
        rows=at_risk if only_at_risk else rows,
        untargeted=untargeted,
        only_at_risk=only_at_risk,
        at_risk_count=len(at_risk),
        total=len(rows),
    )


def succession_sheet(succession: Succession) -> Sheet:
    """The page's table as an Excel sheet: one line per organisation."""
    yes = _("yes")
    return Sheet(
        _("Succession"),
        [
            _("Code"),
            _("Organisation"),
            _("Head"),
            _("Age"),
            _("Years in post"),
            _("Ready candidates"),
            _("Ready successors"),
            _("No ready successor, head 60 or older"),
        ],
        [
            [
                row.organization.code,
                row.organization.short_name,
                row.head_name,
                row.head_age,
                row.years_in_post,
                len(row.successors),
                "; ".join(f"{s.name} ({s.position}, {s.organization})" for s in row.successors),
                yes if row.at_risk else "",
            ]
            for row in succession.rows
        ],
    )
