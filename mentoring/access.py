"""Who reaches which internship, trainee, diary entry, map assignment and decision.

Scope (404 outside it, so nobody learns that an internship exists): `Internship.objects.
visible_to` — officials see every internship, a mentor his or her own, a trainee his or her
own, a head (principal) the internships of the organisation's staff. Inside an internship a
trainee's materials (notes, diary, matrix, final materials) are seen by the trainee, the
mentor, officials and the head of the trainee's organisation only: in a group internship one
trainee does not read another's diary, and a head does not read trainees from other schools.
A draft diary entry is the trainee's own until submitted.

Inside the scope, acting takes the right relationship (403 otherwise):
- MANAGE — the technological map, stages and closing: the mentor and officials;
- TRAINEE — notes on the host, the diary, decisions with self-ratings, report and project: the
  trainee himself or herself;
- MENTOR — comments on entries, mentor's ratings in the matrix, the final assessment and
  conclusion: the internship's mentor;
- VIEW — reading: everybody in scope (a head reads only).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Role

from .models import Assignment, Decision, DiaryEntry, Internship, Trainee

# The roles that ever reach internship pages: officials, mentors, and heads and reserve
# candidates (trainees, and heads following their staff). Experts and people without a role: 403.
INTERNSHIP_ROLES = (Role.OFFICIAL, Role.MENTOR, Role.PRINCIPAL, Role.CANDIDATE)

VIEW = "view"
MANAGE = "manage"
TRAINEE = "trainee"
MENTOR = "mentor"


def visible_trainees(user) -> QuerySet[Trainee]:
    """The trainees whose materials `user` may read (see the module docstring)."""
    if not user.is_authenticated:
        return Trainee.objects.none()
    if user.is_official:
        return Trainee.objects.all()
    headed = user.organizations_as(Role.PRINCIPAL)
    return Trainee.objects.filter(
        Q(internship__mentor=user) | Q(person=user) | Q(organization__in=headed)
    )


def may_manage(user, internship: Internship) -> bool:
    """The map, stages and closing: the internship's mentor or an official."""
    return user.is_official or internship.mentor_id == user.pk


def may_act(user, trainee: Trainee, acting_as: str) -> bool:
    """Whether `user` (who already sees `trainee`) may act on his or her materials."""
    if acting_as == VIEW:
        return True
    if acting_as == TRAINEE:
        return trainee.person_id == user.pk
    if acting_as == MENTOR:
        return trainee.internship.mentor_id == user.pk
    if acting_as == MANAGE:
        return may_manage(user, trainee.internship)
    raise ValueError(acting_as)


def _check(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


_INTERNSHIP_RELATED = ("base_site__organization", "mentor", "agreement")


def _related(prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in _INTERNSHIP_RELATED]


def fetch_internship(user, pk, *, edit: bool = False) -> Internship:
    """An internship in `user`'s scope (404 otherwise); with `edit`, only its mentor or an
    official (403 otherwise)."""
    require_role(user, *INTERNSHIP_ROLES)
    internship = get_object_or_404(
        Internship.objects.visible_to(user).select_related(*_INTERNSHIP_RELATED), pk=pk
    )
    _check(not edit or may_manage(user, internship))
    return internship


def fetch_trainee(user, pk, *, acting_as: str = VIEW) -> Trainee:
    """A trainee whose materials `user` reads (404 otherwise) and may act on as `acting_as`
    (403 otherwise): VIEW, TRAINEE, MENTOR or MANAGE."""
    require_role(user, *INTERNSHIP_ROLES)
    trainee = get_object_or_404(
        visible_trainees(user).select_related("person", "organization", *_related("internship__")),
        pk=pk,
    )
    _check(may_act(user, trainee, acting_as))
    return trainee


def fetch_entry(user, pk, *, acting_as: str = VIEW) -> DiaryEntry:
    """A diary entry: a draft is the trainee's only; a submitted one is read by whoever reads
    the trainee's materials."""
    require_role(user, *INTERNSHIP_ROLES)
    entry = get_object_or_404(
        DiaryEntry.objects.select_related(
            "trainee__person", "trainee__organization", *_related("trainee__internship__")
        ).filter(Q(is_draft=False) | Q(trainee__person=user)),
        pk=pk,
        trainee__in=visible_trainees(user),
    )
    _check(may_act(user, entry.trainee, acting_as))
    return entry


def fetch_assignment(user, pk, *, edit: bool = False) -> Assignment:
    """A line of the technological map: read by everybody who sees the internship, changed by
    its mentor or an official."""
    require_role(user, *INTERNSHIP_ROLES)
    assignment = get_object_or_404(
        Assignment.objects.select_related(*_related("internship__")),
        pk=pk,
        internship__in=Internship.objects.visible_to(user),
    )
    _check(not edit or may_manage(user, assignment.internship))
    return assignment


def fetch_decision(user, pk, *, acting_as: str = VIEW) -> Decision:
    """A row of the trainee's matrix of competencies and management decisions."""
    require_role(user, *INTERNSHIP_ROLES)
    decision = get_object_or_404(
        Decision.objects.select_related(
            "trainee__person", "trainee__organization", *_related("trainee__internship__")
        ),
        pk=pk,
        trainee__in=visible_trainees(user),
    )
    _check(may_act(user, decision.trainee, acting_as))
    return decision
