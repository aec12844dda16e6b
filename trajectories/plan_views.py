"""Pages of individual development plans (namespace `plans`, under `/plans/`).

Every view with an id fetches through `plan_access.py`: outside the person's scope → 404, in
scope but the wrong relationship to the plan → 403. The rules live in `plans.py`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import require_role
from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.files import serve
from zelenchuk_portal.models import Period, Role
from zelenchuk_portal.pdf import pdf_response

from . import plans as domain
from .models import Plan, PlanGoal, PlanTask
from .plan_access import (
    OWNER,
    PARTICIPANT,
    REVIEWER,
    fetch_analysis,
    fetch_evidence,
    fetch_goal,
    fetch_plan,
    fetch_task,
    may_act,
    visible_plans,
)
from .plan_forms import (
    AnalysisForm,
    CommentForm,
    FileForm,
    GoalForm,
    PlanFilterForm,
    PlanStartForm,
    PlanTaskForm,
    ReviewerForm,
    ReviewFilterForm,
    ReviewForm,
    StatusForm,
)

PAGE_SIZE = 50
Status = Plan.Status
_LIST_RELATED = ("person", "period", "organization", "reviewer")


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _detail(obj):
    plan = obj if isinstance(obj, Plan) else getattr(obj, "plan", None) or obj.goal.plan
    return redirect("plans:plan_detail", plan.pk)


def _refused(request, plan, check):
    """A redirect to the plan with the reason when `check` (a domain guard) refuses, else None."""
    try:
        check(plan)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return _detail(plan)
    return None


# --- Lists ---------------------------------------------------------------------------------------


def my_plan(request):
    """The signed-in head's or candidate's plan of the current period, and earlier ones."""
    require_role(request.user, *domain.OWNER_ROLES)
    period = Period.objects.current()
    plans = list(
        domain.with_completion(Plan.objects.filter(person=request.user))
        .select_related("period", "reviewer")
        .order_by("-period__start_date")
    )
    current = next((p for p in plans if period and p.period_id == period.pk), None)
    context = {
        "period": period,
        "plan": current,
        "plans": [p for p in plans if p is not current],
        "deficits": list(domain.confirmed_deficits(request.user, period)) if period else [],
        "can_start": period is not None and current is None and not period.is_closed,
    }
    return render(request, "plans/my_plan.html", context)


def plan_start(request):
    """Start a plan: heads and candidates for themselves, officials for anybody."""
    require_role(request.user, Role.OFFICIAL, *domain.OWNER_ROLES)
    choose = request.user.is_official
    initial = {"person": request.GET.get("person")} if choose else {}
    form = PlanStartForm(request.POST or None, initial=initial, choose_person=choose)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"] if choose else request.user
        try:
            plan = domain.start_plan(person, form.cleaned_data["period"], request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The plan is started."))
            return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/plan_start.html", {"form": form})


def plan_list(request):
    """Officials: the plans of a period with status and completion, filtered."""
    require_role(request.user, Role.OFFICIAL)
    data = request.GET.copy()
    current = Period.objects.current()
    if "period" not in data and current:
        data["period"] = str(current.pk)
    form = PlanFilterForm(data)
    plans = domain.with_overdue_count(domain.with_completion(form.filter(Plan.objects.all())))
    plans = plans.select_related(*_LIST_RELATED).order_by(
        "-period__start_date", "person__last_name", "person__first_name", "pk"
    )
    period = form.cleaned_data.get("period") if form.is_valid() else None
    context = {
        "form": form,
        "page": Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page")),
        "period": period,
        "summary": domain.plans_summary(period) if period else None,
    }
    return render(request, "plans/plan_list.html", context)


def review_list(request):
    """Mentors and experts: the plans they are the assigned reviewer of, those on review first."""
    require_role(request.user, Role.MENTOR, Role.EXPERT)
    form = ReviewFilterForm(request.GET or None)
    waiting_first = Case(
        When(status=Status.ON_REVIEW, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    plans = (
        domain.with_completion(form.filter(visible_plans(request.user)))
        .filter(reviewer=request.user)
        .select_related(*_LIST_RELATED)
        .order_by(waiting_first, "-period__start_date", "person__last_name", "pk")
    )
    context = {
        "form": form,
        "page": Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page")),
        "waiting": plans.filter(status=Status.ON_REVIEW).count(),
    }
    return render(request, "plans/review_list.html", context)


# --- The plan ------------------------------------------------------------------------------------


def plan_detail(request, pk):
    plan = fetch_plan(request.user, pk)
    is_owner = may_act(request.user, plan, OWNER)
    is_reviewer = may_act(request.user, plan, REVIEWER)
    transitions = [s for s in domain.allowed_transitions(plan.status) if s != Status.DRAFT]
    context = {
        "doc": domain.build_plan_document(plan),
        "plan": plan,
        "can_edit": is_owner and plan.status == Status.DRAFT,
        "can_execute": is_owner and plan.status == Status.APPROVED,
        "owner_transitions": transitions if is_owner and plan.status != Status.ON_REVIEW else [],
        "can_review": is_reviewer and plan.status == Status.ON_REVIEW,
        "reviewer_form": ReviewerForm(plan=plan)
        if is_owner and plan.status in (Status.DRAFT, Status.ON_REVIEW)
        else None,
        "can_comment": may_act(request.user, plan, PARTICIPANT),
        "comment_form": CommentForm(),
        "goal_form": GoalForm(),
        "file_form": FileForm(),
        "today": timezone.localdate(),
        "plan_open": plan.status in domain.OPEN_STATUSES,
    }
    return render(request, "plans/plan_detail.html", context)


def plan_pdf(request, pk):
    plan = fetch_plan(request.user, pk)
    return pdf_response(domain.render_plan_pdf(plan, request=request), domain.plan_filename(plan))


@require_POST
def plan_reviewer(request, pk):
    plan = fetch_plan(request.user, pk, acting_as=OWNER)
    form = ReviewerForm(request.POST, plan=plan)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a tutor, a mentor or an expert from the list."))
        domain.assign_reviewer(plan, form.cleaned_data["reviewer"], request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The reviewer is %s.") % plan.reviewer.short_name)
    return _detail(plan)


def _move(request, plan, form, status_field):
    data = form.cleaned_data
    try:
        if form.out_of_date:
            raise ConflictError.out_of_date()
        domain.change_status(
            plan, data[status_field], request.user, data.get("comment", ""), form.base_revision
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The plan is now «%s».") % plan.get_status_display())
    return _detail(plan)


@require_POST
def plan_status(request, pk):
    """The owner's (or an official's) moves: send for review, close as done or with carry-over."""
    plan = fetch_plan(request.user, pk, acting_as=OWNER)
    form = StatusForm(request.POST, record=plan)
    if not form.is_valid() and "status" not in form.cleaned_data:
        messages.error(request, _("Choose a status the plan can take."))
        return _detail(plan)
    return _move(request, plan, form, "status")


@require_POST
def plan_review(request, pk):
    """The assigned reviewer approves the plan or returns it for revision (with a comment)."""
    plan = fetch_plan(request.user, pk, acting_as=REVIEWER)
    form = ReviewForm(request.POST, record=plan)
    if not form.is_valid() and "decision" not in form.cleaned_data:
        messages.error(request, _("Approve the plan or return it for revision."))
        return _detail(plan)
    return _move(request, plan, form, "decision")


@require_POST
def plan_comment(request, pk):
    plan = fetch_plan(request.user, pk, acting_as=PARTICIPANT)
    form = CommentForm(request.POST)
    try:
        domain.add_comment(plan, request.user, form.data.get("text", ""))
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Comment added."))
    return _detail(plan)


@require_POST
def plan_sync(request, pk):
    """Bring into a draft the deficits the expert confirmed after the plan was started."""
    plan = fetch_plan(request.user, pk, acting_as=OWNER)
    try:
        added = domain.add_new_deficits(plan, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.info(request, _("Deficits added to the plan: %s.") % added)
    return _detail(plan)


# --- Section 1: goals; section 2: tasks ----------------------------------------------------------


@require_POST
def goal_add(request, pk):
    plan = fetch_plan(request.user, pk, acting_as=OWNER)
    try:
        domain.save_goal(PlanGoal(plan=plan, text=request.POST.get("text", "")), request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Goal added."))
    return _detail(plan)


def goal_edit(request, pk):
    goal = fetch_goal(request.user, pk)
    if refused := _refused(request, goal.plan, domain.ensure_editable):
        return refused
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_goal(form.instance, request.user, form.base_revision)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The goal is saved."))
            return _detail(goal)
    return render(request, "plans/goal_form.html", {"form": form, "goal": goal, "plan": goal.plan})


@require_POST
def goal_delete(request, pk):
    goal = fetch_goal(request.user, pk)
    try:
        domain.delete_goal(goal, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Goal removed."))
    return _detail(goal)


def task_create(request, pk):
    goal = fetch_goal(request.user, pk)
    return _task_form(request, goal, PlanTask(goal=goal))


def task_edit(request, pk):
    task = fetch_task(request.user, pk)
    return _task_form(request, task.goal, task)


def _task_form(request, goal, task):
    plan = goal.plan
    if refused := _refused(request, plan, domain.ensure_editable):
        return refused
    form = PlanTaskForm(request.POST or None, instance=task, period=plan.period)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_task(form.instance, request.user, form.base_revision)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The task is saved."))
            return _detail(plan)
    context = {"form": form, "task": task, "goal": goal, "plan": plan}
    return render(request, "plans/task_form.html", context)


@require_POST
def task_delete(request, pk):
    task = fetch_task(request.user, pk)
    try:
        domain.delete_task(task, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Task removed."))
    return _detail(task.goal)


@require_POST
def task_done(request, pk):
    task = fetch_task(request.user, pk)
    try:
        domain.set_task_done(task, request.POST.get("done") == "1", request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return _detail(task.goal)


@require_POST
def evidence_upload(request, pk):
    task = fetch_task(request.user, pk)
    form = FileForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a file to upload."))
        domain.attach_evidence(task, form.cleaned_data["file"], request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("File attached."))
    return _detail(task.goal)


def evidence_download(request, pk):
    evidence = fetch_evidence(request.user, pk)
    return serve(evidence.file, evidence.file_name)


@require_POST
def evidence_delete(request, pk):
    evidence = fetch_evidence(request.user, pk, acting_as=OWNER)
    try:
        domain.delete_evidence(evidence, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("File removed."))
    return _detail(evidence.task.goal)


# --- Section 3: analysis -------------------------------------------------------------------------


def analysis_edit(request, pk):
    analysis = fetch_analysis(request.user, pk)
    if refused := _refused(request, analysis.plan, domain.ensure_in_progress):
        return refused
    form = AnalysisForm(request.POST or None, instance=analysis)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_analysis(form.instance, request.user, form.base_revision)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The analysis is saved."))
            return _detail(analysis)
    label = domain.deficit_label(analysis.deficit, domain.block_names())
    context = {"form": form, "analysis": analysis, "plan": analysis.plan, "label": label}
    return render(request, "plans/analysis_form.html", context)
