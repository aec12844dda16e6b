"""From an xlsx file to stored scores: template → fill → preview → apply → scores.

The workbook is downloaded for the period (`template_bytes`), filled with openpyxl as an official
would in Excel, and taken through the same functions the upload page and the command call.
"""

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from monitoring.exports import template_bytes
from monitoring.imports import apply_import, preview_upload, stored_frame
from monitoring.methodology import version_for
from monitoring.models import ImportRecord, Score, ScoringRun, Source, Value, ValueChange
from monitoring.scoring import compute_scores
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from monitoring.workbook import SHEET_DATA, SHEET_PERIOD, template_columns
from tests.conftest import make_org
from zelenchuk_portal.models import PeriodStatus

TYPES = pd.Series({"A01": "school", "B02": "school", "K03": "kindergarten"})
ROWS = {"A01": 2, "B02": 3, "K03": 4}  # the template lists organisations by code
# What the registry provider derives (B4.5's norm): 100 Mbit/s in towns, 50 in villages.
INTERNET_NORM = {"A01": 100.0, "B02": 50.0, "K03": 100.0}
# What the reserve provider derives with nobody in the reserve: 0 (a real value, not missing).
NO_RESERVE = {"reserve_members": 0.0, "reserve_trained": 0.0, "reserve_idp_done": 0.0}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def district(org_a, org_b):
    kindergarten = make_org("K03", "kindergarten", short_name="МКДОУ «Детский сад № 3»")
    return {"A01": org_a, "B02": org_b, "K03": kindergarten}


@pytest.fixture
def catalogue(period):
    return version_for(period).catalogue


@pytest.fixture
def data(catalogue):
    return generate_values(catalogue, TYPES, 0), generate_period_values(catalogue, 0)


def fill(period, frame, period_values, edits=None) -> bytes:
    """The period's template with `frame` and `period_values` typed in, then `edits` ({ref: v})."""
    catalogue = version_for(period).catalogue
    columns = template_columns(catalogue)
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(period)))
    sheet = book[SHEET_DATA]
    for org_code, row in ROWS.items():
        for code, value in frame.loc[org_code].dropna().items():
            sheet[f"{columns[code]}{row}"] = int(value) if value.is_integer() else value
    for row in book[SHEET_PERIOD].iter_rows(min_row=2):
        row[2].value = period_values[row[0].value]
    for ref, value in (edits or {}).items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell(catalogue, code, org_code) -> str:
    return f"{template_columns(catalogue)[code]}{ROWS[org_code]}"


def expected_scores(catalogue, frame, period_values):
    orgs = pd.DataFrame({"org_type": TYPES}, index=pd.Index(TYPES.index, name="org_code"))
    values = frame.copy()
    values["internet_norm_mbps"] = pd.Series(INTERNET_NORM)
    values = values.assign(**NO_RESERVE)
    return compute_scores(catalogue, orgs, values, period_values).orgs


