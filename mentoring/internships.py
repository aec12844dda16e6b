"""An internship's life: stages, the technological map, the diary, the matrix of competencies
and management decisions, final materials, the mentor's assessment and closing.

Stages go preliminary → main → final one step at a time (`set_stage`); a step back needs a
comment; «completed» is reached only through `close`, which refuses with the list of what is
still missing (`closing_problems`). On closing, the trainee's development plan gets its undone
tasks of the form «internship» marked done on the closing day, with a plan comment saying so.

Every writing function validates first and raises a Russian `ValidationError` (keyed by the
form field at fault where there is one) and changes nothing on error. Who may call which
function is decided in `access.py`; nothing here changes once the internship is completed.

Two people (or two tabs) saving the same record: each writing function takes `revision`, the
revision of the record the person's page was opened on, and claims the record in its
transaction before writing (`concurrency.claim`); a save from a page opened before somebody
else's save is refused with a `ConflictError` and writes nothing. The records are the
internship (stage moves; closing moves its revision too), a map assignment (its form and its
status), the trainee (notes, final materials and the mentor's assessment), a diary entry and a
decision (the trainee's form and the mentor's rating). `revision=None` (commands, the demo,
tests of the rules) compares nothing but still moves the revision.

The internship page and its PDF read the same `build_internship_document`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from trajectories.models import (
    MAX_RATING,
    RATING_SCALE,
    Competency,
    Plan,
    PlanComment,
    PlanTask,
    TaskForm,
)
from trajectories.plans import OPEN_STATUSES as PLAN_OPEN_STATUSES
from zelenchuk_portal.audit import audited_update
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import DOCX, ODT, PDF, check_upload, safe_name
from zelenchuk_portal.models import User

from .models import (
    Activity,
    Assignment,
    Decision,
    DecisionCompetency,
    DiaryEntry,
    FinalRating,
    Internship,
    Stage,
    Trainee,
)

STAGES = (Stage.PRELIMINARY, Stage.MAIN, Stage.FINAL, Stage.COMPLETED)
RISK_DAYS = 14  # an internship running this long without a diary entry is at risk
DOCUMENT_KINDS = (PDF, DOCX, ODT)  # a report or a project is a document
DEFAULT_START = time(9, 0)
DEFAULT_LENGTH = timedelta(minutes=60)
# What the trainee's save of an entry and of the final materials writes (never the mentor's part).
ENTRY_FIELDS = ("day", "time_from", "time_to", "activity", "head_actions", "reflection")
ENTRY_FIELDS += ("is_draft", "updated_at")
FINAL_FIELDS = ("report", "report_file", "report_file_name", "project_title", "project_summary")
FINAL_FIELDS += ("project_file", "project_file_name", "updated_at")
Status = Assignment.Status


def _d(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def stage_label(stage: str) -> str:
    """The stage's name: «предварительный», «основной», «заключительный», «завершена»."""
    return str(Stage(stage).label) if stage in Stage.values else stage


# --- Minutes (pure) ------------------------------------------------------------------------------


def minutes_between(time_from: time, time_to: time) -> int:
    """Whole minutes from `time_from` to `time_to` on one day (0 if the end is not after)."""
    start = time_from.hour * 60 + time_from.minute
    end = time_to.hour * 60 + time_to.minute
    return max(end - start, 0)


def total_minutes(entries: Iterable) -> int:
    """The time record of `entries` (diary entries, or (time_from, time_to) pairs) in minutes."""
    total = 0
    for entry in entries:
        if isinstance(entry, tuple):
            total += minutes_between(*entry)
        else:
            total += minutes_between(entry.time_from, entry.time_to)
    return total


