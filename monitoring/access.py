"""Monitoring's access helpers, on top of the registry's access layer."""

from django.shortcuts import get_object_or_404

from zelenchuk_portal.access import require_role
from zelenchuk_portal.models import Organization, Period, Role

from .models import Evidence, ImportRecord, MethodologyVersion, SelfReport


def fetch_period(user, pk) -> Period:
    """A period's monitoring page: officials only."""
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(Period, pk=pk)


def fetch_org_period(user, period_pk, org_pk) -> tuple[Period, Organization]:
    """An organisation's monitoring for a period: officials, and the head for his or her own."""
    require_role(user, Role.OFFICIAL, Role.PRINCIPAL)
    organization = get_object_or_404(Organization.objects.visible_to(user), pk=org_pk)
    return get_object_or_404(Period, pk=period_pk), organization


def fetch_import(user, pk) -> ImportRecord:
    require_role(user, Role.OFFICIAL)
    return get_object_or_404(ImportRecord.objects.select_related("period"), pk=pk)


def fetch_version(user, pk) -> MethodologyVersion:
    """The catalogue is public within the portal to those it scores and those who score."""
    require_role(user, Role.OFFICIAL, Role.PRINCIPAL)
    return get_object_or_404(MethodologyVersion, pk=pk)


def fetch_self_report(user, pk) -> SelfReport:
    require_role(user, Role.OFFICIAL, Role.PRINCIPAL)
    visible = Organization.objects.visible_to(user)
    return get_object_or_404(
        SelfReport.objects.select_related("period", "organization"),
        pk=pk,
        organization__in=visible,
    )


def fetch_evidence(user, pk) -> Evidence:
    require_role(user, Role.OFFICIAL, Role.PRINCIPAL)
    visible = Organization.objects.visible_to(user)
    return get_object_or_404(
        Evidence.objects.select_related("report"), pk=pk, report__organization__in=visible
    )
