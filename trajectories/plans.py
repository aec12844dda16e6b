"""Individual development plans («план индивидуального развития»), the order's three sections.

1. Content-target: goals, pre-filled from the person's confirmed deficits of the period (one goal
   per deficit, text editable, extra goals allowed), and tasks per goal.
2. Organisational: every task's direction, form or method, kind of resource, deadline (within
   the plan's period) and who is responsible.
3. Analytical: per deficit, the self-analysis of results (`DeficitAnalysis`) and its outcome,
   closed or carried over.

Status flow (TRANSITIONS): draft → on review (an assigned reviewer is required) → approved (by
that reviewer only) or back to draft (with a required comment) → done (every task done and every
deficit analysed and closed) or closed with carry-over (every deficit analysed, some carried
over). Every change lands in `Plan.history`. Content is edited in draft only; tasks are marked
done, evidence attached and the analytical section filled while the plan is approved.

Completion % = done tasks ÷ all tasks, rounded down (so 100 % means every task is done); a plan
without tasks is at 0 %. Functions for other apps: `plan_completion`, `completion_by_person`,
`deficits_closed`, `overdue_tasks`, `plans_summary`.

Who may act (404/403) is decided in `plan_access.py`; this module checks only what the order
itself says about people: the reviewer is a mentor or an expert, and only the assigned reviewer
approves or returns a plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.audit import audited_bulk_create
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import check_upload, safe_name
from zelenchuk_portal.models import Membership, Organization, Period, Role, User

from .models import (
    Assessment,
    Competency,
    Deficit,
    DeficitAnalysis,
    Plan,
    PlanComment,
    PlanGoal,
    PlanTask,
    ResourceKind,
    TaskEvidence,
    TaskForm,
)

Status = Plan.Status
Outcome = DeficitAnalysis.Outcome

OWNER_ROLES = (Role.PRINCIPAL, Role.CANDIDATE)  # who has a development plan
REVIEWER_ROLES = (Role.MENTOR, Role.EXPERT)  # tutors, mentors and experts review plans

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.ON_REVIEW,),
    Status.ON_REVIEW: (Status.APPROVED, Status.DRAFT),
    Status.APPROVED: (Status.DONE, Status.CARRIED_OVER),
    Status.DONE: (),
    Status.CARRIED_OVER: (),
}
# The reviewer's decisions on a plan on review; the other transitions are the owner's (or an
# official's).
REVIEW_DECISIONS = (Status.APPROVED, Status.DRAFT)
OPEN_STATUSES = (Status.DRAFT, Status.ON_REVIEW, Status.APPROVED)
CLOSED_STATUSES = (Status.DONE, Status.CARRIED_OVER)


# The PDF is an official Russian document: its wording, labels included, is part of its form
# (as in `templates/pdf/plan.html`), whatever the language of the pages.
DOCUMENT_STATUS = {
    Status.DRAFT: "черновик",
    Status.ON_REVIEW: "на согласовании",
    Status.APPROVED: "утверждён",
    Status.DONE: "выполнен",
    Status.CARRIED_OVER: "закрыт с переносом",
}
DOCUMENT_FORM = {
    TaskForm.COURSES: "курсы",
    TaskForm.INTERNSHIP: "стажировка",
    TaskForm.MENTORING: "менторство",
    TaskForm.SELF_STUDY: "самообразование",
    TaskForm.SEMINAR: "семинар",
    TaskForm.WEBINAR: "вебинар",
    TaskForm.CONTEST: "конкурс",
    TaskForm.OTHER: "другое",
}
DOCUMENT_RESOURCE = {
    ResourceKind.PERSONAL: "личные ресурсы руководителя",
    ResourceKind.INTERNAL: "внутренние ресурсы ОО",
    ResourceKind.EXTERNAL: "внешние ресурсы",
    ResourceKind.PROFESSIONAL: "профессионально-общественная деятельность",
}


def _d(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _status_label(status: str) -> str:
    return str(dict(Status.choices).get(status, status))


# --- Completion (pure) ---------------------------------------------------------------------------


def percent(done: int, total: int) -> int:
    """done ÷ total in whole percent, rounded down; 0 when there is nothing to do."""
    return done * 100 // total if total else 0


def _count_tasks(done: bool | None = None, on: date | None = None):
    tasks = PlanTask.objects.filter(goal__plan=OuterRef("pk"))
    if done is not None:
        tasks = tasks.filter(done=done)
    if done and on is not None:
        tasks = tasks.filter(done_at__lte=on)
    counted = tasks.order_by().values("goal__plan").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_completion(plans: QuerySet[Plan], on: date | None = None) -> QuerySet[Plan]:
    """Annotate `task_count`, `done_count` and `completion` (whole %, rounded down).

    With `on`, only tasks done on or before that day count as done (the completion "at the
    period's end" of the reserve report).

    Subqueries rather than joins, so that other annotations never multiply the counts; the
    integer division is the same in SQLite and PostgreSQL.
    """
    return plans.annotate(
        task_count=_count_tasks(), done_count=_count_tasks(done=True, on=on)
    ).annotate(
        completion=Case(
            When(task_count=0, then=Value(0)),
            default=F("done_count") * 100 / F("task_count"),
            output_field=IntegerField(),
        )
    )


def with_overdue_count(plans: QuerySet[Plan], today: date | None = None) -> QuerySet[Plan]:
    """Annotate `overdue_count`: the plan's tasks not done whose deadline has passed (counted
    for open plans only, as in `overdue_tasks`)."""
    today = today or timezone.localdate()
    overdue = (
        PlanTask.objects.filter(goal__plan=OuterRef("pk"), done=False, deadline__lt=today)
        .order_by()
        .values("goal__plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return plans.annotate(
        overdue_count=Case(
            When(status__in=OPEN_STATUSES, then=Coalesce(Subquery(overdue), Value(0))),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def plan_completion(plan: Plan) -> int:
    """The plan's completion in whole percent (done tasks ÷ all tasks; no tasks → 0)."""
    if hasattr(plan, "task_count") and hasattr(plan, "done_count"):
        return percent(plan.done_count, plan.task_count)
    counts = PlanTask.objects.filter(goal__plan=plan).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done=True))
    )
    return percent(counts["done"], counts["total"])


