"""The district overview's builder: who has not submitted, deficits by block and item, plans by
status and completion, overdue tasks — and the Excel sheets of the same rows."""

from datetime import date

import pytest
from django.utils.translation import gettext as _

from tests.conftest import make_org, make_person
from tests.trajectories.test_providers import add_deficit, make_assessment, make_plan
from trajectories.district import (
    blocks_chart,
    build_district_overview,
    district_sheets,
    items_chart,
)
from trajectories.models import Assessment, Competency, Deficit, Plan
from zelenchuk_portal.models import Role

TODAY = date(2025, 3, 1)  # the builder is told the day: nothing here depends on the clock
Status = Assessment.Status


@pytest.fixture
def district(period, org_a, org_b, principal_a, principal_b, candidate, expert):
    """principal_a submitted (2 items of block 2 and block 4 confirmed), principal_b a draft,
    the candidate's assessment was returned; an inactive school's head never counts."""
    closed = make_org("Z09", is_active=False)
    make_person("head_closed", Role.PRINCIPAL, closed)
    submitted = make_assessment(principal_a, period, organization=org_a)
    add_deficit(submitted, "2.3")
    add_deficit(submitted, "2.1")
    add_deficit(submitted, "4")
    add_deficit(submitted, "5.1", Deficit.Status.DISMISSED)
    add_deficit(submitted, "6.1", Deficit.Status.PROPOSED)
    make_assessment(principal_b, period, [2] * 5, status=Status.DRAFT)
    returned = make_assessment(candidate, period, status=Status.RETURNED)
    add_deficit(returned, "3.1")  # returned for revision: not counted until resubmitted
    return {"submitted": submitted}


def overview(period):
    return build_district_overview(period, today=TODAY)


def test_who_has_not_submitted(period, district):
    o = overview(period)
    assert (o.people, o.submitted) == (3, 1)
    rows = {r.person.name.split()[0]: (r.person.role_text, r.status) for r in o.missing}
    assert rows == {
        "Principal_b": (_("head"), "draft"),
        "Candidate": (_("reserve candidate"), "returned"),
    }


def test_a_person_without_any_assessment_is_listed(period, district, org_b):
    make_person("deputy", Role.CANDIDATE, org_b, last_name="Яковлева")
    o = overview(period)
    assert [(r.person.name, r.status, r.state) for r in o.missing][-1] == (
        "Яковлева Тест",
        "",
        _("no self-assessment"),
    )


def test_deficits_by_block_and_item(period, district, org_b, principal_b):
    Assessment.objects.filter(person=principal_b).update(status=Status.SUBMITTED)
    add_deficit(Assessment.objects.get(person=principal_b), "2.3")
    o = overview(period)
    by_block = {b.block: (b.item_deficits, b.block_deficits, b.people) for b in o.blocks}
    assert by_block == {
        1: (0, 0, 0),
        2: (3, 0, 2),
        3: (0, 0, 0),
        4: (0, 1, 1),
        5: (0, 0, 0),
        6: (0, 0, 0),
    }
    assert o.total_deficits == 4 and o.people_with_deficits == 2
    by_item = {i.code: i.deficits for i in o.items if i.deficits}
    assert by_item == {"2.1": 1, "2.3": 2}
    assert len(o.items) == Competency.objects.count()
    assert "<svg" in blocks_chart(o) and "<svg" in items_chart(o)


def test_no_deficits_draws_no_item_chart(period, principal_a):
    o = overview(period)
    assert o.total_deficits == 0 and items_chart(o) == ""
    assert "<svg" in blocks_chart(o)


def test_plans_by_status_and_completion(period, district, principal_a, principal_b, candidate):
    make_plan(
        principal_a,
        period,
        Plan.Status.APPROVED,
        tasks=[(TODAY, True), (TODAY, False), (TODAY, False)],
    )
    make_plan(principal_b, period, Plan.Status.DONE, tasks=[(TODAY, True), (TODAY, True)])
    make_plan(candidate, period, Plan.Status.DRAFT)  # no tasks yet: 0 %, as on the plan's page
    o = overview(period)
    counts = {status: n for status, _label, n in o.plan_statuses}
    assert counts == {"draft": 1, "on_review": 0, "approved": 1, "done": 1, "carried_over": 0}
    assert [(p.person.name.split()[0], p.completion) for p in o.plans] == [
        ("Candidate", 0),
        ("Principal_a", 33),
        ("Principal_b", 100),
    ]
    assert o.completion_mean == 44.3  # (0 + 33 + 100) / 3, whole percents as on the plan
    assert dict(o.completion_bands) == {"0 %": 1, "1–49 %": 1, "50–99 %": 0, "100 %": 1}


def test_overdue_tasks(period, district, principal_a, principal_b, candidate, expert):
    make_plan(
        principal_a,
        period,
        Plan.Status.APPROVED,
        tasks=[
            (date(2025, 2, 1), False),  # overdue by 28 days
            (date(2025, 2, 1), True),  # done
            (TODAY, False),  # due today: not yet overdue
            (date(2025, 5, 1), False),
        ],
    )
    make_plan(principal_b, period, Plan.Status.CARRIED_OVER, tasks=[(date(2025, 1, 10), False)])
    make_plan(candidate, period, Plan.Status.ON_REVIEW, tasks=[(date(2024, 12, 20), False)])
    make_plan(expert, period, Plan.Status.APPROVED, tasks=[(date(2024, 12, 1), False)])
    o = overview(period)
    assert [(t.person.name.split()[0], t.deadline, t.days_overdue) for t in o.overdue] == [
        ("Candidate", date(2024, 12, 20), 71),
        ("Principal_a", date(2025, 2, 1), 28),
    ]  # a closed plan has settled its tasks; the expert is nobody the district follows
    assert o.overdue[1].person.organization_text == "МКОУ «СОШ № 1»"


def test_excel_sheets_hold_every_row(period, district, principal_a):
    make_plan(principal_a, period, Plan.Status.APPROVED, tasks=[(date(2025, 1, 15), False)])
    sheets = district_sheets(overview(period))
    assert set(sheets) == {"missing", "blocks", "items", "plans", "overdue"}
    assert len(list(sheets["missing"].rows)) == 2
    assert len(list(sheets["items"].rows)) == Competency.objects.count()
    assert list(sheets["plans"].rows)[0][-1] == 0
    overdue = list(sheets["overdue"].rows)
    assert overdue[0][4] == date(2025, 1, 15) and overdue[0][5] == 45
    for sheet in sheets.values():
        assert all(len(row) == len(sheet.headers) for row in sheet.rows)
