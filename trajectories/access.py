"""Who reaches which self-assessment, item and deficit.

Scope (404 outside it, so nobody learns that an assessment exists):
- the author sees his or her own assessments, drafts included;
- an expert or a mentor sees those he or she is assigned to rate, once submitted;
- an official sees every submitted one (a draft stays private to its author).

"Submitted" means submitted at least once: an assessment returned for revision stays in view
of the expert and officials who follow it up.

Inside the scope, acting on an assessment takes the right relationship to it (403 otherwise):
the author edits, the assigned expert rates, the assigned expert or an official reviews (returns
it, decides deficits), an official assigns the expert.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Role

from .models import Assessment, AssessmentItem, Deficit

AUTHOR_ROLES = (Role.PRINCIPAL, Role.CANDIDATE)
EXPERT_ROLES = (Role.EXPERT, Role.MENTOR)
ANY_ROLE = tuple(Role.values)

VIEW = "view"
AUTHOR = "author"  # the person who assesses him- or herself
EXPERT = "expert"  # the assigned expert (or mentor)
REVIEWER = "reviewer"  # the assigned expert or an official
OFFICIAL = "official"


def visible_assessments(user) -> QuerySet[Assessment]:
    """The assessments `user` may see at all (see the module docstring)."""
    if not user.is_authenticated:
        return Assessment.objects.none()
    scope = Q(person=user)
    if user.has_role(*EXPERT_ROLES):
        scope |= Q(expert=user, submitted_at__isnull=False)
    if user.is_official:
        scope |= Q(submitted_at__isnull=False)
    return Assessment.objects.filter(scope)


def may_act(user, assessment: Assessment, acting_as: str) -> bool:
    """Whether `user` (who already sees `assessment`) may act on it as `acting_as`."""
    if acting_as == VIEW:
        return True
    if acting_as == AUTHOR:
        return assessment.person_id == user.pk
    is_expert = assessment.expert_id == user.pk and user.has_role(*EXPERT_ROLES)
    if acting_as == EXPERT:
        return is_expert
    if acting_as == REVIEWER:
        return is_expert or user.is_official
    if acting_as == OFFICIAL:
        return user.is_official
    raise ValueError(acting_as)


def _check(user, assessment: Assessment, acting_as: str) -> None:
    if not may_act(user, assessment, acting_as):
        raise PermissionDenied


def fetch_assessment(user, pk, *, acting_as: str = VIEW) -> Assessment:
    """An assessment in `user`'s scope (404 otherwise) that he or she may act on as `acting_as`
    (403 otherwise): VIEW, AUTHOR, EXPERT, REVIEWER or OFFICIAL."""
    require_role(user, *ANY_ROLE)
    assessment = get_object_or_404(
        visible_assessments(user).select_related("person", "period", "organization", "expert"),
        pk=pk,
    )
    _check(user, assessment, acting_as)
    return assessment


def fetch_item(user, pk, *, acting_as: str = VIEW) -> AssessmentItem:
    """An item (with its evidence) of an assessment in scope; AUTHOR to change it."""
    require_role(user, *ANY_ROLE)
    item = get_object_or_404(
        AssessmentItem.objects.select_related(
            "assessment__period", "assessment__person", "competency"
        ),
        pk=pk,
        assessment__in=visible_assessments(user),
    )
    _check(user, item.assessment, acting_as)
    return item


def fetch_deficit(user, pk, *, acting_as: str = REVIEWER) -> Deficit:
    """A deficit of an assessment in scope; deciding it takes the assigned expert or an
    official."""
    require_role(user, *ANY_ROLE)
    deficit = get_object_or_404(
        Deficit.objects.select_related("assessment__period", "competency"),
        pk=pk,
        assessment__in=visible_assessments(user),
    )
    _check(user, deficit.assessment, acting_as)
    return deficit