def _people_filter(people) -> Q:
    if isinstance(people, QuerySet):
        return Q(person__in=people.values("pk"))
    return Q(person__in=[getattr(person, "pk", person) for person in people])


def completion_by_person(
    period: Period, people: Iterable, on: date | None = None
) -> dict[int, int]:
    """{person id: completion %} of the people's plans of `period`, in one query.

    `people`: users, ids or a queryset of users. Somebody without a plan in the period is absent
    from the result (so `.get(pk)` is None: "no plan", not "0 %"). With `on`, tasks done after
    that day do not count (see `with_completion`).
    """
    plans = with_completion(Plan.objects.filter(_people_filter(people), period=period), on=on)
    return dict(plans.values_list("person_id", "completion"))


def deficits_closed(period: Period, people: Iterable) -> dict[int, int]:
    """{person id: deficits whose analysis outcome is «closed»} in the people's plans of `period`.

    One query. Everybody with a plan in the period is in the result (0 when nothing is closed
    yet); somebody without a plan is absent.
    """
    plans = Plan.objects.filter(_people_filter(people), period=period).annotate(
        closed=Count("analyses", filter=Q(analyses__outcome=Outcome.CLOSED))
    )
    return dict(plans.values_list("person_id", "closed"))


def overdue_tasks(period: Period | None = None, today: date | None = None) -> QuerySet[PlanTask]:
    """Tasks not done whose deadline has passed (due today is not overdue), in open plans.

    A closed plan's undone tasks are settled by its analytical section (closed or carried
    over), so they no longer count as overdue. Ordered by deadline, the person, period and
    organisation fetched along.
    """
    today = today or timezone.localdate()
    tasks = PlanTask.objects.filter(
        done=False, deadline__lt=today, goal__plan__status__in=OPEN_STATUSES
    )
    if period is not None:
        tasks = tasks.filter(goal__plan__period=period)
    return tasks.select_related(
        "goal__plan__person", "goal__plan__period", "goal__plan__organization"
    ).order_by("deadline", "goal__plan__person__last_name", "pk")


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class PlansSummary:
    """A period's plans: how many in each status and their mean completion."""

    total: int
    by_status: dict[str, int]
    mean_completion: float | None  # None when the period has no plans
    rows: list[StatusCount] = field(default_factory=list)  # every status, in flow order


