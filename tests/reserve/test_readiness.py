"""Readiness: the arithmetic on plain values (no database), then each component's evidence —
the latest plan's completion, training hours in three years, the organisation's index trend —
and the young-leaders hints on their boundaries."""

from datetime import date

import pytest
from django.utils.translation import gettext as _

from mentoring.models import BaseSite, FinalRating, Form, Internship, Stage, Trainee
from reserve import candidacies as domain
from reserve.readiness import (
    READY_THRESHOLD,
    Component,
    combine,
    full_years,
    readiness,
    training_value,
    trend_value,
    years_before,
    young_leader_eligible,
    young_leader_hints,
)
from tests.trajectories.test_assessments import make_score, previous_period
from tests.trajectories.test_plans import approved_plan, confirm_deficits
from trajectories import plans as plan_domain
from trajectories.models import Competency, PlanTask
from zelenchuk_portal.models import Period, PeriodStatus

TODAY = date(2025, 5, 15)


def part(key, value, weight):
    return Component(key, key, value, weight, "")


# --- Pure arithmetic -----------------------------------------------------------------------------


def test_the_score_is_the_weighted_mean_rounded_half_up():
    result = combine([part("plan", 75, 40), part("training", 50, 30), part("trend", 100, 30)])
    # (75·40 + 50·30 + 100·30) / 100 = 75
    assert (result.score, result.ready_by_evidence) == (75, True)
    # (50·40 + 100·30 + 0·30) / 100 = 50
    assert combine([part("a", 50, 40), part("b", 100, 30), part("c", 0, 30)]).score == 50
    # 69.5 rounds up to 70: ready; 69.4 stays 69: not
    assert combine([part("a", 70, 1), part("b", 69, 1)]).score == 70
    assert combine([part("a", 69, 6), part("b", 70, 4), part("c", 68, 0)]).score == 69


def test_components_without_evidence_are_left_out_and_the_weights_renormalised():
    result = combine([part("plan", 80, 40), part("training", 60, 30), part("trend", None, 30)])
    # (80·40 + 60·30) / 70 = 71.43 → 71
    assert (result.score, result.ready_by_evidence) == (71, True)
    assert [share for _component, share in result.rows] == [57.1, 42.9, None]
    assert result.used_weight == 70


def test_no_evidence_at_all_is_no_score_and_not_ready():
    result = combine([part("trend", None, 30)])
    assert (result.score, result.ready_by_evidence) == (None, False)
    assert result.score_text == _("no evidence")


@pytest.mark.parametrize(
    ("score", "ready"), [(READY_THRESHOLD, True), (READY_THRESHOLD - 1, False)]
)
def test_ready_by_the_evidence_from_the_threshold(score, ready):
    assert combine([part("plan", score, 40)]).ready_by_evidence is ready


@pytest.mark.parametrize(
    ("hours", "value"), [(0, 0), (36, 50), (71, 98), (72, 100), (200, 100), (-5, 0)]
)
def test_training_hours_against_the_72_hour_norm(hours, value):
    assert training_value(hours) == value


@pytest.mark.parametrize(
    ("latest", "previous", "value"),
    [
        (61.0, 60.0, 100),
        (60.99, 60.0, 50),
        (60.0, 60.0, 50),
        (59.01, 60.0, 50),
        (59.0, 60.0, 0),
        (None, 60.0, None),
        (60.0, None, None),
    ],
)
def test_the_trend_in_three_bands(latest, previous, value):
    assert trend_value(latest, previous) == value


def test_calendar_helpers():
    assert years_before(date(2024, 2, 29), 3) == date(2021, 2, 28)
    assert full_years(date(2021, 5, 16), TODAY) == 3
    assert full_years(date(2021, 5, 15), TODAY) == 4


# --- Evidence ------------------------------------------------------------------------------------


def scored(period, organization, index):
    score = make_score(period, organization)
    score.index = index
    score.save(update_fields=["index"])


def components(candidacy, today=TODAY):
    return {c.key: c for c in readiness(candidacy, today).components}


def test_a_candidate_with_no_evidence_scores_zero(candidacy):
    result = readiness(candidacy, TODAY)
    parts = {c.key: c for c in result.components}
    values = [parts[key].value for key in ("plan", "training", "internship", "trend")]
    assert values == [0, 0, None, None]
    assert parts["plan"].detail == _("No development plan: counted as 0 %.")
    assert (result.score, result.ready_by_evidence) == (0, False)


def test_training_counts_the_last_three_years_only(candidacy, official):
    def add(hours, start, end):
        domain.add_training(
            candidacy,
            programme="Курс",
            provider="КЧРИПКРО",
            hours=hours,
            start_date=start,
            end_date=end,
            by=official,
        )

    add(36, date(2024, 11, 1), date(2024, 11, 20))
    add(18, date(2022, 5, 1), date(2022, 5, 16))  # ended 3 years ago less a day: counts
    add(100, date(2022, 5, 1), date(2022, 5, 15))  # ended exactly 3 years ago: too old
    add(8, date(2025, 5, 10), date(2025, 6, 1))  # not finished yet on TODAY
    training = components(candidacy)["training"]
    assert training.value == 75  # 54 of 72 hours
    assert str(54) in training.detail


