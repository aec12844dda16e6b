"""The dossier's «Internships» section: internships of the organisation's staff (as trainees)
and, when the organisation is a base site, the internships it hosts.

Registered in monitoring's dossier by `MentoringConfig.ready()`. Only internships the reader
may see are listed (`Internship.objects.visible_to`), and only those whose dates overlap the
dossier's period when it has one. A fixed number of queries.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from trajectories.dossier import url_or_none

from .models import BaseSite, Internship, Stage, Trainee

INTERNSHIP_URL = ("mentoring:internship_detail",)


@dataclass
class Line:
    internship: Internship
    trainees: list[Trainee]
    url: str | None
    agreement_expired: bool

    @property
    def is_completed(self) -> bool:
        return self.internship.stage == Stage.COMPLETED


@dataclass
class Section:
    staff: list[Line] = field(default_factory=list)
    site: BaseSite | None = None
    site_url: str | None = None
    hosted: list[Line] = field(default_factory=list)


def _lines(internships, today: date, only_organization=None) -> list[Line]:
    lines = []
    for internship in internships:
        trainees = [
            t
            for t in internship.trainees.all()
            if only_organization is None or t.organization_id == only_organization
        ]
        agreement = internship.agreement
        lines.append(
            Line(
                internship=internship,
                trainees=trainees,
                url=url_or_none(INTERNSHIP_URL, internship.pk),
                agreement_expired=bool(agreement and agreement.is_expired(today)),
            )
        )
    return lines


def dossier_section(organization, period, user) -> Section | None:
    """The section's context, or None when the organisation neither sends nor hosts any
    internship the reader may see."""
    today = timezone.localdate()
    internships = Internship.objects.visible_to(user)
    if period is not None:
        internships = internships.filter(
            start_date__lte=period.end_date, end_date__gte=period.start_date
        )
    internships = internships.select_related(
        "mentor", "base_site__organization", "agreement"
    ).prefetch_related(
        Prefetch("trainees", Trainee.objects.select_related("person", "organization"))
    )
    staff = internships.filter(
        pk__in=Trainee.objects.filter(organization=organization).values("internship_id")
    ).order_by("-start_date", "pk")
    site = BaseSite.objects.filter(organization=organization).first()
    section = Section(staff=_lines(staff, today, only_organization=organization.pk), site=site)
    if site is not None:
        section.hosted = _lines(internships.filter(base_site=site).order_by("-start_date"), today)
        if user.is_official:
            section.site_url = reverse("mentoring:site_detail", args=[site.pk])
    if not section.staff and not section.hosted and site is None:
        return None
    return section
