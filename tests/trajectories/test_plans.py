"""Development plans, the domain: starting from confirmed deficits, deadlines, the status flow
with its illegal moves, done versus carry-over, history, completion and the functions other
apps read (`completion_by_person`, `deficits_closed`, `overdue_tasks`, `plans_summary`).

Helpers here (`confirm_deficits`, `add_task`, `approved_plan`…) are shared by
`test_plans_views.py`. Deficits are created directly through the models, as the expert's
confirmation would leave them.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tests.conftest import make_person
from trajectories import plans as domain
from trajectories.models import (
    Assessment,
    Competency,
    Deficit,
    DeficitAnalysis,
    Plan,
    PlanGoal,
    PlanTask,
    ResourceKind,
    TaskForm,
)
from zelenchuk_portal.models import Period, PeriodStatus, Role, User

Status = Plan.Status
Outcome = DeficitAnalysis.Outcome
IN_PERIOD = date(2025, 3, 14)

# --- Helpers -------------------------------------------------------------------------------------


def confirm_deficits(person, period, codes=("2.3",), blocks=(4,)) -> list[Deficit]:
    """A submitted self-assessment with confirmed deficits (items `codes`, whole `blocks`), plus
    one proposed and one dismissed deficit that a plan must ignore."""
    assessment = Assessment.objects.create(
        person=person, period=period, status=Assessment.Status.SUBMITTED
    )
    confirmed = []
    for code in codes:
        competency = Competency.objects.get(code=code)
        confirmed.append(
            Deficit.objects.create(
                assessment=assessment,
                competency=competency,
                block=competency.block,
                status=Deficit.Status.CONFIRMED,
            )
        )
    for block in blocks:
        confirmed.append(
            Deficit.objects.create(
                assessment=assessment, block=block, status=Deficit.Status.CONFIRMED
            )
        )
    for code, status in (("1.1", Deficit.Status.PROPOSED), ("5.1", Deficit.Status.DISMISSED)):
        competency = Competency.objects.get(code=code)
        Deficit.objects.create(
            assessment=assessment, competency=competency, block=competency.block, status=status
        )
    return confirmed


def add_task(goal, by, deadline=IN_PERIOD, text="Пройти курсы ДПО", **fields) -> PlanTask:
    values = {
        "form": TaskForm.COURSES,
        "resource": ResourceKind.EXTERNAL,
        "direction": "Оценка качества",
        "responsible": "Сам руководитель",
    }
    values.update(fields)
    return domain.save_task(PlanTask(goal=goal, text=text, deadline=deadline, **values), by)


def draft_plan(person, period, reviewer=None, by=None, tasks_per_goal=1) -> Plan:
    """A started plan with tasks on every goal and (optionally) a reviewer."""
    plan = domain.start_plan(person, period, by or person)
    for goal in plan.goals.all():
        for n in range(tasks_per_goal):
            add_task(goal, by or person, text=f"{goal.text[:30]} — задача {n + 1}")
    if reviewer:
        domain.assign_reviewer(plan, reviewer, by or person)
    return plan


def approved_plan(person, period, reviewer, **kwargs) -> Plan:
    plan = draft_plan(person, period, reviewer, **kwargs)
    domain.change_status(plan, Status.ON_REVIEW, person)
    domain.change_status(plan, Status.APPROVED, reviewer, "Согласовано")
    return plan


def analyse(plan, by, outcome=Outcome.CLOSED, results="Курсы пройдены, практика внедрена"):
    for analysis in plan.analyses.all():
        analysis.results = results
        analysis.outcome = outcome
        domain.save_analysis(analysis, by)


def finish_tasks(plan, by, today=date(2025, 5, 20)):
    for task in PlanTask.objects.filter(goal__plan=plan):
        domain.set_task_done(task, True, by, today=today)


def messages_of(error: ValidationError) -> str:
    return " ".join(error.value.messages)


# --- Starting a plan -----------------------------------------------------------------------------


def test_a_plan_starts_with_one_goal_per_confirmed_deficit(principal_a, period, org_a):
    deficits = confirm_deficits(principal_a, period, codes=("2.3", "3.1"), blocks=(4,))
    plan = domain.start_plan(principal_a, period, principal_a)
    goals = list(plan.goals.select_related("deficit"))
    assert [g.deficit for g in goals] == deficits
    assert "2.3" in goals[0].text and "Обеспечение независимой внешней оценки" in goals[0].text
    assert goals[2].text.startswith("Развить компетенции блока 4")
    assert set(plan.analyses.values_list("deficit", flat=True)) == {d.pk for d in deficits}
    assert plan.status == Status.DRAFT
    assert plan.organization == org_a
    assert plan.assessment == deficits[0].assessment
    assert plan.history[0]["event"] == "created"
    assert plan.history[0]["by"] == principal_a.pk


def test_a_plan_without_deficits_starts_empty(candidate, period):
    plan = domain.start_plan(candidate, period, candidate)
    assert plan.goals.count() == 0 and plan.analyses.count() == 0
    assert plan.assessment is None


def test_one_plan_per_person_and_period(principal_a, period):
    domain.start_plan(principal_a, period, principal_a)
    with pytest.raises(ValidationError) as error:
        domain.start_plan(principal_a, period, principal_a)
    assert (
        _("%(person)s already has a development plan for %(period)s.")
        % {
            "person": principal_a.short_name,
            "period": "2024/2025",
        }
        in error.value.messages
    )


def test_only_heads_and_candidates_have_plans(mentor, expert, official, period):
    for person in (mentor, expert):
        with pytest.raises(ValidationError) as error:
            domain.start_plan(person, period, official)
        assert (
            _("A development plan is drawn up for a head or a reserve candidate.")
            in error.value.messages
        )


def test_a_closed_period_takes_no_new_plan(principal_a, period):
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(ValidationError):
        domain.start_plan(principal_a, period, principal_a)


def test_an_official_starts_a_plan_for_a_candidate(official, candidate, period):
    plan = domain.start_plan(candidate, period, official)
    assert plan.person == candidate
    assert plan.history[0]["by"] == official.pk


def test_deficits_confirmed_later_are_brought_in_once(principal_a, period):
    plan = domain.start_plan(principal_a, period, principal_a)
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    assert domain.add_new_deficits(plan, principal_a) == 1
    assert domain.add_new_deficits(plan, principal_a) == 0
    plan.refresh_from_db()
    assert plan.goals.count() == 1 and plan.analyses.count() == 1
    assert plan.assessment is not None


# --- Goals and tasks -----------------------------------------------------------------------------


def test_goal_texts_are_editable_and_extra_goals_allowed(principal_a, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = domain.start_plan(principal_a, period, principal_a)
    goal = plan.goals.get()
    goal.text = "Выстроить ВСОКО школы"
    domain.save_goal(goal, principal_a)
    extra = domain.save_goal(PlanGoal(plan=plan, text="Подготовиться к конкурсу"), principal_a)
    assert list(plan.goals.values_list("text", flat=True)) == [
        "Выстроить ВСОКО школы",
        "Подготовиться к конкурсу",
    ]
    assert extra.deficit is None and extra.position > goal.position
    with pytest.raises(ValidationError):
        domain.save_goal(PlanGoal(plan=plan, text="   "), principal_a)


def test_an_extra_goal_may_go_but_a_deficit_goal_stays(principal_a, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = domain.start_plan(principal_a, period, principal_a)
    extra = domain.save_goal(PlanGoal(plan=plan, text="Ещё цель"), principal_a)
    add_task(extra, principal_a)
    domain.delete_goal(extra, principal_a)
    assert not PlanTask.objects.filter(goal__plan=plan).exists()
    with pytest.raises(ValidationError):
        domain.delete_goal(plan.goals.get(), principal_a)


@pytest.mark.parametrize(
    "deadline", [date(2024, 9, 1), date(2025, 8, 31), date(2025, 1, 15)], ids=str
)
def test_a_deadline_within_the_period_is_accepted(principal_a, period, deadline):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    goal = domain.start_plan(principal_a, period, principal_a).goals.get()
    assert add_task(goal, principal_a, deadline=deadline).deadline == deadline


@pytest.mark.parametrize("deadline", [date(2024, 8, 31), date(2025, 9, 1)], ids=str)
def test_a_deadline_outside_the_period_is_refused(principal_a, period, deadline):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    goal = domain.start_plan(principal_a, period, principal_a).goals.get()
    with pytest.raises(ValidationError) as error:
        add_task(goal, principal_a, deadline=deadline)
    expected = _(
        "The task's deadline %(deadline)s must fall within the period %(period)s: "
        "from %(start)s to %(end)s."
    ) % {
        "deadline": deadline.strftime("%d.%m.%Y"),
        "period": "2024/2025",
        "start": "01.09.2024",
        "end": "31.08.2025",
    }
    assert error.value.message_dict["deadline"] == [expected]
    assert not PlanTask.objects.exists()


def test_a_task_needs_a_deadline_and_a_text(principal_a, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    goal = domain.start_plan(principal_a, period, principal_a).goals.get()
    with pytest.raises(ValidationError) as error:
        add_task(goal, principal_a, deadline=None, text=" ")
    assert error.value.message_dict["deadline"] == [_("Set the task's deadline.")]
    assert error.value.message_dict["text"] == [_("Write the task.")]


def test_a_task_takes_only_the_known_forms_and_resources(principal_a, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    goal = domain.start_plan(principal_a, period, principal_a).goals.get()
    with pytest.raises(ValidationError) as error:
        add_task(goal, principal_a, form="hobby", resource="money")
    assert set(error.value.message_dict) == {"form", "resource"}


def test_content_is_frozen_outside_the_draft(principal_a, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = draft_plan(principal_a, period, mentor)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    goal = plan.goals.get()
    goal.plan.refresh_from_db()
    for attempt in (
        lambda: domain.save_goal(PlanGoal(plan=goal.plan, text="Новая"), principal_a),
        lambda: add_task(goal, principal_a),
        lambda: domain.delete_task(goal.tasks.get(), principal_a),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert (
            _("Goals and tasks can be changed only while the plan is a draft; it is «%(status)s».")
            % {"status": Status.ON_REVIEW.label}
            in error.value.messages
        )


# --- The status flow -----------------------------------------------------------------------------


def test_the_whole_flow_is_recorded_in_the_history(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.change_status(plan, Status.DRAFT, mentor, "Уточните сроки")
    domain.change_status(plan, Status.ON_REVIEW, principal_a, "Исправлено")
    domain.change_status(plan, Status.APPROVED, mentor)
    finish_tasks(plan, principal_a)
    analyse(plan, principal_a)
    domain.change_status(plan, Status.DONE, principal_a, "Все задачи выполнены")
    plan.refresh_from_db()
    assert plan.status == Status.DONE
    rows = [(h["event"], h["status"], h["by"], h["comment"]) for h in plan.history]
    assert rows == [
        ("created", "draft", principal_a.pk, ""),
        ("reviewer", "draft", principal_a.pk, mentor.short_name),
        ("status", "on_review", principal_a.pk, ""),
        ("status", "draft", mentor.pk, "Уточните сроки"),
        ("status", "on_review", principal_a.pk, "Исправлено"),
        ("status", "approved", mentor.pk, ""),
        ("status", "done", principal_a.pk, "Все задачи выполнены"),
    ]
    assert all(h["at"] and h["by_name"] for h in plan.history)
    entries = domain.plan_history(plan)
    assert entries[3].status_label == Status.DRAFT.label and entries[3].at is not None


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.APPROVED),
        (Status.DRAFT, Status.DONE),
        (Status.DRAFT, Status.CARRIED_OVER),
        (Status.ON_REVIEW, Status.DONE),
        (Status.APPROVED, Status.ON_REVIEW),
        (Status.APPROVED, Status.DRAFT),
        (Status.DONE, Status.DRAFT),
        (Status.DONE, Status.APPROVED),
        (Status.CARRIED_OVER, Status.DONE),
    ],
)
def test_illegal_moves_are_refused(principal_a, mentor, period, start, target):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    Plan.objects.filter(pk=plan.pk).update(status=start)
    plan.refresh_from_db()
    who = mentor if start == Status.ON_REVIEW else principal_a
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, target, who, "комментарий")
    assert error.value.messages == [
        _("A plan that is «%(current)s» cannot become «%(new)s».")
        % {"current": start.label, "new": target.label}
    ]
    plan.refresh_from_db()
    assert plan.status == start and len(plan.history) == 2


def test_sending_for_review_needs_a_reviewer_goals_and_tasks(principal_a, period):
    plan = domain.start_plan(principal_a, period, principal_a)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.ON_REVIEW, principal_a)
    assert error.value.messages == [
        _("Choose a reviewer (a tutor, a mentor or an expert) before sending."),
        _("The plan has no goals."),
    ]
    domain.save_goal(PlanGoal(plan=plan, text="Цель без задач"), principal_a)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.ON_REVIEW, principal_a)
    assert (
        _("Goal %(number)s «%(goal)s» has no tasks.")
        % {
            "number": 1,
            "goal": "Цель без задач",
        }
        in error.value.messages
    )


def test_a_deadline_outside_a_changed_period_stops_the_submission(principal_a, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = draft_plan(principal_a, period, mentor)
    Period.objects.filter(pk=period.pk).update(end_date=date(2025, 1, 31))
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.ON_REVIEW, principal_a)
    assert "14.03.2025" in messages_of(error)


def test_the_reviewer_must_be_a_mentor_or_an_expert(principal_a, principal_b, expert, period):
    plan = domain.start_plan(principal_a, period, principal_a)
    for wrong in (principal_b, principal_a):
        with pytest.raises(ValidationError):
            domain.assign_reviewer(plan, wrong, principal_a)
    domain.assign_reviewer(plan, expert, principal_a)
    plan.refresh_from_db()
    assert plan.reviewer == expert
    assert set(domain.reviewer_candidates(plan)) == {expert}


def test_only_the_assigned_reviewer_approves_or_returns(
    principal_a, mentor, expert, official, period
):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    for somebody in (expert, official, principal_a):
        for target in (Status.APPROVED, Status.DRAFT):
            with pytest.raises(ValidationError) as error:
                domain.change_status(plan, target, somebody, "комментарий")
            assert error.value.messages == [
                _("Only the plan's assigned reviewer approves it or returns it for revision.")
            ]
    domain.change_status(plan, Status.APPROVED, mentor)
    assert plan.status == Status.APPROVED


def test_returning_needs_a_comment(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.DRAFT, mentor, "   ")
    assert error.value.messages == [
        _("Say what to revise: a comment is required to return the plan.")
    ]
    domain.change_status(plan, Status.DRAFT, mentor, "Добавьте стажировку")
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT
    assert domain.build_plan_document(plan).returned.comment == "Добавьте стажировку"


def test_the_reviewer_can_be_changed_on_review_but_not_after(
    principal_a, mentor, expert, official, period
):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.assign_reviewer(plan, expert, official)
    domain.change_status(plan, Status.APPROVED, expert)
    with pytest.raises(ValidationError):
        domain.assign_reviewer(plan, mentor, official)


# --- Execution and closing -----------------------------------------------------------------------


def test_tasks_are_done_with_the_date_only_while_approved(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    task = PlanTask.objects.filter(goal__plan=plan).first()
    with pytest.raises(ValidationError):
        domain.set_task_done(task, True, principal_a, today=date(2025, 4, 1))
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.change_status(plan, Status.APPROVED, mentor)
    task.refresh_from_db()
    domain.set_task_done(task, True, principal_a, today=date(2025, 4, 1))
    task.refresh_from_db()
    assert task.done and task.done_at == date(2025, 4, 1)
    domain.set_task_done(task, False, principal_a)
    task.refresh_from_db()
    assert not task.done and task.done_at is None


def test_the_analysis_is_filled_only_while_approved(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    analysis = plan.analyses.first()
    analysis.results = "Итоги"
    with pytest.raises(ValidationError):
        domain.save_analysis(analysis, principal_a)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.change_status(plan, Status.APPROVED, mentor)
    analysis.plan.refresh_from_db()
    analysis.results = ""
    analysis.outcome = Outcome.CLOSED
    with pytest.raises(ValidationError) as error:
        domain.save_analysis(analysis, principal_a)
    assert "results" in error.value.message_dict


def test_done_needs_every_task_done_and_every_deficit_analysed(principal_a, mentor, period):
    confirm_deficits(principal_a, period)  # 2.3 and block 4
    plan = approved_plan(principal_a, period, mentor)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.DONE, principal_a)
    undone = _(
        "%(undone)s of %(total)s tasks are not done: a plan is done when every task is done."
    ) % {"undone": 2, "total": 2}
    assert undone in error.value.messages
    text = messages_of(error)
    assert "2.3" in text and "Блок 4" in text  # the unfinished analyses are named
    finish_tasks(plan, principal_a)
    with pytest.raises(ValidationError):
        domain.change_status(plan, Status.DONE, principal_a)
    analyse(plan, principal_a)
    domain.change_status(plan, Status.DONE, principal_a)
    assert plan.status == Status.DONE


def test_carried_over_deficits_close_the_plan_with_carry_over(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = approved_plan(principal_a, period, mentor)
    first, second = plan.analyses.order_by("pk")
    for analysis, outcome in ((first, Outcome.CLOSED), (second, Outcome.CARRIED_OVER)):
        analysis.results, analysis.outcome = "Частично", outcome
        domain.save_analysis(analysis, principal_a)
    finish_tasks(plan, principal_a)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.DONE, principal_a)
    assert "Блок 4" in messages_of(error)
    # Tasks need not all be done to close with carry-over.
    domain.set_task_done(PlanTask.objects.filter(goal__plan=plan).first(), False, principal_a)
    domain.change_status(plan, Status.CARRIED_OVER, principal_a, "Блок 4 переносится")
    assert plan.status == Status.CARRIED_OVER


def test_carry_over_needs_a_carried_deficit_and_every_analysis(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = approved_plan(principal_a, period, mentor)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.CARRIED_OVER, principal_a)
    assert "2.3" in messages_of(error)  # unfinished analyses
    analyse(plan, principal_a, outcome=Outcome.CLOSED)
    with pytest.raises(ValidationError) as error:
        domain.change_status(plan, Status.CARRIED_OVER, principal_a)
    assert error.value.messages == [_("No deficit is carried over: close the plan as done.")]


def test_closed_plans_take_no_more_changes(principal_a, mentor, period):
    confirm_deficits(principal_a, period)
    plan = approved_plan(principal_a, period, mentor)
    finish_tasks(plan, principal_a)
    analyse(plan, principal_a)
    domain.change_status(plan, Status.DONE, principal_a)
    task = PlanTask.objects.filter(goal__plan=plan).first()
    task.goal.plan.refresh_from_db()
    with pytest.raises(ValidationError):
        domain.set_task_done(task, False, principal_a)
    assert domain.allowed_transitions(plan.status) == ()


# --- Completion and the numbers other apps read --------------------------------------------------


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(0, 0, 0), (0, 3, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100), (199, 200, 99), (1, 8, 12)],
)
def test_percent_rounds_down_so_that_100_means_all(done, total, expected):
    assert domain.percent(done, total) == expected


def test_plan_completion_counts_done_tasks(principal_a, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = domain.start_plan(principal_a, period, principal_a)
    assert domain.plan_completion(plan) == 0  # no tasks
    goal = plan.goals.get()
    for n in range(3):
        add_task(goal, principal_a, text=f"Задача {n}")
    domain.assign_reviewer(plan, mentor, principal_a)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.change_status(plan, Status.APPROVED, mentor)
    tasks = list(PlanTask.objects.filter(goal__plan=plan))
    domain.set_task_done(tasks[0], True, principal_a, today=IN_PERIOD)
    assert domain.plan_completion(plan) == 33
    annotated = domain.with_completion(Plan.objects.filter(pk=plan.pk)).get()
    assert (annotated.task_count, annotated.done_count, annotated.completion) == (3, 1, 33)
    assert domain.plan_completion(annotated) == 33
    assert domain.build_plan_document(plan).completion == 33


def test_completion_and_closed_deficits_by_person(
    principal_a, principal_b, candidate, mentor, period, django_assert_num_queries
):
    confirm_deficits(principal_a, period)
    plan_a = approved_plan(principal_a, period, mentor)
    domain.set_task_done(PlanTask.objects.filter(goal__plan=plan_a).first(), True, principal_a)
    first = plan_a.analyses.order_by("pk").first()
    first.results, first.outcome = "Итоги", Outcome.CLOSED
    domain.save_analysis(first, principal_a)
    domain.start_plan(principal_b, period, principal_b)  # no tasks: 0 %, nothing closed
    people = [principal_a, principal_b, candidate]  # the candidate has no plan
    with django_assert_num_queries(1):
        completion = domain.completion_by_person(period, people)
    with django_assert_num_queries(1):
        closed = domain.deficits_closed(period, people)
    assert completion == {principal_a.pk: 50, principal_b.pk: 0}
    assert closed == {principal_a.pk: 1, principal_b.pk: 0}
    # Ids and querysets work as well as users.
    assert domain.completion_by_person(period, [principal_a.pk]) == {principal_a.pk: 50}
    assert domain.deficits_closed(period, User.objects.filter(pk=principal_a.pk)) == {
        principal_a.pk: 1
    }


def test_completion_by_person_keeps_its_query_count(period, mentor, django_assert_num_queries):
    people = []
    for n in range(6):
        person = make_person(f"head{n}", Role.PRINCIPAL)
        confirm_deficits(person, period, codes=("2.3",), blocks=())
        draft_plan(person, period, tasks_per_goal=2)
        people.append(person)
    with django_assert_num_queries(1):
        assert domain.completion_by_person(period, people) == {p.pk: 0 for p in people}
    with django_assert_num_queries(1):
        assert domain.deficits_closed(period, people) == {p.pk: 0 for p in people}


def test_overdue_tasks(principal_a, principal_b, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = domain.start_plan(principal_a, period, principal_a)
    goal = plan.goals.get()
    early = add_task(goal, principal_a, deadline=date(2024, 10, 1), text="Ранняя")
    due_today = add_task(goal, principal_a, deadline=date(2025, 2, 1), text="Сегодня")
    add_task(goal, principal_a, deadline=date(2025, 6, 1), text="Поздняя")
    done = add_task(goal, principal_a, deadline=date(2024, 11, 1), text="Сделана")
    domain.assign_reviewer(plan, mentor, principal_a)
    domain.change_status(plan, Status.ON_REVIEW, principal_a)
    domain.change_status(plan, Status.APPROVED, mentor)
    domain.set_task_done(done, True, principal_a, today=date(2024, 11, 1))
    today = date(2025, 2, 1)
    assert list(domain.overdue_tasks(period, today=today)) == [early]
    assert list(domain.overdue_tasks(today=today)) == [early]
    assert due_today not in domain.overdue_tasks(period, today=today)
    other = Period.objects.create(
        label="2025/2026", start_date=date(2025, 9, 1), end_date=date(2026, 8, 31)
    )
    assert list(domain.overdue_tasks(other, today=today)) == []
    annotated = domain.with_overdue_count(Plan.objects.filter(pk=plan.pk), today=today).get()
    assert annotated.overdue_count == 1
    # A closed plan's undone tasks are settled, not overdue.
    Plan.objects.filter(pk=plan.pk).update(status=Status.CARRIED_OVER)
    assert list(domain.overdue_tasks(period, today=today)) == []


def test_plans_summary(principal_a, principal_b, candidate, mentor, period):
    empty = domain.plans_summary(period)
    assert empty.total == 0 and empty.mean_completion is None
    assert empty.by_status == dict.fromkeys(Status.values, 0)
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = approved_plan(principal_a, period, mentor, tasks_per_goal=2)
    domain.set_task_done(PlanTask.objects.filter(goal__plan=plan).first(), True, principal_a)
    domain.start_plan(principal_b, period, principal_b)
    domain.start_plan(candidate, period, candidate)
    summary = domain.plans_summary(period)
    assert summary.total == 3
    assert summary.by_status[Status.APPROVED] == 1 and summary.by_status[Status.DRAFT] == 2
    assert summary.mean_completion == round((50 + 0 + 0) / 3, 1)
    assert [row.status for row in summary.rows] == list(Status.values)


# --- The document ---------------------------------------------------------------------------------


def test_the_document_holds_the_three_sections(
    principal_a, mentor, period, django_assert_max_num_queries
):
    confirm_deficits(principal_a, period)
    plan = approved_plan(principal_a, period, mentor, tasks_per_goal=2)
    plan = Plan.objects.select_related("person", "period", "organization", "reviewer").get(
        pk=plan.pk
    )
    with django_assert_max_num_queries(8):
        doc = domain.build_plan_document(plan)
        numbers = [row.number for row in doc.tasks]
    assert numbers == ["1.1", "1.2", "2.1", "2.2"]
    assert [b.deficit_label.split(".")[0] for b in doc.goals] == ["2", "Блок 4"]
    assert doc.goals[1].deficit_label.startswith("Блок 4. ")
    assert len(doc.analyses) == 2 and not any(a.complete for a in doc.analyses)
    assert doc.approved is not None and doc.approved.comment == "Согласовано"
    assert doc.returned is None
    assert (doc.task_count, doc.done_count, doc.completion) == (4, 0, 0)