def format_minutes(minutes: int) -> str:
    """«3 ч 15 мин», «45 мин», «2 ч» — how the time record is read."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": rest}


def _submitted_times(trainee_filter: Q):
    return DiaryEntry.objects.filter(trainee_filter, is_draft=False).values_list(
        "trainee_id", "trainee__internship_id", "time_from", "time_to"
    )


def minutes_by_internship(internship_ids: Iterable[int]) -> dict[int, int]:
    """{internship id: minutes of submitted diary entries of all its trainees}, one query."""
    totals: dict[int, int] = defaultdict(int)
    for _trainee, internship, start, end in _submitted_times(
        Q(trainee__internship__in=list(internship_ids))
    ):
        totals[internship] += minutes_between(start, end)
    return dict(totals)


def minutes_by_trainee(trainee_ids: Iterable[int]) -> dict[int, int]:
    """{trainee id: minutes of his or her submitted diary entries}, one query."""
    totals: dict[int, int] = defaultdict(int)
    for trainee, _internship, start, end in _submitted_times(Q(trainee__in=list(trainee_ids))):
        totals[trainee] += minutes_between(start, end)
    return dict(totals)


# --- Lists: activity and risk --------------------------------------------------------------------


def with_activity(internships: QuerySet[Internship], today: date | None = None):
    """Annotate `last_entry_day` (the latest submitted diary entry of any trainee) and
    `overdue_count` (map assignments not done whose deadline has passed).

    Subqueries rather than joins, so that the trainees' join of `visible_to` never multiplies
    them.
    """
    today = today or timezone.localdate()
    last = (
        DiaryEntry.objects.filter(trainee__internship=OuterRef("pk"), is_draft=False)
        .order_by("-day")
        .values("day")[:1]
    )
    overdue = (
        Assignment.objects.filter(internship=OuterRef("pk"), deadline__lt=today)
        .exclude(status=Status.DONE)
        .order_by()
        .values("internship")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return internships.annotate(
        last_entry_day=Subquery(last),
        overdue_count=Coalesce(Subquery(overdue, output_field=IntegerField()), Value(0)),
    )


def at_risk_filter(today: date | None = None) -> Q:
    """Internships at risk (on a queryset from `with_activity`): open, and either with overdue
    map assignments, or running for at least 14 days with no diary entry in the last 14 days.

    «Running» is by the dates (started 14+ days ago and not yet ended): once the internship's
    dates are over nobody writes a diary any more.
    """
    today = today or timezone.localdate()
    quiet_since = today - timedelta(days=RISK_DAYS)
    silent = Q(start_date__lte=quiet_since, end_date__gte=today) & (
        Q(last_entry_day__isnull=True) | Q(last_entry_day__lte=quiet_since)
    )
    return ~Q(stage=Stage.COMPLETED) & (Q(overdue_count__gt=0) | silent)


def risk_reasons(internship: Internship, today: date | None = None) -> list[str]:
    """Why an internship (annotated by `with_activity`) is at risk, in words; empty if not."""
    today = today or timezone.localdate()
    if internship.stage == Stage.COMPLETED:
        return []
    reasons = []
    if internship.overdue_count:
        reasons.append(_("overdue assignments: %(n)s") % {"n": internship.overdue_count})
    quiet_since = today - timedelta(days=RISK_DAYS)
    last = internship.last_entry_day
    running = internship.start_date <= quiet_since and internship.end_date >= today
    if running and (last is None or last <= quiet_since):
        reasons.append(_("no diary entries for %(days)s days") % {"days": RISK_DAYS})
    return reasons


# --- Stages --------------------------------------------------------------------------------------


def ensure_open(internship: Internship) -> None:
    """Nothing of a completed internship changes (reopen it a stage back first)."""
    if internship.stage == Stage.COMPLETED:
        raise ValidationError(
            _("The internship is completed: its materials can no longer be changed.")
        )


def next_stage(stage: str) -> str | None:
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def previous_stage(stage: str) -> str | None:
    index = STAGES.index(stage)
    return STAGES[index - 1] if index > 0 else None


@dataclass(frozen=True)
class StageStep:
    stage: str
    label: str
    state: str  # "done", "current" or "next"


def stage_steps(internship: Internship) -> list[StageStep]:
    """The stage bar: every stage, done, current or still ahead."""
    current = STAGES.index(internship.stage)
    return [
        StageStep(
            stage,
            stage_label(stage),
            "done" if n < current else "current" if n == current else "next",
        )
        for n, stage in enumerate(STAGES)
    ]


@dataclass(frozen=True)
class StageMoves:
    forward: str | None  # the next stage by `set_stage` (never «completed»)
    back: str | None  # the previous stage (a comment is required)
    can_close: bool  # the final stage: `close` is the way on

    @property
    def forward_label(self) -> str:
        return stage_label(self.forward) if self.forward else ""

    @property
    def back_label(self) -> str:
        return stage_label(self.back) if self.back else ""


def stage_moves(internship: Internship) -> StageMoves:
    forward = next_stage(internship.stage)
    return StageMoves(
        forward=forward if forward != Stage.COMPLETED else None,
        back=previous_stage(internship.stage),
        can_close=internship.stage == Stage.FINAL,
    )


def _history_row(by: User, stage: str, comment: str = "", **extra) -> dict:
    return {
        "at": timezone.now().isoformat(),
        "by": by.pk,
        "by_name": by.short_name,
        "stage": stage,
        "comment": comment,
        **extra,
    }


def _stage_errors(internship: Internship, stage: str, comment: str) -> list[str]:
    current = internship.stage
    if stage not in STAGES:
        return [_("Choose a stage of the internship.")]
    if stage == current:
        return [
            _("The internship is already at the «%(stage)s» stage.") % {"stage": stage_label(stage)}
        ]
    if stage == Stage.COMPLETED:
        return [_("An internship is completed by closing it, once the final materials are ready.")]
    if stage == next_stage(current):
        return _forward_errors(internship, stage)
    if stage == previous_stage(current):
        if not comment:
            return [
                _("Say why the internship goes back to the «%(stage)s» stage.")
                % {"stage": stage_label(stage)}
            ]
        return []
    if STAGES.index(stage) > STAGES.index(current):
        return [
            _("The stages go one at a time: next comes «%(stage)s».")
            % {"stage": stage_label(next_stage(current))}
        ]
    return [
        _("Go back one stage at a time: to «%(stage)s».")
        % {"stage": stage_label(previous_stage(current))}
    ]


def _forward_errors(internship: Internship, stage: str) -> list[str]:
    if stage == Stage.MAIN and not internship.assignments.exists():
        return [_("Fill in the technological map before the main stage: it has no assignments.")]
    if stage == Stage.FINAL:
        silent = internship.trainees.exclude(entries__is_draft=False).select_related("person")
        names = ", ".join(t.person.short_name for t in silent)
        if names:
            return [
                _(
                    "Before the final stage every trainee keeps the diary; no submitted "
                    "entries: %(names)s."
                )
                % {"names": names}
            ]
    return []


def set_stage(
    internship: Internship,
    stage: str,
    *,
    by: User,
    comment: str = "",
    revision: int | None = None,
) -> None:
    """Move the internship one stage forward, or one back with a comment.

    Forward to the main stage needs a technological map; to the final stage, a submitted diary
    entry from every trainee. «Completed» only through `close`; from «completed» one step back
    reopens the internship (with a comment). A move made on a page opened before the internship
    last changed (`revision`) is refused (`ConflictError`), even when the move is still allowed:
    it was decided on a stage that is no longer current.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        current = Internship.objects.select_for_update().get(pk=internship.pk)
        claim(current, revision, by)  # first: a stale page is told so, whatever else is wrong
        errors = _stage_errors(current, stage, comment)
        if errors:
            raise ValidationError(errors)
        current.stage = stage
        if stage != Stage.COMPLETED:
            current.completed_on = None
        current.history = [*current.history, _history_row(by, stage, comment)]
        current.save(update_fields=["stage", "completed_on", "history", "updated_at"])
    internship.stage, internship.completed_on = current.stage, current.completed_on
    internship.history, internship.revision = current.history, current.revision


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    by: str
    stage: str
    stage_label: str
    comment: str
    event: str


