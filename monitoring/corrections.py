"""An official's correction of one stored value, refused when the value changed meanwhile.

A value's row is replaced, not updated, whenever it changes (`values.write_values`), so it has no
revision of its own; its history has. The correction form carries the id of the value's latest
`ValueChange` when it was opened (`value_revision`); the correction is stored only if that is
still the latest change, so an import or another official's correction made in between is never
silently overwritten — the official is told who changed the value and when.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.models import Organization, Period

from .models import Source, Value, ValueChange
from .values import ValueWrite, WriteSummary, consistency_errors, ensure_open, write_values


def _history(period: Period, organization: Organization, code: str):
    return ValueChange.objects.filter(period=period, organization=organization, input_code=code)


def value_revision(period: Period, organization: Organization, code: str) -> int:
    """The id of the value's latest change (0: it was never stored): the correction form's
    revision."""
    latest = _history(period, organization, code).order_by("-pk").values_list("pk", flat=True)
    return latest.first() or 0


@transaction.atomic
def correct_value(
    period: Period,
    organization: Organization,
    code: str,
    value: Decimal,
    *,
    reason: str,
    user,
    revision: int | None = None,
) -> WriteSummary:
    """Store an official's correction of one organisation value, with its reason.

    Refused with the broken rules when it breaks a consistency rule over the stored values (as
    an upload would be), and with a `ConflictError` when the value changed after `revision`.
    The organisation's row and the value's row are locked first, so that two corrections (or a
    correction and an import) of the same value cannot both pass the check.
    """
    ensure_open(period)
    list(Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk"))
    list(
        Value.objects.select_for_update()
        .filter(period=period, organization=organization, input_code=code)
        .values_list("pk")
    )
    if revision is not None:
        latest = _history(period, organization, code).order_by("-pk").first()
        if (latest.pk if latest else 0) != revision:
            raise ConflictError(
                who=latest.changed_by if latest else None,
                when=latest.changed_at if latest else None,
                me=user,
                deleted=latest is None,
            )
    if broken := consistency_errors(period, organization, {code: value}):
        raise ValidationError(broken)
    return write_values(
        period,
        [ValueWrite(organization.pk, code, value)],
        source=Source.OFFICIAL,
        user=user,
        reason=reason,
    )
