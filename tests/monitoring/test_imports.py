"""Reading, validating and diffing an uploaded period workbook.

Workbooks are made with `build_template` and edited with openpyxl, as an official would in Excel.
"""

import io
import math
import zipfile
from datetime import datetime
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter

from monitoring.catalogue import default_catalogue
from monitoring.imports import (
    Diff,
    DiffItem,
    ImportIssue,
    WorkbookUnreadable,
    diff_period_values,
    diff_values,
    parse_and_validate,
    parse_cells,
    read_workbook,
    validate,
)
from monitoring.workbook import build_errors_workbook, build_template, template_columns

CATALOGUE = default_catalogue()
COLS = template_columns(CATALOGUE)
LAST_COL = get_column_letter(column_index_from_string(list(COLS.values())[-1]))
ORGS = [("101", "Школа 1"), ("102", "Школа 2"), ("103", "Школа 3")]
KNOWN = {"101", "102", "103", "104"}
DATA, PERIOD = "Данные", "Справочные значения"


def template(values=None, period_values=None, orgs=ORGS) -> bytes:
    return build_template(CATALOGUE, orgs, "2024/25", values, period_values)


def edit(data: bytes, cells=None, fn=None, sheet=DATA) -> bytes:
    """Set `cells` ({"D2": value}) on `sheet` and/or call `fn(workbook)`; the file as saved."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in (cells or {}).items():
        wb[sheet][ref] = value
    if fn:
        fn(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def at(code: str, row: int) -> str:
    return f"{COLS[code]}{row}"


def check(data, existing=None, known=KNOWN):
    return parse_and_validate(data, CATALOGUE, known, existing)


def where(result):
    return [(i.sheet, i.row, i.column, i.code) for i in result.issues]


def only_issue(result) -> ImportIssue:
    assert len(result.issues) == 1, [str(i) for i in result.issues]
    return result.issues[0]


def stored(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", dtype=float)


# --- round trip and tolerances ----------------------------------------------------------------


def test_round_trip():
    values = {
        ("101", "grad9_total"): 25,
        ("101", "grad9_certificate"): 24,
        ("101", "support_staff_rates"): 2.5,
        ("102", "vpr_share_2"): 78.5,
        ("102", "mgmt_education"): 1,
        ("102", "mun_task_done_pct"): 150,
        ("103", "diagnostics_level"): 3,
        ("103", "internet_mbps"): 100.25,
    }
    result = check(template(values, {"oge_fail_region": 3.4, "ege_80plus_region": 12}))
    assert result.ok, [str(i) for i in result.issues]
    assert result.warnings == []
    assert list(result.values.index) == ["101", "102", "103"]
    assert list(result.values.columns) == list(COLS)
    got = {
        (org, code): result.values.at[org, code]
        for org in result.values.index
        for code in result.values.columns
        if not math.isnan(result.values.at[org, code])
    }
    assert got == values
    assert result.period_values == {"oge_fail_region": 3.4, "ege_80plus_region": 12.0}
    assert result.org_rows == {"101": 2, "102": 3, "103": 4}
    assert result.period_rows == {"oge_fail_region": 2, "ege_80plus_region": 4}
    assert result.columns == COLS
    assert result.sheet == DATA and result.period_sheet == PERIOD


def test_empty_template_changes_nothing():
    result = check(template())
    assert result.ok
    assert result.values.shape == (3, len(COLS))
    assert result.values.isna().all().all()
    assert result.period_values == {}


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("grad9_total", "25", 25),
        ("grad9_total", " 25 ", 25),
        ("grad9_total", "\u00a025\u00a0", 25),
        ("grad9_total", 25.0, 25),
        ("attendance_days", "1 234", 1234),
        ("attendance_days", "12\u2009345", 12345),
        ("attendance_days", "12\u00a0345", 12345),
        ("attendance_days", "123\u202f456", 123456),
        ("support_staff_rates", "2,5", 2.5),
        ("nokuod_score", "78,5", 78.5),
        ("internet_mbps", "1 234,5", 1234.5),
        ("vpr_share_2", "78,5%", 78.5),
        ("vpr_share_2", "78,5 %", 78.5),
        ("vpr_share_2", "78.5", 78.5),
        ("vpr_share_2", 78.5, 78.5),
        ("mgmt_education", "да", 1),
        ("mgmt_education", " Нет ", 0),
        ("mgmt_education", "1", 1),
        ("mgmt_education", 0, 0),
        ("mgmt_education", True, 1),
        ("diagnostics_level", "4", 4),
    ],
)
def test_tolerated_cells(code, raw, expected):
    result = check(edit(template(), {at(code, 2): raw}))
    assert result.ok, [str(i) for i in result.issues]
    assert result.values.at["101", code] == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0", "\u2009"])
def test_blank_cells_are_ignored(raw):
    data = edit(template({("101", "grad9_total"): 25}), {at("grad9_total", 2): raw})
    result = check(data, existing=stored({"101": {"grad9_total": 25}}))
    assert result.ok
    assert math.isnan(result.values.at["101", "grad9_total"])
    diff = diff_values(result.values, stored({"101": {"grad9_total": 25}}))
    assert (diff.new, diff.changed, diff.unchanged) == (0, 0, 0)


def test_parse_cells_statuses():
    cells = np.array(
        ["12", "", " ", "abc", "78,5%", "да", 3.5, None, "inf", "nan", datetime(2024, 1, 1)],
        dtype=object,
    )
    numbers, status = parse_cells(cells)
    assert status.tolist() == [0, 1, 1, 2, 3, 4, 0, 1, 2, 2, 2]
    assert numbers[0] == 12 and numbers[4] == 78.5 and numbers[5] == 1 and numbers[6] == 3.5
    assert np.isnan(numbers[[1, 2, 3, 7, 8, 9, 10]]).all()


def test_header_variants():
    def headers(wb):
        ws = wb[DATA]
        ws["A1"] = "\u00a0код  оо "
        ws[f"{COLS['grad9_total']}1"] = "grad9_total"
        ws[f"{COLS['grad11_total']}1"] = "  GRAD11_TOTAL\u00a0"
        ws[f"{COLS['honors']}1"] = "С отличием\n( honors )\u00a0 "

    data = edit(
        template(),
        {at("grad9_total", 2): 25, at("grad11_total", 2): 20, at("honors", 2): 3},
        fn=headers,
    )
    result = check(data)
    assert result.ok and result.warnings == []
    assert result.values.loc["101", ["grad9_total", "grad11_total", "honors"]].tolist() == [
        25,
        20,
        3,
    ]


def test_extra_columns_are_warnings_and_letters_follow_the_file():
    def extra(wb):
        ws = wb[DATA]
        ws.insert_cols(3)
        ws["C1"] = "Район"
        ws["C2"] = "Зеленчукский"
        ws.cell(row=1, column=ws.max_column + 1, value="Примечание")
        ws.cell(row=2, column=ws.max_column, value="см. письмо")

    data = edit(template(), fn=extra)
    shifted = get_column_letter(column_index_from_string(COLS["grad9_total"]) + 1)
    data = edit(data, {f"{shifted}3": "abc"})
    result = check(data)
    assert where(result) == [(DATA, 3, shifted, "grad9_total")]
    assert result.warnings == [
        "Столбец C «Район» не распознан и пропущен.",
        f"Столбец {get_column_letter(len(COLS) + 4)} «Примечание» не распознан и пропущен.",
    ]
    assert result.columns["grad9_total"] == shifted


def test_headerless_column_with_data_is_a_warning():
    extra = get_column_letter(len(COLS) + 3)
    result = check(edit(template(), {f"{extra}2": 5}))
    assert result.ok
    assert result.warnings == [f"Столбец {extra} без заголовка пропущен."]


def test_derived_and_period_columns_are_ignored_with_a_warning():
    derived, period = get_column_letter(len(COLS) + 3), get_column_letter(len(COLS) + 4)
    data = edit(
        template(),
        {
            f"{derived}1": "Индекс самооценки (self_assessment_index)",
            f"{derived}2": 50,
            f"{period}1": "oge_fail_region",
            f"{period}2": 3,
        },
    )
    result = check(data)
    assert result.ok
    assert "self_assessment_index" not in result.values.columns
    assert "oge_fail_region" not in result.values.columns
    assert result.period_values == {}
    assert result.warnings == [
        f"Столбец {derived} (self_assessment_index): значение рассчитывает портал, "
        "столбец пропущен.",
        f"Столбец {period} (oge_fail_region): справочное значение вводится на листе "
        "«Справочные значения», столбец пропущен.",
    ]


def test_blank_rows_title_rows_and_row_numbers():
    def layout(wb):
        ws = wb[DATA]
        ws.insert_rows(3, 2)  # blank rows between 101 and 102
        ws.insert_rows(1, 2)  # a title above the header
        ws["A1"] = "Мониторинг 2024/25"
        ws["A9"] = "  "  # trailing row with a blank-looking code
        ws["B10"] = "Итого (без кода и значений)"

    data = edit(template(), fn=layout)
    data = edit(data, {at("grad9_total", 7): "abc", at("grad9_total", 4): 5})
    result = check(data)
    assert where(result) == [(DATA, 7, COLS["grad9_total"], "grad9_total")]
    assert result.org_rows == {"101": 4, "102": 7, "103": 8}
    assert result.values.at["101", "grad9_total"] == 5


def test_header_below_row_10_is_not_found():
    data = edit(template(), fn=lambda wb: wb[DATA].insert_rows(1, 10))
    with pytest.raises(WorkbookUnreadable, match="не найден столбец «Код ОО»"):
        check(data)


@pytest.mark.parametrize("code", [101, 101.0, " 101\u00a0", "101 "])
def test_org_code_forms(code):
    result = check(edit(template(), {"A2": code, at("grad9_total", 2): 7}))
    assert result.ok
    assert result.values.at["101", "grad9_total"] == 7


def test_name_column_is_ignored():
    result = check(edit(template(), {"B2": 12345, "B3": None}))
    assert result.ok and "Наименование" not in result.values.columns


def test_first_sheet_without_the_name_is_accepted():
    data = edit(
        template(), {at("grad9_total", 2): 9}, fn=lambda wb: setattr(wb[DATA], "title", "Лист1")
    )
    result = check(data)
    assert result.ok and result.sheet == "Лист1"
    assert result.values.at["101", "grad9_total"] == 9
    assert result.warnings == ["Лист «Данные» не найден, прочитан первый лист «Лист1»."]


def test_sheet_name_with_spaces_and_case():
    data = edit(
        template(),
        {at("grad9_total", 2): "x"},
        fn=lambda wb: setattr(wb[DATA], "title", " ДАННЫЕ "),
    )
    result = check(data)
    assert result.warnings == []
    assert where(result) == [(" ДАННЫЕ ", 2, COLS["grad9_total"], "grad9_total")]


def test_sources_path_and_file_object(tmp_path):
    data = edit(template(), {at("grad9_total", 2): 3})
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    for source in (path, str(path), io.BytesIO(data), bytearray(data)):
        assert check(source).values.at["101", "grad9_total"] == 3


# --- errors -----------------------------------------------------------------------------------


def test_unknown_org_code():
    issue = only_issue(check(edit(template(), {"A3": "999"})))
    assert (issue.sheet, issue.row, issue.column, issue.code) == (DATA, 3, "A", "")
    assert issue.message == "Организация с кодом «999» не найдена среди действующих организаций."


def test_duplicate_org_code_names_the_first_row():
    result = check(edit(template(), {"A4": "101", at("grad9_total", 4): 1}))
    issue = only_issue(result)
    assert (issue.sheet, issue.row, issue.column, issue.code) == (DATA, 4, "A", "")
    assert issue.message == "Код ОО «101» повторяется: эта организация уже есть в строке 2."
    assert list(result.values.index) == ["101", "102"]


def test_empty_code_with_values():
    issue = only_issue(check(edit(template(), {"A3": None, at("grad9_total", 3): 5})))
    assert (issue.sheet, issue.row, issue.column, issue.code) == (DATA, 3, "A", "")
    assert issue.message == "Не указан Код ОО, а в строке есть значения."


def test_empty_code_without_values_is_a_blank_row():
    result = check(edit(template(), {"A3": None}))
    assert result.ok and list(result.values.index) == ["101", "103"]


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("grad9_total", "abc", "Значение «abc» не является числом."),
        ("grad9_total", "25 чел.", "Значение «25 чел.» не является числом."),
        ("grad9_total", "да", "Значение «да» не является числом."),
        ("grad9_total", datetime(2024, 5, 1), "Значение «2024-05-01 00:00:00» не является числом."),
        ("grad9_total", 12.5, "Значение 12,5 должно быть целым числом."),
        ("grad9_total", "12,5", "Значение 12,5 должно быть целым числом."),
        ("grad9_total", 2500, "Значение 2500 вне допустимого диапазона: от 0 до 2000."),
        ("grad9_total", -1, "Значение -1 вне допустимого диапазона: от 0 до 2000."),
        (
            "grad9_total",
            "50%",
            "Значение «50%» со знаком %, а поле не процентное: укажите число без %.",
        ),
        ("support_staff_rates", 600, "Значение 600 вне допустимого диапазона: от 0 до 500."),
        ("vpr_share_2", "100,5%", "Значение 100,5 вне допустимого диапазона: от 0 до 100."),
        ("mgmt_education", 2, "Значение 2 недопустимо: укажите 1 (да) или 0 (нет)."),
        ("mgmt_education", 0.5, "Значение 0,5 недопустимо: укажите 1 (да) или 0 (нет)."),
        ("diagnostics_level", 5, "Уровень 5 недопустим: укажите целое число от 0 до 4."),
        ("diagnostics_level", 2.5, "Уровень 2,5 недопустим: укажите целое число от 0 до 4."),
    ],
)
def test_cell_errors(code, raw, message):
    result = check(edit(template(), {at(code, 3): raw}))
    issue = only_issue(result)
    assert (issue.sheet, issue.row, issue.column, issue.code) == (DATA, 3, COLS[code], code)
    assert issue.message == message
    assert math.isnan(result.values.at["102", code])
    assert not result.ok


def test_duplicated_column_is_an_error_on_the_header_row():
    extra = get_column_letter(len(COLS) + 3)
    result = check(edit(template(), {f"{extra}1": "Выпускников 9 кл. (grad9_total)"}))
    issue = only_issue(result)
    assert (issue.sheet, issue.row, issue.column, issue.code) == (DATA, 1, extra, "grad9_total")
    assert (
        issue.message
        == f"Поле grad9_total уже есть в столбце {COLS['grad9_total']}: оставьте один столбец."
    )


def test_all_errors_are_reported_at_once_and_sorted():
    data = edit(
        template(),
        {
            at("grad9_total", 4): "abc",
            at("grad9_total", 2): 3000,
            "A5": "999",
            at("mgmt_education", 5): 7,
            "A3": "101",
            at("diagnostics_level", 2): 9,
            at("grad9_certificate", 4): 30,  # the certificate rule is not checked: total is bad
            at("oge_fail", 4): 10,
            at("oge_participants", 4): 4,
        },
    )
    data = edit(data, {"C3": "1,5"}, sheet=PERIOD)  # ege_below_min_region: fine
    data = edit(data, {"C4": 200}, sheet=PERIOD)  # ege_80plus_region: out of bounds
    result = check(data)
    assert where(result) == [
        (DATA, 2, COLS["diagnostics_level"], "diagnostics_level"),
        (DATA, 2, COLS["grad9_total"], "grad9_total"),
        (DATA, 3, "A", ""),
        (DATA, 4, COLS["grad9_total"], "grad9_total"),
        (DATA, 4, COLS["oge_fail"], "oge_fail"),
        (DATA, 5, "A", ""),
        (DATA, 5, COLS["mgmt_education"], "mgmt_education"),
        (PERIOD, 4, "C", "ege_80plus_region"),
    ]
    assert not result.ok
    assert result.period_values == {"ege_below_min_region": 1.5}


# --- consistency ------------------------------------------------------------------------------


def test_consistency_in_one_row():
    data = edit(template(), {at("grad9_certificate", 3): 30, at("grad9_total", 3): 25})
    issue = only_issue(check(data))
    assert (issue.sheet, issue.row, issue.column, issue.code) == (
        DATA,
        3,
        COLS["grad9_certificate"],
        "grad9_certificate",
    )
    assert issue.message == (
        "Нарушено условие grad9_certificate ≤ grad9_total: "
        "«Из них получили аттестат об основном общем образовании» = 30, "
        "«Выпускников 9 классов» = 25."
    )


def test_consistency_with_a_sum():
    data = edit(
        template(),
        {at("honors", 2): 50, at("grad9_total", 2): 25, at("grad11_total", 2): 20},
    )
    issue = only_issue(check(data))
    assert (issue.row, issue.column, issue.code) == (2, COLS["honors"], "honors")
    assert "= 50" in issue.message and "= 25 + 20 = 45" in issue.message


def test_consistency_chain():
    row = {
        "students_10_11": 10,
        "students_9_11": 45,
        "students_7_11": 40,
        "students_6_11": 50,
        "students_total": 100,
    }
    data = edit(template(), {at(code, 4): value for code, value in row.items()})
    issue = only_issue(check(data))
    assert (issue.row, issue.column, issue.code) == (4, COLS["students_9_11"], "students_9_11")
    assert issue.message.startswith("Нарушено условие students_9_11 ≤ students_7_11:")
    assert "= 45" in issue.message and "= 40" in issue.message


def test_consistency_against_existing_values():
    data = edit(template(), {at("grad9_certificate", 2): 30})
    existing = stored({"101": {"grad9_total": 25}, "102": {"grad9_total": 10}})
    issue = only_issue(check(data, existing))
    assert (issue.row, issue.column, issue.code) == (
        2,
        COLS["grad9_certificate"],
        "grad9_certificate",
    )
    assert issue.message.endswith("= 25 (из уже сохранённых данных: grad9_total).")
    assert check(data).ok  # without the stored total, nothing to compare with


def test_consistency_existing_left_side_and_a_fix():
    existing = stored({"101": {"grad9_certificate": 30, "grad9_total": 25}})
    broken = check(edit(template(), {at("grad9_total", 2): 20}), existing)
    issue = only_issue(broken)
    assert (issue.row, issue.column) == (2, COLS["grad9_certificate"])
    assert "(из уже сохранённых данных: grad9_certificate)" in issue.message
    assert check(edit(template(), {at("grad9_total", 2): 30}), existing).ok


def test_existing_violation_the_file_does_not_touch_is_not_its_error():
    existing = stored({"101": {"grad9_certificate": 30, "grad9_total": 25}})
    assert check(edit(template(), {at("oge_participants", 2): 4}), existing).ok


def test_consistency_column_falls_back_to_the_right_side():
    def drop_certificate(wb):
        wb[DATA].delete_cols(column_index_from_string(COLS["grad9_certificate"]))

    data = edit(template(), fn=drop_certificate)
    data = edit(data, {at("grad9_total", 2): 20})  # the total's column did not move
    existing = stored({"101": {"grad9_certificate": 30}})
    issue = only_issue(check(data, existing))
    assert (issue.row, issue.column, issue.code) == (2, COLS["grad9_total"], "grad9_total")


def test_invalid_cell_does_not_fall_back_to_the_stored_value():
    existing = stored({"101": {"grad9_total": 25}})
    data = edit(template(), {at("grad9_total", 2): "abc", at("grad9_certificate", 2): 30})
    assert where(check(data, existing)) == [(DATA, 2, COLS["grad9_total"], "grad9_total")]


def test_existing_with_decimals_objects_and_other_orgs():
    existing = pd.DataFrame(
        {"grad9_total": [Decimal("25"), None], "teachers_total": [3, 4]},
        index=["101", "555"],
        dtype=object,
    )
    data = edit(template(), {at("grad9_certificate", 2): 26})
    assert where(check(data, existing)) == [
        (DATA, 2, COLS["grad9_certificate"], "grad9_certificate")
    ]


# --- unreadable files -------------------------------------------------------------------------


def unreadable(data) -> str:
    with pytest.raises(WorkbookUnreadable) as caught:
        check(data)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def test_csv_renamed():
    message = unreadable("Код ОО;grad9_total\n101;25\n".encode())
    assert "не является книгой Excel (.xlsx)" in message and "CSV" in message
    assert "«Книга Excel (*.xlsx)»" in message


def test_pdf_renamed():
    assert "PDF" in unreadable(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")


@pytest.mark.parametrize("data", [b"", b"  \n"])
def test_empty_file(data):
    assert unreadable(data).startswith("Файл пустой.")


def test_encrypted_file():
    fake = (
        bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le")
    )
    message = unreadable(fake + b"\x00" * 100)
    assert "защищён паролем" in message and "снимите пароль" in message


def test_old_xls_file():
    message = unreadable(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600)
    assert "Excel 97–2003 (.xls)" in message and "сохраните как" in message


def test_zip_that_is_not_a_workbook_and_truncated_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert "повреждён" in unreadable(buffer.getvalue())
    data = template()
    assert "повреждён" in unreadable(data[: len(data) // 2])


def test_no_code_column():
    message = unreadable(edit(template(), {"A1": "Код"}))
    assert message.startswith("На листе «Данные» не найден столбец «Код ОО»")


def test_no_data_sheet_and_no_code_column_on_the_first():
    def rename(wb):
        wb[DATA].title = "Лист1"
        wb["Лист1"]["A1"] = "Номер"

    message = unreadable(edit(template(), fn=rename))
    assert "нет листа «Данные»" in message and "«Лист1»" in message


def test_empty_data_sheet():
    wb = openpyxl.Workbook()
    wb.active.title = DATA
    out = io.BytesIO()
    wb.save(out)
    assert unreadable(out.getvalue()).startswith("Лист «Данные» пуст")


# --- period values ----------------------------------------------------------------------------


def test_period_values_are_read_and_validated():
    data = edit(
        template(),
        {"C3": "4,5", "C4": 120, "C5": "  "},
        sheet=PERIOD,
    )
    result = check(data)
    issue = only_issue(result)
    assert (issue.sheet, issue.row, issue.column, issue.code) == (
        PERIOD,
        4,
        "C",
        "ege_80plus_region",
    )
    assert issue.message == "Значение 120 вне допустимого диапазона: от 0 до 100."
    assert result.period_values == {"ege_below_min_region": 4.5}
    assert result.period_rows == {"ege_below_min_region": 3, "ege_80plus_region": 4}


def test_period_rows_unknown_org_scope_duplicate_and_missing_code():
    def rows(wb):
        ws = wb[PERIOD]
        ws.append(["foo", "Неизвестное", 1])
        ws.append(["grad9_total", "Не справочное", 5])
        ws.append(["OGE_FAIL_REGION ", "Повтор", 4])
        ws.append([None, None, 7])

    data = edit(template(), {"C2": 3}, sheet=PERIOD)
    result = check(edit(data, fn=rows))
    assert where(result) == [(PERIOD, 9, "C", "oge_fail_region"), (PERIOD, 10, "A", "")]
    assert result.issues[0].message == "Поле oge_fail_region повторяется: оно уже есть в строке 2."
    assert result.warnings == [
        "Лист «Справочные значения», строка 7: поле «foo» не найдено в справочнике, строка "
        "пропущена.",
        "Лист «Справочные значения», строка 8: поле grad9_total заполняется на листе «Данные», "
        "строка пропущена.",
    ]
    assert result.period_values == {"oge_fail_region": 3.0}


def test_period_sheet_without_headers():
    result = check(edit(template(), {"A1": "Поле"}, sheet=PERIOD))
    assert where(result) == [(PERIOD, None, "", "")]
    assert "«Код поля» и «Значение»" in result.issues[0].message


def test_period_sheet_moved_down_and_missing_sheet():
    data = edit(template(), {"C2": 2}, sheet=PERIOD)
    moved = check(edit(data, fn=lambda wb: wb[PERIOD].insert_rows(1, 3)))
    assert moved.period_values == {"oge_fail_region": 2.0}
    assert moved.period_rows == {"oge_fail_region": 5}
    gone = check(edit(data, fn=lambda wb: wb.remove(wb[PERIOD])))
    assert gone.ok and gone.period_values == {} and gone.period_sheet is None


# --- diff -------------------------------------------------------------------------------------


def test_diff_counts_and_items():
    new = stored(
        {
            "101": {"a": 1.0, "b": 2.0, "c": np.nan},
            "102": {"a": 5.0, "b": np.nan, "c": 3.5},
        }
    )
    existing = stored({"101": {"a": 1, "b": 3, "c": 9}, "103": {"a": 1}})
    diff = diff_values(new, existing)
    assert (diff.new, diff.changed, diff.unchanged) == (2, 1, 1)
    assert diff.items == [
        DiffItem("101", "b", 3.0, 2.0),
        DiffItem("102", "a", None, 5.0),
        DiffItem("102", "c", None, 3.5),
    ]
    assert [i.kind for i in diff.items] == ["changed", "new", "new"]
    assert diff.total_changes == 3 and not diff.truncated


def test_diff_without_existing_and_limit():
    new = stored({str(n): {"a": float(n)} for n in range(10)})
    diff = diff_values(new, None, limit=4)
    assert (diff.new, diff.changed, diff.unchanged) == (10, 0, 0)
    assert [i.org_code for i in diff.items] == ["0", "1", "2", "3"]
    assert diff.truncated and isinstance(diff, Diff)


def test_diff_after_import():
    existing = stored({"101": {"grad9_total": 25, "grad11_total": 20}})
    data = edit(
        template(), {at("grad9_total", 2): "25,0", at("grad11_total", 2): 21, at("honors", 3): 2}
    )
    result = check(data, existing)
    diff = diff_values(result.values, existing)
    assert (diff.new, diff.changed, diff.unchanged) == (1, 1, 1)


def test_diff_period_values():
    diff = diff_period_values({"x": 1.0, "y": 2.0}, {"x": 1, "z": 4})
    assert (diff.new, diff.changed, diff.unchanged) == (1, 0, 1)
    assert diff.items == [DiffItem("", "y", None, 2.0)]
    assert diff_period_values({"x": 1.0}, None).new == 1


# --- the rest ---------------------------------------------------------------------------------


def test_issue_text():
    assert str(ImportIssue(DATA, 7, "D", "grad9_total", "Ошибка.")) == (
        "Данные, строка 7, столбец D (grad9_total): Ошибка."
    )
    assert str(ImportIssue(DATA, 7, "A", "", "Ошибка.")) == "Данные, строка 7, столбец A: Ошибка."
    assert str(ImportIssue(PERIOD, None, "", "", "Ошибка.")) == "Справочные значения: Ошибка."


def test_errors_workbook_from_issues():
    result = check(edit(template(), {at("grad9_total", 2): "abc", "A3": "999"}))
    wb = openpyxl.load_workbook(io.BytesIO(build_errors_workbook(result.issues)))
    rows = list(wb.active.values)
    assert rows[1:] == [
        (DATA, 2, COLS["grad9_total"], "grad9_total", "Значение «abc» не является числом."),
        (DATA, 3, "A", None, "Организация с кодом «999» не найдена среди действующих организаций."),
    ]


def test_read_then_validate_separately():
    parsed = read_workbook(edit(template(), {at("grad9_total", 2): "7"}), CATALOGUE)
    assert (parsed.sheet, parsed.header_row, parsed.code_column) == (DATA, 1, "A")
    assert parsed.rows == [2, 3, 4] and parsed.org_codes == ["101", "102", "103"]
    assert parsed.raw.at[0, "grad9_total"] == "7"
    result = validate(parsed, CATALOGUE, {"101"})
    assert where(result) == [(DATA, 3, "A", ""), (DATA, 4, "A", "")]
    assert list(result.values.index) == ["101"]


def test_five_thousand_rows_smoke():
    orgs = [(str(10000 + n), f"Организация {n}") for n in range(5000)]
    values = {}
    for org, _ in orgs:
        values[(org, "grad9_total")] = 30
        values[(org, "grad9_certificate")] = 29
        values[(org, "vpr_share_2")] = 12.5
        values[(org, "mgmt_education")] = 1
    data = edit(
        template(values, orgs=orgs),
        {at("grad9_certificate", 4001): 31},
    )
    result = check(data, known={org for org, _ in orgs})
    assert result.values.shape == (5000, len(COLS))
    assert where(result) == [(DATA, 4001, COLS["grad9_certificate"], "grad9_certificate")]
    assert result.values["vpr_share_2"].sum() == 12.5 * 5000
