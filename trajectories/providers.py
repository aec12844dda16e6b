"""What trajectories gives monitoring: derived inputs, deficit codes and the report's summary.

Monitoring never imports this app; `TrajectoriesConfig.ready()` registers the functions below in
monitoring's registries:

- `monitoring_inputs` (provider "trajectories") → `self_assessment_index`, `deficits_identified`,
  `deficits_closed` of each organisation's head (indicators A1.4 and A1.5);
- `deficit_codes` → the head's confirmed deficits as «2.3» / «2» for targeted-recommendation rules;
- `deficit_summary` → section 5 of the analytical report, per competency block.

Whose numbers: an organisation's head is the person holding its principal role on the period's
reference day (`reference_day`: today while the period runs, its last day once it has ended), so
the open period follows the current head and a past period keeps the head who was in office. Only
a SUBMITTED assessment counts: a draft is private and one returned for revision is being
rewritten. Every function runs a fixed number of queries whatever the number of organisations.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from zelenchuk_portal.models import Membership, Period, Role

from .models import MAX_RATING, Assessment, Competency, Deficit, DeficitAnalysis

SELF_ASSESSMENT_INDEX = "self_assessment_index"
DEFICITS_IDENTIFIED = "deficits_identified"
DEFICITS_CLOSED = "deficits_closed"


def reference_day(period: Period, today: date | None = None) -> date:
    """The day whose role holders count for `period`: today, kept inside the period."""
    today = today or timezone.localdate()
    return max(period.start_date, min(today, period.end_date))


def role_holders(period: Period, role: str, organization_ids=None) -> dict[int, int]:
    """{organisation id: person id} of the holders of `role` on the period's reference day.

    One query. With several holders (a handover day), the one appointed last wins.
    `organization_ids` narrows the answer after the query, so that a district of 40,000 never
    sends a 40,000-item IN list.
    """
    rows = (
        Membership.objects.current(reference_day(period))
        .filter(role=role, organization__isnull=False)
        .order_by("organization_id", "start_date", "pk")
        .values_list("organization_id", "user_id")
    )
    wanted = None if organization_ids is None else set(organization_ids)
    return {org: user for org, user in rows if wanted is None or org in wanted}


def heads(period: Period, organization_ids=None) -> dict[int, int]:
    """{organisation id: head's person id} for the period (see the module docstring)."""
    return role_holders(period, Role.PRINCIPAL, organization_ids)


def self_index(total: int | None, rated: int) -> float | None:
    """100 × Σ self-ratings ÷ (3 × rated items), to one decimal; None when nothing is rated."""
    if not rated or total is None:
        return None
    return round(100 * total / (MAX_RATING * rated), 1)


@dataclass(frozen=True)
class PersonNumbers:
    """A person's numbers for a period, from his or her submitted assessment."""

    assessment_id: int
    self_index: float | None
    identified: int  # confirmed deficits
    closed: int  # of them, closed in the analytical section of the person's plan of the period


def person_numbers(
    period: Period, person_ids: Iterable[int] | None = None
) -> dict[int, PersonNumbers]:
    """{person id: PersonNumbers} for the people with a SUBMITTED assessment in `period`.

    Three queries: the assessments with their rating sums, the confirmed deficits counted per
    assessment, the closed ones counted per assessment (in the person's own plan of the period).
    """
    wanted = None if person_ids is None else set(person_ids)
    assessments = (
        Assessment.objects.filter(period=period, status=Assessment.Status.SUBMITTED)
        .order_by()
        .values("pk", "person_id")
        .annotate(
            total=Sum("items__self_rating"),
            rated=Count("items", filter=Q(items__self_rating__isnull=False)),
        )
    )
    rows = [a for a in assessments if wanted is None or a["person_id"] in wanted]
    confirmed = Deficit.objects.filter(
        assessment__period=period,
        assessment__status=Assessment.Status.SUBMITTED,
        status=Deficit.Status.CONFIRMED,
    )
    identified = dict(
        confirmed.order_by()
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    closed = dict(
        DeficitAnalysis.objects.filter(
            deficit__in=confirmed,
            outcome=DeficitAnalysis.Outcome.CLOSED,
            plan__period=period,
            # the person's own plan: someone else's plan never closes this deficit
            plan__person_id=F("deficit__assessment__person_id"),
        )
        .order_by()
        .values("deficit__assessment_id")
        .annotate(n=Count("deficit_id", distinct=True))
        .values_list("deficit__assessment_id", "n")
    )
    return {
        row["person_id"]: PersonNumbers(
            assessment_id=row["pk"],
            self_index=self_index(row["total"], row["rated"]),
            identified=identified.get(row["pk"], 0),
            closed=closed.get(row["pk"], 0),
        )
        for row in rows
    }


def monitoring_inputs(period: Period, organizations: list) -> dict[int, dict[str, float]]:
    """The provider registered as "trajectories": {org id: {input code: value}}.

    - `self_assessment_index` = 100 × Σ self-ratings ÷ (3 × rated items) of the head's submitted
      assessment of the period;
    - `deficits_identified` = its confirmed deficits (0 when none was confirmed);
    - `deficits_closed` = those whose analysis in the head's plan of the period is «closed».

    An organisation whose head has no submitted assessment (or which has no head) is absent:
    missing, never 0.
    """
    head_of = heads(period, [org.pk for org in organizations])
    numbers = person_numbers(period, set(head_of.values()))
    found: dict[int, dict[str, float]] = {}
    for org_id, person_id in head_of.items():
        mine = numbers.get(person_id)
        if mine is None:
            continue
        values = {DEFICITS_IDENTIFIED: float(mine.identified), DEFICITS_CLOSED: float(mine.closed)}
        if mine.self_index is not None:
            values[SELF_ASSESSMENT_INDEX] = mine.self_index
        found[org_id] = values
    return found


def deficit_codes(period: Period, organization_ids: list[int]) -> dict[int, set[str]]:
    """The deficit source of targeted recommendations: {org id: the head's confirmed deficit
    codes}, «2.3» for an item and «2» for a block. Organisations with none are absent."""
    head_of = heads(period, organization_ids)
    rows = Deficit.objects.filter(
        assessment__period=period,
        assessment__status=Assessment.Status.SUBMITTED,
        status=Deficit.Status.CONFIRMED,
    ).values_list("assessment__person_id", "competency__code", "block")
    by_person: dict[int, set[str]] = defaultdict(set)
    for person_id, item_code, block in rows:
        by_person[person_id].add(item_code or str(block))
    return {
        org_id: set(by_person[person_id])
        for org_id, person_id in head_of.items()
        if person_id in by_person
    }


def block_names() -> dict[int, str]:
    """{block number: block name} of the competency framework (one query)."""
    return dict(Competency.objects.order_by("block", "position").values_list("block", "block_name"))


def district_people(period: Period) -> dict[int, set[int]]:
    """{person id: organisation ids} of the people whose development the district follows in
    `period`: heads of active organisations and reserve candidates (one query)."""
    rows = (
        Membership.objects.current(reference_day(period))
        .filter(
            Q(role=Role.PRINCIPAL, organization__is_active=True) | Q(role=Role.CANDIDATE),
            organization__isnull=False,
        )
        .values_list("user_id", "organization_id")
    )
    people: dict[int, set[int]] = defaultdict(set)
    for person_id, org_id in rows:
        people[person_id].add(org_id)
    return dict(people)


def deficit_summary(period: Period) -> list[tuple[str, int, int]] | None:
    """Section 5 of the analytical report: (block name, confirmed deficits, people) for every
    block of the framework, over the submitted assessments of the period's heads and reserve
    candidates. None when nobody submitted a self-assessment for the period (no records)."""
    submitted = Assessment.objects.filter(period=period, status=Assessment.Status.SUBMITTED)
    if not submitted.exists():
        return None
    people = district_people(period)
    rows = Deficit.objects.filter(
        assessment__period=period,
        assessment__status=Assessment.Status.SUBMITTED,
        status=Deficit.Status.CONFIRMED,
    ).values_list("assessment__person_id", "block")
    counts: dict[int, int] = defaultdict(int)
    persons: dict[int, set[int]] = defaultdict(set)
    for person_id, block in rows:
        if person_id in people:
            counts[block] += 1
            persons[block].add(person_id)
    return [(name, counts[block], len(persons[block])) for block, name in block_names().items()]
