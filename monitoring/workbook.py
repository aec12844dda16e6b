"""The Excel template of a period (write side) and the downloadable list of import errors.

The template is also the export of a period's data: pre-filled values make a round trip
(download → edit → upload) possible. `monitoring.imports` reads it back; the sheet names and
headers below are shared with it.

Sheets, in this order:
- «Данные»: one row per organisation: A «Код ОО», B «Наименование» (ignored on import), then one
  column per `scope=org` input that is not `derived`, headed «<label> (<code>)»;
- «Справочные значения»: the `scope=period` inputs: «Код поля», «Наименование», «Значение»;
- «Справочник»: every input with its label, type, bounds, source and who provides it;
- «Расчётные значения», only in a full export (`derived=`): the `derived` inputs as the portal
  computed them, one row per organisation like «Данные». The import never reads it; a restore
  into a database without the records they come from does (`monitoring.restore`).

The workbook is written in openpyxl's write-only mode (streamed), which still supports frozen
panes, column widths and data validation; 40,000 rows take a few seconds.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from html import unescape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from monitoring.catalogue import Catalogue, InputDef
from zelenchuk_portal.excel import safe_cell
from zelenchuk_portal.files import workbook_sheets

SHEET_DATA = "Данные"
SHEET_PERIOD = "Справочные значения"
SHEET_REFERENCE = "Справочник"
SHEET_DERIVED = "Расчётные значения"
CODE_HEADER = "Код ОО"
NAME_HEADER = "Наименование"
FIELD_CODE_HEADER = "Код поля"
FIELD_LABEL_HEADER = "Наименование"
FIELD_VALUE_HEADER = "Значение"
FIRST_INPUT_COLUMN = 3  # C: after «Код ОО» and «Наименование»

TYPE_LABELS = {
    "int": "целое",
    "decimal": "дробное",
    "percent": "процент",
    "bool": "да/нет (0/1)",
    "level": "уровень",
}
SOURCE_LABELS = {
    "oo1": "форма ОО-1",
    "oo2": "форма ОО-2",
    "gia": "результаты ГИА",
    "vpr": "результаты ВПР",
    "personnel": "кадровые данные",
    "regional": "региональная диагностика",
    "municipal": "муниципальные данные",
    "self_report": "самоотчёт руководителя",
    "portal": "данные портала",
}
PROVIDER_LABELS = {
    "import": "загрузка статистики (Excel)",
    "official": "специалист управления образования",
    "principal": "руководитель (самоотчёт, проверяет специалист)",
    "derived": "рассчитывает портал",
}

HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
TEXT_FORMAT = "@"
CODE_WIDTH = 12
NAME_WIDTH = 45
INPUT_WIDTH = 18
HEADER_HEIGHT = 105

PERCENT_NOTE = (
    "Проценты вводятся числом процентов: 78,5 (а не 0,785); "
    "не применяйте к этим ячейкам процентный формат Excel."
)
BLANK_NOTE = "Пустая ячейка ничего не меняет: сохранённое значение остаётся прежним."


def template_inputs(catalogue: Catalogue) -> list[InputDef]:
    """The inputs that get a column on «Данные»: `scope=org`, not `derived`, catalogue order."""
    return [i for i in catalogue.inputs if i.scope == "org" and i.provided_by != "derived"]


def template_columns(catalogue: Catalogue) -> dict[str, str]:
    """Input code → column letter on the template's «Данные» sheet."""
    return {
        item.code: get_column_letter(FIRST_INPUT_COLUMN + pos)
        for pos, item in enumerate(template_inputs(catalogue))
    }


def column_header(item: InputDef) -> str:
    return f"{item.label} ({item.code})"


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _bound_ru(value: float | None) -> str:
    return _bound(value).replace(".", ",")