def stage_history(internship: Internship) -> list[HistoryEntry]:
    """`Internship.history` for display, oldest first (one query for names not kept there)."""
    rows = internship.history or []
    missing = {row.get("by") for row in rows if row.get("by") and not row.get("by_name")}
    names = {u.pk: u.short_name for u in User.objects.filter(pk__in=missing)} if missing else {}
    entries = []
    for row in rows:
        try:
            at = timezone.localtime(datetime.fromisoformat(row.get("at", "")))
        except (TypeError, ValueError):
            at = None
        stage = row.get("stage", "")
        entries.append(
            HistoryEntry(
                at=at,
                by=row.get("by_name") or names.get(row.get("by"), ""),
                stage=stage,
                stage_label=stage_label(stage) if stage else "",
                comment=row.get("comment", ""),
                event=row.get("event", "stage"),
            )
        )
    return entries


# --- The technological map -----------------------------------------------------------------------


def _assignment_errors(internship, assignee, task, expected_result, deadline, status) -> dict:
    errors = {}
    if assignee not in Assignment.For.values:
        errors["assignee"] = _("Choose whom the assignment is for: the mentor or the trainee.")
    if not task:
        errors["task"] = _("Write the task.")
    if not expected_result:
        errors["expected_result"] = _("Write the expected result.")
    if deadline is None:
        errors["deadline"] = _("Set the deadline.")
    elif not internship.start_date <= deadline <= internship.end_date:
        errors["deadline"] = _(
            "The deadline %(deadline)s must fall within the internship: from %(start)s to %(end)s."
        ) % {
            "deadline": _d(deadline),
            "start": _d(internship.start_date),
            "end": _d(internship.end_date),
        }
    if status not in Status.values:
        errors["status"] = _("Choose the assignment's status.")
    return errors


def add_assignment(
    internship: Internship,
    *,
    assignee: str,
    task: str,
    expected_result: str,
    deadline: date | None,
    by: User,
    status: str = Status.PLANNED,
    revision: int | None = None,
) -> Assignment:
    """Add a line to the technological map (it goes last); the deadline falls within the
    internship's dates."""
    ensure_open(internship)
    task, expected_result = (task or "").strip(), (expected_result or "").strip()
    errors = _assignment_errors(internship, assignee, task, expected_result, deadline, status)
    if errors:
        raise ValidationError(errors)
    last = internship.assignments.order_by("-position").values_list("position", flat=True).first()
    assignment = Assignment(
        internship=internship,
        assignee=assignee,
        task=task,
        expected_result=expected_result,
        deadline=deadline,
        status=status,
        position=(last or 0) + 1,
    )
    with transaction.atomic():
        claim(assignment, revision, by)
        assignment.save()
    return assignment