def test_full_journey_from_template_to_scores(period, district, official, catalogue, data):
    frame, period_values = data
    cells = int(frame.notna().sum().sum())
    assert cells > 100  # the kindergarten's school-only columns stay blank
    workbook = fill(period, frame, period_values)

    record = preview_upload(period, "Мониторинг 2024-2025.xlsx", workbook, official)
    assert record.status == ImportRecord.Status.PREVIEW
    assert (record.rows, record.error_count, record.issues) == (3, 0, [])
    assert (record.values_new, record.values_changed, record.values_unchanged) == (
        cells + len(period_values),
        0,
        0,
    )
    assert record.file_name == "Мониторинг 2024-2025.xlsx"
    assert Value.objects.count() == 0  # a preview stores nothing
    assert not Score.objects.exists()

    summary = apply_import(record, official)
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.APPLIED
    assert record.applied_at is not None
    assert (summary.new, summary.changed, summary.unchanged) == (cells + len(period_values), 0, 0)
    assert Value.objects.filter(period=period, organization__isnull=False).count() == cells
    assert Value.objects.filter(period=period, organization__isnull=True).count() == 5

    # Every value says which upload, sheet and Excel row it came from.
    grad9 = Value.objects.get(organization=district["B02"], input_code="grad9_total")
    assert grad9.value == frame.loc["B02", "grad9_total"]
    assert (grad9.source, grad9.import_record, grad9.sheet, grad9.row) == (
        Source.IMPORT,
        record,
        SHEET_DATA,
        3,
    )
    assert grad9.entered_by == official
    kindergarten_row = Value.objects.filter(organization=district["K03"]).values_list(
        "sheet", "row"
    )
    assert set(kindergarten_row) == {(SHEET_DATA, 4)}
    reference = Value.objects.get(organization=None, input_code="ege_80plus_region")
    assert (reference.sheet, reference.row) == (SHEET_PERIOD, 4)
    assert float(reference.value) == period_values["ege_80plus_region"]
    assert ValueChange.objects.filter(import_record=record).count() == cells + 5

    # Stored data round-trips exactly.
    stored = stored_frame(period).reindex(index=frame.index, columns=frame.columns)
    pd.testing.assert_frame_equal(stored, frame, check_names=False)

    # Scores were computed from the import, exactly as the pure function computes them.
    run = ScoringRun.objects.get(period=period)
    assert (run.trigger, run.organizations, run.by) == ("import", 3, official)
    expected = expected_scores(catalogue, frame, period_values)
    scores = {s.organization.code: s for s in Score.objects.select_related("organization")}
    assert set(scores) == {"A01", "B02", "K03"}
    for code, score in scores.items():
        assert score.index == pytest.approx(expected.loc[code, "index"]), code
        assert score.level == expected.loc[code, "level"], code
        assert score.group_a == pytest.approx(expected.loc[code, "group_a"]), code
        assert score.b1 == pytest.approx(expected.loc[code, "B1"], nan_ok=True), code
        assert score.version_id == version_for(period).pk
        assert score.run_id == run.pk


def test_importing_the_same_file_again_changes_nothing(period, district, official, data):
    frame, period_values = data
    workbook = fill(period, frame, period_values)
    apply_import(preview_upload(period, "t.xlsx", workbook, official), official)
    values_before = list(Value.objects.order_by("pk").values_list("pk", "value", "updated_at"))
    changes_before = ValueChange.objects.count()
    runs_before = ScoringRun.objects.count()

    again = preview_upload(period, "t.xlsx", workbook, official)
    cells = int(frame.notna().sum().sum()) + len(period_values)
    assert again.status == ImportRecord.Status.PREVIEW
    assert (again.values_new, again.values_changed, again.values_unchanged) == (0, 0, cells)
    assert again.changes_preview == []
    summary = apply_import(again, official)
    assert (summary.new, summary.changed, summary.unchanged) == (0, 0, cells)
    assert ValueChange.objects.count() == changes_before
    assert list(Value.objects.order_by("pk").values_list("pk", "value", "updated_at")) == (
        values_before
    )
    assert ScoringRun.objects.count() == runs_before  # nothing written, nothing to rescore


def test_a_corrected_file_changes_only_what_changed(period, district, official, catalogue, data):
    frame, period_values = data
    apply_import(
        preview_upload(period, "t.xlsx", fill(period, frame, period_values), official), official
    )
    old = frame.loc["A01", "grad9_total"]
    ref = cell(catalogue, "grad9_total", "A01")
    corrected = fill(period, frame, period_values, {ref: int(old) + 1})

    record = preview_upload(period, "t2.xlsx", corrected, official)
    assert (record.values_new, record.values_changed) == (0, 1)
    assert record.changes_preview == [
        {"org_code": "A01", "code": "grad9_total", "old": old, "new": old + 1}
    ]
    apply_import(record, official)
    change = ValueChange.objects.get(import_record=record)
    assert (change.input_code, float(change.old_value), float(change.new_value)) == (
        "grad9_total",
        old,
        old + 1,
    )
    assert (change.sheet, change.row) == (SHEET_DATA, 2)


