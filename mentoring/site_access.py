"""Who reaches which base site and agreement.

Officials reach every base site and agreement and are the only ones who change them. A mentor
reads the base sites where he or she currently holds the mentor role, and their agreements;
any other site or agreement answers him or her 404, so nobody learns that it exists. Every other
role gets 403: these pages are not theirs.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Role

from .models import Agreement, BaseSite


def visible_sites(user) -> QuerySet[BaseSite]:
    """Officials: every base site; a mentor: the sites of the organisations where he or she
    holds the mentor role today."""
    if user.is_official:
        return BaseSite.objects.all()
    return BaseSite.objects.filter(organization__in=user.organizations_as(Role.MENTOR))


def fetch_site(user, pk, *, edit: bool = False) -> BaseSite:
    """A base site in `user`'s scope (404 otherwise); editing is for officials (403)."""
    require_role(user, *((Role.OFFICIAL,) if edit else (Role.OFFICIAL, Role.MENTOR)))
    return get_object_or_404(visible_sites(user).select_related("organization"), pk=pk)


def fetch_agreement(user, pk, *, edit: bool = False) -> Agreement:
    """An agreement of a base site in `user`'s scope (404 otherwise); editing is for officials."""
    require_role(user, *((Role.OFFICIAL,) if edit else (Role.OFFICIAL, Role.MENTOR)))
    agreements = Agreement.objects.select_related(
        "base_site__organization", "host_organization", "trainee_organization"
    )
    return get_object_or_404(agreements, pk=pk, base_site__in=visible_sites(user))
