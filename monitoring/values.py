"""Stored values: reading a period's values and writing new ones with provenance and history.

Every path that changes a value — an Excel import, an accepted self-report, an official's
correction — goes through `write_values`, so each change is recorded the same way: the new
value, where it came from, and the previous value in `ValueChange`.
"""

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.bulk import bulk_load, copy_out
from zelenchuk_portal.models import Organization, Period

from .consistency import check_consistency_one
from .models import Source, Value, ValueChange

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
# The writes are loaded into a temporary table and compared with the stored values in SQL (see
# `write_values`).
STAGING = "monitoring_value_staging"
DIFF = "monitoring_value_diff"
STAGING_COLUMNS = ("organization_id", "input_code", "value", "sheet", "row")


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


class ValueWrite(NamedTuple):
    """One value to store. `organization_id` is None for a period-scope input.

    A named tuple rather than a dataclass: an import of a region makes millions of them.
    """

    organization_id: int | None
    input_code: str
    value: Decimal | float | int
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


_FLOAT_REPR = float.__repr__


def number_text(number) -> str:
    """A value as the text the database stores, rounded to 4 decimals as `as_decimal` rounds.

    A float with at most 4 decimals (nearly every value of an import) is written as it is, which
    is much cheaper than building a Decimal; anything else goes through `as_decimal`, so that a
    tie in the fifth decimal is rounded the same way whatever the database.
    """
    if isinstance(number, float):
        text = _FLOAT_REPR(number)
        point = text.find(".")
        if point >= 0 and len(text) - point <= 5 and "e" not in text:
            return text
    elif isinstance(number, int) and not isinstance(number, bool):
        return str(number)
    return str(as_decimal(number))


@transaction.atomic
def write_values(
    period: Period,
    writes: Iterable[ValueWrite],
    *,
    source: str,
    user=None,
    import_record=None,
    accepted_by=None,
    reason: str = "",
) -> WriteSummary:
    """Store values, keeping provenance and the previous value of everything that changed.

    Writing a value equal to the stored one changes nothing (no new history either), so
    importing the same file twice is harmless. `writes` may be a generator: a region's import
    streams its 1.8 million values through here without holding them all.

    The writes are loaded into a temporary table (PostgreSQL COPY; executemany elsewhere) and
    compared with the stored values by one join in the database; the history rows and the new
    rows are then written by `INSERT … SELECT`, so no value travels to Python and back. A changed
    value's row is replaced by a new one: nothing refers to a value's id, and one bulk insert is
    far cheaper than an UPDATE per value when a region re-imports its statistics.
    """
    ensure_open(period)
    table, changes = Value._meta.db_table, ValueChange._meta.db_table
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    import_id = import_record.pk if import_record else None
    user_id = user.pk if user else None
    accepted_id = accepted_by.pk if accepted_by else None
    with connection.cursor() as cursor:
        for name in (STAGING, DIFF):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (organization_id bigint, input_code varchar(60), "
            f"value numeric(16, 4), sheet varchar(60), {quote('row')} integer)"
        )
        total = bulk_load(
            STAGING,
            STAGING_COLUMNS,
            ((w[0], w[1], number_text(w[2]), w[3], w[4]) for w in writes),
            blank_is_null=True,  # a blank sheet arrives as NULL: read back through COALESCE
        )
        if not total:
            cursor.execute(f"DROP TABLE {STAGING}")
            return WriteSummary()
        if Value.objects.filter(period=period).exists():
            changed = _diff(cursor, period)
            cursor.execute(f"SELECT COUNT(*), COUNT(old_id) FROM {DIFF}")
            written, replaced = cursor.fetchone()
        else:
            # A period's first import: every write is new, so the join and its copy of the
            # writes are skipped (a fifth of the time of a region's first import).
            changed = (
                "(SELECT organization_id, input_code, value, COALESCE(sheet, '') AS sheet, "
                f"{quote('row')}, CAST(NULL AS numeric) AS old_value FROM {STAGING}) fresh"
            )
            written, replaced = total, 0
        if written:
            cursor.execute(
                f"INSERT INTO {changes} ({', '.join(map(quote, CHANGE_COLUMNS))}) "
                "SELECT %s, organization_id, input_code, old_value, value, %s, %s, sheet, "
                f"{quote('row')}, %s, %s, %s FROM {changed}",
                [period.pk, source, import_id, user_id, reason, now],
            )
            if replaced:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN "
                    f"(SELECT old_id FROM {DIFF} WHERE old_id IS NOT NULL)"
                )
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(map(quote, VALUE_COLUMNS))}) "
                "SELECT %s, organization_id, input_code, value, %s, %s, sheet, "
                f"{quote('row')}, %s, %s, %s, %s FROM {changed}",
                [period.pk, source, import_id, user_id, accepted_id, reason, now],
            )
        for name in (STAGING, DIFF):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return WriteSummary(new=written - replaced, changed=replaced, unchanged=total - written)


