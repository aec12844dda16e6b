"""Who reaches which candidacy, training record and contest.

Scope (404 outside it, so nobody learns that a candidacy exists), `Candidacy.objects.visible_to`:
- an official sees every candidacy;
- a head sees the candidacies from the organisations he or she heads today;
- a person sees his or her own (a candidate sees only himself or herself).

Roles other than these (an expert, a mentor) never reach reserve pages: 403. Inside the scope,
only officials manage a candidacy (nominations of any organisation aside, which heads make for
their own staff): a head or a candidate asking to change one gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Role

from .models import Candidacy, Contest, Training

RESERVE_ROLES = (Role.OFFICIAL, Role.PRINCIPAL, Role.CANDIDATE)
_CANDIDACY_RELATED = (
    "person",
    "period",
    "organization",
    "target_organization",
    "appointed_organization",
    "nominated_by",
    "approved_by",
)


def visible_candidacies(user):
    """The candidacies `user` may see at all (see the module docstring)."""
    return Candidacy.objects.visible_to(user)


def _check(user, manage: bool) -> None:
    if manage and not user.is_official:
        raise PermissionDenied


def fetch_candidacy(user, pk, *, manage: bool = False) -> Candidacy:
    """A candidacy in `user`'s scope (404 otherwise); with `manage`, officials only (403)."""
    require_role(user, *RESERVE_ROLES)
    candidacy = get_object_or_404(
        visible_candidacies(user).select_related(*_CANDIDACY_RELATED), pk=pk
    )
    _check(user, manage)
    return candidacy


def _related(prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in _CANDIDACY_RELATED]


def fetch_training(user, pk, *, manage: bool = False) -> Training:
    """A training record (and its document) of a candidacy in scope; with `manage`, officials."""
    require_role(user, *RESERVE_ROLES)
    training = get_object_or_404(
        Training.objects.select_related(*_related("candidacy__")),
        pk=pk,
        candidacy__in=visible_candidacies(user),
    )
    _check(user, manage)
    return training


def fetch_contest(user, pk, *, manage: bool = False) -> Contest:
    """A contest record of a candidacy in scope; with `manage`, officials."""
    require_role(user, *RESERVE_ROLES)
    contest = get_object_or_404(
        Contest.objects.select_related(*_related("candidacy__")),
        pk=pk,
        candidacy__in=visible_candidacies(user),
    )
    _check(user, manage)
    return contest
