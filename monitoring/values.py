"""Stored values: reading a period's values and writing new ones with provenance and history.

Every path that changes a value — an Excel import, an accepted self-report, an official's
correction — goes through `write_values`, so each change is recorded the same way: the new
value, where it came from, and the previous value in `ValueChange`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.bulk import bulk_insert
from zelenchuk_portal.models import Organization, Period

from .consistency import check_consistency_one
from .models import Source, Value, ValueChange

BATCH = 20_000
VALUE_COLUMNS = (
    "period_id",
    "organization_id",
    "input_code",
    "value",
    "source",
    "import_record_id",
    "sheet",
    "row",
    "entered_by_id",
    "accepted_by_id",
    "reason",
    "updated_at",
)
CHANGE_COLUMNS = (
    "period_id",
    "organization_id",
    "input_code",
    "old_value",
    "new_value",
    "source",
    "import_record_id",
    "sheet",
    "row",
    "changed_by_id",
    "reason",
    "changed_at",
)


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
    writes = list(writes)
    if not writes:
        return summary
    existing = {
        (org_id, code): (pk, value)
        for pk, org_id, code, value in Value.objects.filter(
            period=period, input_code__in={w.input_code for w in writes}
        ).values_list("pk", "organization_id", "input_code", "value")
    }
    # Adapted once, as text: formatting a datetime per row would cost more than the write.
    now = str(connection.ops.adapt_datetimefield_value(timezone.now()))
    period_id = period.pk
    import_id = import_record.pk if import_record else None
    user_id = user.pk if user else None
    accepted_id = accepted_by.pk if accepted_by else None
    # Rows are built and written a batch at a time, so a region's import never holds millions
    # of them in memory at once.
    for first in range(0, len(writes), BATCH):
        value_rows, change_rows, replaced = [], [], []
        for write in writes[first : first + BATCH]:
            new_value = as_decimal(write.value)
            pk, old_value = existing.get((write.organization_id, write.input_code), (None, None))
            if old_value == new_value:
                summary.unchanged += 1
                continue
            where = (write.organization_id, write.input_code)
            value_rows.append(
                (period_id, *where, new_value, source, import_id, write.sheet, write.row)
                + (user_id, accepted_id, reason, now)
            )
            change_rows.append(
                (period_id, *where, old_value, new_value, source, import_id)
                + (write.sheet, write.row, user_id, reason, now)
            )
            if pk is None:
                summary.new += 1
            else:
                summary.changed += 1
                replaced.append(pk)
        # A changed value is replaced by a new row: nothing refers to a value's id, and one bulk
        # insert is far cheaper than an UPDATE per value when a region re-imports its statistics.
        Value.objects.filter(pk__in=replaced).delete()
        bulk_insert(Value, VALUE_COLUMNS, value_rows)
        bulk_insert(ValueChange, CHANGE_COLUMNS, change_rows)
    return summary


def org_values(period: Period, organization: Organization) -> dict[str, Value]:
    """An organisation's stored values for a period, by input code."""
    return {
        v.input_code: v
        for v in Value.objects.filter(period=period, organization=organization).select_related(
            "import_record", "entered_by", "accepted_by"
        )
    }


def consistency_errors(period: Period, organization: Organization, new: dict) -> list[str]:
    """Rules that `new` ({code: number}) breaks over the organisation's stored values.

    Only rules that involve one of `new`'s codes count: a form must not be refused for stored
    numbers its author cannot change.
    """
    merged = {code: float(v.value) for code, v in org_values(period, organization).items()}
    merged.update({code: float(v) for code, v in new.items() if v is not None})
    return [
        message
        for left, right, message in check_consistency_one(merged)
        if {left, *right} & new.keys()
    ]


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
    "consistency_errors",
    "ensure_open",
    "org_values",
    "period_scope_values",
    "value_table",
    "write_values",
]