def _diff(cursor, period: Period) -> str:
    """Fill the temporary table DIFF with the staged writes that change something, each with the
    stored row it replaces (if any); return its name."""
    quote = connection.ops.quote_name
    table = Value._meta.db_table
    # A temporary table has no statistics unless asked: without them PostgreSQL may choose a
    # nested loop over millions of rows.
    analyze = connection.vendor == "postgresql"
    if analyze:
        cursor.execute(f"ANALYZE {STAGING}")
    # Values of organisations and of the period are matched apart, so that each uses its index.
    picked = (
        "s.organization_id, s.input_code, s.value, COALESCE(s.sheet, '') AS sheet, "
        f"s.{quote('row')}, v.id AS old_id, v.value AS old_value"
    )
    changed = "(v.id IS NULL OR v.value <> s.value)"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DIFF} AS "
        f"SELECT {picked} FROM {STAGING} s LEFT JOIN {table} v ON v.period_id = %s "
        "AND v.organization_id IS NOT NULL AND v.organization_id = s.organization_id "
        f"AND v.input_code = s.input_code WHERE s.organization_id IS NOT NULL AND {changed} "
        f"UNION ALL SELECT {picked} FROM {STAGING} s LEFT JOIN {table} v ON v.period_id = %s "
        "AND v.organization_id IS NULL AND v.input_code = s.input_code "
        f"WHERE s.organization_id IS NULL AND {changed}",
        [period.pk, period.pk],
    )
    if analyze:
        cursor.execute(f"ANALYZE {DIFF}")
    return DIFF


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


class ValueTable(Mapping):
    """A period's organisation values as {(org code, input code): value}, kept per organisation.

    A dict keyed by pairs costs about 170 bytes a value: 300 MB for a region's 1.8 million. One
    small dict per organisation holds the same for about a third of that, and
    `workbook.build_template` reads it cell by cell with `get` all the same.
    """

    def __init__(self, rows: dict[str, dict[str, float]]):
        self._rows = rows

    def __getitem__(self, key):
        return self._rows[key[0]][key[1]]

    def get(self, key, default=None):
        found = self._rows.get(key[0])
        return default if found is None else found.get(key[1], default)

    def __iter__(self):
        for org_code, found in self._rows.items():
            for input_code in found:
                yield org_code, input_code

    def __len__(self) -> int:
        return sum(len(found) for found in self._rows.values())

    def __bool__(self) -> bool:
        return bool(self._rows)


def value_table(period: Period) -> ValueTable:
    """All organisation values of a period as {(org code, input code): value} (one query,
    streamed through COPY on PostgreSQL)."""
    rows = Value.objects.filter(period=period, organization__isnull=False).values_list(
        "organization__code", "input_code", "value"
    )
    text = copy_out(rows)
    found: dict[str, dict[str, float]] = {}
    for code, input_code, value in csv.reader(text) if text is not None else rows.iterator():
        found.setdefault(code, {})[input_code] = float(value)
    return ValueTable(found)


__all__ = [
    "PeriodClosedError",
    "Source",
    "ValueTable",
    "ValueWrite",
    "WriteSummary",
    "consistency_errors",
    "ensure_open",
    "org_values",
    "period_scope_values",
    "value_table",
    "write_values",
]
