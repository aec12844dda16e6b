"""What trajectories hands monitoring: the derived inputs of A1.4/A1.5, the deficit codes of
targeted recommendations, the report's deficit summary and the dossier section."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.catalogue import STATUS_NO_DATA, STATUS_VALUE
from monitoring.dossier import build_dossier
from monitoring.models import Score
from monitoring.providers import derived_values, registered_providers
from monitoring.recommendations import confirmed_deficits
from monitoring.reports import build_report
from monitoring.scoring import score_period
from tests.conftest import make_org, make_person
from trajectories.models import (
    Assessment,
    AssessmentItem,
    Competency,
    Deficit,
    DeficitAnalysis,
    Plan,
    PlanGoal,
    PlanTask,
    ResourceKind,
    TaskForm,
)
from trajectories.providers import (
    deficit_codes,
    deficit_summary,
    heads,
    monitoring_inputs,
    self_index,
)
from zelenchuk_portal.models import Membership, Period, PeriodStatus, Role

Status = Assessment.Status
Outcome = DeficitAnalysis.Outcome

# 31 items: 29 rated 2 and two rated 3 → Σ = 64; 100 × 64 ÷ 93 = 68.817… → 68.8
RATINGS = [3, 3] + [2] * 29


# --- Builders (shared with the district tests) ----------------------------------------------------


def make_assessment(person, period, ratings=RATINGS, status=Status.SUBMITTED, organization=None):
    assessment = Assessment.objects.create(
        person=person, period=period, organization=organization, status=status
    )
    competencies = list(Competency.objects.order_by("position"))
    AssessmentItem.objects.bulk_create(
        AssessmentItem(assessment=assessment, competency=c, self_rating=r)
        for c, r in zip(competencies, list(ratings) + [None] * 31, strict=False)
    )
    return assessment


def add_deficit(assessment, code, status=Deficit.Status.CONFIRMED):
    """`code` «2.3» for an item, «2» for a block."""
    if "." in code:
        competency = Competency.objects.get(code=code)
        return Deficit.objects.create(
            assessment=assessment, competency=competency, block=competency.block, status=status
        )
    return Deficit.objects.create(assessment=assessment, block=int(code), status=status)


def make_plan(person, period, status=Plan.Status.APPROVED, outcomes=(), tasks=(), reviewer=None):
    """outcomes: [(deficit, outcome)]; tasks: [(deadline, done)] under one goal."""
    plan = Plan.objects.create(person=person, period=period, status=status, reviewer=reviewer)
    for deficit, outcome in outcomes:
        DeficitAnalysis.objects.create(plan=plan, deficit=deficit, outcome=outcome)
    if tasks:
        goal = PlanGoal.objects.create(plan=plan, text="Развить компетенцию")
        PlanTask.objects.bulk_create(
            PlanTask(
                goal=goal,
                text=f"Задача {n}",
                form=TaskForm.COURSES,
                resource=ResourceKind.EXTERNAL,
                deadline=deadline,
                done=done,
            )
            for n, (deadline, done) in enumerate(tasks, start=1)
        )
    return plan


# --- self_assessment_index, deficits_identified, deficits_closed ---------------------------------


def test_self_index_by_hand():
    assert self_index(64, 31) == 68.8
    assert self_index(93, 31) == 100.0
    assert self_index(0, 31) == 0.0
    assert self_index(None, 0) is None


@pytest.fixture
def head_numbers(period, org_a, principal_a):
    """principal_a's submitted assessment: 3 confirmed deficits, of which 1 closed in the plan."""
    assessment = make_assessment(principal_a, period, organization=org_a)
    item = add_deficit(assessment, "2.3")
    block = add_deficit(assessment, "4")
    other = add_deficit(assessment, "6.1")
    add_deficit(assessment, "1.1", Deficit.Status.PROPOSED)
    dismissed = add_deficit(assessment, "5.2", Deficit.Status.DISMISSED)
    make_plan(
        principal_a,
        period,
        Plan.Status.CARRIED_OVER,
        outcomes=[
            (item, Outcome.CLOSED),
            (block, Outcome.CARRIED_OVER),
            (other, Outcome.OPEN),
            (dismissed, Outcome.CLOSED),  # not a confirmed deficit: never counted
        ],
    )
    return assessment


