"""Base sites («базовые площадки»): suggesting, designating, editing, deactivating, their load.

A base site's mentors are not stored on the site: they are the people holding the mentor role
in its organisation (the registry's `Membership`), so an appointment is recorded in one place.
Designating a site (or adding a mentor to it) grants the chosen people that role from today;
removing a mentor ends it.

Suggestions come from monitoring's own list of high-effectiveness organisations
(`monitoring.dashboard.high_effectiveness`: level «высокий», no risk flags, two periods running),
which is the dashboard's list too — the two never disagree.

Designating, editing and deactivating claim the site's revision (`concurrency.claim`): an edit
made on a page opened before somebody else's change is refused, and so is one opened before the
site was deactivated (it would have made the site active again).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from monitoring.dashboard import Filters, OrgRow, high_effectiveness
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.models import Membership, Organization, Period, Role, User

from .models import BaseSite, Internship, Stage, Trainee

# Stages of an internship that is still running (listed, not negated, so that the condition
# can filter an aggregate across a join).
OPEN_STAGES = (Stage.PRELIMINARY, Stage.MAIN, Stage.FINAL)


# --- Reading -------------------------------------------------------------------------------------


def latest_scored_period() -> Period | None:
    """The latest period with scores: an open period is often not scored yet, and the
    suggestion must rest on results that exist."""
    return Period.objects.filter(scores__isnull=False).order_by("-start_date").first()


def suggested_sites(period: Period | None = None) -> list[OrgRow]:
    """High-effectiveness organisations of the period (by default the latest scored one) that
    are not active base sites yet."""
    period = period or latest_scored_period()
    if period is None:
        return []
    active = set(BaseSite.objects.filter(is_active=True).values_list("organization_id", flat=True))
    return [
        row for row in high_effectiveness(period, Filters()) if row.organization_id not in active
    ]


def mentor_memberships(day: date | None = None) -> QuerySet[Membership]:
    """Mentor roles in force on `day` (today by default)."""
    return Membership.objects.current(day).filter(role=Role.MENTOR, organization__isnull=False)


def with_load(sites: QuerySet[BaseSite]) -> QuerySet[BaseSite]:
    """Sites with `load` (trainees of their open internships), `internship_count` and their
    current mentors prefetched on the organisation as `mentor_rows` — a fixed number of
    queries for any number of sites."""
    mentors = mentor_memberships().select_related("user").order_by("user__last_name", "pk")
    return (
        sites.select_related("organization")
        .annotate(
            load=Count(
                "internships__trainees",
                filter=Q(internships__stage__in=OPEN_STAGES),
                distinct=True,
            ),
            internship_count=Count("internships", distinct=True),
        )
        .prefetch_related(Prefetch("organization__memberships", mentors, to_attr="mentor_rows"))
    )


def open_internships() -> QuerySet[Internship]:
    return Internship.objects.filter(stage__in=OPEN_STAGES)


def site_mentors(site: BaseSite) -> list[User]:
    """The people holding the mentor role in the site's organisation today."""
    rows = mentor_memberships().filter(organization=site.organization_id).select_related("user")
    return [m.user for m in rows.order_by("user__last_name", "user__first_name", "pk")]


def site_load(site: BaseSite) -> int:
    """Trainees of the site's open internships (what its capacity is measured against)."""
    return Trainee.objects.filter(
        internship__base_site=site, internship__in=open_internships()
    ).count()


def trainees_during(site: BaseSite, start: date, end: date, *, exclude=None) -> int:
    """Trainees of the site's open internships whose dates overlap [start, end]."""
    trainees = Trainee.objects.filter(
        internship__base_site=site,
        internship__in=open_internships(),
        internship__start_date__lte=end,
        internship__end_date__gte=start,
    )
    if exclude is not None:
        trainees = trainees.exclude(internship=exclude)
    return trainees.count()


def staff(organization: Organization) -> QuerySet[User]:
    """People working in the organisation today: anyone with a current role there."""
    working = Membership.objects.current().filter(organization=organization)
    return User.objects.filter(is_active=True, pk__in=working.values("user_id")).order_by(
        "last_name", "first_name", "patronymic"
    )


@dataclass
class SiteCard:
    site: BaseSite
    mentors: list[User]
    load: int

    @property
    def free(self) -> int:
        return max(self.site.capacity - self.load, 0)


def site_card(site: BaseSite) -> SiteCard:
    return SiteCard(site, site_mentors(site), site_load(site))


# --- Writing -------------------------------------------------------------------------------------


@dataclass
class SiteData:
    """What an official fills in when designating or editing a site."""

    designated_on: date
    order: str
    themes: str
    capacity: int
    mentors: list[User]
    note: str = ""