def plans_summary(period: Period) -> PlansSummary:
    """Counts of the period's plans by status and their mean completion (one query)."""
    by_status = dict.fromkeys(Status.values, 0)
    completions = []
    plans = with_completion(Plan.objects.filter(period=period))
    for status, completion in plans.values_list("status", "completion"):
        by_status[status] += 1
        completions.append(completion)
    mean = round(sum(completions) / len(completions), 1) if completions else None
    rows = [StatusCount(s, str(label), by_status[s]) for s, label in Status.choices]
    return PlansSummary(len(completions), by_status, mean, rows)


# --- Reading -------------------------------------------------------------------------------------


def confirmed_deficits(person: User, period: Period) -> QuerySet[Deficit]:
    """The person's deficits confirmed by the expert in the period's self-assessment."""
    return Deficit.objects.filter(
        assessment__person=person, assessment__period=period, status=Deficit.Status.CONFIRMED
    ).select_related("competency")


def block_names() -> dict[int, str]:
    """Block number → name, from the competency framework."""
    return dict(Competency.objects.order_by().values_list("block", "block_name").distinct())


def deficit_label(deficit: Deficit, blocks: dict[int, str] | None = None) -> str:
    """«2.3 Name of the competency» for an item, «Блок 2. Name of the block» for a block."""
    if deficit.competency_id:
        return str(deficit.competency)
    name = (blocks or {}).get(deficit.block, "")
    return f"Блок {deficit.block}. {name}".strip(" .") if name else f"Блок {deficit.block}"


def default_goal_text(deficit: Deficit, blocks: dict[int, str]) -> str:
    # Goal texts are the plan's data, written in Russian like the rest of it; the person edits
    # them.
    if deficit.competency_id:
        return f"Развить компетенцию «{deficit.competency.code} {deficit.competency.name}»"
    name = blocks.get(deficit.block, "")
    return f"Развить компетенции блока {deficit.block}" + (f" «{name}»" if name else "")


def person_membership(person: User) -> Membership | None:
    """The person's current role as a head or a reserve candidate (the head's first)."""
    rows = Membership.objects.current().filter(user=person, role__in=OWNER_ROLES)
    return (
        rows.select_related("organization")
        .order_by(Case(When(role=Role.PRINCIPAL, then=0), default=1), "pk")
        .first()
    )


def reviewer_candidates(plan: Plan | None = None) -> QuerySet[User]:
    """People who may review a plan: current mentors and experts (never the plan's owner)."""
    reviewers = Membership.objects.current().filter(role__in=REVIEWER_ROLES)
    people = User.objects.filter(is_active=True, pk__in=reviewers.values("user_id"))
    if plan is not None:
        people = people.exclude(pk=plan.person_id)
    return people.order_by("last_name", "first_name", "patronymic")


def plan_owners() -> QuerySet[User]:
    """People who may have a plan: current heads and reserve candidates."""
    owners = Membership.objects.current().filter(role__in=OWNER_ROLES)
    return User.objects.filter(is_active=True, pk__in=owners.values("user_id")).order_by(
        "last_name", "first_name", "patronymic"
    )


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def is_analysed(analysis: DeficitAnalysis) -> bool:
    """An analysis is complete when it states the results and the outcome."""
    return analysis.outcome != Outcome.OPEN and bool(analysis.results.strip())


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    by: str
    status: str
    status_label: str
    event: str
    comment: str

    @property
    def document_label(self) -> str:
        return DOCUMENT_STATUS.get(self.status, self.status)


def plan_history(plan: Plan) -> list[HistoryEntry]:
    """`Plan.history` for display, oldest first, with dates parsed and statuses named."""
    entries = []
    for row in plan.history or []:
        try:
            at = timezone.localtime(datetime.fromisoformat(row.get("at", "")))
        except (TypeError, ValueError):
            at = None
        entries.append(
            HistoryEntry(
                at=at,
                by=row.get("by_name", ""),
                status=row.get("status", ""),
                status_label=_status_label(row.get("status", "")),
                event=row.get("event", "status"),
                comment=row.get("comment", ""),
            )
        )
    return entries


# --- The document: one builder for the page and the PDF ------------------------------------------


@dataclass
class GoalBlock:
    number: int
    goal: PlanGoal
    deficit_label: str
    tasks: list[PlanTask]


