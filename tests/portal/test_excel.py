"""Excel downloads: a round trip through openpyxl, the formula-injection guard, sheet titles."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zelenchuk_portal.excel import (
    XLSX_CONTENT_TYPE,
    Sheet,
    excel_response,
    safe_cell,
    sheet_title,
    table_workbook,
)


def read(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_round_trip_keeps_headers_numbers_dates_and_cyrillic():
    rows = [
        [1, "МКОУ «СОШ № 1 ст. Зеленчукской»", 62.5, Decimal("7.25"), dt.date(2024, 9, 1), None],
        [2, "МКОУ «Гимназия № 2»", 48, 0, dt.date(2025, 5, 31), True],
    ]
    data = table_workbook(
        [Sheet("Индексы", ["№", "Организация", "Индекс, %", "Баллы", "Дата", "Флаг"], rows)],
        title="Мониторинг 2024/2025",
    )
    book = read(data)
    assert book.sheetnames == ["Индексы"]
    assert book.properties.title == "Мониторинг 2024/2025"
    sheet = book["Индексы"]
    assert [c.value for c in sheet[1]] == ["№", "Организация", "Индекс, %", "Баллы", "Дата", "Флаг"]
    first = [c.value for c in sheet[2]]
    assert first[:4] == [1, "МКОУ «СОШ № 1 ст. Зеленчукской»", 62.5, 7.25]
    assert first[4] == dt.datetime(2024, 9, 1) and first[5] is None
    assert sheet["C3"].data_type == "n" and sheet["C3"].value == 48
    assert sheet["F3"].value is True
    assert sheet["E2"].is_date and sheet["E2"].number_format == "DD.MM.YYYY"


def test_header_is_bold_frozen_and_filtered_and_columns_have_widths():
    rows = [[f"Организация с длинным названием № {i}", i] for i in range(30)]
    sheet = read(table_workbook([Sheet("Лист", ["Организация", "Индекс"], rows)])).active
    assert sheet["A1"].font.b and sheet["B1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B31"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width >= 6


def test_explicit_widths_are_used():
    data = table_workbook([Sheet("Лист", ["А", "Б"], [[1, 2]], widths=[40, 12])])
    sheet = read(data).active
    assert sheet.column_dimensions["A"].width == 40
    assert sheet.column_dimensions["B"].width == 12


def test_aware_datetimes_are_written_in_local_time():
    moment = timezone.make_aware(dt.datetime(2025, 1, 15, 9, 30))  # Europe/Moscow
    sheet = read(table_workbook([Sheet("Лист", ["Когда"], [[moment]])])).active
    assert sheet["A2"].value == dt.datetime(2025, 1, 15, 9, 30)


def test_rows_may_be_a_generator_of_ten_thousand_rows():
    rows = ([i, f"Школа {i}", i / 3, *range(7)] for i in range(10_000))
    data = table_workbook([Sheet("Большой", [f"Кол. {j}" for j in range(10)], rows)])
    sheet = read(data).active
    assert sheet.max_row == 10_001
    assert sheet["A10001"].value == 9999 and sheet["B10001"].value == "Школа 9999"
    assert sheet.auto_filter.ref == "A1:J10001"


def test_other_values_become_text_and_illegal_characters_are_dropped():
    class Choice:
        def __str__(self):
            return "оптимальный"

    sheet = read(table_workbook([Sheet("Лист", ["a", "b"], [[Choice(), "a\x00b\x07c"]])])).active
    assert sheet["A2"].value == "оптимальный"
    assert sheet["B2"].value == "abc"


# --- formula injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 900 123-45-67", "'+7 900 123-45-67"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (" =x", "' =x"),
        ("   +1", "'   +1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
        ("Школа № 1", "Школа № 1"),
        ("62,5", "62,5"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_cell_disarms_formulas(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("value", [-5, 0, 62.5, Decimal("-1.5"), None, True, dt.date(2024, 1, 1)])
def test_safe_cell_leaves_non_text_alone(value):
    assert safe_cell(value) is value


def test_injection_is_text_in_the_file():
    rows = [["=1+1", "+7 900", "-5", "@SUM(A1)", " =x", -5]]
    data = table_workbook([Sheet("Лист", ["=cmd|' /C calc'!A0", "b", "c", "d", "e", "f"], rows)])
    sheet = read(data).active
    assert sheet["A1"].value == "'=cmd|' /C calc'!A0"
    values = [c.value for c in sheet[2]]
    assert values == ["'=1+1", "'+7 900", "'-5", "'@SUM(A1)", "' =x", -5]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- sheet titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Индексы [2024/2025]: итог*?", "Индексы 2024 2025 итог"),
        (
            "Очень длинное название листа с результатами мониторинга",
            "Очень длинное название листа с",
        ),
        ("a\\b", "a b"),
        ("", "Лист"),
        ("'Кавычки'", "Кавычки"),
    ],
)
def test_sheet_titles_are_sanitised(title, expected):
    result = sheet_title(title)
    assert result == expected
    assert len(result) <= 31 and not set("[]:*?/\\") & set(result)


def test_sheet_titles_stay_unique_within_31_characters():
    long = "Результаты мониторинга по школам района"
    data = table_workbook([Sheet(long, ["a"], []), Sheet(long, ["a"], []), Sheet("x/y", ["a"], [])])
    names = read(data).sheetnames
    assert len(set(names)) == 3
    assert all(len(name) <= 31 for name in names)
    assert names[1].endswith("(2)")
    assert names[2] == "x y"


# --- the response --------------------------------------------------------------------------------


def test_excel_response_is_an_attachment_with_a_cyrillic_filename():
    data = table_workbook([Sheet("Лист", ["a"], [[1]])])
    response = excel_response(data, "Индексы 2024.xlsx")
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Indeksy 2024.xlsx"; ')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "Индексы 2024.xlsx"
    assert response.content == data
