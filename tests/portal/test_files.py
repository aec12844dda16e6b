"""Uploaded files: the workbook guard, safe names, private media, and disarmed exports.

The cell-grid measure of `check_workbook` is compared with what calamine — the reader the import
uses — actually builds from the same XML, so the guard cannot drift from the reader it protects.
"""

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve

from monitoring.catalogue import default_catalogue
from monitoring.workbook import build_errors_workbook, build_template, template_mismatch
from zelenchuk_portal import files
from zelenchuk_portal.excel import safe_csv_row
from zelenchuk_portal.files import (
    PDF,
    WorkbookLimits,
    check_workbook,
    random_name,
    read_bounded,
    safe_name,
    sheet_extent,
)

CATALOGUE = default_catalogue()
ORGS = [("101", "Школа 1"), ("102", "Школа 2")]
LIMITS = WorkbookLimits(max_bytes=50 * 2**20, max_unpacked_bytes=256 * 2**20, max_cells=10**7)


def template(orgs=ORGS, label="2024/2025") -> bytes:
    return build_template(CATALOGUE, orgs, label)


def with_part(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def refused(data, limits=LIMITS) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_workbook(data, limits)
    return caught.value


# --- the workbook guard -------------------------------------------------------------------------


def test_the_template_passes_as_bytes_and_as_an_upload():
    data = template()
    check_workbook(data, LIMITS)
    check_workbook(SimpleUploadedFile("t.xlsx", data), LIMITS)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b" \r\n\t", "empty"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "old_format"),
        (
            bytes.fromhex("D0CF11E0A1B11AE1") + "EncryptedPackage".encode("utf-16-le"),
            "encrypted",
        ),
        (b"%PDF-1.7\n", "not_xlsx"),
        ("Код ОО;grad9_total\n".encode(), "not_xlsx"),
        (b"PK\x03\x04" + b"\0" * 100, "damaged"),
    ],
)
def test_what_is_not_a_workbook_is_refused_by_content(data, code):
    assert refused(data).code == code


def test_size_limit_counts_bytes_not_names():
    data = template()
    assert refused(data, WorkbookLimits(len(data) - 1, 2**30, 10**7)).code == "too_large"
    check_workbook(data, WorkbookLimits(len(data), 2**30, 10**7))


def test_read_bounded_never_reads_past_the_limit():
    upload = SimpleUploadedFile("big.xlsx", b"x" * 5000)
    assert read_bounded(upload, 100) == b"x" * 101
    assert read_bounded(SimpleUploadedFile("s.xlsx", b"abc"), 100) == b"abc"


def test_too_many_parts_too_much_unpacked_and_a_suspicious_ratio():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in range(files.WORKBOOK_MAX_PARTS):
            archive.writestr(f"xl/media/p{number}.bin", b"")
    assert "1001" in refused(out.getvalue()).messages[0]

    data = template()
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    small = WorkbookLimits(2**30, unpacked - 1, 10**7)
    assert refused(data, small).code == "too_big_unpacked"

    blanks = with_part(
        data,
        "xl/worksheets/sheet3.xml",
        lambda xml: xml.replace(b"</sheetData>", b" " * (3 * 2**20) + b"</sheetData>"),
    )
    error = refused(blanks)
    assert error.code == "too_big_unpacked" and "xl/worksheets/sheet3.xml" in error.messages[0]


def test_a_part_encrypted_at_zip_level_is_a_password():
    data = bytearray(template())
    # Set bit 0 («encrypted») of every part's flags in the central directory.
    for match in re.finditer(rb"PK\x01\x02", bytes(data)):
        data[match.start() + 8] |= 1
    assert refused(bytes(data)).code == "encrypted"


def test_other_zip_documents_are_named():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert refused(out.getvalue()).code == "not_xlsx"


def sheet_xml(rows: str) -> bytes:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def calamine_extent(xml: bytes) -> tuple[int, int]:
    """(last row, last column) of the sheet as calamine reads it (1-based)."""
    data = with_part(template(), "xl/worksheets/sheet1.xml", lambda _old: xml)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return sheet.end[0] + 1, sheet.end[1] + 1


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>2</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B7000"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="AB009"><v>1</v></c></row>',
        # cells without a reference follow the previous cell; rows without one the previous row
        '<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>',
        "<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>",
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="40"><c t="n"><v>1</v></c></row>',
        '<row r="1"><c s="0" r="A1"><v>1</v></c><c s="0" r="ZZ5"><v>1</v></c></row>',
    ],
)
def test_the_extent_is_what_the_reader_builds(rows):
    xml = sheet_xml(rows)
    assert sheet_extent(xml)[:2] == calamine_extent(xml)


def test_the_extent_does_not_depend_on_where_the_scan_cuts(monkeypatch):
    xml = zipfile.ZipFile(io.BytesIO(template(ORGS * 50))).read("xl/worksheets/sheet1.xml")
    whole = sheet_extent(xml)
    monkeypatch.setattr(files, "_SCAN_CHUNK", 997)
    assert sheet_extent(xml) == whole
    assert whole[:2] == calamine_extent(xml)


def test_a_sheet_spanning_too_many_cells_is_refused_before_reading():
    data = with_part(
        template(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="300000"><c r="ZZ300000"><v>1</v></c></row></sheetData>'
        ),
    )
    assert len(data) < 100_000
    message = refused(data).messages[0]
    assert "ZZ300000" in message and "«Данные»" in message