def update_assignment(
    assignment: Assignment, *, by: User, revision: int | None = None, **fields
) -> Assignment:
    """Change a line of the map: any of `assignee`, `task`, `expected_result`, `deadline`,
    `status` (the others stay). Refused (`ConflictError`) when the line changed after
    `revision` — its form or its status, from another page."""
    internship = assignment.internship
    ensure_open(internship)
    unknown = set(fields) - {"assignee", "task", "expected_result", "deadline", "status"}
    if unknown:
        raise TypeError(f"Unknown assignment fields: {', '.join(sorted(unknown))}")
    values = {
        name: fields.get(name, getattr(assignment, name))
        for name in ("assignee", "task", "expected_result", "deadline", "status")
    }
    values["task"] = (values["task"] or "").strip()
    values["expected_result"] = (values["expected_result"] or "").strip()
    errors = _assignment_errors(internship, **values)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim(assignment, revision, by)
        for name, value in values.items():
            setattr(assignment, name, value)
        assignment.save()
    return assignment


def delete_assignment(assignment: Assignment, *, by: User) -> None:
    ensure_open(assignment.internship)
    assignment.delete()


def is_overdue(assignment: Assignment, today: date | None = None) -> bool:
    return assignment.status != Status.DONE and assignment.deadline < (
        today or timezone.localdate()
    )


# --- Notes and the diary -------------------------------------------------------------------------


def save_notes(trainee: Trainee, text: str, *, by: User | None = None, revision=None) -> None:
    """The trainee's notes on the host organisation from open sources (saved as typed);
    refused (`ConflictError`) when the trainee's record was saved after `revision`."""
    ensure_open(trainee.internship)
    with transaction.atomic():
        claim(trainee, revision, by)
        trainee.host_notes = (text or "").strip()
        trainee.save(update_fields=["host_notes", "updated_at"])


def _entry_errors(trainee, entry, day, time_from, time_to, activity, head_actions, submit):
    internship = trainee.internship
    errors = {}
    if day is None:
        errors["day"] = _("Set the date of the entry.")
    elif not internship.start_date <= day <= internship.end_date:
        errors["day"] = _(
            "The date %(day)s is outside the internship: from %(start)s to %(end)s."
        ) % {"day": _d(day), "start": _d(internship.start_date), "end": _d(internship.end_date)}
    if time_from is None:
        errors["time_from"] = _("Set the time the activity started.")
    if time_to is None:
        errors["time_to"] = _("Set the time the activity ended.")
    elif time_from is not None and time_to <= time_from:
        errors["time_to"] = _("The end (%(end)s) must be after the start (%(start)s).") % {
            "end": time_to.strftime("%H:%M"),
            "start": time_from.strftime("%H:%M"),
        }
    if activity not in Activity.values and (activity or submit):
        errors["activity"] = _("Choose the kind of activity.")
    if submit and not head_actions:
        errors["head_actions"] = _("Write what the head did and decided.")
    if errors:
        return errors
    others = trainee.entries.filter(day=day, time_from__lt=time_to, time_to__gt=time_from)
    if entry is not None and entry.pk:
        others = others.exclude(pk=entry.pk)
    clash = others.order_by("time_from").first()
    if clash is not None:
        errors["time_from"] = _(
            "The time overlaps another entry of %(day)s: %(from)s–%(to)s, «%(activity)s»."
        ) % {
            "day": _d(day),
            "from": clash.time_from.strftime("%H:%M"),
            "to": clash.time_to.strftime("%H:%M"),
            "activity": clash.get_activity_display(),
        }
    return errors


def save_entry(
    trainee: Trainee,
    *,
    day: date | None,
    time_from: time | None,
    time_to: time | None,
    activity: str,
    head_actions: str,
    reflection: str = "",
    submit: bool = False,
    entry: DiaryEntry | None = None,
    by: User | None = None,
    revision: int | None = None,
) -> DiaryEntry:
    """Create or change a diary entry of `trainee`; with `submit`, hand it to the mentor.

    The day falls within the internship's dates, the end is after the start, and the time does
    not overlap the trainee's other entries (drafts included) of that day. A draft needs only
    the day and the times (so it can be saved as soon as they are typed); a submitted entry
    also needs the kind of activity and what the head did. Saving without `submit` keeps an
    entry's state (a submitted entry stays submitted while it is corrected). A save from a page
    opened before the entry's last save (another tab: `revision`) is refused (`ConflictError`).
    """
    ensure_open(trainee.internship)
    if entry is not None and entry.trainee_id != trainee.pk:
        raise ValueError("The entry belongs to another trainee.")
    head_actions, reflection = (head_actions or "").strip(), (reflection or "").strip()
    with transaction.atomic():
        # One writer per trainee at a time, so two autosaves cannot both pass the overlap check.
        Trainee.objects.select_for_update().filter(pk=trainee.pk).first()
        if entry is not None:
            claim(entry, revision, by)
        # A submitted entry being corrected must stay complete, as at submission.
        complete = submit or (entry is not None and not entry.is_draft)
        errors = _entry_errors(
            trainee, entry, day, time_from, time_to, activity, head_actions, complete
        )
        if errors:
            raise ValidationError(errors)
        stored = entry is not None
        if not stored:
            entry = DiaryEntry(trainee=trainee)
            claim(entry, revision, by)
        entry.day, entry.time_from, entry.time_to = day, time_from, time_to
        entry.activity = activity or ""
        entry.head_actions, entry.reflection = head_actions, reflection
        if submit:
            entry.is_draft = False
        # The trainee's fields only: the mentor's comment may have come in meanwhile.
        entry.save(update_fields=ENTRY_FIELDS if stored else None)
    return entry


