"""The access layer: who may reach what.

Every view that takes an id fetches its object through one helper here (or in its app's own
`access.py` built on these). The rule everywhere: a role that never reaches this kind of page
gets 403; an object outside the person's scope gets 404, so nobody learns that it exists.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Job, Membership, Organization, Period, Role, User


def require_role(user, *roles: str) -> None:
    """403 unless the person holds one of `roles`."""
    if not user.has_role(*roles):
        raise PermissionDenied


def role_required(*roles: str):
    """View decorator: 403 unless the signed-in person holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


official_required = role_required(Role.OFFICIAL)


def fetch_organization(user, pk, *, edit: bool = False) -> Organization:
    """An organisation card: officials (all) and heads (their own)."""
    require_role(user, *((Role.OFFICIAL,) if edit else (Role.OFFICIAL, Role.PRINCIPAL)))
    return get_object_or_404(Organization.objects.visible_to(user), pk=pk)


def fetch_person(user, pk) -> User:
    """A person's record: district officials only (it holds personal data)."""
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(User, pk=pk)


def fetch_period(user, pk) -> Period:
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(Period, pk=pk)


def fetch_membership(user, pk) -> Membership:
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk)


def fetch_job(user, pk) -> Job:
    """A background job: the person who started it, and officials; anyone else gets 404."""
    return get_object_or_404(Job.objects.visible_to(user), pk=pk)