def test_the_latest_plan_s_completion_counts(candidacy, candidate, mentor, period):
    confirm_deficits(candidate, period)
    plan = approved_plan(candidate, period, mentor, tasks_per_goal=2)
    tasks = list(PlanTask.objects.filter(goal__plan=plan).order_by("pk"))
    assert len(tasks) == 4
    for task in tasks[:3]:
        plan_domain.set_task_done(task, True, candidate, today=date(2025, 3, 1))
    component = components(candidacy)["plan"]
    assert component.value == 75
    assert "2024/2025" in component.detail
    # On a day before the tasks were done, the plan was at 0 %.
    assert components(candidacy, date(2025, 2, 1))["plan"].value == 0


def test_the_organisation_s_trend_between_its_two_latest_scored_periods(candidacy, org_a, period):
    older = Period.objects.create(
        label="2022/2023",
        start_date=date(2022, 9, 1),
        end_date=date(2023, 8, 31),
        status=PeriodStatus.CLOSED,
    )
    middle = previous_period()
    scored(older, org_a, 90.0)
    assert components(candidacy)["trend"].value is None  # one scored period is no trend
    scored(middle, org_a, 64.0)
    scored(period, org_a, 62.5)
    trend = components(candidacy)["trend"]
    assert trend.value == 0  # 64.0 → 62.5: a fall of 1.5 points
    assert "2023/2024" in trend.detail and "2024/2025" in trend.detail
    # Scores of a period not yet begun do not count.
    assert components(candidacy, date(2024, 8, 1))["trend"].value == 0  # 90 → 64


# --- Young leaders -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "met"),
    [(date(1984, 5, 16), True), (date(1984, 5, 15), False), (None, None)],
)
def test_not_older_than_40(candidacy, born, met):
    candidacy.person.birth_date = born
    hints = {h.key: h for h in young_leader_hints(candidacy, TODAY)}
    assert hints["age"].met is met


@pytest.mark.parametrize(
    ("since", "met"),
    [(date(2021, 5, 14), True), (date(2021, 5, 15), False), (None, None)],
)
def test_more_than_four_years_of_managerial_experience(candidacy, since, met):
    candidacy.management_since = since
    hints = {h.key: h for h in young_leader_hints(candidacy, TODAY)}
    assert hints["experience"].met is met


def test_eligibility_needs_every_condition(candidacy):
    candidacy.person.birth_date = date(1990, 1, 1)
    candidacy.management_since = date(2015, 9, 1)
    assert young_leader_eligible(young_leader_hints(candidacy, TODAY)) is True
    candidacy.management_since = None
    assert young_leader_eligible(young_leader_hints(candidacy, TODAY)) is None
    candidacy.person.birth_date = date(1960, 1, 1)
    assert young_leader_eligible(young_leader_hints(candidacy, TODAY)) is False


def internship_with_ratings(candidacy, mentor, ratings, completed_on, stage=Stage.COMPLETED):
    site = BaseSite.objects.get_or_create(
        organization=mentor.memberships.get().organization,
        defaults={"designated_on": date(2024, 9, 1), "themes": "Управление", "capacity": 5},
    )[0]
    internship = Internship.objects.create(
        theme=f"Стажировка {completed_on}",
        form=Form.INDIVIDUAL,
        start_date=date(2024, 10, 1),
        end_date=completed_on,
        stage=stage,
        completed_on=completed_on if stage == Stage.COMPLETED else None,
        base_site=site,
        mentor=mentor,
        created_by=mentor,
    )
    trainee = Trainee.objects.create(
        internship=internship, person=candidacy.person, organization=candidacy.organization
    )
    competencies = Competency.objects.order_by("position")[: len(ratings)]
    for competency, rating in zip(competencies, ratings, strict=True):
        FinalRating.objects.create(trainee=trainee, competency=competency, rating=rating)
    return internship


def test_the_latest_completed_internship_s_assessment_counts(candidacy, mentor):
    internship_with_ratings(candidacy, mentor, [1, 1], date(2024, 12, 20))
    internship_with_ratings(candidacy, mentor, [3, 2], date(2025, 3, 20))
    # Still running: its ratings do not count yet.
    internship_with_ratings(candidacy, mentor, [0, 0], date(2025, 5, 1), stage=Stage.FINAL)
    component = components(candidacy)["internship"]
    assert component.value == 83  # mean 2.5 of 3
    assert "2,5" in component.detail and "20.03.2025" in component.detail
    # Before the later internship was completed, the earlier one counted.
    assert components(candidacy, date(2025, 1, 10))["internship"].value == 33
    # Plan and training at 0, no trend: the internship's 30 of the 100 weight used decides.
    assert readiness(candidacy, TODAY).score == round(83 * 30 / 100)