def delete_entry(entry: DiaryEntry) -> None:
    """Remove a draft; a submitted entry is part of the record the mentor has seen."""
    ensure_open(entry.trainee.internship)
    if not entry.is_draft:
        raise ValidationError(_("A submitted entry stays in the diary: correct it instead."))
    entry.delete()


def suggest_slot(trainee: Trainee, today: date | None = None) -> tuple[date, time, time]:
    """A day and time to start a new entry with: today (kept within the internship's dates),
    right after the day's last entry, or at 9:00."""
    internship = trainee.internship
    today = today or timezone.localdate()
    day = max(internship.start_date, min(today, internship.end_date))
    last = trainee.entries.filter(day=day).order_by("-time_to").values_list("time_to", flat=True)
    start = last.first() or DEFAULT_START
    end = (datetime.combine(day, start) + DEFAULT_LENGTH).time()
    if end <= start:  # the day is full up to midnight
        end = time(23, 59)
    return day, start, end


def comment_entry(entry: DiaryEntry, *, text: str, by: User) -> None:
    """The mentor's comment on a submitted entry (an empty text removes it)."""
    ensure_open(entry.trainee.internship)
    if entry.is_draft:
        raise ValidationError(_("The entry is a draft: the mentor comments once it is submitted."))
    entry.mentor_comment = (text or "").strip()
    entry.commented_at = timezone.now() if entry.mentor_comment else None
    entry.save(update_fields=["mentor_comment", "commented_at", "updated_at"])


# --- The matrix of competencies and management decisions -----------------------------------------


def _rating_errors(ratings: dict, allowed: set[int] | None, *, optional: bool = False) -> list:
    errors = []
    codes = dict(Competency.objects.filter(pk__in=list(ratings)).values_list("pk", "code"))
    for competency_id, rating in ratings.items():
        if competency_id not in codes or (allowed is not None and competency_id not in allowed):
            errors.append(_("A competency outside the list was rated."))
            continue
        if rating is None and optional:
            continue
        if not isinstance(rating, int) or not 0 <= rating <= MAX_RATING:
            errors.append(
                _("The rating of %(code)s must be from 0 to %(max)s.")
                % {"code": codes[competency_id], "max": MAX_RATING}
            )
    return errors


def _decision_errors(trainee, text, ratings, entry) -> dict:
    errors = {}
    if not text:
        errors["text"] = _("Describe the management decision.")
    if entry is not None and entry.trainee_id != trainee.pk:
        errors["entry"] = _("Choose an entry of your own diary.")
    rated = {k: v for k, v in ratings.items() if v is not None}
    problems = _rating_errors(rated, None)
    if not rated:
        problems.append(_("Mark at least one competency the decision exercised, with your rating."))
    if problems:
        errors[NON_FIELD_ERRORS] = problems
    return errors


def add_decision(
    trainee: Trainee, *, text: str, ratings: dict[int, int], entry: DiaryEntry | None = None
) -> Decision:
    """A row of the matrix: the observed decision and the competencies it exercised
    ({competency id: the trainee's self-rating 0–3})."""
    return save_decision(trainee, text=text, ratings=ratings, entry=entry)


def save_decision(
    trainee: Trainee,
    *,
    text: str,
    ratings: dict[int, int | None],
    entry: DiaryEntry | None = None,
    decision: Decision | None = None,
    by: User | None = None,
    revision: int | None = None,
) -> Decision:
    """Create or change a decision; competencies left out (or rated None) are removed from it,
    the mentor's rating of those kept stays. Refused (`ConflictError`) when the decision was
    changed or rated after `revision`."""
    ensure_open(trainee.internship)
    text = (text or "").strip()
    errors = _decision_errors(trainee, text, ratings, entry)
    if errors:
        raise ValidationError(errors)
    rated = {k: v for k, v in ratings.items() if v is not None}
    with transaction.atomic():
        decision = decision or Decision(trainee=trainee)
        claim(decision, revision, by)
        decision.text, decision.entry = text, entry
        decision.save()
        decision.competencies.exclude(competency_id__in=list(rated)).delete()
        kept = {row.competency_id: row for row in decision.competencies.all()}
        for competency_id, rating in rated.items():
            row = kept.get(competency_id) or DecisionCompetency(
                decision=decision, competency_id=competency_id
            )
            row.self_rating = rating
            row.save()
    return decision