@dataclass
class TaskRow:
    """A task of section 2 with its number «goal.task» and the document's Russian labels."""

    number: str
    task: PlanTask

    @property
    def form_label(self) -> str:
        return DOCUMENT_FORM.get(self.task.form, self.task.form)

    @property
    def resource_label(self) -> str:
        return DOCUMENT_RESOURCE.get(self.task.resource, self.task.resource)


@dataclass
class AnalysisBlock:
    analysis: DeficitAnalysis
    deficit_label: str
    complete: bool


@dataclass
class PlanDocument:
    """Everything the plan page and the plan PDF show, read in a fixed number of queries."""

    plan: Plan
    position: str
    organization: Organization | None
    goals: list[GoalBlock]
    analyses: list[AnalysisBlock]
    history: list[HistoryEntry]
    comments: list[PlanComment]
    task_count: int
    done_count: int

    @property
    def completion(self) -> int:
        return percent(self.done_count, self.task_count)

    @property
    def approved(self) -> HistoryEntry | None:
        """When and by whom the plan was (last) approved."""
        return next((e for e in reversed(self.history) if e.status == Status.APPROVED), None)

    @property
    def returned(self) -> HistoryEntry | None:
        """The reviewer's return, while the plan is the draft it was returned to."""
        last = self.history[-1] if self.history else None
        if last and last.event == "status" and last.status == Status.DRAFT:
            return last
        return None

    @property
    def status_label(self) -> str:
        """The plan's status in the document's Russian."""
        return DOCUMENT_STATUS.get(self.plan.status, self.plan.status)

    @property
    def tasks(self) -> list[TaskRow]:
        """Every task with its number «goal.task» (section 2)."""
        return [
            TaskRow(f"{block.number}.{n}", task)
            for block in self.goals
            for n, task in enumerate(block.tasks, start=1)
        ]


def build_plan_document(plan: Plan) -> PlanDocument:
    """The plan's three sections, status, reviewer, completion, history and comments."""
    blocks = block_names()
    tasks = PlanTask.objects.prefetch_related(
        Prefetch("evidence", TaskEvidence.objects.order_by("uploaded_at", "pk"))
    )
    goals = list(
        plan.goals.select_related("deficit__competency").prefetch_related(Prefetch("tasks", tasks))
    )
    goal_blocks = [
        GoalBlock(
            number=n,
            goal=goal,
            deficit_label=deficit_label(goal.deficit, blocks) if goal.deficit_id else "",
            tasks=list(goal.tasks.all()),
        )
        for n, goal in enumerate(goals, start=1)
    ]
    analyses = [
        AnalysisBlock(a, deficit_label(a.deficit, blocks), is_analysed(a))
        for a in plan.analyses.select_related("deficit__competency").order_by(
            "deficit__block", "deficit__competency__position", "pk"
        )
    ]
    membership = person_membership(plan.person)
    all_tasks = [task for block in goal_blocks for task in block.tasks]
    return PlanDocument(
        plan=plan,
        position=membership.position if membership else "",
        organization=plan.organization or (membership.organization if membership else None),
        goals=goal_blocks,
        analyses=analyses,
        history=plan_history(plan),
        comments=list(plan.comments.select_related("by")),
        task_count=len(all_tasks),
        done_count=sum(1 for task in all_tasks if task.done),
    )


def plan_filename(plan: Plan) -> str:
    return f"План развития — {plan.person.short_name}, {plan.period.label.replace('/', '-')}.pdf"


def render_plan_pdf(plan: Plan, *, request=None) -> bytes:
    """The plan as a PDF document (all three sections, status, reviewer, completion)."""
    from zelenchuk_portal.pdf import render_pdf

    return render_pdf("pdf/plan.html", {"doc": build_plan_document(plan)}, request=request)


# --- Writing: the plan and its flow --------------------------------------------------------------


def _entry(by: User, status: str, *, event: str = "status", comment: str = "", **extra) -> dict:
    return {
        "at": timezone.now().isoformat(),
        "by": by.pk,
        "by_name": by.short_name,
        "status": status,
        "event": event,
        "comment": comment,
        **extra,
    }