def _rule_text(item: InputDef) -> str:
    """What the cell accepts, in Russian («целое число от 0 до 2000»)."""
    low, high = _bound_ru(item.min), _bound_ru(item.max)
    if item.type == "bool":
        return "1 (да) или 0 (нет)"
    kind = {
        "int": "целое число",
        "level": "уровень — целое число",
        "decimal": "число",
        "percent": "число процентов",
    }.get(item.type, "число")
    if low and high:
        return f"{kind} от {low} до {high}"
    if low:
        return f"{kind} не меньше {low}"
    if high:
        return f"{kind} не больше {high}"
    return kind


def _validation(item: InputDef, ref: str) -> DataValidation:
    whole = item.is_integer
    low, high = _bound(item.min), _bound(item.max)
    if low and high:
        operator, formula1, formula2 = "between", low, high
    elif low:
        operator, formula1, formula2 = "greaterThanOrEqual", low, None
    elif high:
        operator, formula1, formula2 = "lessThanOrEqual", high, None
    else:
        operator, formula1, formula2 = "between", "-1E+15", "1E+15"
    prompt = f"Введите {_rule_text(item)}."
    if item.type == "percent":
        prompt += " Например, 78,5 (не 0,785)."
    validation = DataValidation(
        type="whole" if whole else "decimal",
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Недопустимое значение",
        error=f"{item.code}: нужно {_rule_text(item)}."[:255],
        showInputMessage=True,
        promptTitle=item.code[:32],
        prompt=prompt[:255],
    )
    validation.add(ref)
    return validation


def _number(item: InputDef, value) -> int | float | None:
    if value is None:
        return None
    value = float(value)
    if value != value:  # NaN: missing
        return None
    if item.is_integer and value.is_integer():
        return int(value)
    return value


