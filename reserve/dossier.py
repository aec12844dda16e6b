"""The dossier's «Personnel reserve» section: the organisation's reserve candidates.

Registered in monitoring's dossier by `ReserveConfig.ready()`. For the dossier's period it lists
the organisation's candidacies that were in the reserve during the period (the people behind
A2.2, row 1 of the reserve report for this organisation) and those nominated in the period still
awaiting enrolment, each with status, target, plan completion at the period's end (as the report
counts it) and computed readiness. A head sees the section in his or her own dossier (the
candidates are his or her staff); officials see every organisation's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from trajectories.dossier import url_or_none
from trajectories.plans import completion_by_person

from .models import Candidacy, Status
from .readiness import readiness_of
from .reports import members

# The candidate's own page belongs to the candidacies module; linked when it resolves.
CANDIDATE_URL = ("reserve:candidate_detail",)


@dataclass(frozen=True)
class CandidateLine:
    candidacy: Candidacy
    in_reserve: bool  # counted in row 1 / A2.2 for this organisation
    completion: int | None  # None: no development plan of the period
    readiness: int | None  # None: not enough evidence to compute it
    url: str | None

    @property
    def target(self) -> str:
        parts = [self.candidacy.target_position]
        if self.candidacy.target_organization_id:
            parts.append(self.candidacy.target_organization.short_name)
        return ", ".join(p for p in parts if p)


@dataclass
class Section:
    lines: list[CandidateLine] = field(default_factory=list)
    members: int = 0  # in the reserve during the period (A2.2)
    ready: int = 0  # of the lines, currently ready for appointment


def dossier_section(organization, period, user) -> Section | None:
    """The section's context for `period` (None without a period).

    A fixed number of queries whatever the number of candidates: the list, the plans'
    completion, the members and the readiness evidence (`readiness.readiness_of`) are each
    read once.
    """
    if period is None:
        return None
    in_reserve = Candidacy.objects.in_reserve_during(period.start_date, period.end_date)
    candidacies = list(
        Candidacy.objects.filter(organization=organization)
        .filter(Q(pk__in=in_reserve.values("pk")) | Q(period=period, status=Status.NOMINEE))
        .select_related("person", "organization", "target_organization")
    )
    member_ids = {p for p, org in members(period).items() if org == organization.pk}
    completion = completion_by_person(
        period, [c.person_id for c in candidacies], on=period.end_date
    )
    scores = readiness_of(c for c in candidacies if not c.is_final)
    lines = [
        CandidateLine(
            candidacy=c,
            in_reserve=c.enrolled_on is not None and c.person_id in member_ids,
            completion=completion.get(c.person_id),
            readiness=scores[c.pk].score if c.pk in scores else None,
            url=url_or_none(CANDIDATE_URL, c.pk),
        )
        for c in candidacies
    ]
    return Section(
        lines=lines,
        members=len(member_ids),
        ready=sum(1 for line in lines if line.candidacy.status == Status.READY),
    )
