"""Methodology versions: create them from a catalogue, derive edited copies, assign periods."""

from dataclasses import replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zelenchuk_portal.models import Period

from .catalogue import Catalogue, default_catalogue, indicator_rows, input_rows
from .formulas import validate_catalogue
from .models import Indicator, InputField, MethodologyVersion, PeriodMethodology

DEFAULT_VERSION_NAME = "Методика мониторинга (приказ № 110 от 16.07.2021)"  # as in migration 0002


@transaction.atomic
def create_version(
    catalogue: Catalogue, name: str, *, based_on=None, comment="", user=None
) -> MethodologyVersion:
    """Store a catalogue as a new version, after checking every formula, reference and min_n."""
    errors = validate_catalogue(catalogue)
    if errors:
        raise ValidationError(errors)
    version = MethodologyVersion.objects.create(
        name=name,
        based_on=based_on,
        comment=comment,
        weight_a=catalogue.weight_a,
        weight_b=catalogue.weight_b,
        cutoff_high=catalogue.cutoffs["high"],
        cutoff_optimal=catalogue.cutoffs["optimal"],
        cutoff_acceptable=catalogue.cutoffs["acceptable"],
        created_by=user,
    )
    InputField.objects.bulk_create(
        InputField(version=version, **row) for row in input_rows(catalogue)
    )
    Indicator.objects.bulk_create(
        Indicator(version=version, **row) for row in indicator_rows(catalogue)
    )
    return version


def default_version() -> MethodologyVersion:
    """The district's published methodology (created by the first migration)."""
    version = MethodologyVersion.objects.filter(based_on=None).order_by("created_at").first()
    return version or create_version(default_catalogue(), DEFAULT_VERSION_NAME)


def version_for(period: Period) -> MethodologyVersion:
    """The version a period is scored with; a new period starts on the latest version."""
    link = PeriodMethodology.objects.filter(period=period).select_related("version").first()
    if link:
        return link.version
    latest = MethodologyVersion.objects.order_by("-created_at", "-id").first() or default_version()
    PeriodMethodology.objects.create(period=period, version=latest)
    return latest


def derive_version(
    period: Period,
    *,
    params: dict[str, str],
    weight_a: float,
    weight_b: float,
    cutoffs: dict[str, float],
    comment: str,
    user,
) -> MethodologyVersion:
    """An official's edit of thresholds, weights or cut-offs: a new version for an open period.

    The period's old version stays untouched, so other periods that use it keep their scores.
    """
    if period.is_closed:
        raise ValidationError(_("The period is closed: its methodology cannot change."))
    current = version_for(period)
    base = current.catalogue
    indicators = tuple(
        replace(i, params=params.get(i.code, i.params).strip()) for i in base.indicators
    )
    edited = Catalogue(
        inputs=base.inputs,
        indicators=indicators,
        weight_a=weight_a,
        weight_b=weight_b,
        cutoffs=cutoffs,
    )
    count = MethodologyVersion.objects.count() + 1
    name = _("%(base)s — edition %(n)s for %(period)s") % {
        "base": DEFAULT_VERSION_NAME,
        "n": count,
        "period": period,
    }
    with transaction.atomic():
        version = create_version(edited, name, based_on=current, comment=comment, user=user)
        PeriodMethodology.objects.update_or_create(period=period, defaults={"version": version})
    return version
