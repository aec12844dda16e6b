"""Who reaches which development plan, goal, task, evidence file and analysis.

Scope (404 outside it, so nobody learns that a plan exists):
- the person sees his or her own plans;
- a mentor or an expert sees the plans he or she is the assigned reviewer of;
- an official sees every plan.

Inside the scope, acting takes the right relationship to the plan (403 otherwise): the owner or
an official edits it and moves it along (OWNER), only the assigned reviewer approves it or
returns it (REVIEWER), and the owner, the reviewer and officials comment (PARTICIPANT). A
reviewer who is not (or no longer) assigned does not see the plan at all, so review actions
answer him or her 404.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Role

from .models import DeficitAnalysis, Plan, PlanGoal, PlanTask, TaskEvidence
from .plans import REVIEWER_ROLES

ANY_ROLE = tuple(Role.values)

VIEW = "view"
OWNER = "owner"  # the person, or an official
REVIEWER = "reviewer"  # the assigned reviewer only
PARTICIPANT = "participant"  # the person, the assigned reviewer or an official


def visible_plans(user) -> QuerySet[Plan]:
    """The plans `user` may see at all (see the module docstring)."""
    if not user.is_authenticated:
        return Plan.objects.none()
    if user.is_official:
        return Plan.objects.all()
    scope = Q(person=user)
    if user.has_role(*REVIEWER_ROLES):
        scope |= Q(reviewer=user)
    return Plan.objects.filter(scope)


def may_act(user, plan: Plan, acting_as: str) -> bool:
    """Whether `user` (who already sees `plan`) may act on it as `acting_as`."""
    is_owner = plan.person_id == user.pk
    is_reviewer = plan.reviewer_id == user.pk and user.has_role(*REVIEWER_ROLES)
    if acting_as == VIEW:
        return True
    if acting_as == OWNER:
        return is_owner or user.is_official
    if acting_as == REVIEWER:
        return is_reviewer
    if acting_as == PARTICIPANT:
        return is_owner or is_reviewer or user.is_official
    raise ValueError(acting_as)


def _check(user, plan: Plan, acting_as: str) -> None:
    if not may_act(user, plan, acting_as):
        raise PermissionDenied


_PLAN_RELATED = ("person", "period", "organization", "reviewer")


def fetch_plan(user, pk, *, acting_as: str = VIEW) -> Plan:
    """A plan in `user`'s scope (404 otherwise) that he or she may act on as `acting_as`
    (403 otherwise): VIEW, OWNER, REVIEWER or PARTICIPANT."""
    require_role(user, *ANY_ROLE)
    plan = get_object_or_404(visible_plans(user).select_related(*_PLAN_RELATED), pk=pk)
    _check(user, plan, acting_as)
    return plan


def _related(prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in _PLAN_RELATED]


def fetch_goal(user, pk, *, acting_as: str = OWNER) -> PlanGoal:
    require_role(user, *ANY_ROLE)
    goal = get_object_or_404(
        PlanGoal.objects.select_related(*_related("plan__")),
        pk=pk,
        plan__in=visible_plans(user),
    )
    _check(user, goal.plan, acting_as)
    return goal


def fetch_task(user, pk, *, acting_as: str = OWNER) -> PlanTask:
    require_role(user, *ANY_ROLE)
    task = get_object_or_404(
        PlanTask.objects.select_related(*_related("goal__plan__")),
        pk=pk,
        goal__plan__in=visible_plans(user),
    )
    _check(user, task.goal.plan, acting_as)
    return task


def fetch_evidence(user, pk, *, acting_as: str = VIEW) -> TaskEvidence:
    """A task's evidence file: whoever sees the plan downloads it; the owner removes it."""
    require_role(user, *ANY_ROLE)
    evidence = get_object_or_404(
        TaskEvidence.objects.select_related(*_related("task__goal__plan__")),
        pk=pk,
        task__goal__plan__in=visible_plans(user),
    )
    _check(user, evidence.task.goal.plan, acting_as)
    return evidence


def fetch_analysis(user, pk, *, acting_as: str = OWNER) -> DeficitAnalysis:
    require_role(user, *ANY_ROLE)
    analysis = get_object_or_404(
        DeficitAnalysis.objects.select_related("deficit__competency", *_related("plan__")),
        pk=pk,
        plan__in=visible_plans(user),
    )
    _check(user, analysis.plan, acting_as)
    return analysis
