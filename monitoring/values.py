"""Stored values: reading a period's values and writing new ones with provenance and history.

Every path that changes a value — an Excel import, an accepted self-report, an official's
correction — goes through `write_values`, so each change is recorded the same way: the new
value, where it came from, and the previous value in `ValueChange`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zelenchuk_portal.models import Organization, Period

from .models import Source, Value, ValueChange

BATCH = 5000


class PeriodClosedError(ValidationError):
    def __init__(self, period):
        super().__init__(
            _(
                "Period %s is closed: its data and scores are read-only. "
                "Reopen it first (with a reason)."
            )
            % period
        )


def ensure_open(period: Period) -> None:
    if period.is_closed:
        raise PeriodClosedError(period)


@dataclass(frozen=True)
class ValueWrite:
    """One value to store. `organization_id` is None for a period-scope input."""

    organization_id: int | None
    input_code: str
    value: Decimal
    sheet: str = ""
    row: int | None = None


@dataclass
class WriteSummary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.new + self.changed


def as_decimal(number) -> Decimal:
    """Values are stored with 4 decimals; normalise so that 78.5 and 78.50 compare equal."""
    return Decimal(str(number)).quantize(Decimal("0.0001"))


@transaction.atomic
def write_values(
    period: Period,
    writes: list[ValueWrite],
    *,
    source: str,
    user=None,
    import_record=None,
    accepted_by=None,
    reason: str = "",
) -> WriteSummary:
    """Store values, keeping provenance and the previous value of everything that changed.

    Writing a value equal to the stored one changes nothing (no new history either), so
    importing the same file twice is harmless.
    """
    ensure_open(period)
    summary = WriteSummary()
    if not writes:
        return summary
    codes = {w.input_code for w in writes}
    existing = {
        (v.organization_id, v.input_code): v
        for v in Value.objects.filter(period=period, input_code__in=codes)
    }
    provenance = {
        "source": source,
        "import_record": import_record,
        "entered_by": user,
        "accepted_by": accepted_by,
        "reason": reason,
    }
    to_create, to_update, changes = [], [], []
    for write in writes:
        new_value = as_decimal(write.value)
        stored = existing.get((write.organization_id, write.input_code))
        if stored is not None and stored.value == new_value:
            summary.unchanged += 1
            continue
        changes.append(
            ValueChange(
                period=period,
                organization_id=write.organization_id,
                input_code=write.input_code,
                old_value=stored.value if stored else None,
                new_value=new_value,
                source=source,
                import_record=import_record,
                sheet=write.sheet,
                row=write.row,
                changed_by=user,
                reason=reason,
            )
        )
        if stored is None:
            summary.new += 1
            to_create.append(
                Value(
                    period=period,
                    organization_id=write.organization_id,
                    input_code=write.input_code,
                    value=new_value,
                    sheet=write.sheet,
                    row=write.row,
                    **provenance,
                )
            )
        else:
            summary.changed += 1
            stored.value = new_value
            stored.sheet, stored.row = write.sheet, write.row
            for field, value in provenance.items():
                setattr(stored, field, value)
            to_update.append(stored)
    Value.objects.bulk_create(to_create, batch_size=BATCH)
    Value.objects.bulk_update(
        to_update,
        ["value", "sheet", "row", "updated_at", *provenance],
        batch_size=BATCH,
    )
    ValueChange.objects.bulk_create(changes, batch_size=BATCH)
    return summary


def org_values(period: Period, organization: Organization) -> dict[str, Value]:
    """An organisation's stored values for a period, by input code."""
    return {
        v.input_code: v
        for v in Value.objects.filter(period=period, organization=organization).select_related(
            "import_record", "entered_by", "accepted_by"
        )
    }


def period_scope_values(period: Period) -> dict[str, float]:
    rows = Value.objects.filter(period=period, organization__isnull=True)
    return {v.input_code: float(v.value) for v in rows}


def value_table(period: Period) -> dict[tuple[str, str], float]:
    """All organisation values of a period as {(org code, input code): value} (one query)."""
    rows = Value.objects.filter(period=period, organization__isnull=False).values_list(
        "organization__code", "input_code", "value"
    )
    return {(code, input_code): float(value) for code, input_code, value in rows}


__all__ = [
    "PeriodClosedError",
    "Source",
    "ValueWrite",
    "WriteSummary",
    "ensure_open",
    "org_values",
    "period_scope_values",
    "value_table",
    "write_values",
]