def test_inputs_of_the_head_by_hand(period, org_a, org_b, principal_b, head_numbers):
    make_assessment(principal_b, period, [1] * 31, status=Status.DRAFT, organization=org_b)
    headless = make_org("C03")
    found = monitoring_inputs(period, [org_a, org_b, headless])
    assert found == {
        org_a.pk: {
            "self_assessment_index": 68.8,
            "deficits_identified": 3.0,
            "deficits_closed": 1.0,
        }
    }  # a draft is private and a headless organisation has no one to ask: both absent


def test_submitted_with_nothing_confirmed_is_zero_not_missing(period, org_a, principal_a):
    assessment = make_assessment(principal_a, period, [1] * 31)
    add_deficit(assessment, "2.1", Deficit.Status.PROPOSED)
    assert monitoring_inputs(period, [org_a]) == {
        org_a.pk: {
            "self_assessment_index": pytest.approx(33.3),
            "deficits_identified": 0.0,
            "deficits_closed": 0.0,
        }
    }


def test_returned_or_other_periods_do_not_count(period, org_a, principal_a):
    returned = make_assessment(principal_a, period, status=Status.RETURNED)
    add_deficit(returned, "2.3")
    earlier = Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.CLOSED,
    )
    make_assessment(principal_a, earlier)
    assert monitoring_inputs(period, [org_a]) == {}
    assert set(monitoring_inputs(earlier, [org_a])) == {org_a.pk}


def test_a_plan_closes_only_its_owners_deficits(period, org_a, principal_a, candidate):
    deficit = add_deficit(make_assessment(principal_a, period), "2.3")
    make_plan(candidate, period, Plan.Status.DONE, outcomes=[(deficit, Outcome.CLOSED)])
    values = monitoring_inputs(period, [org_a])[org_a.pk]
    assert (values["deficits_identified"], values["deficits_closed"]) == (1.0, 0.0)


def test_only_the_head_of_the_period_counts(period, org_a, principal_a, candidate):
    """The candidate of the same school is not its head; a head who left before the period's
    reference day gives way to the one in office."""
    make_assessment(candidate, period, [3] * 31)
    assert monitoring_inputs(period, [org_a]) == {}
    make_assessment(principal_a, period)
    assert monitoring_inputs(period, [org_a])[org_a.pk]["self_assessment_index"] == 68.8

    Membership.objects.filter(user=principal_a).update(
        start_date=date(2020, 9, 1), end_date=date(2024, 12, 31)
    )
    successor = make_person("successor", None)
    Membership.objects.create(
        user=successor, role=Role.PRINCIPAL, organization=org_a, start_date=date(2025, 1, 1)
    )
    assert heads(period, [org_a.pk]) == {org_a.pk: successor.pk}
    assert monitoring_inputs(period, [org_a]) == {}


def test_queries_do_not_grow_with_the_district(period, org_a, principal_a, head_numbers):
    def queries(organizations):
        with CaptureQueriesContext(connection) as captured:
            monitoring_inputs(period, organizations)
            deficit_codes(period, [o.pk for o in organizations])
            deficit_summary(period)
        return len(captured.captured_queries)

    few = queries([org_a])
    others = []
    for n in range(12):
        org = make_org(f"X{n:02}")
        head = make_person(f"head{n}", Role.PRINCIPAL, org)
        add_deficit(make_assessment(head, period, organization=org), "3.2")
        make_plan(head, period, Plan.Status.APPROVED)
        others.append(org)
    assert queries([org_a, *others]) == few


# --- Registered in monitoring ---------------------------------------------------------------------


def test_registered_provider_feeds_derived_values(period, org_a, head_numbers):
    assert registered_providers()["trajectories"] is monitoring_inputs
    assert derived_values(period, [org_a])[org_a.pk]["deficits_identified"] == 3.0


def test_deficit_source_gives_item_and_block_codes(period, org_a, org_b, principal_b, head_numbers):
    assessment_b = make_assessment(principal_b, period)
    add_deficit(assessment_b, "1", Deficit.Status.PROPOSED)
    assert deficit_codes(period, [org_a.pk, org_b.pk]) == {org_a.pk: {"2.3", "4", "6.1"}}
    assert confirmed_deficits(period, [org_a.pk, org_b.pk]) == {
        org_a.pk: frozenset({"2.3", "4", "6.1"})
    }