def start_plan(person: User, period: Period, by: User) -> Plan:
    """Create the person's plan for the period, with a goal and an analysis row per confirmed
    deficit of that period's self-assessment.

    The person must be a head or a reserve candidate; one plan per person and period; the
    period must be open.
    """
    errors = []
    if not person.has_role(*OWNER_ROLES):
        errors.append(_("A development plan is drawn up for a head or a reserve candidate."))
    if period.is_closed:
        errors.append(_("The period %(period)s is closed.") % {"period": period.label})
    if Plan.objects.filter(person=person, period=period).exists():
        errors.append(
            _("%(person)s already has a development plan for %(period)s.")
            % {"person": person.short_name, "period": period.label}
        )
    if errors:
        raise ValidationError(errors)
    membership = person_membership(person)
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                person=person,
                period=period,
                organization=membership.organization if membership else None,
                assessment=Assessment.objects.filter(person=person, period=period).first(),
                history=[_entry(by, Status.DRAFT, event="created")],
            )
            _add_deficits(plan, list(confirmed_deficits(person, period)))
    except IntegrityError:  # started twice at once: the constraint keeps one
        raise ValidationError(
            _("%(person)s already has a development plan for %(period)s.")
            % {"person": person.short_name, "period": period.label}
        ) from None
    return plan


def _add_deficits(plan: Plan, deficits: list[Deficit]) -> int:
    if not deficits:
        return 0
    blocks = block_names()
    last = plan.goals.order_by("-position").values_list("position", flat=True).first() or 0
    audited_bulk_create(
        PlanGoal,
        (
            PlanGoal(plan=plan, deficit=d, text=default_goal_text(d, blocks), position=last + n)
            for n, d in enumerate(deficits, start=1)
        ),
    )
    audited_bulk_create(DeficitAnalysis, (DeficitAnalysis(plan=plan, deficit=d) for d in deficits))
    return len(deficits)


def add_new_deficits(plan: Plan, by: User) -> int:
    """Bring into a draft plan the deficits confirmed since it was started; how many were added."""
    ensure_editable(plan)
    if plan.assessment_id is None:
        plan.assessment = Assessment.objects.filter(person=plan.person, period=plan.period).first()
        if plan.assessment:
            plan.save(update_fields=["assessment", "updated_at"])
    present = plan.analyses.values("deficit_id")
    deficits = list(confirmed_deficits(plan.person, plan.period).exclude(pk__in=present))
    with transaction.atomic():
        return _add_deficits(plan, deficits)


def assign_reviewer(plan: Plan, reviewer: User, by: User) -> None:
    """Choose the tutor, mentor or expert who reviews the plan (in draft or on review)."""
    if plan.status not in (Status.DRAFT, Status.ON_REVIEW):
        raise ValidationError(
            _("The reviewer is chosen while the plan is a draft or on review; it is «%(status)s».")
            % {"status": plan.get_status_display()}
        )
    if reviewer.pk == plan.person_id:
        raise ValidationError(_("A person cannot review his or her own plan."))
    if not reviewer.is_active or not reviewer.has_role(*REVIEWER_ROLES):
        raise ValidationError(_("The reviewer must be a tutor, a mentor or an expert."))
    if reviewer.pk == plan.reviewer_id:
        return
    plan.reviewer = reviewer
    plan.history = [
        *plan.history,
        _entry(by, plan.status, event="reviewer", comment=reviewer.short_name),
    ]
    plan.save(update_fields=["reviewer", "history", "updated_at"])


def status_errors(plan: Plan, status: str, by: User, comment: str = "") -> list[str]:
    """Why the plan cannot move to `status` now (empty: it can)."""
    if status not in allowed_transitions(plan.status):
        return [
            _("A plan that is «%(current)s» cannot become «%(new)s».")
            % {"current": plan.get_status_display(), "new": _status_label(status)}
        ]
    if plan.status == Status.ON_REVIEW:
        return _review_errors(plan, status, by, comment)
    if status == Status.ON_REVIEW:
        return _submission_errors(plan)
    return _closing_errors(plan, status)


def _review_errors(plan, status, by, comment) -> list[str]:
    if plan.reviewer_id is None or by.pk != plan.reviewer_id:
        return [_("Only the plan's assigned reviewer approves it or returns it for revision.")]
    if status == Status.DRAFT and not comment:
        return [_("Say what to revise: a comment is required to return the plan.")]
    return []


