"""Tables as Excel downloads (.xlsx), written in openpyxl's streaming write-only mode.

Each sheet gets a bold, frozen header row with an autofilter; numbers stay numbers and dates
stay dates (shown ДД.ММ.ГГГГ). Text that a spreadsheet would run as a formula is disarmed by
:func:`safe_cell` (see there). Rows may be any iterable, a generator included: only the first
rows are looked at ahead to size the columns, the rest streams straight to the file.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zelenchuk_portal.pdf import content_disposition

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_TITLE = 31
MAX_CELL_CHARS = 32767
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP
# "CSV injection"): = + - @ at the start, also after spaces, and a leading tab or carriage return.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SAMPLE_ROWS = 200
_MIN_WIDTH, _MAX_WIDTH = 6, 60

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] | None = None  # in characters; None = from the headers and data


def safe_cell(value):
    """A value safe to put in a spreadsheet cell: text that would run as a formula is disarmed.

    A string whose first character is ``=``, ``+``, ``-`` or ``@`` — also after leading spaces —
    or that starts with a tab or a carriage return, gets a single quote ``'`` in front, so every
    spreadsheet shows it as text: ``"=1+1"`` → ``"'=1+1"``, ``"+7 900 …"`` → ``"'+7 900 …"``.
    The quote is part of the cell's text (a reader of the file sees it too); that is the price of
    a guard that works in Excel, LibreOffice and Google Sheets alike. Numbers, dates, booleans and
    None are returned untouched — pass a negative number as a number, not as ``"-5"``.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "\t\r" or value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


_NUMBER_TEXT = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")


def safe_csv_row(row: Iterable) -> list:
    """A CSV row with :func:`safe_cell` applied to its text — except plain numbers written as
    text («-1.5», «+3»), which a spreadsheet reads as numbers, not formulas, and must stay so."""
    return [
        value if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) else safe_cell(value)
        for value in row
    ]


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet title: no ``[]:*?/\\``, at most 31 characters, never empty."""
    text = _SHEET_TITLE_FORBIDDEN.sub(" ", str(title or ""))
    text = " ".join(text.split()).strip("'") or "Лист"
    if text.lower() == "history":  # reserved by Excel
        text = "History_"
    text = text[:MAX_SHEET_TITLE].rstrip()
    used = {name.lower() for name in taken}
    candidate, number = text, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = text[: MAX_SHEET_TITLE - len(suffix)].rstrip() + suffix
    return candidate


def _cell_value(value):
    """What openpyxl should write: numbers and dates as they are, the rest as safe text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # Excel has no time zones: local time
        return value
    if isinstance(value, dt.date | dt.time):
        return value
    text = str(value)  # lazy translations, enums, model instances…
    text = ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_CHARS]
    return safe_cell(text)


def _display_length(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float | Decimal):
        return len(f"{value:.2f}")
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _widths(headers: Sequence[str], sample: list[Sequence]) -> list[int]:
    widths = []
    for index, header in enumerate(headers):
        longest_word = max((len(word) for word in str(header).split()), default=0)
        data = max((_display_length(row[index]) for row in sample if index < len(row)), default=0)
        # A long header wraps (the header row wraps text), so it needs only its longest word.
        wanted = max(min(len(str(header)), 24), longest_word, data) + 2
        widths.append(max(_MIN_WIDTH, min(_MAX_WIDTH, wanted)))
    return widths


def _write_sheet(workbook: Workbook, sheet: Sheet, title: str) -> None:
    worksheet = workbook.create_sheet(title=title)
    headers = list(sheet.headers)
    rows = iter(sheet.rows)
    sample = [list(row) for row in itertools.islice(rows, _SAMPLE_ROWS)]
    widths = list(sheet.widths) if sheet.widths else _widths(headers, sample)
    columns = max([1, len(headers), *(len(row) for row in sample)])
    # Write-only sheets take column widths and panes only before the first row.
    for index, width in enumerate(widths[:columns], start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    worksheet.freeze_panes = "A2"

    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(worksheet, value=_cell_value(header))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
        header_cells.append(cell)
    worksheet.append(header_cells)

    count = 0
    for row in itertools.chain(sample, rows):
        worksheet.append([_styled(worksheet, value) for value in row])
        count += 1
    if headers:
        last_column = get_column_letter(max(len(headers), 1))
        worksheet.auto_filter.ref = f"A1:{last_column}{count + 1}"


def _styled(worksheet, value):
    value = _cell_value(value)
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def table_workbook(sheets: Sequence[Sheet], *, title: str = "") -> bytes:
    """An .xlsx file with one worksheet per :class:`Sheet`; `title` goes in its properties."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "Эффективный руководитель"
    if title:
        workbook.properties.title = str(title)
    taken: list[str] = []
    for sheet in sheets or [Sheet(title="Лист", headers=[], rows=[])]:
        name = sheet_title(sheet.title, taken)
        taken.append(name)
        _write_sheet(workbook, sheet, name)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_response(data: bytes, filename: str) -> HttpResponse:
    """The workbook as a download (attachment) named `filename` (Cyrillic kept, RFC 5987)."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, attachment=True)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response
