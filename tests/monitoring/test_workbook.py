"""The period template (openpyxl write side) and the errors workbook."""

import io

import openpyxl
import pandas as pd
import pytest

from monitoring.catalogue import default_catalogue
from monitoring.workbook import (
    SHEET_DATA,
    SHEET_PERIOD,
    SHEET_REFERENCE,
    build_errors_workbook,
    build_template,
    template_columns,
    template_inputs,
)

CATALOGUE = default_catalogue()
ORGS = [("101", "МКОУ «СОШ № 1» ст. Зеленчукской"), ("102", "Школа <2> & сад"), ("0103", "Три")]


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def template():
    return build_template(
        CATALOGUE,
        ORGS,
        "2024/2025 учебный год",
        values={
            ("101", "grad9_total"): 25,
            ("101", "support_staff_rates"): 2.5,
            ("102", "vpr_share_2"): 78.5,
            ("102", "mgmt_education"): 1.0,
            ("102", "grad9_total"): float("nan"),  # missing: stays blank
            ("999", "grad9_total"): 7,  # not an organisation of the template
        },
        period_values={"oge_fail_region": 3.4, "ege_80plus_region": 12},
    )


@pytest.fixture(scope="module")
def book(template):
    return load(template)


def test_sheets_in_order(book):
    assert book.sheetnames == [SHEET_DATA, SHEET_PERIOD, SHEET_REFERENCE]


def test_columns_are_org_inputs_that_are_not_derived(book):
    ws = book[SHEET_DATA]
    headers = [c.value for c in ws[1]]
    expected = [i for i in CATALOGUE.inputs if i.scope == "org" and i.provided_by != "derived"]
    assert headers[:2] == ["Код ОО", "Наименование"]
    assert headers[2:] == [f"{i.label} ({i.code})" for i in expected]
    assert "Выпускников 9 классов (grad9_total)" in headers
    codes = " ".join(headers[2:])
    for item in CATALOGUE.inputs:
        if item.provided_by == "derived" or item.scope == "period":
            assert f"({item.code})" not in codes
    assert template_inputs(CATALOGUE) == expected
    columns = template_columns(CATALOGUE)
    assert headers[openpyxl.utils.column_index_from_string(columns["grad9_total"]) - 1] == (
        "Выпускников 9 классов (grad9_total)"
    )


def test_one_row_per_organisation_codes_and_names_as_text(book):
    ws = book[SHEET_DATA]
    assert ws.max_row == 1 + len(ORGS)
    rows = list(ws.iter_rows(min_row=2, max_col=2))
    assert [(a.value, b.value) for a, b in rows] == ORGS
    for a, b in rows:
        assert a.number_format == "@" and b.number_format == "@"
        assert a.data_type == "s"


def test_header_style_freeze_and_widths(book):
    ws = book[SHEET_DATA]
    assert ws.freeze_panes == "C2"
    for cell in ws[1]:
        assert cell.font.b
        assert cell.alignment.wrap_text
    assert ws.column_dimensions["A"].width == 12
    assert ws.column_dimensions["B"].width == 45
    assert ws.column_dimensions["C"].width == 18


def test_prefilled_values(book):
    ws = book[SHEET_DATA]
    columns = template_columns(CATALOGUE)
    assert ws[f"{columns['grad9_total']}2"].value == 25
    assert isinstance(ws[f"{columns['grad9_total']}2"].value, int)
    assert ws[f"{columns['support_staff_rates']}2"].value == 2.5
    assert ws[f"{columns['vpr_share_2']}3"].value == 78.5
    assert ws[f"{columns['mgmt_education']}3"].value == 1
    assert ws[f"{columns['grad9_total']}3"].value is None
    assert ws[f"{columns['grad9_total']}4"].value is None