def _submission_errors(plan) -> list[str]:
    errors = []
    if plan.reviewer_id is None:
        errors.append(_("Choose a reviewer (a tutor, a mentor or an expert) before sending."))
    goals = list(plan.goals.annotate(n=Count("tasks")).order_by("position", "pk"))
    if not goals:
        errors.append(_("The plan has no goals."))
    for number, goal in enumerate(goals, start=1):
        if goal.n == 0:
            errors.append(
                _("Goal %(number)s «%(goal)s» has no tasks.")
                % {"number": number, "goal": goal.text[:80]}
            )
    outside = PlanTask.objects.filter(goal__plan=plan).exclude(
        deadline__gte=plan.period.start_date, deadline__lte=plan.period.end_date
    )
    for task in outside:
        errors.append(deadline_error(plan.period, task.deadline))
    return errors


def _closing_errors(plan, status) -> list[str]:
    errors = []
    analyses = list(plan.analyses.select_related("deficit__competency"))
    blocks = block_names()
    unfinished = [deficit_label(a.deficit, blocks) for a in analyses if not is_analysed(a)]
    carried = [a for a in analyses if a.outcome == Outcome.CARRIED_OVER]
    if unfinished:
        errors.append(
            _(
                "The analytical section is not finished for: %(deficits)s. Describe the results "
                "and mark each deficit closed or carried over."
            )
            % {"deficits": "; ".join(unfinished)}
        )
    if status == Status.DONE:
        counts = PlanTask.objects.filter(goal__plan=plan).aggregate(
            total=Count("pk"), undone=Count("pk", filter=Q(done=False))
        )
        if counts["total"] == 0:
            errors.append(_("The plan has no tasks."))
        elif counts["undone"]:
            errors.append(
                _(
                    "%(undone)s of %(total)s tasks are not done: a plan is done when every task "
                    "is done."
                )
                % counts
            )
        if carried:
            labels = "; ".join(deficit_label(a.deficit, blocks) for a in carried)
            errors.append(
                _("Some deficits are carried over (%(deficits)s): close the plan with carry-over.")
                % {"deficits": labels}
            )
    elif not carried and not unfinished:
        errors.append(_("No deficit is carried over: close the plan as done."))
    return errors


def change_status(
    plan: Plan, status: str, by: User, comment: str = "", revision: int | None = None
) -> None:
    """Move the plan along its flow, recording who, when, the new status and the comment.

    Raises a ValidationError with every reason at once when the move is not allowed, and a
    `ConflictError` when the plan changed after `revision` (the page the move was made on).
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        current = Plan.objects.select_for_update().select_related("period").get(pk=plan.pk)
        claim(current, revision, by)  # first: a stale page is told so, whatever else is wrong
        errors = status_errors(current, status, by, comment)
        if errors:
            raise ValidationError(errors)
        current.status = status
        current.history = [*current.history, _entry(by, status, comment=comment)]
        current.save(update_fields=["status", "history", "updated_at"])
    plan.status, plan.history, plan.revision = current.status, current.history, current.revision


def add_comment(plan: Plan, by: User, text: str) -> PlanComment:
    """A comment on the plan (the reviewer's remarks, the owner's replies)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("The comment is empty."))
    return PlanComment.objects.create(plan=plan, text=text, by=by)


# --- Writing: content (draft) and execution (approved) -------------------------------------------


def ensure_editable(plan: Plan) -> None:
    """Goals and tasks change only while the plan is a draft."""
    if plan.status != Status.DRAFT:
        raise ValidationError(
            _("Goals and tasks can be changed only while the plan is a draft; it is «%(status)s».")
            % {"status": plan.get_status_display()}
        )


def ensure_in_progress(plan: Plan) -> None:
    """Tasks are done, evidence attached and results analysed while the plan is approved."""
    if plan.status != Status.APPROVED:
        raise ValidationError(
            _(
                "Tasks are marked done and the analytical section is filled in once the plan is "
                "approved; it is «%(status)s»."
            )
            % {"status": plan.get_status_display()}
        )


