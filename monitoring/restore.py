"""Restoring a period from its full export into a database that lacks the records behind the
portal's own figures.

The inputs `provided_by == "derived"` (the head's self-assessment index, deficits identified and
closed, the reserve counts, the internet norm) are computed at scoring time from trajectories,
the reserve and the registry (`providers.py`). A database rebuilt from the export alone has none
of those records, so the full export (`exports.template_bytes(with_derived=True)`) carries them
on the sheet «Расчётные значения», and `restore_derived` stores them as the period's values.
Scoring uses a stored derived value before the provider's (`scoring.load_period_frames`): only a
restore stores one, and it is the only record of that figure this database has.

The ordinary import never reads the sheet: in a working portal the derived inputs follow the
records they come from.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from zelenchuk_portal.models import Organization, Period

from .catalogue import InputDef
from .methodology import version_for
from .models import Source
from .values import ValueWrite, WriteSummary, as_decimal, ensure_open, write_values
from .workbook import CODE_HEADER, SHEET_DERIVED, derived_inputs

REASON = "Восстановление из полной выгрузки: значение, рассчитанное порталом"


@dataclass(frozen=True)
class DerivedRow:
    org_code: str
    input_code: str
    value: float


def _code_of(header) -> str:
    """«Индекс самооценки (self_assessment_index)» → «self_assessment_index»."""
    text = str(header or "").strip()
    return text[text.rfind("(") + 1 : -1].strip() if text.endswith(")") else text


def _problem(row: int, column: str, message: str) -> str:
    return f"Лист «{SHEET_DERIVED}», строка {row}, столбец {column}: {message}"


def _check(item: InputDef, raw, row: int, column: str) -> tuple[float | None, str | None]:
    if raw is None or str(raw).strip() == "":
        return None, None
    try:
        value = float(str(raw).replace(",", ".").replace("\xa0", "").strip())
    except ValueError:
        return None, _problem(row, column, f"«{raw}» — не число ({item.code}).")
    if (
        value != value
        or (item.min is not None and value < item.min)
        or (item.max is not None and value > item.max)
    ):
        return None, _problem(row, column, f"{raw} вне допустимых границ ({item.code}).")
    return value, None


def read_derived(data: bytes, period: Period) -> list[DerivedRow]:
    """The derived values of a full export, checked: known organisations, derived inputs of the
    period's methodology, numbers within bounds. Every problem at once, in Russian; a workbook
    without the sheet is refused (it is not a full export)."""
    catalogue = version_for(period).catalogue
    known = {item.code: item for item in derived_inputs(catalogue)}
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if SHEET_DERIVED not in book.sheetnames:
            raise ValidationError(
                f"В файле нет листа «{SHEET_DERIVED}»: это не полная выгрузка периода. Выгрузите "
                "её командой export_template с ключом --with-derived."
            )
        rows = book[SHEET_DERIVED].iter_rows(values_only=True)
        header = list(next(rows, ()) or ())
        if not header or str(header[0] or "").strip() != CODE_HEADER:
            raise ValidationError(
                f"Лист «{SHEET_DERIVED}»: в ячейке A1 должно быть «{CODE_HEADER}»."
            )
        columns = {pos: known.get(_code_of(title)) for pos, title in enumerate(header) if pos >= 2}
        organizations = set(Organization.objects.values_list("code", flat=True))
        found, problems = [], []
        for row_number, row in enumerate(rows, start=2):
            code = str(row[0] or "").strip() if row else ""
            if not code:
                continue
            if code not in organizations:
                problems.append(_problem(row_number, "A", f"организации «{code}» нет в реестре."))
                continue
            for pos, item in columns.items():
                if item is None or pos >= len(row):
                    continue
                letter = get_column_letter(pos + 1)
                value, problem = _check(item, row[pos], row_number, letter)
                if problem:
                    problems.append(problem)
                elif value is not None:
                    found.append(DerivedRow(code, item.code, value))
    finally:
        book.close()
    if problems:
        raise ValidationError(problems)
    return found


@transaction.atomic
def restore_derived(period: Period, data: bytes, user=None) -> WriteSummary:
    """Store the derived values of a full export as the period's values (see the module)."""
    ensure_open(period)
    rows = read_derived(data, period)
    ids = dict(Organization.objects.values_list("code", "pk"))
    writes = [ValueWrite(ids[r.org_code], r.input_code, as_decimal(r.value)) for r in rows]
    return write_values(period, writes, source=Source.IMPORT, user=user, reason=REASON)