def test_blank_cells_change_nothing(period, district, official, data):
    frame, period_values = data
    apply_import(
        preview_upload(period, "t.xlsx", fill(period, frame, period_values), official), official
    )
    count = Value.objects.count()
    blank = frame.copy()
    blank.loc["A01"] = np.nan
    record = preview_upload(period, "t2.xlsx", fill(period, blank, period_values), official)
    assert record.values_new == 0 and record.values_changed == 0
    apply_import(record, official)
    assert Value.objects.count() == count


def test_a_file_with_mistakes_is_rejected_whole(period, district, official, catalogue, data):
    frame, period_values = data
    teachers = int(frame.loc["B02", "teachers_total"])
    edits = {
        cell(catalogue, "grad9_total", "A01"): "тридцать",
        cell(catalogue, "mgmt_training_hours_3y", "B02"): 5000,
        cell(catalogue, "teachers_categorized", "B02"): teachers + 1,
        "A4": "Z99",
    }
    # Last week's data is stored; this week's file with mistakes must leave it exactly as it is.
    stored = frame.loc[["B02"]].stack().dropna()
    write_values(
        period,
        [
            ValueWrite(district["B02"].pk, code, v - 1 if v >= 1 else v)
            for (_o, code), v in stored.items()
        ],
        source=Source.IMPORT,
        user=official,
    )
    snapshot = list(
        Value.objects.order_by("pk").values_list("pk", "input_code", "value", "updated_at")
    )
    changes_before = ValueChange.objects.count()
    workbook = fill(period, frame, period_values, edits)

    record = preview_upload(period, "errors.xlsx", workbook, official)
    assert record.status == ImportRecord.Status.REJECTED
    assert record.error_count == 4
    columns = template_columns(catalogue)
    assert record.issues == [
        {
            "sheet": SHEET_DATA,
            "row": 2,
            "column": columns["grad9_total"],
            "code": "grad9_total",
            "message": "Значение «тридцать» не является числом.",
        },
        {
            "sheet": SHEET_DATA,
            "row": 3,
            "column": columns["mgmt_training_hours_3y"],
            "code": "mgmt_training_hours_3y",
            "message": "Значение 5000 вне допустимого диапазона: от 0 до 2000.",
        },
        {
            "sheet": SHEET_DATA,
            "row": 3,
            "column": columns["teachers_categorized"],
            "code": "teachers_categorized",
            "message": "Нарушено условие teachers_categorized ≤ teachers_total: "
            f"«Из них с высшей или первой категорией» = {teachers + 1}, "
            f"«Педагогических работников» = {teachers}.",
        },
        {
            "sheet": SHEET_DATA,
            "row": 4,
            "column": "A",
            "code": "",
            "message": "Организация с кодом «Z99» не найдена среди действующих организаций.",
        },
    ]

    def unchanged():
        values = Value.objects.order_by("pk").values_list("pk", "input_code", "value", "updated_at")
        return list(values) == snapshot and ValueChange.objects.count() == changes_before

    assert len(snapshot) > 40
    assert unchanged()
    # Confirming a rejected upload stores nothing either.
    assert apply_import(record, official) is None
    assert unchanged()
    assert not Score.objects.exists()