def deadline_error(period: Period, deadline: date | None) -> str | None:
    """The Russian message for a deadline that is missing or outside the period, else None."""
    if deadline is None:
        return _("Set the task's deadline.")
    if period.start_date <= deadline <= period.end_date:
        return None
    return _(
        "The task's deadline %(deadline)s must fall within the period %(period)s: "
        "from %(start)s to %(end)s."
    ) % {
        "deadline": _d(deadline),
        "period": period.label,
        "start": _d(period.start_date),
        "end": _d(period.end_date),
    }


def validate_deadline(period: Period, deadline: date | None) -> None:
    message = deadline_error(period, deadline)
    if message:
        raise ValidationError(message, code="deadline")


@transaction.atomic
def save_goal(goal: PlanGoal, by: User, revision: int | None = None) -> PlanGoal:
    """Create or change a goal of a draft plan (a new one goes last); a change made on a page
    opened before somebody else saved the goal (`revision`) is refused."""
    ensure_editable(goal.plan)
    goal.text = (goal.text or "").strip()
    if not goal.text:
        raise ValidationError({"text": _("Write the goal.")})
    claim(goal, revision, by)
    if goal.pk is None:
        last = goal.plan.goals.order_by("-position").values_list("position", flat=True).first()
        goal.position = (last or 0) + 1
    goal.save()
    return goal


def delete_goal(goal: PlanGoal, by: User) -> None:
    """Remove an extra goal with its tasks; a deficit's goal stays (the deficit must be met)."""
    ensure_editable(goal.plan)
    if goal.deficit_id and goal.plan.analyses.filter(deficit_id=goal.deficit_id).exists():
        raise ValidationError(
            _("This goal answers a confirmed deficit and stays in the plan: edit its text.")
        )
    goal.delete()


@transaction.atomic
def save_task(task: PlanTask, by: User, revision: int | None = None) -> PlanTask:
    """Create or change a task of a draft plan; the deadline must fall within the period. A
    change made on a page opened before somebody else saved the task (`revision`) is refused."""
    plan = task.goal.plan
    ensure_editable(plan)
    errors = {}
    task.text = (task.text or "").strip()
    if not task.text:
        errors["text"] = _("Write the task.")
    message = deadline_error(plan.period, task.deadline)
    if message:
        errors["deadline"] = message
    if errors:
        raise ValidationError(errors)
    if task.pk is None:
        last = task.goal.tasks.order_by("-position").values_list("position", flat=True).first()
        task.position = (last or 0) + 1
    task.full_clean(exclude=["goal"])
    claim(task, revision, by)
    task.save()
    return task


def delete_task(task: PlanTask, by: User) -> None:
    ensure_editable(task.goal.plan)
    task.delete()


def set_task_done(task: PlanTask, done: bool, by: User, today: date | None = None) -> None:
    """Mark a task of an approved plan done (recording the date) or not done."""
    ensure_in_progress(task.goal.plan)
    task.done = done
    task.done_at = (today or timezone.localdate()) if done else None
    task.save(update_fields=["done", "done_at"])


def attach_evidence(task: PlanTask, upload, by: User) -> TaskEvidence:
    """Store a file proving a task's execution (a certificate, a programme, a report…).

    Checked by content, kept under a random storage name and served only through an
    access-checked view.
    """
    ensure_in_progress(task.goal.plan)
    kind = check_upload(upload)
    display = safe_name(upload.name, kind)
    upload.name = f"{uuid.uuid4().hex}.{kind.extension}"
    return TaskEvidence.objects.create(task=task, file=upload, file_name=display, uploaded_by=by)


def delete_evidence(evidence: TaskEvidence, by: User) -> None:
    ensure_in_progress(evidence.task.goal.plan)
    evidence.file.delete(save=False)
    evidence.delete()


@transaction.atomic
def save_analysis(
    analysis: DeficitAnalysis, by: User, revision: int | None = None
) -> DeficitAnalysis:
    """Save a deficit's self-analysis; closing or carrying it over needs the results. Refused
    (`ConflictError`) when somebody saved the analysis after `revision`."""
    ensure_in_progress(analysis.plan)
    for name in ("results", "successes", "problems", "use_of_successes", "solutions"):
        setattr(analysis, name, (getattr(analysis, name) or "").strip())
    if analysis.outcome != Outcome.OPEN and not analysis.results:
        raise ValidationError(
            {"results": _("Describe the results before closing or carrying over the deficit.")}
        )
    claim(analysis, revision, by)
    analysis.save()
    return analysis
