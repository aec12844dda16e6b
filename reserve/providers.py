"""What the reserve gives monitoring: the A2.2–A2.4 inputs of each organisation.

Registered as provider "reserve" by `ReserveConfig.ready()` (monitoring never imports this app):

- `reserve_members` — the organisation's people in the reserve during the period: row 1 of the
  reserve report for that organisation (the same `reports.members`, so the indicator and the
  report never disagree);
- `reserve_trained` — of them, those with a training that ended within the period;
- `reserve_idp_done` — of them, those whose development plan of the period was at 100 % at the
  period's end (row 3 of the report for that organisation).

Every organisation passed in gets all three: the district keeps the reserve, so an organisation
with nobody in it has 0 members — a real value, not a missing one. Three queries whatever the
number of organisations.
"""

from collections import Counter

from zelenchuk_portal.models import Period

from .models import Candidacy, Training
from .reports import completion_row, member_completion, members

RESERVE_MEMBERS = "reserve_members"
RESERVE_TRAINED = "reserve_trained"
RESERVE_IDP_DONE = "reserve_idp_done"


def trained_people(period: Period) -> set[int]:
    """People in the reserve during `period` with a training (of any of their candidacies in
    the reserve then) that ended within it (one query)."""
    in_reserve = Candidacy.objects.in_reserve_during(period.start_date, period.end_date)
    return set(
        Training.objects.filter(
            candidacy__in=in_reserve,
            end_date__gte=period.start_date,
            end_date__lte=period.end_date,
        ).values_list("candidacy__person_id", flat=True)
    )


def monitoring_inputs(period: Period, organizations: list) -> dict[int, dict[str, float]]:
    """The provider registered as "reserve": {org id: {input code: value}} for every
    organisation in `organizations` (see the module docstring)."""
    member_org = members(period)
    completion = member_completion(period)
    trained = trained_people(period)
    counts = {code: Counter() for code in (RESERVE_MEMBERS, RESERVE_TRAINED, RESERVE_IDP_DONE)}
    for person_id, org_id in member_org.items():
        counts[RESERVE_MEMBERS][org_id] += 1
        if person_id in trained:
            counts[RESERVE_TRAINED][org_id] += 1
        if person_id in completion and completion_row(completion[person_id]) == "3":
            counts[RESERVE_IDP_DONE][org_id] += 1
    return {
        org.pk: {code: float(found[org.pk]) for code, found in counts.items()}
        for org in organizations
    }