def test_formulas_need_their_computed_values():
    sheet = "xl/worksheets/sheet1.xml"
    base = template()
    cached = with_part(
        base, sheet, lambda x: x.replace(b"</row>", b'<c r="CZ1"><f>1+1</f><v>2</v></c></row>', 1)
    )
    check_workbook(cached, LIMITS)
    for empty in (b"", b"<v/>", b"<v></v>"):
        cell = b'<c r="CZ1"><f>1+1</f>' + empty + b"</c></row>"
        data = with_part(base, sheet, lambda x, cell=cell: x.replace(b"</row>", cell, 1))
        error = refused(data)
        assert error.code == "formula_without_value" and "CZ1" in error.messages[0]


# --- this period's template ---------------------------------------------------------------------


def test_template_mismatch_names_the_other_period_and_hidden_sheets():
    assert template_mismatch(template(), "2024/2025") is None
    assert "2023/2024" in template_mismatch(template(label="2023/2024"), "2024/2025")
    untouched = openpyxl.load_workbook(io.BytesIO(template()))
    untouched.properties.keywords = None  # typed into a new workbook: no stamp, no question
    out = io.BytesIO()
    untouched.save(out)
    assert template_mismatch(out.getvalue(), "2024/2025") is None

    book = openpyxl.load_workbook(io.BytesIO(template()))
    book["Справочник"].sheet_state = "hidden"  # not read by the import: fine
    out = io.BytesIO()
    book.save(out)
    assert template_mismatch(out.getvalue(), "2024/2025") is None
    book["Справочные значения"].sheet_state = "veryHidden"
    out = io.BytesIO()
    book.save(out)
    assert "«Справочные значения» скрыт" in template_mismatch(out.getvalue(), "2024/2025")
    assert template_mismatch(b"not a zip", "2024/2025") is None


# --- names and storage --------------------------------------------------------------------------


def test_safe_names_have_no_paths_controls_or_odd_extensions():
    assert safe_name("../../etc/Отчёт\r\nза\t2024.pdf", PDF) == "Отчёт за 2024.pdf"
    assert safe_name("C:\\Users\\me\\план.docx") == "план.docx"
    assert safe_name("x.p\ndf") == "x.pdf"
    assert safe_name("...") == "file"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", random_name(PDF))


def test_uploaded_files_have_no_public_url():
    """MEDIA_ROOT is served by no URL: not by a route, not by WhiteNoise's static folders."""
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"
    media = Path(settings.MEDIA_ROOT).resolve()
    for folder in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
        folder = Path(folder).resolve()
        assert media != folder and folder not in media.parents and media not in folder.parents
    assert getattr(settings, "WHITENOISE_ROOT", None) is None
    for path in ("/media/evidence/2025/01/x.pdf", "/evidence/2025/01/x.pdf", "/plans/x.pdf"):
        with pytest.raises(Resolver404):
            resolve(path)


def test_no_template_links_a_stored_file_directly():
    fields = r"(file|evidence|document|report_file|project_file|result_file)"
    pattern = re.compile(r"\." + fields + r"\.(url|path)\b")
    offenders = [
        f"{path}: {line.strip()}"
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        for line in path.read_text(encoding="utf-8").splitlines()
        if pattern.search(line)
    ]
    assert offenders == []


# --- disarmed exports ---------------------------------------------------------------------------


def test_csv_rows_are_disarmed_but_numbers_stay_numbers():
    row = ["=1+1", "+7 900", "-2+3", "@SUM(A1)", "\tx", "-1.5", "+3", "12,5", "1e-3", 7, None]
    assert safe_csv_row(row) == [
        "'=1+1", "'+7 900", "'-2+3", "'@SUM(A1)", "'\tx", "-1.5", "+3", "12,5", "1e-3", 7, None,
    ]  # fmt: skip


def test_the_template_disarms_names_codes_and_text():
    hostile = [("=1+2", '=HYPERLINK("http://x","клик")'), ("101", "@SUM(1)")]
    data = build_template(CATALOGUE, hostile, "2024/2025", {("101", "grad9_total"): "-2+3"})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Данные"]
    texts = [sheet.cell(row, col).value for row in (2, 3) for col in (1, 2)]
    assert texts == ["'=1+2", '\'=HYPERLINK("http://x","клик")', "101", "'@SUM(1)"]
    assert all(sheet.cell(row, col).data_type == "s" for row in (2, 3) for col in (1, 2))


def test_the_error_list_disarms_what_came_from_the_file():
    from monitoring.imports import ImportIssue

    issue = ImportIssue('=HYPERLINK("http://x")', 2, "C", "", "-1 не число")
    sheet = openpyxl.load_workbook(io.BytesIO(build_errors_workbook([issue]))).active
    assert [c.value for c in sheet[2]] == ['\'=HYPERLINK("http://x")', 2, "C", None, "'-1 не число"]
    assert all(c.data_type != "f" for c in sheet[2])


@pytest.mark.django_db
def test_the_scores_csv_disarms_organisation_codes(period):
    from monitoring.exports import scores_csv
    from monitoring.scoring import score_period
    from tests.conftest import make_org

    make_org("=cmd|' /C calc'!A0")
    score_period(period, trigger="test")
    rows = list(csv.reader(io.StringIO(scores_csv(period))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