def _header_cells(ws, titles: Iterable[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = HEADER_FONT
        cell.alignment = HEADER_ALIGNMENT
        cells.append(cell)
    return cells


def _text_cell(ws, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = TEXT_FORMAT
    return cell


_PROBE = "__monitoring_template_probe__"
_DATA_SHEET_PART = "xl/worksheets/sheet1.xml"  # «Данные» is the first sheet created
_PROBE_ROW_RE = re.compile(r'<row r="2"[^>]*>(?:(?!</row>).)*?' + _PROBE + r".*?</row>", re.S)
_STYLE_RE = re.compile(r' s="(\d+)"')


def _xml_text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _data_rows(
    inputs: Sequence[InputDef],
    orgs: Sequence[tuple[str, str]],
    values: Mapping[tuple[str, str], float],
    text_style: str,
) -> Iterator[str]:
    """The XML of the organisation rows of «Данные», from row 2 on."""
    columns = [
        (get_column_letter(FIRST_INPUT_COLUMN + pos), item.code, item.is_integer)
        for pos, item in enumerate(inputs)
    ]
    text_cell = (
        '<c r="{}" s="' + text_style + '" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>'
    )
    for row_number, (org_code, org_name) in enumerate(orgs, start=2):
        org_code = str(org_code)
        parts = [
            f'<row r="{row_number}">',
            text_cell.format(f"A{row_number}", _xml_text(safe_cell(org_code))),
            text_cell.format(f"B{row_number}", _xml_text(safe_cell(str(org_name or "")))),
        ]
        if values:
            for letter, code, is_int in columns:
                value = values.get((org_code, code))
                if value is None:
                    continue
                if isinstance(value, str):  # text as typed (a test or benchmark file with typos)
                    parts.append(
                        text_cell.format(f"{letter}{row_number}", _xml_text(safe_cell(value)))
                    )
                    continue
                value = float(value)
                if not math.isfinite(value):
                    continue
                number = str(int(value)) if is_int and value.is_integer() else repr(value)
                parts.append(f'<c r="{letter}{row_number}" t="n"><v>{number}</v></c>')
        parts.append("</row>")
        yield "".join(parts)


def _replace_probe_row(data: bytes, rows: Callable[[str], Iterable[str]]) -> bytes:
    """Swap the probe row of the saved workbook for `rows(text_style_id)`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read(_DATA_SHEET_PART).decode("utf-8")
    probe = _PROBE_ROW_RE.search(sheet)
    if probe is None:  # pragma: no cover - openpyxl changed the way it writes rows
        raise RuntimeError("template probe row not found")
    style = _STYLE_RE.search(probe.group(0)).group(1)
    sheet = sheet[: probe.start()] + "".join(rows(style)) + sheet[probe.end() :]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == _DATA_SHEET_PART:
                target.writestr(info, sheet.encode("utf-8"))
            else:
                target.writestr(info, source.read(info))
    return output.getvalue()


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_template(
    catalogue: Catalogue,
    orgs: Sequence[tuple[str, str]],
    period_label: str,
    values: Mapping[tuple[str, str], float] | None = None,
    period_values: Mapping[str, float] | None = None,
    derived: Mapping[tuple[str, str], float] | None = None,
) -> bytes:
    """The xlsx template of a period, pre-filled with `values` ((org code, input code) → value)
    and `period_values` (input code → value); `orgs` are (code, name) pairs in display order.

    With `derived` ((org code, input code) → value), the full export: the sheet
    «Расчётные значения» carries the inputs the portal computes, for a restore."""
    values = values or {}
    period_values = period_values or {}
    inputs = template_inputs(catalogue)
    last_row = max(len(orgs) + 1, 2)

    wb = Workbook(write_only=True)
    title = f"Мониторинг эффективности руководителей ОО — {period_label}"
    wb.properties.title = title
    wb.properties.subject = f"Шаблон загрузки данных за период {period_label}"
    wb.properties.keywords = f"period={period_label}"
    wb.properties.creator = "Портал «Эффективный руководитель»"

    # «Данные»
    ws = wb.create_sheet(SHEET_DATA)
    ws.freeze_panes = "C2"
    ws.column_dimensions["A"].width = CODE_WIDTH
    ws.column_dimensions["B"].width = NAME_WIDTH
    for pos, item in enumerate(inputs):
        letter = get_column_letter(FIRST_INPUT_COLUMN + pos)
        ws.column_dimensions[letter].width = INPUT_WIDTH
        ws.data_validations.append(_validation(item, f"{letter}2:{letter}{last_row}"))
    ws.row_dimensions[1].height = HEADER_HEIGHT
    ws.append(_header_cells(ws, [CODE_HEADER, NAME_HEADER, *map(column_header, inputs)]))
    # The organisation rows are streamed as XML by `_data_rows` (openpyxl's own cell writer takes
    # ~20 µs a cell, too slow for 40,000 × 60 pre-filled cells); this probe row carries the text
    # style that their code and name cells use, and is replaced by them after saving.
    ws.append([_text_cell(ws, _PROBE), _text_cell(ws, _PROBE)])

    # «Справочные значения»
    period_inputs = [i for i in catalogue.inputs if i.scope == "period"]
    ws = wb.create_sheet(SHEET_PERIOD)
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 14
    ws.append(_header_cells(ws, [FIELD_CODE_HEADER, FIELD_LABEL_HEADER, FIELD_VALUE_HEADER]))
    for row_number, item in enumerate(period_inputs, start=2):
        label = WriteOnlyCell(ws, value=safe_cell(item.label))
        label.alignment = Alignment(wrap_text=True)
        ws.append([_text_cell(ws, item.code), label, _number(item, period_values.get(item.code))])
        ws.data_validations.append(_validation(item, f"C{row_number}"))

    # «Справочник»
    columns = template_columns(catalogue)
    ws = wb.create_sheet(SHEET_REFERENCE)
    for letter, width in zip("ABCDEFGH", (34, 70, 14, 10, 10, 24, 30, 28), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([WriteOnlyCell(ws, value=title)])
    ws.append([PERCENT_NOTE])
    ws.append([BLANK_NOTE])
    ws.append([])
    ws.append(
        _header_cells(
            ws,
            [
                "Код поля",
                "Наименование",
                "Тип",
                "Минимум",
                "Максимум",
                "Источник",
                "Кто заполняет",
                "Где заполняется",
            ],
        )
    )
    for item in catalogue.inputs:
        if item.scope == "period":
            where = f"лист «{SHEET_PERIOD}»"
        elif item.code in columns:
            where = f"лист «{SHEET_DATA}», столбец {columns[item.code]}"
        else:
            where = "не заполняется (рассчитывает портал)"
        ws.append(
            [
                safe_cell(item.code),
                safe_cell(item.label),
                TYPE_LABELS.get(item.type, item.type),
                _number(item, item.min),
                _number(item, item.max),
                SOURCE_LABELS.get(item.source, item.source),
                PROVIDER_LABELS.get(item.provided_by, item.provided_by),
                where,
            ]
        )
    if derived is not None:
        _derived_sheet(wb, catalogue, orgs, derived)
    return _replace_probe_row(_to_bytes(wb), lambda style: _data_rows(inputs, orgs, values, style))


def derived_inputs(catalogue: Catalogue) -> list[InputDef]:
    """The inputs of «Расчётные значения»: `scope=org`, `derived`, catalogue order."""
    return [i for i in catalogue.inputs if i.scope == "org" and i.provided_by == "derived"]


def _derived_sheet(wb, catalogue, orgs, derived) -> None:
    ws = wb.create_sheet(SHEET_DERIVED)
    inputs = derived_inputs(catalogue)
    ws.freeze_panes = "C2"
    ws.column_dimensions["A"].width = CODE_WIDTH
    ws.column_dimensions["B"].width = NAME_WIDTH
    ws.append(_header_cells(ws, [CODE_HEADER, NAME_HEADER, *map(column_header, inputs)]))
    for code, name in orgs:
        row = [_text_cell(ws, safe_cell(str(code))), _text_cell(ws, safe_cell(str(name or "")))]
        row += [_number(item, derived.get((str(code), item.code))) for item in inputs]
        ws.append(row)


ERROR_HEADERS = ("Лист", "Строка", "Столбец", "Код поля", "Сообщение")


def build_errors_workbook(errors: Iterable) -> bytes:
    """An xlsx listing import errors: objects with `sheet`, `row`, `column`, `code`, `message`
    (`monitoring.imports.ImportIssue`)."""
    wb = Workbook(write_only=True)
    wb.properties.title = "Ошибки загрузки"
    ws = wb.create_sheet("Ошибки")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (22, 9, 10, 28, 110), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(_header_cells(ws, ERROR_HEADERS))
    count = 0
    for error in errors:
        # The sheet's name and the quoted cells come from the uploaded file: a name such as
        # «=HYPERLINK(…)» would otherwise be written as a live formula.
        ws.append(
            [
                safe_cell(error.sheet),
                error.row,
                error.column or None,
                safe_cell(error.code) or None,
                safe_cell(error.message),
            ]
        )
        count += 1
    ws.auto_filter.ref = f"A1:E{count + 1}"
    return _to_bytes(wb)


# --- Is the upload this period's template? -----------------------------------------------------

PERIOD_STAMP = "period="  # in the template's keywords (`build_template`); Excel keeps them
_KEYWORDS_RE = re.compile(rb"<(?:\w+:)?keywords\b[^>]*>([^<]*)</", re.S)
_SMALL_PART = 1024 * 1024


def _stamped_period(archive: zipfile.ZipFile) -> str | None:
    try:
        info = archive.getinfo("docProps/core.xml")
    except KeyError:
        return None
    if info.file_size > _SMALL_PART:
        return None
    found = _KEYWORDS_RE.search(archive.read(info))
    words = unescape(found.group(1).decode("utf-8", "replace")).split() if found else []
    stamps = [word[len(PERIOD_STAMP) :] for word in words if word.startswith(PERIOD_STAMP)]
    return stamps[0] if stamps else None


def template_mismatch(
    data: bytes, period_label: str, sheet_key: Callable[[str], str] = str.casefold
) -> str | None:
    """Why a readable upload must not be taken as this period's data, or None.

    - The template of another period: its keywords carry `period=<label>` (`build_template`),
      which Excel and LibreOffice keep when the file is edited and saved. A file with no stamp
      (the data typed into a new workbook) is not questioned.
    - A hidden sheet among those the import reads («Данные», or the first sheet when there is
      none, and «Справочные значения»): the official would check one sheet and store another.

    `sheet_key` compares sheet names the way the import does. Anything that is not a readable
    zip is left to `zelenchuk_portal.files.check_workbook`, which runs first.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            stamped = _stamped_period(archive)
            sheets = workbook_sheets(archive)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return None
    if stamped and stamped != period_label:
        return (
            f"Файл — шаблон за период {stamped}, а загружается в период {period_label}. "
            f"Скачайте шаблон за период {period_label} на странице периода, перенесите в него "
            "данные и загрузите его."
        )
    keys = [sheet_key(sheet.get("name", "")) for sheet in sheets]
    read = {sheet_key(SHEET_DATA), sheet_key(SHEET_PERIOD)}
    if sheets and sheet_key(SHEET_DATA) not in keys:
        read.add(keys[0])
    for sheet, key in zip(sheets, keys, strict=True):
        if key in read and sheet.get("state", "visible") != "visible":
            return (
                f"Лист «{sheet.get('name', '')}» скрыт, а портал читает именно его. Покажите "
                "лист (правой кнопкой по ярлыку любого листа → «Показать…»), проверьте на нём "
                "данные, сохраните файл и загрузите снова."
            )
    return None


# --- What an unknown «Код ОО» may have meant ----------------------------------------------------

# Cyrillic letters that look exactly like Latin ones (and so the other way round): «А01» typed
# with a Cyrillic А is a different code from A01, and the message must say so, or the official
# sees «А01 не найдена» next to an A01 that exists.
_CYRILLIC_LOOKALIKES = dict(zip("АВЕКМНОРСТХУаеорсху", "ABEKMHOPCTXYaeopcxy", strict=True))
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Cc", "Co", "Cn") or (
        unicodedata.category(char) == "Zs" and char != " "
    )


def _canonical(code: str) -> str:
    return "".join(ch for ch in code if not _invisible(ch)).translate(_TO_LATIN).casefold()


def code_hints(known: Iterable[str]) -> Callable[[str], str]:
    """A function giving, for a code not among `known`, a sentence on what it may have meant
    ("" when nothing looks close): look-alike Cyrillic and Latin letters, invisible characters."""
    by_canonical: dict[str, str] = {}
    for code in known:
        by_canonical.setdefault(_canonical(str(code)), str(code))

    def hint(code: str) -> str:
        invisible = sorted({f"U+{ord(ch):04X}" for ch in code if _invisible(ch)})
        meant = by_canonical.get(_canonical(code))
        parts = [f"в коде есть невидимые символы ({', '.join(invisible)})"] if invisible else []
        if meant:
            # Only beside an existing code: a district may well use Cyrillic codes.
            lookalikes = sorted(
                {ch for ch in code if ch in _CYRILLIC_LOOKALIKES}
                ^ {ch for ch in meant if ch in _CYRILLIC_LOOKALIKES}
            )
            if lookalikes:
                letters = ", ".join(f"«{ch}»" for ch in lookalikes)
                parts.append(f"буквы {letters} набраны не в той раскладке (кириллица и латиница)")
        if not parts:
            return ""
        text = "; ".join(parts)
        text = " " + text[0].upper() + text[1:]
        if meant:
            return f"{text}: похоже, это организация с кодом {meant} — наберите код заново."
        return f"{text}: наберите код заново."

    return hint
