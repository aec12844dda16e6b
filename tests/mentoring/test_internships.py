"""Internships, the domain: the diary's time record and its bad input (end before start,
overlaps, dates outside the internship), stages, the map, the matrix, final materials, the
mentor's assessment, closing with the list of what is missing and the development plan's
internship tasks done on close, risk."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mentoring import internships as domain
from mentoring.models import (
    Activity,
    Assignment,
    DecisionCompetency,
    DiaryEntry,
    FinalRating,
    Form,
    Internship,
    Stage,
)
from tests.conftest import make_person
from tests.mentoring.internship_fixtures import (
    END,
    EXE,
    PDF,
    START,
    add_assignment,
    add_decision,
    add_entry,
    competency,
    make_internship,
    ready_to_close,
    trainee_of,
)
from tests.trajectories.test_plans import approved_plan, confirm_deficits
from trajectories.models import Plan, PlanComment, PlanTask, TaskForm
from zelenchuk_portal.models import Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def internship(mentor, candidate):
    return make_internship(mentor, [candidate])


@pytest.fixture
def trainee(internship):
    return trainee_of(internship)


def messages_of(error) -> str:
    return " ".join(error.value.messages)


# --- The time record (pure) ----------------------------------------------------------------------


def test_minutes_between_and_totals():
    assert domain.minutes_between(time(9, 0), time(10, 30)) == 90
    assert domain.minutes_between(time(10, 0), time(9, 0)) == 0
    pairs = [(time(9, 0), time(10, 30)), (time(11, 0), time(11, 45)), (time(14, 5), time(16, 0))]
    assert domain.total_minutes(pairs) == 90 + 45 + 115
    assert domain.total_minutes([]) == 0


def test_minutes_read_as_hours_and_minutes():
    assert domain.format_minutes(250) == _("%(hours)s h %(minutes)s min") % {
        "hours": 4,
        "minutes": 10,
    }
    assert domain.format_minutes(120) == _("%(hours)s h") % {"hours": 2}
    assert domain.format_minutes(45) == _("%(minutes)s min") % {"minutes": 45}


def test_the_diary_adds_up_the_submitted_minutes(trainee):
    add_entry(trainee, start=(9, 0), end=(10, 30))
    add_entry(trainee, start=(11, 0), end=(11, 45))
    add_entry(trainee, day=date(2024, 10, 15), start=(14, 0), end=(16, 0), submit=False)
    entries = list(trainee.entries.all())
    assert [e.minutes for e in entries] == [90, 45, 120]
    assert domain.total_minutes(entries) == 255
    assert domain.minutes_by_trainee([trainee.pk]) == {trainee.pk: 135}  # drafts do not count
    assert domain.minutes_by_internship([trainee.internship_id]) == {trainee.internship_id: 135}


# --- The diary's bad input -----------------------------------------------------------------------


def test_an_entry_ending_before_it_starts_is_refused(trainee):
    with pytest.raises(ValidationError) as error:
        add_entry(trainee, start=(11, 0), end=(10, 0))
    assert error.value.message_dict["time_to"] == [
        _("The end (%(end)s) must be after the start (%(start)s).")
        % {"end": "10:00", "start": "11:00"}
    ]
    with pytest.raises(ValidationError):
        add_entry(trainee, start=(11, 0), end=(11, 0))
    assert not DiaryEntry.objects.exists()


def test_overlapping_entries_are_refused_touching_ones_are_not(trainee):
    first = add_entry(trainee, start=(9, 0), end=(10, 30))
    with pytest.raises(ValidationError) as error:
        add_entry(trainee, start=(10, 0), end=(11, 0), activity=Activity.OBSERVATION)
    message = error.value.message_dict["time_from"][0]
    assert message == _(
        "The time overlaps another entry of %(day)s: %(from)s–%(to)s, «%(activity)s»."
    ) % {"day": "14.10.2024", "from": "09:00", "to": "10:30", "activity": _("meeting")}
    with pytest.raises(ValidationError):  # inside another entry
        add_entry(trainee, start=(9, 15), end=(9, 45))
    with pytest.raises(ValidationError):  # around another entry; drafts count too
        add_entry(trainee, start=(8, 0), end=(12, 0), submit=False)
    add_entry(trainee, start=(10, 30), end=(11, 0))  # starts when the first ends
    add_entry(trainee, day=date(2024, 10, 15), start=(9, 0), end=(10, 30))  # another day
    assert trainee.entries.count() == 3
    # An entry may be moved within its own time without clashing with itself.
    domain.save_entry(
        trainee,
        entry=first,
        day=first.day,
        time_from=time(9, 0),
        time_to=time(10, 15),
        activity=first.activity,
        head_actions=first.head_actions,
    )
    first.refresh_from_db()
    assert first.minutes == 75


def test_another_trainee_may_use_the_same_time(mentor, candidate, org_b):
    other = make_person("deputy_b", Role.CANDIDATE, org_b)
    group = make_internship(mentor, [candidate, other], form=Form.GROUP)
    add_entry(trainee_of(group, candidate))
    add_entry(trainee_of(group, other))
    assert DiaryEntry.objects.count() == 2


@pytest.mark.parametrize("day", [START - timedelta(days=1), END + timedelta(days=1)])
def test_a_date_outside_the_internship_is_refused(trainee, day):
    with pytest.raises(ValidationError) as error:
        add_entry(trainee, day=day)
    assert error.value.message_dict["day"] == [
        _("The date %(day)s is outside the internship: from %(start)s to %(end)s.")
        % {"day": day.strftime("%d.%m.%Y"), "start": "01.10.2024", "end": "20.12.2024"}
    ]
    add_entry(trainee, day=START)
    add_entry(trainee, day=END)


def test_a_draft_needs_only_the_day_and_times_a_submitted_entry_more(trainee):
    draft = add_entry(trainee, submit=False, activity="", head_actions="")
    assert draft.is_draft and draft.activity == ""
    with pytest.raises(ValidationError) as error:
        add_entry(trainee, day=date(2024, 10, 15), activity="", head_actions="")
    assert set(error.value.message_dict) == {"activity", "head_actions"}
    with pytest.raises(ValidationError) as error:
        domain.save_entry(
            trainee,
            day=None,
            time_from=None,
            time_to=None,
            activity="dancing",
            head_actions="",
        )
    assert set(error.value.message_dict) == {"day", "time_from", "time_to", "activity"}
    assert trainee.entries.count() == 1


def test_saving_keeps_a_submitted_entry_submitted_and_complete(trainee):
    entry = add_entry(trainee)
    domain.save_entry(
        trainee,
        entry=entry,
        day=entry.day,
        time_from=entry.time_from,
        time_to=entry.time_to,
        activity=entry.activity,
        head_actions="Исправленный текст",
    )
    entry.refresh_from_db()
    assert not entry.is_draft and entry.head_actions == "Исправленный текст"
    with pytest.raises(ValidationError) as error:
        domain.save_entry(
            trainee,
            entry=entry,
            day=entry.day,
            time_from=entry.time_from,
            time_to=entry.time_to,
            activity="",
            head_actions="",
        )
    assert set(error.value.message_dict) == {"activity", "head_actions"}


def test_an_entry_is_not_written_into_another_trainees_diary(mentor, candidate, principal_b):
    first = make_internship(mentor, [candidate])
    second = make_internship(mentor, [principal_b])
    entry = add_entry(trainee_of(first))
    with pytest.raises(ValueError):
        add_entry(trainee_of(second), entry=entry)


def test_drafts_are_removed_submitted_entries_stay(trainee):
    draft = add_entry(trainee, submit=False)
    submitted = add_entry(trainee, start=(11, 0), end=(12, 0))
    domain.delete_entry(draft)
    with pytest.raises(ValidationError):
        domain.delete_entry(submitted)
    assert list(trainee.entries.all()) == [submitted]


def test_the_mentor_comments_on_submitted_entries(trainee, mentor):
    draft = add_entry(trainee, submit=False)
    with pytest.raises(ValidationError):
        domain.comment_entry(draft, text="Хорошо", by=mentor)
    entry = add_entry(trainee, start=(11, 0), end=(12, 0))
    domain.comment_entry(entry, text="  Обратите внимание на сроки  ", by=mentor)
    entry.refresh_from_db()
    assert entry.mentor_comment == "Обратите внимание на сроки" and entry.commented_at
    domain.comment_entry(entry, text="", by=mentor)
    entry.refresh_from_db()
    assert entry.mentor_comment == "" and entry.commented_at is None


def test_a_new_entry_starts_after_the_days_last_one(trainee):
    assert domain.suggest_slot(trainee, today=date(2024, 10, 14)) == (
        date(2024, 10, 14),
        time(9, 0),
        time(10, 0),
    )
    add_entry(trainee, start=(9, 0), end=(10, 30))
    assert domain.suggest_slot(trainee, today=date(2024, 10, 14))[1:] == (
        time(10, 30),
        time(11, 30),
    )
    # Today after the internship: its last day.
    assert domain.suggest_slot(trainee, today=date(2025, 3, 1))[0] == END


# --- Stages --------------------------------------------------------------------------------------


def test_stages_go_forward_one_at_a_time(mentor, candidate):
    internship = make_internship(mentor, [candidate], stage=Stage.PRELIMINARY)
    with pytest.raises(ValidationError) as error:
        domain.set_stage(internship, Stage.MAIN, by=mentor)
    assert messages_of(error) == _(
        "Fill in the technological map before the main stage: it has no assignments."
    )
    with pytest.raises(ValidationError):
        domain.set_stage(internship, Stage.FINAL, by=mentor)
    add_assignment(internship, mentor)
    domain.set_stage(internship, Stage.MAIN, by=mentor)
    with pytest.raises(ValidationError) as error:
        domain.set_stage(internship, Stage.FINAL, by=mentor)
    assert candidate.short_name in messages_of(error)
    add_entry(trainee_of(internship))
    domain.set_stage(internship, Stage.FINAL, by=mentor)
    internship.refresh_from_db()
    assert internship.stage == Stage.FINAL
    assert [row["stage"] for row in internship.history] == [Stage.MAIN, Stage.FINAL]
    assert internship.history[-1]["by"] == mentor.pk


def test_completed_only_by_closing_and_back_only_with_a_comment(internship, mentor):
    with pytest.raises(ValidationError) as error:
        domain.set_stage(internship, Stage.COMPLETED, by=mentor)
    assert messages_of(error) == _(
        "An internship is completed by closing it, once the final materials are ready."
    )
    with pytest.raises(ValidationError):
        domain.set_stage(internship, Stage.PRELIMINARY, by=mentor)  # no comment
    with pytest.raises(ValidationError):
        domain.set_stage(internship, Stage.MAIN, by=mentor)  # already there
    with pytest.raises(ValidationError):
        domain.set_stage(internship, "holidays", by=mentor)
    domain.set_stage(internship, Stage.PRELIMINARY, by=mentor, comment="Карта не согласована")
    internship.refresh_from_db()
    assert internship.stage == Stage.PRELIMINARY
    assert internship.history[-1]["comment"] == "Карта не согласована"


def test_a_completed_internship_reopens_one_step_back(internship, mentor):
    ready_to_close(internship, mentor)
    domain.close(internship, by=mentor, today=date(2024, 12, 20))
    with pytest.raises(ValidationError):
        add_entry(trainee_of(internship), day=date(2024, 12, 19))
    domain.set_stage(internship, Stage.FINAL, by=mentor, comment="Не приложен отчёт")
    internship.refresh_from_db()
    assert internship.stage == Stage.FINAL and internship.completed_on is None


def test_stage_moves_and_steps(internship):
    moves = domain.stage_moves(internship)
    assert (moves.forward, moves.back, moves.can_close) == (Stage.FINAL, Stage.PRELIMINARY, False)
    internship.stage = Stage.FINAL
    moves = domain.stage_moves(internship)
    assert (moves.forward, moves.back, moves.can_close) == (None, Stage.MAIN, True)
    states = [step.state for step in domain.stage_steps(internship)]
    assert states == ["done", "done", "current", "next"]


# --- The technological map -----------------------------------------------------------------------


def test_map_assignments_fall_within_the_internship(internship, mentor):
    with pytest.raises(ValidationError) as error:
        add_assignment(internship, mentor, deadline=date(2025, 1, 10), task="  ")
    assert set(error.value.message_dict) == {"deadline", "task"}
    first = add_assignment(internship, mentor)
    second = add_assignment(internship, mentor, assignee=Assignment.For.MENTOR)
    assert (first.position, second.position) == (1, 2)
    domain.update_assignment(first, by=mentor, status=Assignment.Status.DONE)
    first.refresh_from_db()
    assert first.status == Assignment.Status.DONE
    with pytest.raises(ValidationError):
        domain.update_assignment(first, by=mentor, status="lost")
    with pytest.raises(ValidationError):
        domain.update_assignment(first, by=mentor, deadline=START - timedelta(days=1))
    first.refresh_from_db()
    assert first.deadline == date(2024, 10, 20)


def test_overdue_assignments(internship, mentor):
    assignment = add_assignment(internship, mentor, deadline=date(2024, 10, 20))
    assert not domain.is_overdue(assignment, today=date(2024, 10, 20))
    assert domain.is_overdue(assignment, today=date(2024, 10, 21))
    domain.update_assignment(assignment, by=mentor, status=Assignment.Status.DONE)
    assert not domain.is_overdue(assignment, today=date(2024, 10, 21))


# --- The matrix ----------------------------------------------------------------------------------


def test_a_decision_with_the_competencies_it_exercised(trainee):
    entry = add_entry(trainee)
    decision = add_decision(trainee, entry=entry)
    rows = {r.competency.code: r.self_rating for r in decision.competencies.all()}
    assert rows == {"2.3": 2, "4.1": 1}
    assert decision.entry == entry


def test_bad_decisions_are_refused(trainee, mentor, principal_b):
    with pytest.raises(ValidationError) as error:
        add_decision(trainee, text=" ", ratings={competency("2.3").pk: 4})
    assert "text" in error.value.message_dict
    assert _("The rating of %(code)s must be from 0 to %(max)s.") % {
        "code": "2.3",
        "max": 3,
    } in messages_of(error)
    with pytest.raises(ValidationError) as error:
        add_decision(trainee, ratings={competency("2.3").pk: None})
    assert _(
        "Mark at least one competency the decision exercised, with your rating."
    ) in messages_of(error)
    foreign = add_entry(trainee_of(make_internship(mentor, [principal_b])))
    with pytest.raises(ValidationError) as error:
        add_decision(trainee, entry=foreign)
    assert "entry" in error.value.message_dict
    assert not trainee.decisions.exists()


def test_the_mentor_rates_the_decisions_competencies(trainee, mentor):
    decision = add_decision(trainee)
    c23, c41 = competency("2.3").pk, competency("4.1").pk
    domain.rate_decision(decision, {c23: 3, c41: None}, by=mentor)
    rows = {r.competency_id: r.mentor_rating for r in decision.competencies.all()}
    assert rows == {c23: 3, c41: None}
    with pytest.raises(ValidationError):
        domain.rate_decision(decision, {competency("1.1").pk: 2}, by=mentor)
    with pytest.raises(ValidationError):
        domain.rate_decision(decision, {c23: 5}, by=mentor)
    # Editing the decision keeps the mentor's rating of the competencies it keeps.
    domain.update_decision(decision, text="Новый текст", ratings={c23: 1, competency("1.1").pk: 2})
    rows = {
        r.competency.code: (r.self_rating, r.mentor_rating)
        for r in DecisionCompetency.objects.filter(decision=decision).select_related("competency")
    }
    assert rows == {"2.3": (1, 3), "1.1": (2, None)}


# --- Final materials and the assessment ----------------------------------------------------------


def test_final_materials_with_files_checked_by_content(trainee):
    bad = SimpleUploadedFile("report.pdf", EXE)
    with pytest.raises(ValidationError) as error:
        domain.save_final(
            trainee, report="Текст", project_title="П", project_summary="", report_file=bad
        )
    assert "report_file" in error.value.message_dict
    trainee.refresh_from_db()
    assert trainee.report == "" and not trainee.report_file
    domain.save_final(
        trainee,
        report=" Отчёт ",
        project_title="Карта наблюдения урока",
        project_summary="Кратко",
        report_file=SimpleUploadedFile("../Отчёт о стажировке.pdf", PDF),
    )
    trainee.refresh_from_db()
    assert trainee.report == "Отчёт"
    assert trainee.report_file_name == "Отчёт о стажировке.pdf"
    assert trainee.report_file.name.endswith(".pdf") and "Отчёт" not in trainee.report_file.name
    old = trainee.report_file.name
    domain.save_final(
        trainee,
        report="Отчёт",
        project_title="Карта наблюдения урока",
        project_summary="",
        report_file=SimpleUploadedFile("second.pdf", PDF),
    )
    trainee.refresh_from_db()
    assert trainee.report_file.name != old
    assert not trainee.report_file.storage.exists(old)  # the replaced file is gone


def test_the_mentors_assessment_on_the_internships_competencies(trainee, mentor):
    c23, c41 = competency("2.3").pk, competency("4.1").pk
    with pytest.raises(ValidationError):
        domain.assess(trainee, ratings={competency("1.1").pk: 2}, conclusion="", by=mentor)
    with pytest.raises(ValidationError):
        domain.assess(trainee, ratings={c23: 7}, conclusion="", by=mentor)
    domain.assess(trainee, ratings={c23: 3, c41: 2}, conclusion=" Готов ", by=mentor)
    domain.assess(trainee, ratings={c41: None}, conclusion="Готов", by=mentor)
    assert dict(FinalRating.objects.values_list("competency_id", "rating")) == {c23: 3}
    trainee.refresh_from_db()
    assert trainee.mentor_conclusion == "Готов"


# --- Closing -------------------------------------------------------------------------------------


def test_closing_without_final_materials_lists_the_problems(internship, mentor, candidate):
    add_assignment(internship, mentor, task="Посетить педсовет")
    problems = domain.closing_problems(internship)
    missing = [
        _("no submitted diary entry"),
        _("the report on the internship (text or file)"),
        _("the management project's title"),
        _("the management project's summary (text or file)"),
        _("the mentor's rating of %(codes)s") % {"codes": "2.3, 4.1"},
        _("the mentor's conclusion"),
    ]
    expected = [
        _("The internship is closed at the final stage; it is at the «%(stage)s» stage.")
        % {"stage": pgettext("internship stage", "main")},
        _("Assignments of the technological map not done: %(tasks)s.")
        % {"tasks": "«Посетить педсовет»"},
        _("%(name)s: %(missing)s.") % {"name": candidate.short_name, "missing": "; ".join(missing)},
    ]
    assert problems == expected
    with pytest.raises(ValidationError) as error:
        domain.close(internship, by=mentor, today=date(2024, 12, 20))
    assert error.value.messages == expected
    internship.refresh_from_db()
    assert internship.stage == Stage.MAIN and internship.completed_on is None


def test_every_trainee_of_a_group_is_checked(mentor, candidate, org_b):
    other = make_person("deputy_b", Role.CANDIDATE, org_b, last_name="Абаева")
    group = make_internship(mentor, [candidate, other], form=Form.GROUP)
    ready_to_close(group, mentor)
    assert domain.closing_problems(group) == []
    trainee = trainee_of(group, other)
    trainee.mentor_conclusion = ""
    trainee.save()
    assert domain.closing_problems(group) == [
        _("%(name)s: %(missing)s.")
        % {"name": other.short_name, "missing": _("the mentor's conclusion")}
    ]


def test_closing_marks_the_plans_internship_tasks_done(internship, mentor, candidate, period):
    confirm_deficits(candidate, period, codes=("2.3",), blocks=())
    plan = approved_plan(candidate, period, mentor, tasks_per_goal=2)
    goal = plan.goals.get()
    internship_task, courses = goal.tasks.all()
    PlanTask.objects.filter(pk=internship_task.pk).update(form=TaskForm.INTERNSHIP)
    PlanTask.objects.filter(pk=courses.pk).update(form=TaskForm.COURSES)
    ready_to_close(internship, mentor)
    marked = domain.close(internship, by=mentor, today=date(2024, 12, 23))
    assert marked == 1
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED
    assert internship.completed_on == date(2024, 12, 23)
    assert internship.history[-1]["stage"] == Stage.COMPLETED
    internship_task.refresh_from_db()
    assert internship_task.done and internship_task.done_at == date(2024, 12, 23)
    assert not PlanTask.objects.filter(goal=goal, form=TaskForm.COURSES, done=True).exists()
    comment = PlanComment.objects.get(plan=plan)
    assert internship.theme in comment.text and "23.12.2024" in comment.text
    assert comment.by == mentor
    with pytest.raises(ValidationError) as error:
        domain.close(internship, by=mentor)
    assert error.value.messages == [_("The internship is already completed.")]


def test_a_closed_plan_is_left_alone(internship, mentor, candidate, period):
    confirm_deficits(candidate, period, codes=("2.3",), blocks=())
    plan = approved_plan(candidate, period, mentor)
    PlanTask.objects.filter(goal__plan=plan).update(form=TaskForm.INTERNSHIP)
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CARRIED_OVER)
    ready_to_close(internship, mentor)
    assert domain.close(internship, by=mentor, today=date(2024, 12, 23)) == 0
    assert not PlanTask.objects.filter(done=True).exists()
    assert not PlanComment.objects.exists()


def test_nothing_changes_once_completed(internship, mentor):
    ready_to_close(internship, mentor)
    domain.close(internship, by=mentor, today=date(2024, 12, 20))
    trainee = trainee_of(internship)
    entry = trainee.entries.get()
    for attempt in (
        lambda: add_assignment(internship, mentor),
        lambda: domain.save_notes(trainee, "Новое"),
        lambda: domain.comment_entry(entry, text="Поздно", by=mentor),
        lambda: add_decision(trainee),
        lambda: domain.assess(trainee, ratings={}, conclusion="", by=mentor),
        lambda: domain.save_final(trainee, report="", project_title="", project_summary=""),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert messages_of(error) == _(
            "The internship is completed: its materials can no longer be changed."
        )


# --- Risk ----------------------------------------------------------------------------------------


def _at_risk(today):
    rows = domain.with_activity(Internship.objects.all(), today)
    return set(rows.filter(domain.at_risk_filter(today)).values_list("theme", flat=True))


def test_internships_at_risk(mentor, candidate, principal_b):
    quiet = make_internship(mentor, [candidate], theme="Тихая")
    busy = make_internship(mentor, [principal_b], theme="Активная")
    add_entry(trainee_of(busy), day=date(2024, 11, 20))
    add_entry(trainee_of(quiet), day=date(2024, 11, 1))
    today = date(2024, 11, 25)
    assert _at_risk(today) == {"Тихая"}
    row = domain.with_activity(Internship.objects.filter(pk=quiet.pk), today).get()
    assert domain.risk_reasons(row, today) == [
        _("no diary entries for %(days)s days") % {"days": 14}
    ]
    add_assignment(busy, mentor, deadline=date(2024, 11, 10))
    assert _at_risk(today) == {"Тихая", "Активная"}
    # Not yet running for 14 days, or over: nobody expects a diary.
    assert _at_risk(date(2024, 10, 10)) == set()
    assert _at_risk(date(2025, 1, 15)) == {"Активная"}  # the overdue assignment stays
    Internship.objects.update(stage=Stage.COMPLETED)
    assert _at_risk(today) == set()


def test_a_drafts_day_is_not_activity(mentor, candidate):
    internship = make_internship(mentor, [candidate])
    add_entry(trainee_of(internship), day=date(2024, 11, 20), submit=False)
    assert _at_risk(date(2024, 11, 25)) == {internship.theme}


def test_list_rows_name_the_viewers_part(mentor, candidate, principal_a, official):
    internship = make_internship(mentor, [candidate])
    add_entry(trainee_of(internship))
    queryset = domain.with_activity(Internship.objects.all(), date(2024, 10, 20))
    for viewer, part in ((mentor, "mentor"), (candidate, "trainee"), (principal_a, "head")):
        (row,) = domain.internship_rows(queryset, viewer, date(2024, 10, 20))
        assert row.part == part and row.minutes == 90
    (row,) = domain.internship_rows(queryset, official, date(2024, 10, 20))
    assert row.part == ""