def test_an_error_against_stored_values_is_found(period, district, official, catalogue, data):
    """A rule whose other side is already stored (not in the file) is still checked."""
    frame, period_values = data
    teachers = int(frame.loc["A01", "teachers_total"])
    write_values(
        period,
        [ValueWrite(district["A01"].pk, "teachers_total", teachers)],
        source=Source.OFFICIAL,
        user=official,
    )
    only = frame.loc[["A01"], ["teachers_categorized"]].copy()
    only.loc["A01", "teachers_categorized"] = teachers + 5
    sparse = only.reindex(index=frame.index, columns=frame.columns)
    # The downloaded template is pre-filled with what is stored: the official clears that cell.
    blank = {cell(catalogue, "teachers_total", "A01"): None}
    record = preview_upload(period, "t.xlsx", fill(period, sparse, period_values, blank), official)
    assert record.status == ImportRecord.Status.REJECTED
    [issue] = record.issues
    assert (issue["row"], issue["code"]) == (2, "teachers_categorized")
    assert issue["message"] == (
        "Нарушено условие teachers_categorized ≤ teachers_total: «Из них с высшей или первой "
        f"категорией» = {teachers + 5}, «Педагогических работников» = {teachers} "
        "(из уже сохранённых данных: teachers_total)."
    )
    assert Value.objects.count() == 1


def test_the_file_is_validated_again_on_confirmation(period, district, official, data):
    frame, period_values = data
    record = preview_upload(period, "t.xlsx", fill(period, frame, period_values), official)
    # Between the preview and the confirmation an organisation is closed down.
    district["K03"].is_active = False
    district["K03"].save()
    assert apply_import(record, official) is None
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.REJECTED
    assert any("«K03»" in issue["message"] for issue in record.issues)
    assert Value.objects.count() == 0


def test_an_applied_record_is_not_applied_twice(period, district, official, data):
    frame, period_values = data
    record = preview_upload(period, "t.xlsx", fill(period, frame, period_values), official)
    apply_import(record, official)
    count = ValueChange.objects.count()
    assert apply_import(record, official) is None
    assert ValueChange.objects.count() == count


def test_a_csv_renamed_to_xlsx_gets_one_clear_message(period, district, official):
    csv = "Код ОО;grad9_total\nA01;30\n".encode("cp1251")
    record = preview_upload(period, "data.xlsx", csv, official)
    assert record.status == ImportRecord.Status.REJECTED
    assert record.error_count == 1
    [issue] = record.issues
    assert issue["message"] == (
        "Файл не является книгой Excel (.xlsx): похоже, это текстовый файл (например, CSV) с "
        "изменённым расширением. Скачайте шаблон за период на портале, перенесите в него данные, "
        "не меняя заголовков, и сохраните как «Книга Excel (*.xlsx)»."
    )
    assert (issue["sheet"], issue["row"], issue["column"]) == ("", None, "")
    assert Value.objects.count() == 0


def test_an_empty_file_gets_one_clear_message(period, district, official):
    record = preview_upload(period, "empty.xlsx", b"", official)
    assert record.status == ImportRecord.Status.REJECTED
    assert [i["message"] for i in record.issues] == [
        "Файл пустой. Выберите заполненный файл шаблона (.xlsx) и загрузите его снова."
    ]


def test_the_upload_keeps_file_name_and_checksum(period, district, official, data):
    import hashlib

    frame, period_values = data
    workbook = fill(period, frame, period_values)
    record = preview_upload(period, "../../etc/Данные 2024.xlsx", workbook, official)
    assert record.file_name == "Данные 2024.xlsx"
    assert record.checksum == hashlib.sha256(workbook).hexdigest()
    assert record.uploaded_by == official
    with record.file.open("rb") as handle:
        assert handle.read() == workbook


def test_a_closed_period_refuses_uploads_and_confirmations(period, district, official, data):
    from monitoring.values import PeriodClosedError

    frame, period_values = data
    workbook = fill(period, frame, period_values)
    record = preview_upload(period, "t.xlsx", workbook, official)
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(PeriodClosedError):
        preview_upload(period, "t.xlsx", workbook, official)
    record.refresh_from_db()
    with pytest.raises(PeriodClosedError):
        apply_import(record, official)
    assert Value.objects.count() == 0
    assert ImportRecord.objects.count() == 1