def update_decision(decision: Decision, *, text: str, ratings: dict, entry=None) -> Decision:
    return save_decision(
        decision.trainee, text=text, ratings=ratings, entry=entry, decision=decision
    )


def delete_decision(decision: Decision) -> None:
    ensure_open(decision.trainee.internship)
    decision.delete()


def rate_decision(
    decision: Decision, ratings: dict[int, int | None], *, by: User, revision: int | None = None
) -> None:
    """The mentor's rating of the competencies a decision exercised ({competency id: 0–3, or
    None to leave unrated}); refused (`ConflictError`) when the decision was changed after
    `revision` (the trainee's correction, or the mentor's rating from another tab)."""
    ensure_open(decision.trainee.internship)
    rows = {row.competency_id: row for row in decision.competencies.all()}
    errors = _rating_errors(ratings, set(rows), optional=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim(decision, revision, by)
        for competency_id, rating in ratings.items():
            row = rows[competency_id]
            row.mentor_rating = rating
            row.save(update_fields=["mentor_rating"])


# --- Final materials and the mentor's assessment -------------------------------------------------


def _store(upload, field: str):
    """Check an uploaded document and give it a random storage name; returns the display name."""
    try:
        kind = check_upload(upload, kinds=DOCUMENT_KINDS)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    display = safe_name(upload.name, kind)
    upload.name = f"{uuid.uuid4().hex}.{kind.extension}"
    return display


def save_final(
    trainee: Trainee,
    *,
    report: str,
    project_title: str,
    project_summary: str,
    report_file=None,
    project_file=None,
    by: User | None = None,
    revision: int | None = None,
) -> Trainee:
    """The trainee's final materials: the report (text and/or file) and the management project
    (title, summary, file). Files are checked by content (PDF, Word, OpenDocument); a new file
    replaces the old one. Refused (`ConflictError`, nothing stored, no file kept) when the
    trainee's record was saved after `revision`."""
    ensure_open(trainee.internship)
    errors = {}
    names = {}
    for field_name, upload in (("report_file", report_file), ("project_file", project_file)):
        if upload is not None:
            try:
                names[field_name] = _store(upload, field_name)
            except ValidationError as error:
                errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    replaced = []
    with transaction.atomic():
        claim(trainee, revision, by)  # before the files are stored: a refused save keeps none
        trainee.report = (report or "").strip()
        trainee.project_title = (project_title or "").strip()
        trainee.project_summary = (project_summary or "").strip()
        for field_name, upload in (("report_file", report_file), ("project_file", project_file)):
            if upload is not None:
                old = getattr(trainee, field_name)
                if old:
                    replaced.append(old.name)
                setattr(trainee, field_name, upload)
                setattr(trainee, f"{field_name}_name", names[field_name])
        trainee.save(update_fields=FINAL_FIELDS)
    for name in replaced:  # only once the new file is stored
        trainee.report_file.storage.delete(name)
    return trainee


def assess(
    trainee: Trainee,
    *,
    ratings: dict[int, int | None],
    conclusion: str,
    by: User,
    revision: int | None = None,
) -> None:
    """The mentor's assessment on the internship's competencies ({competency id: 0–3, None to
    leave unrated}) and conclusion. Closing needs every competency rated and the conclusion.
    Refused (`ConflictError`) when the trainee's record was saved after `revision` — by the
    mentor in another tab, or by the trainee changing the materials being assessed."""
    internship = trainee.internship
    ensure_open(internship)
    allowed = set(internship.competencies.values_list("pk", flat=True))
    errors = _rating_errors(ratings, allowed, optional=True)
    if errors:
        raise ValidationError({NON_FIELD_ERRORS: errors})
    with transaction.atomic():
        claim(trainee, revision, by)
        for competency_id, rating in ratings.items():
            if rating is None:
                FinalRating.objects.filter(trainee=trainee, competency_id=competency_id).delete()
            else:
                FinalRating.objects.update_or_create(
                    trainee=trainee, competency_id=competency_id, defaults={"rating": rating}
                )
        trainee.mentor_conclusion = (conclusion or "").strip()
        trainee.save(update_fields=["mentor_conclusion", "updated_at"])


# --- Closing -------------------------------------------------------------------------------------


def _trainee_problems(
    trainee: Trainee, competencies: list[Competency], rated: set[int], submitted: bool
) -> str | None:
    """One line per trainee: «Иванова О. П.: what is missing; what else is missing.»"""
    missing = []
    if not submitted:
        missing.append(_("no submitted diary entry"))
    if not trainee.report and not trainee.report_file:
        missing.append(_("the report on the internship (text or file)"))
    if not trainee.project_title:
        missing.append(_("the management project's title"))
    if not trainee.project_summary and not trainee.project_file:
        missing.append(_("the management project's summary (text or file)"))
    unrated = [c.code for c in competencies if c.pk not in rated]
    if unrated:
        missing.append(_("the mentor's rating of %(codes)s") % {"codes": ", ".join(unrated)})
    if not trainee.mentor_conclusion:
        missing.append(_("the mentor's conclusion"))
    if not missing:
        return None
    return _("%(name)s: %(missing)s.") % {
        "name": trainee.person.short_name,
        "missing": "; ".join(missing),
    }


def closing_problems(internship: Internship) -> list[str]:
    """What is still missing before the internship can be closed, in Russian (empty: ready).

    Fixed number of queries whatever the number of trainees.
    """
    if internship.stage == Stage.COMPLETED:
        return [_("The internship is already completed.")]
    problems = []
    if internship.stage != Stage.FINAL:
        problems.append(
            _("The internship is closed at the final stage; it is at the «%(stage)s» stage.")
            % {"stage": stage_label(internship.stage)}
        )
    undone = list(internship.assignments.exclude(status=Status.DONE).values_list("task", flat=True))
    if undone:
        tasks = "; ".join(f"«{task[:60]}{'…' if len(task) > 60 else ''}»" for task in undone)
        problems.append(
            _("Assignments of the technological map not done: %(tasks)s.") % {"tasks": tasks}
        )
    trainees = list(
        internship.trainees.select_related("person").prefetch_related(
            Prefetch("ratings", FinalRating.objects.only("trainee_id", "competency_id"))
        )
    )
    if not trainees:
        problems.append(_("The internship has no trainees."))
    competencies = list(internship.competencies.order_by("position"))
    submitted = set(
        DiaryEntry.objects.filter(trainee__internship=internship, is_draft=False).values_list(
            "trainee_id", flat=True
        )
    )
    for trainee in trainees:
        rated = {r.competency_id for r in trainee.ratings.all()}
        line = _trainee_problems(trainee, competencies, rated, trainee.pk in submitted)
        if line:
            problems.append(line)
    return problems


def _plan_for(person_id: int, days: tuple[date, ...]) -> Plan | None:
    """The person's open development plan of the period holding the first of `days` that any
    period holds."""
    for day in days:
        plan = (
            Plan.objects.filter(
                person_id=person_id,
                period__start_date__lte=day,
                period__end_date__gte=day,
                status__in=PLAN_OPEN_STATUSES,
            )
            .order_by("-period__start_date")
            .first()
        )
        if plan is not None:
            return plan
    return None


def _mark_plan_tasks(internship: Internship, trainee: Trainee, by: User, today: date) -> int:
    plan = _plan_for(trainee.person_id, (today, internship.end_date))
    if plan is None:
        return 0
    undone = PlanTask.objects.filter(goal__plan=plan, form=TaskForm.INTERNSHIP, done=False)
    marked = audited_update(undone, done=True, done_at=today)
    if marked:
        PlanComment.objects.create(
            plan=plan,
            by=by,
            text=_(
                "The internship «%(theme)s» (mentor %(mentor)s) was completed on %(day)s; "
                "tasks of the form «internship» marked done: %(count)s."
            )
            % {
                "theme": internship.theme,
                "mentor": internship.mentor.short_name,
                "day": _d(today),
                "count": marked,
            },
        )
    return marked


def close(internship: Internship, *, by: User, today: date | None = None) -> int:
    """Complete the internship: stage «completed», the closing day, and in every trainee's
    development plan the undone tasks of the form «internship» marked done on that day.

    Refuses with every problem of `closing_problems` at once. Returns how many plan tasks were
    marked done.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        current = (
            Internship.objects.select_for_update().select_related("mentor").get(pk=internship.pk)
        )
        problems = closing_problems(current)
        if problems:
            raise ValidationError(problems)
        claim(current, None, by)  # a stage form opened before the closing is out of date
        current.stage = Stage.COMPLETED
        current.completed_on = today
        current.history = [*current.history, _history_row(by, Stage.COMPLETED)]
        current.save(update_fields=["stage", "completed_on", "history", "updated_at"])
        marked = sum(
            _mark_plan_tasks(current, trainee, by, today) for trainee in current.trainees.all()
        )
    internship.stage, internship.completed_on = current.stage, current.completed_on
    internship.history, internship.revision = current.history, current.revision
    return marked


# --- The document: one builder for the page and the PDF ------------------------------------------


@dataclass
class MatrixRow:
    decision: Decision
    cells: list[DecisionCompetency | None]  # one per column of the trainee's matrix


@dataclass
class RatingLine:
    competency: Competency
    rating: int | None

    @property
    def label(self) -> str:
        return dict(RATING_SCALE).get(self.rating, "") if self.rating is not None else ""


@dataclass
class TraineeBlock:
    """One trainee's notes, diary, matrix and final materials."""

    trainee: Trainee
    entries: list[DiaryEntry]
    columns: list[Competency]
    rows: list[MatrixRow]
    ratings: list[RatingLine]

    @property
    def submitted(self) -> list[DiaryEntry]:
        return [e for e in self.entries if not e.is_draft]

    @property
    def minutes(self) -> int:
        return total_minutes(self.submitted)

    @property
    def hours(self) -> str:
        return format_minutes(self.minutes)

    @property
    def drafts(self) -> int:
        return sum(1 for e in self.entries if e.is_draft)


@dataclass
class AssignmentRow:
    assignment: Assignment
    overdue: bool


@dataclass
class InternshipDocument:
    """Everything the internship page and its PDF show, read in a fixed number of queries."""

    internship: Internship
    trainees: list[Trainee]  # every trainee (names in the header)
    assignments: list[AssignmentRow]
    competencies: list[Competency]
    blocks: list[TraineeBlock]  # the trainees whose materials are shown
    history: list[HistoryEntry]
    today: date
    steps: list[StageStep] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(block.minutes for block in self.blocks)

    @property
    def is_open(self) -> bool:
        return self.internship.stage != Stage.COMPLETED

    @property
    def agreement_expired(self) -> bool:
        agreement = self.internship.agreement
        return bool(agreement and agreement.is_expired(self.today))


def _matrix(decisions: list[Decision]) -> tuple[list[Competency], list[MatrixRow]]:
    by_id: dict[int, Competency] = {}
    for decision in decisions:
        for row in decision.competencies.all():
            by_id[row.competency_id] = row.competency
    columns = sorted(by_id.values(), key=lambda c: (c.position, c.pk))
    rows = []
    for decision in decisions:
        cells = {row.competency_id: row for row in decision.competencies.all()}
        rows.append(MatrixRow(decision, [cells.get(c.pk) for c in columns]))
    return columns, rows


def build_internship_document(
    internship: Internship,
    *,
    trainees: Iterable[Trainee] | None = None,
    viewer: User | None = None,
    today: date | None = None,
) -> InternshipDocument:
    """The internship's header, map, history and, for `trainees` (all by default), their
    notes, diary, matrix and final materials. Drafts are shown only to their own trainee
    (`viewer`)."""
    today = today or timezone.localdate()
    everyone = list(internship.trainees.select_related("person", "organization"))
    chosen = everyone if trainees is None else [t for t in everyone if t in set(trainees)]
    ids = [t.pk for t in chosen]
    entries = DiaryEntry.objects.filter(trainee__in=ids).order_by("day", "time_from", "pk")
    if viewer is not None:
        entries = entries.filter(Q(is_draft=False) | Q(trainee__person=viewer))
    else:
        entries = entries.filter(is_draft=False)
    by_trainee = defaultdict(list)
    for entry in entries:
        by_trainee[entry.trainee_id].append(entry)
    decisions = defaultdict(list)
    rows = DecisionCompetency.objects.select_related("competency")
    for decision in (
        Decision.objects.filter(trainee__in=ids)
        .select_related("entry")
        .prefetch_related(Prefetch("competencies", rows))
    ):
        decisions[decision.trainee_id].append(decision)
    competencies = list(internship.competencies.order_by("position"))
    ratings = defaultdict(dict)
    for rating in FinalRating.objects.filter(trainee__in=ids):
        ratings[rating.trainee_id][rating.competency_id] = rating.rating
    blocks = []
    for trainee in chosen:
        columns, matrix = _matrix(decisions[trainee.pk])
        lines = [RatingLine(c, ratings[trainee.pk].get(c.pk)) for c in competencies]
        blocks.append(TraineeBlock(trainee, by_trainee[trainee.pk], columns, matrix, lines))
    assignments = [
        AssignmentRow(a, internship.stage != Stage.COMPLETED and is_overdue(a, today))
        for a in internship.assignments.all()
    ]
    return InternshipDocument(
        internship=internship,
        trainees=everyone,
        assignments=assignments,
        competencies=competencies,
        blocks=blocks,
        history=stage_history(internship),
        today=today,
        steps=stage_steps(internship),
    )


# --- The list ------------------------------------------------------------------------------------


@dataclass
class InternshipRow:
    """A line of «My internships»: the internship, its hours so far, why it is at risk, and
    how the viewer takes part in it («mentor», «trainee», «head»; empty for officials)."""

    internship: Internship
    minutes: int
    risks: list[str]
    part: str

    @property
    def hours(self) -> str:
        return format_minutes(self.minutes)


def internship_rows(internships: Iterable[Internship], viewer: User, today: date | None = None):
    """Rows for internships annotated by `with_activity` with `trainees` prefetched (one more
    query for the hours)."""
    internships = list(internships)
    minutes = minutes_by_internship(i.pk for i in internships)
    rows = []
    for internship in internships:
        if viewer.is_official:
            part = ""
        elif internship.mentor_id == viewer.pk:
            part = "mentor"
        elif any(t.person_id == viewer.pk for t in internship.trainees.all()):
            part = "trainee"
        else:
            part = "head"
        rows.append(
            InternshipRow(
                internship, minutes.get(internship.pk, 0), risk_reasons(internship, today), part
            )
        )
    return rows