def _errors(site: BaseSite | None, organization: Organization, data: SiteData) -> dict:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not organization.is_active:
        add("organization", _("The organisation %(name)s is closed.") % {"name": organization})
    elif (
        site is None and BaseSite.objects.filter(organization=organization, is_active=True).exists()
    ):
        add("organization", _("%(name)s is a base site already.") % {"name": organization})
    if not data.themes.strip():
        add("themes", _("Name at least one theme the site can host."))
    if data.capacity is None or data.capacity < 1:
        add("capacity", _("The capacity must be at least one trainee."))
    elif site is not None and data.capacity < site_load(site):
        load = site_load(site)
        add(
            "capacity",
            ngettext(
                "The site already hosts %(load)s trainee in open internships: the capacity "
                "cannot be smaller.",
                "The site already hosts %(load)s trainees in open internships: the capacity "
                "cannot be smaller.",
                load,
            )
            % {"load": load},
        )
    if not data.mentors:
        add("mentors", _("Choose at least one mentor."))
    working = set(staff(organization).values_list("pk", flat=True))
    for person in data.mentors:
        if person.pk not in working:
            add(
                "mentors",
                _("%(person)s does not work in %(name)s.")
                % {"person": person.short_name, "name": organization},
            )
    return errors


def _removal_errors(site: BaseSite, removed: list[User]) -> list[str]:
    busy = set(
        open_internships()
        .filter(base_site=site, mentor__in=removed)
        .values_list("mentor_id", flat=True)
    )
    return [
        _("%(person)s mentors open internships at this site and cannot be removed.")
        % {"person": person.short_name}
        for person in removed
        if person.pk in busy
    ]


def grant_mentor_role(person: User, organization: Organization, today: date) -> Membership | None:
    """Give `person` the mentor role in `organization` from `today`, unless he or she holds it
    (or is already appointed to it from a later day)."""
    open_roles = Membership.objects.filter(
        user=person, role=Role.MENTOR, organization=organization
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    if open_roles.exists():
        return None
    return Membership.objects.create(
        user=person, role=Role.MENTOR, organization=organization, start_date=today
    )


def end_mentor_role(person: User, organization: Organization, today: date) -> None:
    """End the person's mentor role in the organisation so that he or she no longer holds it
    today. A role granted today (or for a later day) is simply withdrawn: a role held for no
    day at all is a mistake, not history."""
    for membership in Membership.objects.filter(
        user=person, role=Role.MENTOR, organization=organization
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today)):
        if membership.start_date and membership.start_date >= today:
            membership.delete()
        else:
            membership.end_date = today - timedelta(days=1)
            membership.save(update_fields=["end_date"])


def _store(site: BaseSite, data: SiteData) -> None:
    site.designated_on = data.designated_on
    site.order = data.order.strip()
    site.themes = "\n".join(line.strip() for line in data.themes.splitlines() if line.strip())
    site.capacity = data.capacity
    site.note = data.note.strip()
    site.is_active = True
    site.save()


def designate_site(
    organization: Organization,
    data: SiteData,
    *,
    by: User,
    today: date | None = None,
    revision: int | None = None,
) -> BaseSite:
    """Designate the organisation a base site and grant the chosen people the mentor role there
    from today. A site deactivated earlier is designated anew (its history of internships and
    agreements is kept); `revision` is that site's revision the form was opened on (0 when there
    was none). Validates everything first; writes nothing on error."""
    today = today or timezone.localdate()
    errors = _errors(None, organization, data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        site = BaseSite.objects.filter(organization=organization).first() or BaseSite(
            organization=organization
        )
        claim(site, revision, by)
        _store(site, data)
        for person in data.mentors:
            grant_mentor_role(person, organization, today)
    return site


def update_site(
    site: BaseSite,
    data: SiteData,
    *,
    by: User,
    today: date | None = None,
    revision: int | None = None,
) -> BaseSite:
    """Change a site's details and mentors: new mentors get the role from today, removed ones
    lose it (refused while they mentor open internships here). Refused (`ConflictError`) when
    the site changed after `revision`, the revision of the page the change was made on."""
    today = today or timezone.localdate()
    errors = _errors(site, site.organization, data)
    current = site_mentors(site)
    chosen = {person.pk for person in data.mentors}
    removed = [person for person in current if person.pk not in chosen]
    busy = _removal_errors(site, removed)
    if busy:
        errors.setdefault("mentors", []).extend(busy)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim(site, revision, by)
        _store(site, data)
        for person in data.mentors:
            grant_mentor_role(person, site.organization, today)
        for person in removed:
            end_mentor_role(person, site.organization, today)
    return site


def deactivate_site(site: BaseSite, *, by: User) -> None:
    """Stop using the site for new internships; refused while it hosts open ones. Its mentors
    keep their role (they remain successful heads); matching skips inactive sites."""
    if not site.is_active:
        raise ValidationError(_("The base site is inactive already."))
    hosting = open_internships().filter(base_site=site).count()
    if hosting:
        raise ValidationError(
            ngettext(
                "The site hosts %(count)s open internship: complete it first.",
                "The site hosts %(count)s open internships: complete them first.",
                hosting,
            )
            % {"count": hosting}
        )
    with transaction.atomic():
        claim(site, None, by)  # an edit page opened before must not make the site active again
        site.is_active = False
        site.save(update_fields=["is_active"])