def test_report_summary_by_block_counts_heads_and_candidates(
    period, org_a, principal_a, candidate, expert, head_numbers
):
    add_deficit(make_assessment(candidate, period), "2.1")
    # The expert is neither a head nor a candidate: his own assessment is not the district's.
    add_deficit(make_assessment(expert, period), "2.2")
    rows = deficit_summary(period)
    names = dict(Competency.objects.values_list("block", "block_name"))
    assert rows == [
        (names[1], 0, 0),
        (names[2], 2, 2),
        (names[3], 0, 0),
        (names[4], 1, 1),
        (names[5], 0, 0),
        (names[6], 1, 1),
    ]
    assert build_report(period).deficits == rows


def test_report_summary_is_none_without_records(period):
    # No self-assessment submitted: the report says plainly that this step has no records.
    assert deficit_summary(period) is None


# --- From the records to the indicators: rescoring ----------------------------------------------


def a1(period, organization):
    score = Score.objects.select_related("version").get(period=period, organization=organization)
    return score.results["A1.4"], score.results["A1.5"]


def test_rescoring_puts_the_numbers_in_a1_4_and_a1_5(
    period, org_a, org_b, principal_b, head_numbers
):
    make_assessment(principal_b, period, [2] * 31, organization=org_b)
    score_period(period, trigger="test")
    (a14_value, a14_status, *_), (a15_value, a15_status, a15_points, *_) = a1(period, org_a)
    assert (a14_value, a14_status) == (pytest.approx(68.8), STATUS_VALUE)
    assert a15_status == STATUS_VALUE
    assert a15_value == pytest.approx(100 * 1 / 3, abs=0.1)  # 1 closed of 3 identified
    assert a15_points == 0  # below 50 %: thresholds 2:80|1:50

    # principal_b: submitted, nothing confirmed → A1.5 has a zero denominator: full points.
    (b14_value, _s, *_), (_v, b15_status, b15_points, *_) = a1(period, org_b)
    assert b14_value == pytest.approx(66.7)
    assert b15_status == STATUS_VALUE
    assert b15_points == 2


def test_rescoring_without_an_assessment_leaves_a1_4_missing(period, org_a, principal_a):
    score_period(period, trigger="test")
    (_v, a14_status, *_), (_w, a15_status, *_) = a1(period, org_a)
    assert (a14_status, a15_status) == (STATUS_NO_DATA, STATUS_NO_DATA)


# --- The dossier's section -----------------------------------------------------------------------


def _section(dossier):
    return next(
        s for s in dossier.sections if s["template"] == "trajectories/_dossier_section.html"
    )


def test_dossier_section_shows_assessment_deficits_and_plan(
    period, org_a, principal_a, official, head_numbers
):
    plan = Plan.objects.get(person=principal_a, period=period)
    goal = PlanGoal.objects.create(plan=plan, text="Цель")
    for n, done in enumerate((True, True, False)):
        PlanTask.objects.create(
            goal=goal,
            text=f"Задача {n}",
            form=TaskForm.SEMINAR,
            resource=ResourceKind.INTERNAL,
            deadline=date(2025, 3, 1),
            done=done,
        )
    data = _section(build_dossier(org_a, official, period))["data"]
    assert data.self_index == 68.8
    assert (data.rated, data.items) == (31, 31)
    assert [b.self_mean for b in data.blocks][:1] == [2.4]  # block 1: 3, 3, 2, 2, 2
    assert [(d.code, d.is_block) for d in data.deficits] == [
        ("2.3", False),
        ("4", True),
        ("6.1", False),
    ]
    assert (data.plan_done, data.plan_tasks, data.plan_completion) == (2, 3, 66)


def test_dossier_section_keeps_a_draft_private(period, org_a, principal_a, official, login):
    make_assessment(principal_a, period, [2] * 10, status=Status.DRAFT)
    as_official = _section(build_dossier(org_a, official, period))["data"]
    assert not as_official.shows_ratings and as_official.self_index is None
    as_author = _section(build_dossier(org_a, principal_a, period))["data"]
    assert as_author.shows_ratings and (as_author.rated, as_author.items) == (10, 31)
    page = login(official).get(reverse("analysis:dossier", args=[org_a.pk]), {"period": period.pk})
    assert page.status_code == 200
    assert "trajectories/_dossier_section.html" in [t.name for t in page.templates]


def test_dossier_section_is_absent_with_nothing_to_show(period, org_a, principal_a, official):
    templates = [s["template"] for s in build_dossier(org_a, official, period).sections]
    assert "trajectories/_dossier_section.html" not in templates
