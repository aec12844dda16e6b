"""The demo's mentoring: every stage, the demo logins' internships, a group, one at risk, one
expired agreement, dates inside the story — and a second run that changes nothing.

Only the registry is seeded underneath (monitoring and trajectories would take ten seconds and
tell nothing more here); the one development plan the closing touches is made by hand.
"""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest

from mentoring import demo
from mentoring.internships import at_risk_filter, closing_problems, with_activity
from mentoring.models import (
    Agreement,
    Assignment,
    BaseSite,
    Decision,
    DecisionCompetency,
    DiaryEntry,
    FinalRating,
    Form,
    Internship,
    Stage,
    Trainee,
)
from trajectories.models import Plan, PlanComment, PlanGoal, PlanTask, ResourceKind, TaskForm
from zelenchuk_portal import demo as registry
from zelenchuk_portal.models import Membership, Period, Role, User

MODELS = (
    BaseSite,
    Agreement,
    Internship,
    Trainee,
    Assignment,
    DiaryEntry,
    Decision,
    DecisionCompetency,
    FinalRating,
    Membership,
    User,
    PlanComment,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def person(login):
    return User.objects.get(username=login)


def internship_of(login) -> Internship:
    return Internship.objects.get(trainees__person__username=login)


def plan_with_an_internship_task(login, period) -> PlanTask:
    """An approved plan of the period with an undone task of the form «стажировка»."""
    plan = Plan.objects.create(person=person(login), period=period, status=Plan.Status.APPROVED)
    goal = PlanGoal.objects.create(plan=plan, text="Развить компетенцию 2.2")
    return PlanTask.objects.create(
        goal=goal,
        text="Пройти стажировку на базовой площадке",
        form=TaskForm.INTERNSHIP,
        resource=ResourceKind.EXTERNAL,
        deadline=period.end_date,
    )


def check_the_story(now: date) -> None:
    assert set(Internship.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert BaseSite.objects.count() == 4 and Internship.objects.count() == 7

    # The demo logins: the candidate's internship is in the main stage with `mentor`, who sees
    # it with the completed one of `principal`; the head of 0101 follows the candidate's too.
    candidate, mentor, principal = person("candidate"), person("mentor"), person("principal")
    own = Internship.objects.visible_to(candidate).get()
    assert (own.stage, own.mentor, own.base_site.organization.code) == (Stage.MAIN, mentor, "0103")
    mentored = Internship.objects.visible_to(mentor)
    assert own in mentored
    completed = mentored.get(trainees__person=principal)
    assert completed.stage == Stage.COMPLETED and completed.completed_on < now
    assert set(Internship.objects.visible_to(principal)) == {own, completed}
    assert not Internship.objects.visible_to(person("principal2")).exists()

    group = Internship.objects.get(form=Form.GROUP)
    assert group.trainees.count() == 3 and group.stage == Stage.MAIN
    assert all(t.entries.filter(is_draft=False).exists() for t in group.trainees.all())

    # At risk on the story day: only the remote internship that fell silent.
    at_risk = with_activity(Internship.objects.open(), now).filter(at_risk_filter(now))
    assert list(at_risk) == [internship_of("head0116")]
    assert [a.number for a in Agreement.objects.filter(valid_until__lt=now)] == ["18/СП-2025"]
    assert completed.agreement.number == "18/СП-2025"

    for entry in DiaryEntry.objects.select_related("trainee__internship"):
        internship = entry.trainee.internship
        assert internship.start_date <= entry.day <= min(internship.end_date, now)
        assert entry.day.weekday() < 5 and entry.created_at.date() == entry.day
        if entry.mentor_comment:
            assert not entry.is_draft and entry.commented_at.date() <= now
    assert DiaryEntry.objects.filter(trainee__person=candidate, is_draft=True).count() == 1
    assert DiaryEntry.objects.filter(trainee__person=candidate, is_draft=False).count() >= 5
    assert Decision.objects.filter(trainee__person=candidate).count() >= 3
    assert DecisionCompetency.objects.filter(mentor_rating__isnull=False).exists()

    preliminary = Internship.objects.get(stage=Stage.PRELIMINARY)
    assert preliminary.assignments.exists() and preliminary.trainees.get().host_notes
    assert not DiaryEntry.objects.filter(trainee__internship=preliminary).exists()
    final = Internship.objects.get(stage=Stage.FINAL).trainees.get()
    assert final.report and final.project_title and not final.mentor_conclusion
    assert closing_problems(final.internship)  # still being prepared

    for internship in Internship.objects.filter(stage=Stage.COMPLETED):
        history = [datetime.fromisoformat(row["at"]).date() for row in internship.history]
        assert [row["stage"] for row in internship.history] == ["main", "final", "completed"]
        assert history == sorted(history) and history[-1] == internship.completed_on
        for trainee in internship.trainees.all():
            assert trainee.report and trainee.project_summary and trainee.mentor_conclusion
            assert trainee.ratings.count() == internship.competencies.count() > 0
    for internship in Internship.objects.exclude(stage=Stage.COMPLETED):
        assert internship.created_at.date() < internship.start_date


@pytest.mark.django_db
@pytest.mark.parametrize("today", [None, date(2026, 2, 11)], ids=["clock", "mid-year"])
def test_the_demo_tells_every_stage_and_a_second_run_changes_nothing(today):
    registry.seed()
    now = demo.story_day(today)
    assert now <= (today or now)
    # The internship of the head of 0119 closes about 25 weeks before the story day.
    closing = now - timedelta(days=176)
    period = Period.objects.get(start_date__lte=closing, end_date__gte=closing)
    task = plan_with_an_internship_task("head0119", period)

    out = StringIO()
    demo.seed(stdout=out, today=today)
    assert "стажировок — 7" in out.getvalue()
    first = counts()
    check_the_story(now)

    # Closing the completed internship of the head of 0119 marked his plan's task done.
    closed = internship_of("head0119")
    task.refresh_from_db()
    assert task.done and task.done_at == closed.completed_on
    assert task.goal.plan.comments.get().at.date() == closed.completed_on
    # The mentors of every site hold the mentor role there.
    for site in BaseSite.objects.select_related("organization"):
        assert (
            Membership.objects.current()
            .filter(role=Role.MENTOR, organization=site.organization)
            .exists()
        )

    out = StringIO()
    demo.seed(stdout=out, today=today)
    assert counts() == first
    assert "стажировок — 0" in out.getvalue()
