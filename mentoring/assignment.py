"""Assigning trainees to a mentor: creating an internship and adding a trainee to it.

Everything is validated before anything is written (all problems at once, each keyed by the form
field at fault, in Russian):

- the mentor holds the mentor role in the base site's organisation, and the site is active;
- nobody is assigned to a mentor of his or her own organisation (the order's point is to learn
  from another organisation's practice);
- in-person, remote and individual internships have one trainee, a group internship two or more;
- the base site's capacity is not exceeded: trainees of its open internships whose dates overlap
  the new one's, plus the new ones, at most the capacity;
- an agreement, when given, belongs to the base site, has not expired and covers the dates.

Each trainee's `organization` is the person's current organisation (`trainee_organization`): it
decides which head follows the internship.

The checks and the writing run in one transaction that first locks the base site's row: two
officials assigning trainees to the same site at once are counted one after the other, so the
second cannot overfill the capacity the first has just filled.
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from trajectories.models import Competency
from zelenchuk_portal.audit import audited_bulk_create
from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.models import Membership, Organization, Role, User

from .models import Agreement, BaseSite, Form, Internship, Stage, Trainee
from .sites import trainees_during

SINGLE_TRAINEE_FORMS = (Form.IN_PERSON, Form.REMOTE, Form.INDIVIDUAL)


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def trainee_organization(person: User) -> Organization | None:
    """The person's current organisation: where he or she is head, else any organisation in
    which he or she holds a role today (the earliest recorded first)."""
    head_first = Case(
        When(role=Role.PRINCIPAL, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    membership = (
        Membership.objects.current()
        .filter(user=person, organization__isnull=False)
        .select_related("organization")
        .order_by(head_first, "pk")
        .first()
    )
    return membership.organization if membership else None


def _mentor_organizations(mentor: User) -> set[int]:
    """Every organisation the mentor works in today (the base site's included)."""
    return set(
        Membership.objects.current()
        .filter(user=mentor, organization__isnull=False)
        .values_list("organization_id", flat=True)
    )


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _check_site_and_mentor(errors: _Errors, base_site: BaseSite, mentor: User) -> set[int]:
    if not base_site.is_active:
        errors.add("base_site", _("The base site %(site)s is inactive.") % {"site": base_site})
    holds = (
        Membership.objects.current()
        .filter(user=mentor, role=Role.MENTOR, organization=base_site.organization_id)
        .exists()
    )
    if not holds:
        errors.add(
            "mentor",
            _("%(person)s does not hold the mentor role at %(site)s.")
            % {"person": mentor.short_name, "site": base_site},
        )
    return _mentor_organizations(mentor) | {base_site.organization_id}


def _check_trainees(
    errors: _Errors, trainees: list[User], own: set[int]
) -> dict[int, Organization]:
    """Each trainee's organisation, with errors for those without one or from the mentor's own."""
    found = {}
    for person in trainees:
        organization = trainee_organization(person)
        if organization is None:
            errors.add(
                "trainees",
                _("%(person)s: the registry has no current place of work.")
                % {"person": person.short_name},
            )
        elif organization.pk in own:
            errors.add(
                "trainees",
                _(
                    "%(person)s works in %(organization)s, the mentor's own organisation: "
                    "choose a mentor from another organisation."
                )
                % {"person": person.short_name, "organization": organization},
            )
        else:
            found[person.pk] = organization
    return found


def _check_count(errors: _Errors, form: str, count: int) -> None:
    if count == 0:
        errors.add("trainees", _("Choose the trainees."))
    elif form in SINGLE_TRAINEE_FORMS and count != 1:
        errors.add(
            "trainees",
            _("The form «%(form)s» takes one trainee; %(count)s are chosen.")
            % {"form": Form(form).label, "count": count},
        )
    elif form == Form.GROUP and count < 2:
        errors.add(
            "trainees",
            _("A group internship takes at least two trainees; only one is chosen."),
        )


def _check_capacity(
    errors: _Errors, base_site: BaseSite, start: date, end: date, count: int, exclude=None
) -> None:
    busy = trainees_during(base_site, start, end, exclude=exclude)
    if busy + count > base_site.capacity:
        errors.add(
            "base_site",
            _(
                "The capacity of %(site)s is %(capacity)s; for these dates %(busy)s places are "
                "taken and %(free)s free, while %(count)s trainees are chosen."
            )
            % {
                "site": base_site,
                "capacity": base_site.capacity,
                "busy": busy,
                "free": max(base_site.capacity - busy, 0),
                "count": count,
            },
        )


def _check_agreement(
    errors: _Errors, agreement: Agreement, base_site: BaseSite, start: date, end: date, today: date
) -> None:
    if agreement.base_site_id != base_site.pk:
        errors.add(
            "agreement",
            _("The agreement %(agreement)s belongs to another base site.")
            % {"agreement": agreement},
        )
    if agreement.is_expired(today):
        errors.add(
            "agreement",
            _("The agreement %(agreement)s expired on %(day)s.")
            % {"agreement": agreement, "day": _d(agreement.valid_until)},
        )
    elif agreement.valid_from > start or agreement.valid_until < end:
        errors.add(
            "agreement",
            _(
                "The agreement %(agreement)s is valid from %(start)s to %(end)s and does not "
                "cover the internship's dates."
            )
            % {
                "agreement": agreement,
                "start": _d(agreement.valid_from),
                "end": _d(agreement.valid_until),
            },
        )


def create_internship(
    *,
    theme: str,
    form: str,
    start_date: date,
    end_date: date,
    base_site: BaseSite,
    mentor: User,
    trainees: list[User],
    by: User,
    agreement: Agreement | None = None,
    competencies: Iterable[Competency] = (),
    today: date | None = None,
    revision: int | None = None,
) -> Internship:
    """Create an internship (stage «предварительный») with its trainees, after checking every
    rule of the module docstring; raises a ValidationError keyed by field and writes nothing
    when any fails. `revision` is the form's (0: a new record), the internship is stamped with
    who created it."""
    today = today or timezone.localdate()
    errors = _Errors()
    trainees = list(dict.fromkeys(trainees))  # the same person chosen twice counts once
    if not (theme or "").strip():
        errors.add("theme", _("Enter the theme of the internship."))
    if form not in Form.values:
        errors.add("form", _("Choose the form of the internship."))
    if start_date and end_date and end_date < start_date:
        errors.add(
            "end_date",
            _("The end of the internship (%(end)s) is before its start (%(start)s).")
            % {"end": _d(end_date), "start": _d(start_date)},
        )
    with transaction.atomic():
        _lock(base_site)
        own = _check_site_and_mentor(errors, base_site, mentor)
        organizations = _check_trainees(errors, trainees, own)
        _check_count(errors, form, len(trainees))
        if "end_date" not in errors:
            _check_capacity(errors, base_site, start_date, end_date, len(trainees))
            if agreement is not None:
                _check_agreement(errors, agreement, base_site, start_date, end_date, today)
        errors.raise_any()
        internship = Internship(
            theme=theme.strip(),
            form=form,
            start_date=start_date,
            end_date=end_date,
            base_site=base_site,
            mentor=mentor,
            agreement=agreement,
            created_by=by,
        )
        claim(internship, revision, by)
        internship.save()
        internship.competencies.set(list(competencies))
        audited_bulk_create(
            Trainee,
            (
                Trainee(internship=internship, person=p, organization=organizations[p.pk])
                for p in trainees
            ),
        )
    return internship


def _lock(site: BaseSite) -> None:
    """Wait for any other transaction assigning trainees to the site (the capacity check)."""
    BaseSite.objects.select_for_update().filter(pk=site.pk).values_list("pk").first()


def add_trainee(
    internship: Internship, person: User, *, by: User, today: date | None = None
) -> Trainee:
    """Add a trainee to an open internship, with the same checks as `create_internship`: the
    form's number of trainees, the mentor's own organisation, the site's capacity for the
    internship's dates and its agreement."""
    today = today or timezone.localdate()
    errors = _Errors()
    if internship.stage == Stage.COMPLETED:
        errors.add("trainees", _("The internship is completed: no trainee can be added."))
    present = list(internship.trainees.values_list("person_id", flat=True))
    if person.pk in present:
        errors.add(
            "trainees",
            _("%(person)s is a trainee of this internship already.")
            % {"person": person.short_name},
        )
    elif internship.form in SINGLE_TRAINEE_FORMS and present:
        errors.add(
            "trainees",
            _("The form «%(form)s» takes one trainee, and the internship has one already.")
            % {"form": internship.get_form_display()},
        )
    site = internship.base_site
    with transaction.atomic():
        _lock(site)
        own = _check_site_and_mentor(errors, site, internship.mentor)
        organizations = _check_trainees(errors, [person], own)
        _check_capacity(errors, site, internship.start_date, internship.end_date, 1)
        if internship.agreement_id:
            start, end = internship.start_date, internship.end_date
            _check_agreement(errors, internship.agreement, site, start, end, today)
        errors.raise_any()
        return Trainee.objects.create(
            internship=internship, person=person, organization=organizations[person.pk]
        )
