"""The demo's trajectories: every state the screens and journeys need, monitoring rescored from
them, and a second `seed_demo` that changes nothing."""

from collections import Counter
from io import StringIO
from statistics import mean

import pytest
from django.core.management import call_command

from monitoring.catalogue import STATUS_VALUE
from monitoring.models import RecommendationItem, Score, ScoringRun
from trajectories.models import (
    Assessment,
    AssessmentItem,
    Deficit,
    DeficitAnalysis,
    Plan,
    PlanComment,
    PlanGoal,
    PlanTask,
)
from trajectories.providers import heads, person_numbers
from zelenchuk_portal.models import Period

MODELS = (
    Assessment,
    AssessmentItem,
    Deficit,
    Plan,
    PlanGoal,
    PlanTask,
    DeficitAnalysis,
    PlanComment,
    Score,
    ScoringRun,
    RecommendationItem,
)
Status = Assessment.Status


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def of(username, label):
    return Assessment.objects.select_related("expert").get(
        person__username=username, period__label=label
    )


def check_open_period_story():
    principal = of("principal", "2025/2026")
    assert principal.status == Status.DRAFT and principal.submitted_at is None
    rated = principal.items.filter(self_rating__isnull=False).count()
    assert 0 < rated < principal.items.count() == 31  # half-filled: the journey finishes it
    assert not principal.deficits.exists()

    principal2 = of("principal2", "2025/2026")
    assert principal2.status == Status.SUBMITTED and principal2.submitted_at
    assert principal2.expert.username == "expert"
    assert principal2.expert_status == Assessment.ExpertStatus.WAITING
    assert not principal2.items.filter(expert_rating__isnull=False).exists()
    assert not principal2.deficits.exclude(status=Deficit.Status.PROPOSED).exists()

    plan = Plan.objects.get(person__username="candidate", period__label="2025/2026")
    assert plan.status == Plan.Status.ON_REVIEW and plan.reviewer.username == "mentor"
    assert plan.goals.filter(deficit__status=Deficit.Status.CONFIRMED).exists()


def check_states_and_content():
    assert set(Plan.objects.values_list("status", flat=True)) == set(Plan.Status.values)
    assert set(Deficit.objects.values_list("status", flat=True)) == set(Deficit.Status.values)
    assert set(Assessment.objects.values_list("status", flat=True)) == set(Status.values)
    rated_by = Counter(
        Assessment.objects.filter(expert_status=Assessment.ExpertStatus.DONE).values_list(
            "expert__username", flat=True
        )
    )
    assert rated_by["expert"] >= 30  # «expert ratings by `expert` for many»
    reviewers = set(
        Plan.objects.filter(status=Plan.Status.ON_REVIEW).values_list(
            "reviewer__username", flat=True
        )
    )
    assert {"mentor", "expert"} <= reviewers
    for task in PlanTask.objects.select_related("goal__plan__period"):
        period = task.goal.plan.period
        assert period.start_date <= task.deadline <= period.end_date
        assert task.direction and task.text
    approved = PlanTask.objects.filter(goal__plan__status=Plan.Status.APPROVED)
    assert approved.filter(done=True).exists() and approved.filter(done=False).exists()
    assert not PlanTask.objects.filter(goal__plan__status=Plan.Status.DONE, done=False).exists()
    closed = DeficitAnalysis.objects.filter(
        plan__status__in=(Plan.Status.DONE, Plan.Status.CARRIED_OVER)
    )
    assert closed.exists() and not closed.filter(results="").exists()
    assert not closed.filter(outcome=DeficitAnalysis.Outcome.OPEN).exists()
    assert closed.filter(plan__status=Plan.Status.CARRIED_OVER, outcome="carried_over").exists()
    # Every plan's goals answer the confirmed deficits of its own assessment.
    for goal in PlanGoal.objects.select_related("deficit__assessment", "plan"):
        assert goal.deficit.status == Deficit.Status.CONFIRMED
        assert goal.deficit.assessment_id == goal.plan.assessment_id


def check_ratings_follow_the_schools():
    period = Period.objects.get(label="2024/2025")
    levels = dict(Score.objects.filter(period=period).values_list("organization_id", "level"))
    numbers = person_numbers(period)
    by_level = {"high": [], "critical": []}
    for org_id, person_id in heads(period).items():
        level = levels.get(org_id)
        if level in by_level and person_id in numbers:
            by_level[level].append(numbers[person_id].self_index)
    assert by_level["high"] and by_level["critical"]
    assert mean(by_level["high"]) > mean(by_level["critical"])


def check_monitoring_was_rescored():
    for label in ("2023/2024", "2024/2025", "2025/2026"):
        period = Period.objects.get(label=label)
        assert ScoringRun.objects.filter(period=period, trigger="seed_demo").count() == 2
        scores = list(Score.objects.filter(period=period).select_related("version"))
        with_values = [s for s in scores if s.results["A1.4"][1] == STATUS_VALUE]
        assert len(with_values) >= len(scores) // 2
        assert all(s.results["A1.5"][1] == STATUS_VALUE for s in with_values)
    # The open period's draft letter of 0111 gained the deficit rule's item.
    assert RecommendationItem.objects.filter(
        recommendation__period__label="2025/2026",
        recommendation__organization__code="0111",
        reason__contains="дефицит",
    ).exists()
    # Closed periods stay closed in the database.
    assert Period.objects.get(label="2024/2025").is_closed


@pytest.mark.django_db
def test_seed_demo_tells_the_story_and_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    assert first["Assessment"] > 60 and first["Plan"] > 30
    check_open_period_story()
    check_states_and_content()
    check_ratings_follow_the_schools()
    check_monitoring_was_rescored()

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert "периодов — 0" in out.getvalue()
