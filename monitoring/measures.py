"""Measures and events of the district for heads (step 7 of the management cycle).

Seminars, courses, «педагогические десанты» and the like, with their participants and materials.
Officials record them; a head sees those his or her organisation or he or she took part in.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import check_upload, random_name, safe_name
from zelenchuk_portal.models import Organization

from .models import Measure, MeasureMaterial


def measures_visible_to(user) -> QuerySet:
    """Officials see every measure; a head those of his or her organisation or with him or her.

    Written with subqueries rather than joins, so that lists can annotate counts without
    duplicated rows.
    """
    if not user.is_authenticated:
        return Measure.objects.none()
    if user.is_official:
        return Measure.objects.all()
    own = Organization.objects.visible_to(user)
    by_org = Measure.organizations.through.objects.filter(organization__in=own)
    by_person = Measure.people.through.objects.filter(user=user)
    return Measure.objects.filter(
        Q(pk__in=by_org.values("measure_id")) | Q(pk__in=by_person.values("measure_id"))
    )


def measures_for(organization, period=None) -> QuerySet:
    """The measures an organisation took part in (for its dossier), newest first."""
    links = Measure.organizations.through.objects.filter(organization=organization)
    measures = Measure.objects.filter(pk__in=links.values("measure_id"))
    if period is not None:
        measures = measures.filter(period=period)
    return measures.order_by("-starts_on", "-id")


def period_measures(period) -> QuerySet:
    """A period's measures with participant counts (for the analytical report), oldest first."""
    return (
        Measure.objects.filter(period=period)
        .annotate(
            organization_count=Count("organizations", distinct=True),
            person_count=Count("people", distinct=True),
        )
        .order_by("starts_on", "id")
    )


def measure_errors(measure: Measure) -> dict[str, list[str]]:
    """What is wrong with a measure's own fields, by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    if measure.starts_on and measure.ends_on and measure.ends_on < measure.starts_on:
        errors["ends_on"] = [
            _("The end date (%(end)s) cannot be before the start date (%(start)s).")
            % {"end": f"{measure.ends_on:%d.%m.%Y}", "start": f"{measure.starts_on:%d.%m.%Y}"}
        ]
    return errors


@transaction.atomic
def save_measure(
    measure: Measure, *, organizations, people, user, revision: int | None = None
) -> Measure:
    """Record a new measure or save an edited one, with its participants; an edit made on a
    page opened before somebody else saved the measure (`revision`) is refused."""
    errors = measure_errors(measure)
    if errors:
        raise ValidationError(errors)
    claim(measure, revision, user)
    if measure.pk is None:
        measure.created_by = user
    measure.save()
    measure.organizations.set(organizations)
    measure.people.set(people)
    return measure


def attach_material(measure: Measure, upload, user) -> MeasureMaterial:
    """Store a material of a measure (programme, presentation, list of participants…).

    The file is checked by its content and kept under a random storage name; it is handed back
    only through an access-checked view.
    """
    kind = check_upload(upload)
    display, upload.name = safe_name(upload.name, kind), random_name(kind)
    return MeasureMaterial.objects.create(
        measure=measure, file=upload, file_name=display, uploaded_by=user
    )