def test_data_validation_per_column(book):
    ws = book[SHEET_DATA]
    columns = template_columns(CATALOGUE)
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert len(validations) == len(columns)
    last = 1 + len(ORGS)
    grad9 = validations[f"{columns['grad9_total']}2:{columns['grad9_total']}{last}"]
    assert (grad9.type, grad9.operator, grad9.formula1, grad9.formula2) == (
        "whole",
        "between",
        "0",
        "2000",
    )
    assert grad9.allow_blank and grad9.showErrorMessage
    assert grad9.error == "grad9_total: нужно целое число от 0 до 2000."
    share = validations[f"{columns['vpr_share_2']}2:{columns['vpr_share_2']}{last}"]
    assert (share.type, share.formula1, share.formula2) == ("decimal", "0", "100")
    assert "78,5" in share.prompt
    flag = validations[f"{columns['mgmt_education']}2:{columns['mgmt_education']}{last}"]
    assert (flag.type, flag.formula1, flag.formula2) == ("whole", "0", "1")
    assert flag.error == "mgmt_education: нужно 1 (да) или 0 (нет)."
    level = validations[f"{columns['diagnostics_level']}2:{columns['diagnostics_level']}{last}"]
    assert (level.type, level.formula2) == ("whole", "4")
    rates = validations[f"{columns['support_staff_rates']}2:{columns['support_staff_rates']}{last}"]
    assert rates.type == "decimal"


def test_period_values_sheet(book):
    ws = book[SHEET_PERIOD]
    rows = list(ws.values)
    assert rows[0] == ("Код поля", "Наименование", "Значение")
    expected = [i.code for i in CATALOGUE.inputs if i.scope == "period"]
    assert [r[0] for r in rows[1:]] == expected
    by_code = {r[0]: r[2] for r in rows[1:]}
    assert by_code["oge_fail_region"] == 3.4
    assert by_code["ege_80plus_region"] == 12
    assert by_code["vpr_share_2_region"] is None
    assert len(ws.data_validations.dataValidation) == len(expected)


def test_reference_sheet(book):
    ws = book[SHEET_REFERENCE]
    rows = list(ws.values)
    header = rows.index(
        (
            "Код поля",
            "Наименование",
            "Тип",
            "Минимум",
            "Максимум",
            "Источник",
            "Кто заполняет",
            "Где заполняется",
        )
    )
    body = {r[0]: r for r in rows[header + 1 :]}
    assert len(body) == len(CATALOGUE.inputs)
    columns = template_columns(CATALOGUE)
    assert body["grad9_total"][2:5] == ("целое", 0, 2000)
    assert body["grad9_total"][7] == f"лист «Данные», столбец {columns['grad9_total']}"
    assert body["support_staff_rates"][2] == "дробное"
    assert body["vpr_share_2"][2] == "процент"
    assert body["mgmt_education"][2] == "да/нет (0/1)"
    assert body["diagnostics_level"][2] == "уровень"
    assert body["oge_fail_region"][7] == "лист «Справочные значения»"
    assert body["self_assessment_index"][6] == "рассчитывает портал"
    assert "78,5" in " ".join(str(r[0]) for r in rows[:header])


def test_properties_carry_the_period(book):
    assert "2024/2025 учебный год" in book.properties.title


def test_calamine_reads_the_template(template):
    frame = pd.read_excel(
        io.BytesIO(template), sheet_name=SHEET_DATA, engine="calamine", dtype=object
    )
    assert frame["Код ОО"].tolist() == ["101", "102", "0103"]
    assert frame["Выпускников 9 классов (grad9_total)"].iloc[0] == 25


def test_control_characters_are_dropped_from_names():
    data = build_template(CATALOGUE, [("1", "Школа\x01 № 1\x0b")], "p")
    assert load(data)[SHEET_DATA]["B2"].value == "Школа № 1"


def test_no_organisations():
    ws = load(build_template(CATALOGUE, [], "p"))[SHEET_DATA]
    assert ws.max_row == 1
    assert str(ws.data_validations.dataValidation[0].sqref) == "C2"


class Error:
    def __init__(self, sheet, row, column, code, message):
        self.sheet, self.row, self.column, self.code, self.message = (
            sheet,
            row,
            column,
            code,
            message,
        )


def test_errors_workbook():
    data = build_errors_workbook(
        [
            Error("Данные", 7, "D", "grad9_total", "Значение «abc» не является числом."),
            Error("Справочные значения", None, "", "", "Не найдены столбцы."),
        ]
    )
    ws = load(data).active
    assert list(ws.values) == [
        ("Лист", "Строка", "Столбец", "Код поля", "Сообщение"),
        ("Данные", 7, "D", "grad9_total", "Значение «abc» не является числом."),
        ("Справочные значения", None, None, None, "Не найдены столбцы."),
    ]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
