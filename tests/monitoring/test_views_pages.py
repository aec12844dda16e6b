"""What the monitoring pages do: uploads, downloads, self-reports, corrections, query counts."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext

from monitoring.catalogue import LEVEL_LABELS
from monitoring.exports import template_bytes
from monitoring.imports import preview_upload
from monitoring.methodology import version_for
from monitoring.models import (
    Evidence,
    ImportRecord,
    PeriodEvent,
    Score,
    ScoringRun,
    SelfReport,
    Source,
    Value,
    ValueChange,
)
from monitoring.scoring import score_period
from monitoring.selfreports import start_report, submit
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from monitoring.workbook import ERROR_HEADERS, SHEET_DATA, SHEET_PERIOD, template_columns
from tests.conftest import count_queries, make_org, make_person
from zelenchuk_portal.models import PeriodStatus, Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
CYRILLIC = re.compile("[а-яё]{4,}", re.IGNORECASE)
ALLOWED = "PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), OpenDocument"
REPORT = {
    "development_program_status": "2",
    "internal_reserve_order": "1",
    "teachers_trained_3y": "18",
    "vsoko_items_done": "5",
    "profmin_covered": "150",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(name, *args) -> str:
    return reverse(f"monitoring:{name}", args=args)


def fill_district(period, organizations, *, user=None, principal=True):
    """Plausible values for `organizations` (and the period), stored and scored."""
    catalogue = version_for(period).catalogue
    types = pd.Series({org.code: org.org_type for org in organizations})
    frame = generate_values(catalogue, types, 0, include_principal_inputs=principal)
    ids = {org.code: org.pk for org in organizations}
    writes = [ValueWrite(ids[o], c, v) for (o, c), v in frame.stack().dropna().items()]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, 0).items()]
    write_values(period, writes, source=Source.OFFICIAL, user=user)
    score_period(period, trigger="test")
    return frame


def workbook(period, frame, edits=None) -> bytes:
    """The period's template with `frame` typed in (rows in code order) and `edits` applied."""
    catalogue = version_for(period).catalogue
    columns = template_columns(catalogue)
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(period)))
    sheet = book[SHEET_DATA]
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    for org_code, values in frame.iterrows():
        for code, value in values.dropna().items():
            sheet[f"{columns[code]}{rows[org_code]}"] = value
    for row in book[SHEET_PERIOD].iter_rows(min_row=2):
        row[2].value = generate_period_values(catalogue, 0)[row[0].value]
    for ref, value in (edits or {}).items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def synthetic(period, organizations):
    catalogue = version_for(period).catalogue
    types = pd.Series({org.code: org.org_type for org in organizations})
    return generate_values(catalogue, types, 0)


# --- the Excel import through the pages ------------------------------------------------------


def test_upload_preview_confirm(login, official, period, org_a, org_b):
    frame = synthetic(period, [org_a, org_b])
    cells = int(frame.notna().sum().sum()) + 5
    client = login(official)
    upload = SimpleUploadedFile("данные.xlsx", workbook(period, frame), content_type=XLSX)
    response = client.post(url("import_upload", period.pk), {"file": upload})
    record = ImportRecord.objects.get()
    assert response.status_code == 302
    assert response.url == url("import_detail", record.pk)
    assert record.status == ImportRecord.Status.PREVIEW
    assert (record.values_new, record.values_changed, record.values_unchanged) == (cells, 0, 0)
    assert record.uploaded_by == official

    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["record"] == record
    html = page.content.decode()
    assert f">{cells}<" in html
    assert url("import_confirm", record.pk) in html
    assert 'id="import-errors"' not in html
    assert not Value.objects.exists()

    response = client.post(url("import_confirm", record.pk))
    assert response.url == url("import_detail", record.pk)
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.APPLIED
    assert Value.objects.count() == cells
    assert Score.objects.count() == 2
    assert ScoringRun.objects.get().trigger == "import"
    assert messages_of(response) == [
        gettext("Import applied: %(new)s new and %(changed)s changed values; scores recomputed.")
        % {"new": cells, "changed": 0}
    ]
    # Confirming again is harmless.
    client.post(url("import_confirm", record.pk))
    assert ValueChange.objects.count() == cells


def test_upload_with_errors_shows_the_table_and_the_excel_list(
    login, official, period, org_a, org_b
):
    frame = synthetic(period, [org_a, org_b])
    catalogue = version_for(period).catalogue
    columns = template_columns(catalogue)
    edits = {f"{columns['grad9_total']}2": "тридцать", f"{columns['vsoko_items_done']}3": 9}
    client = login(official)
    upload = SimpleUploadedFile("errors.xlsx", workbook(period, frame, edits), content_type=XLSX)
    response = client.post(url("import_upload", period.pk), {"file": upload})
    record = ImportRecord.objects.get()
    assert response.url == url("import_detail", record.pk)
    assert record.status == ImportRecord.Status.REJECTED
    expected = [
        (
            SHEET_DATA,
            2,
            columns["grad9_total"],
            "grad9_total",
            "Значение «тридцать» не является числом.",
        ),
        (
            SHEET_DATA,
            3,
            columns["vsoko_items_done"],
            "vsoko_items_done",
            "Значение 9 вне допустимого диапазона: от 0 до 6.",
        ),
    ]
    fields = ("sheet", "row", "column", "code", "message")  # jsonb does not keep key order
    assert [tuple(issue[f] for f in fields) for issue in record.issues] == expected

    page = client.get(response.url)
    html = page.content.decode()
    assert 'id="import-errors"' in html
    for *_place, message in expected:
        assert message in html
    assert url("import_confirm", record.pk) not in html

    download = client.get(url("import_errors", record.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert f'filename="errors_{record.pk}.xlsx"' in download["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ERROR_HEADERS
    assert rows[1:] == expected

    client.post(url("import_confirm", record.pk))
    assert not Value.objects.exists()


def test_a_csv_renamed_to_xlsx_gets_one_message(login, official, period, org_a):
    client = login(official)
    upload = SimpleUploadedFile("data.xlsx", "Код ОО;grad9_total\nA01;30\n".encode())
    response = client.post(url("import_upload", period.pk), {"file": upload})
    record = ImportRecord.objects.get()
    assert response.url == url("import_detail", record.pk)
    assert record.error_count == 1
    message = record.issues[0]["message"]
    assert message.startswith("Файл не является книгой Excel (.xlsx): похоже, это текстовый файл")
    assert message in client.get(response.url).content.decode()


def test_upload_without_a_file(login, official, period):
    response = login(official).post(url("import_upload", period.pk), {})
    assert response.url == url("period_detail", period.pk)
    assert messages_of(response) == [gettext("Choose a file to upload.")]
    assert not ImportRecord.objects.exists()


def test_upload_to_a_closed_period_is_refused(login, official, period, org_a):
    period.status = PeriodStatus.CLOSED
    period.save()
    frame = synthetic(period, [org_a])
    upload = SimpleUploadedFile("t.xlsx", workbook(period, frame), content_type=XLSX)
    response = login(official).post(url("import_upload", period.pk), {"file": upload})
    assert response.url == url("period_detail", period.pk)
    [message] = messages_of(response)
    assert "2024/2025" in message
    assert not ImportRecord.objects.exists()


def test_discard_keeps_nothing(login, official, period, org_a):
    record = preview_upload(
        period, "t.xlsx", workbook(period, synthetic(period, [org_a])), official
    )
    client = login(official)
    response = client.post(url("import_discard", record.pk))
    assert response.url == url("period_detail", period.pk)
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.DISCARDED
    client.post(url("import_confirm", record.pk))
    assert not Value.objects.exists()


def test_template_download(login, official, period, org_a, org_b):
    write_values(
        period,
        [ValueWrite(org_b.pk, "grad9_total", Decimal("25"))],
        source=Source.OFFICIAL,
        user=official,
    )
    response = login(official).get(url("template_download", period.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert 'filename="monitoring_2024-2025.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Данные", "Справочные значения", "Справочник"]
    data = book["Данные"]
    assert [data.cell(r, 1).value for r in range(1, 4)] == ["Код ОО", "A01", "B02"]
    column = template_columns(version_for(period).catalogue)["grad9_total"]
    assert data[f"{column}1"].value.endswith("(grad9_total)")
    assert data[f"{column}3"].value == 25  # pre-filled with what is stored
    assert data[f"{column}2"].value is None


# --- scores ----------------------------------------------------------------------------------


def test_scores_csv(login, official, period, org_a, org_b):
    fill_district(period, [org_a, org_b], user=official)
    response = login(official).get(url("scores_export", period.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="scores_2024-2025.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    header = rows[0]
    assert header[:12] == [
        "org_code", "index", "level", "group_a", "group_b",
        "A1", "A2", "B1", "B2", "B3", "B4", "B5",
    ]  # fmt: skip
    indicators = [i.code for i in version_for(period).catalogue.indicators]
    expected_tail = [
        f"{code}_{part}" for code in indicators for part in ("value", "status", "points")
    ]
    assert header[12:] == expected_tail
    assert [row[0] for row in rows[1:]] == ["A01", "B02"]
    score = Score.objects.get(organization=org_a)
    assert float(rows[1][1]) == score.index
    assert rows[1][2] == LEVEL_LABELS[score.level]
    assert rows[1][header.index("group_a")] == f"{round(score.group_a, 1):g}"
    value, status, points, _gated, _risk = score.results["B4.6"]
    assert rows[1][header.index("B4.6_value")] == f"{value:g}"
    assert rows[1][header.index("B4.6_status")] == status == "значение"
    assert rows[1][header.index("B4.6_points")] == f"{points:g}"


def test_rescore_close_and_reopen_through_the_page(login, official, period, org_a):
    fill_district(period, [org_a], user=official)
    client = login(official)
    response = client.post(url("period_rescore", period.pk))
    assert response.url == url("period_detail", period.pk)
    assert ScoringRun.objects.first().trigger == "manual"
    assert ScoringRun.objects.first().by == official

    client.post(url("period_close", period.pk), {"reason": "Итоги утверждены"})
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    runs = ScoringRun.objects.count()
    response = client.post(url("period_rescore", period.pk))
    assert ScoringRun.objects.count() == runs
    assert "2024/2025" in messages_of(response)[-1]

    response = client.post(url("period_reopen", period.pk), {"reason": "  "})
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    assert messages_of(response)[-1] == gettext(
        "Say why the period is reopened: the reason is recorded."
    )
    client.post(url("period_reopen", period.pk), {"reason": "Ошибка в данных A01"})
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN
    assert [(e.action, e.reason, e.by) for e in PeriodEvent.objects.order_by("at", "id")] == [
        ("close", "Итоги утверждены", official),
        ("reopen", "Ошибка в данных A01", official),
    ]


# --- an official's correction ------------------------------------------------------------------


def test_value_correction_with_reason_writes_history_and_rescores(login, official, period, org_a):
    frame = fill_district(period, [org_a], user=official)
    old = Decimal(str(frame.loc["A01", "unresolved_violations"]))
    new = old + 3
    before = Score.objects.get()
    client = login(official)
    edit = url("value_edit", period.pk, org_a.pk, "unresolved_violations")
    response = client.post(edit, {"value": str(new), "reason": "Акт проверки от 12.03.2025"})
    assert response.status_code == 302
    assert response.url == url("org_monitoring", period.pk, org_a.pk)

    value = Value.objects.get(organization=org_a, input_code="unresolved_violations")
    assert (value.value, value.source, value.entered_by, value.reason) == (
        new,
        Source.OFFICIAL,
        official,
        "Акт проверки от 12.03.2025",
    )
    change = ValueChange.objects.filter(input_code="unresolved_violations").first()
    assert (change.old_value, change.new_value, change.changed_by, change.reason) == (
        old,
        new,
        official,
        "Акт проверки от 12.03.2025",
    )
    run = ScoringRun.objects.first()
    assert (run.trigger, run.by) == ("correction", official)
    after = Score.objects.get()
    assert after.run == run and after.pk != before.pk
    assert after.results["B4.6"][0] == float(new)

    page = client.get(edit)
    assert page.status_code == 200
    assert [(c.old_value, c.new_value) for c in page.context["history"]][0] == (old, new)
    assert "Акт проверки от 12.03.2025" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"value": "3"}, "reason"), ({"value": "2000", "reason": "ошибка"}, "value")],
)
def test_value_correction_needs_a_reason_and_respects_bounds(
    login, official, period, org_a, data, field
):
    response = login(official).post(
        url("value_edit", period.pk, org_a.pk, "unresolved_violations"), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Value.objects.exists()
    assert not ScoringRun.objects.exists()


def test_a_correction_breaking_a_consistency_rule_is_refused(login, official, period, org_a):
    write_values(
        period,
        [
            ValueWrite(org_a.pk, "teachers_total", Decimal("40")),
            ValueWrite(org_a.pk, "teachers_categorized", Decimal("30")),
        ],
        source=Source.IMPORT,
        user=official,
    )
    response = login(official).post(
        url("value_edit", period.pk, org_a.pk, "teachers_total"),
        {"value": "25", "reason": "Опечатка"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Нарушено условие teachers_categorized ≤ teachers_total: «Из них с высшей или первой "
        "категорией» = 30, «Педагогических работников» = 25"
    ]
    assert Value.objects.get(input_code="teachers_total").value == Decimal("40")
    assert ValueChange.objects.count() == 2
    assert not ScoringRun.objects.exists()


def test_a_correction_takes_a_decimal_comma(login, official, period, org_a):
    response = login(official).post(
        url("value_edit", period.pk, org_a.pk, "internet_mbps"),
        {"value": "78,5", "reason": "Договор с провайдером"},
    )
    assert response.status_code == 302
    assert Value.objects.get(input_code="internet_mbps").value == Decimal("78.5")


def test_a_derived_input_is_not_corrected_by_hand(login, official, period, org_a):
    response = login(official).get(url("value_edit", period.pk, org_a.pk, "reserve_members"))
    assert response.status_code == 403


def test_correction_in_a_closed_period_is_refused(login, official, period, org_a):
    period.status = PeriodStatus.CLOSED
    period.save()
    response = login(official).post(
        url("value_edit", period.pk, org_a.pk, "unresolved_violations"),
        {"value": "1", "reason": "ошибка"},
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "2024/2025" in error
    assert not Value.objects.exists()


# --- the self-report page --------------------------------------------------------------------


def test_autosave_returns_json_and_keeps_the_draft(login, principal_a, period, org_a):
    client = login(principal_a)
    response = client.post(
        url("self_report", period.pk, org_a.pk),
        {"teachers_trained_3y": " двадцать ", "vsoko_items_done": "9"},
        HTTP_X_AUTOSAVE="1",
    )
    assert response.status_code == 200
    report = SelfReport.objects.get()
    assert response.json() == {"saved": True, "revision": report.revision}  # the page keeps it
    assert report.status == SelfReport.Status.DRAFT
    assert report.values == {
        "development_program_status": "",
        "internal_reserve_order": "",
        "teachers_trained_3y": "двадцать",
        "vsoko_items_done": "9",
        "profmin_covered": "",
    }
    page = client.get(url("self_report", period.pk, org_a.pk))
    assert 'value="двадцать"' in page.content.decode()


def test_autosave_of_a_submitted_report_is_refused(login, principal_a, period, org_a):
    client = login(principal_a)
    client.post(url("self_report", period.pk, org_a.pk), {**REPORT, "submit": "1"})
    response = client.post(
        url("self_report", period.pk, org_a.pk), {"vsoko_items_done": "1"}, HTTP_X_AUTOSAVE="1"
    )
    assert response.status_code == 409
    assert response.json()["saved"] is False
    assert SelfReport.objects.get().values["vsoko_items_done"] == "5"


def test_submit_through_the_page(login, principal_a, period, org_a):
    response = login(principal_a).post(
        url("self_report", period.pk, org_a.pk), {**REPORT, "submit": "1"}
    )
    assert response.status_code == 302
    assert response.url == url("self_report", period.pk, org_a.pk)
    report = SelfReport.objects.get()
    assert (report.status, report.submitted_by) == (SelfReport.Status.SUBMITTED, principal_a)
    assert report.values == REPORT
    assert messages_of(response) == [gettext("Self-report submitted for review.")]


def test_an_invalid_submission_keeps_the_draft(login, principal_a, period, org_a):
    response = login(principal_a).post(
        url("self_report", period.pk, org_a.pk), {**REPORT, "vsoko_items_done": "9", "submit": "1"}
    )
    assert response.status_code == 200
    assert "vsoko_items_done" in response.context["form"].errors
    report = SelfReport.objects.get()
    assert report.status == SelfReport.Status.DRAFT
    assert report.values["vsoko_items_done"] == "9"


def test_a_submission_against_stored_values_is_refused(login, official, principal_a, period, org_a):
    write_values(
        period,
        [ValueWrite(org_a.pk, "teachers_total", Decimal("12"))],
        source=Source.IMPORT,
        user=official,
    )
    response = login(principal_a).post(
        url("self_report", period.pk, org_a.pk), {**REPORT, "submit": "1"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Нарушено условие teachers_trained_3y ≤ teachers_total: «Из них прошли повышение "
        "квалификации за 3 года» = 18, «Педагогических работников» = 12"
    ]
    report = SelfReport.objects.get()
    assert report.status == SelfReport.Status.DRAFT
    assert report.values == REPORT  # the refused submission is kept as a draft


def test_accept_through_the_page_stores_values_and_rescores(
    login, official, principal_a, period, org_a
):
    fill_district(period, [org_a], user=official, principal=False)
    before = Score.objects.get()
    report = start_report(period, org_a)
    submit(report, {k: Decimal(v) for k, v in REPORT.items()}, principal_a)
    client = login(official)
    page = client.get(url("self_report", period.pk, org_a.pk))
    assert url("self_report_review", report.pk) in page.content.decode()

    response = client.post(url("self_report_review", report.pk), {"accept": "1", "comment": ""})
    assert response.url == url("self_report", period.pk, org_a.pk)
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (SelfReport.Status.ACCEPTED, official)
    stored = Value.objects.get(organization=org_a, input_code="vsoko_items_done")
    assert (stored.value, stored.source, stored.entered_by, stored.accepted_by) == (
        Decimal("5"),
        Source.PRINCIPAL,
        principal_a,
        official,
    )
    after = Score.objects.get()
    assert after.run.trigger == "self-report"
    assert after.results["B4.9"][1] == "значение"
    assert before.results["B4.9"][1] == "нет данных"
    assert after.index != before.index


def test_return_through_the_page_needs_a_comment(login, official, principal_a, period, org_a):
    report = start_report(period, org_a)
    submit(report, {k: Decimal(v) for k, v in REPORT.items()}, principal_a)
    client = login(official)
    response = client.post(url("self_report_review", report.pk), {"return": "1", "comment": ""})
    assert messages_of(response) == [gettext("Say what to correct: the comment goes to the head.")]
    report.refresh_from_db()
    assert report.status == SelfReport.Status.SUBMITTED

    client.post(url("self_report_review", report.pk), {"return": "1", "comment": "Нет приказа"})
    report.refresh_from_db()
    assert (report.status, report.review_comment) == (SelfReport.Status.RETURNED, "Нет приказа")
    assert not Value.objects.exists()
    head_page = login(principal_a).get(url("self_report", period.pk, org_a.pk))
    assert "Нет приказа" in head_page.content.decode()
    assert head_page.context["editable"] is True


def test_a_closed_period_self_report_is_read_only(login, principal_a, period, org_a):
    period.status = PeriodStatus.CLOSED
    period.save()
    client = login(principal_a)
    page = client.get(url("self_report", period.pk, org_a.pk))
    assert page.context["editable"] is False
    response = client.post(
        url("self_report", period.pk, org_a.pk), {"vsoko_items_done": "1"}, HTTP_X_AUTOSAVE="1"
    )
    assert response.status_code == 409
    response = client.post(url("self_report", period.pk, org_a.pk), {**REPORT, "submit": "1"})
    assert response.status_code == 200
    assert not SelfReport.objects.exists()  # nothing was stored in the closed period


# --- evidence --------------------------------------------------------------------------------


def _attach(client, report, name, content, code="vsoko_items_done"):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(url("evidence_upload", report.pk), {"file": upload, "input_code": code})


def test_evidence_upload_accepts_a_real_pdf(login, principal_a, period, org_a):
    report = start_report(period, org_a)
    client = login(principal_a)
    response = _attach(client, report, "Приказ о ВСОКО.pdf", PDF)
    assert response.url == url("self_report", period.pk, org_a.pk)
    evidence = Evidence.objects.get()
    assert (evidence.report, evidence.input_code, evidence.uploaded_by) == (
        report,
        "vsoko_items_done",
        principal_a,
    )
    assert evidence.file_name == "Приказ о ВСОКО.pdf"
    with evidence.file.open("rb") as handle:
        assert handle.read() == PDF
    assert messages_of(response) == [gettext("File attached.")]


@pytest.mark.parametrize(
    ("name", "content"), [("scan.pdf", EXE), ("notes.pdf", "Приказ № 5".encode())]
)
def test_evidence_upload_refuses_a_file_that_is_not_what_it_says(
    login, principal_a, period, org_a, name, content
):
    report = start_report(period, org_a)
    response = _attach(login(principal_a), report, name, content)
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert messages_of(response) == [
        gettext("The file «%(name)s» is not of an allowed type (%(allowed)s).")
        % {"name": name, "allowed": ALLOWED}
    ]
    assert CYRILLIC.search(messages_of(response)[0].replace(name, ""))  # said in Russian


def test_evidence_upload_refuses_an_unknown_field(login, principal_a, period, org_a):
    report = start_report(period, org_a)
    _attach(login(principal_a), report, "p.pdf", PDF, code="x" * 100)
    assert not Evidence.objects.exists()


def test_evidence_upload_in_a_closed_period_is_refused(login, principal_a, period, org_a):
    report = start_report(period, org_a)
    period.status = PeriodStatus.CLOSED
    period.save()
    response = _attach(login(principal_a), report, "p.pdf", PDF)
    assert not Evidence.objects.exists()
    assert "2024/2025" in messages_of(response)[0]


def test_evidence_upload_to_a_submitted_report_is_refused(login, principal_a, period, org_a):
    report = start_report(period, org_a)
    submit(report, {k: Decimal(v) for k, v in REPORT.items()}, principal_a)
    response = _attach(login(principal_a), report, "p.pdf", PDF)
    assert response.status_code == 403
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("who", ["principal_a", "official"])
def test_evidence_download_for_the_head_and_officials(request, login, period, org_a, who):
    report = start_report(period, org_a)
    head = request.getfixturevalue("principal_a")
    _attach(login(head), report, "Приказ.pdf", PDF)
    evidence = Evidence.objects.get()
    response = login(request.getfixturevalue(who)).get(url("evidence_download", evidence.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


# --- query counts ----------------------------------------------------------------------------


def _district(n: int, orgs=None) -> list:
    """`n` organisations of mixed types, each with a head, A01 first (`orgs` grown to `n`)."""
    types = ["school", "kindergarten", "additional"]
    orgs = list(orgs or [])
    for i in range(len(orgs), n):
        org = make_org(f"Q{i:03d}", types[i % 3]) if i else make_org("A01")
        make_person(f"head{i}", Role.PRINCIPAL, org)
        orgs.append(org)
    return orgs


def _store_with_provenance(period, frame, orgs, official):
    """Store `frame` as an import, then A01's self-reported inputs as an accepted report."""
    record = ImportRecord.objects.create(
        period=period,
        file="imports/t.xlsx",
        file_name="t.xlsx",
        checksum="0" * 64,
        status=ImportRecord.Status.APPLIED,
        uploaded_by=official,
    )
    ids = {org.code: org.pk for org in orgs}
    principal = {"teachers_trained_3y", "vsoko_items_done", "profmin_covered"}
    stacked = frame.stack().dropna()
    imported = [
        ValueWrite(ids[o], c, v, SHEET_DATA, 2 + i)
        for i, ((o, c), v) in enumerate(stacked.items())
        if not (o == "A01" and c in principal)
    ]
    write_values(period, imported, source=Source.IMPORT, user=official, import_record=record)
    reported = [
        ValueWrite(ids["A01"], c, v)
        for (o, c), v in stacked.items()
        if o == "A01" and c in principal
    ]
    head = orgs[0].memberships.get().user
    write_values(period, reported, source=Source.PRINCIPAL, user=head, accepted_by=official)
    score_period(period, trigger="test")


@pytest.mark.parametrize("viewer", ["official", "head"])
def test_org_monitoring_queries_do_not_grow_with_the_data(login, period, official, viewer):
    """2 organisations with three of A01's values vs 12 with everything, from many sources."""
    orgs = _district(2)
    sparse = synthetic(period, orgs).loc[
        ["A01"], ["grad9_total", "teachers_total", "vsoko_items_done"]
    ]
    _store_with_provenance(period, sparse, orgs, official)
    start_report(period, orgs[0])
    client = login(official if viewer == "official" else orgs[0].memberships.get().user)
    page = url("org_monitoring", period.pk, orgs[0].pk)
    small = count_queries(client, page)

    orgs = _district(12, orgs)
    full = synthetic(period, orgs)
    _store_with_provenance(period, full, orgs, official)
    assert Value.objects.filter(organization=orgs[0]).count() > 40
    assert Value.objects.filter(organization=orgs[0], source=Source.PRINCIPAL).count() == 3
    assert count_queries(client, page) == small


def test_org_monitoring_shows_values_and_where_they_came_from(login, official, period, org_a):
    fill_district(period, [org_a], user=official)
    response = login(official).get(url("org_monitoring", period.pk, org_a.pk))
    profile = response.context["profile"]
    score = Score.objects.get()
    assert profile.score == score
    lines = {line.code: line for block in profile.blocks for line in block.indicators}
    assert len(lines) == sum(
        "school" in i.applies_to for i in version_for(period).catalogue.indicators
    )
    assert lines["B4.6"].status == score.results["B4.6"][1]
    [violations] = lines["B4.6"].inputs
    assert violations.code == "unresolved_violations"
    assert violations.provenance.startswith(gettext("entered by %(who)s, %(when)s").split("%")[0])


@pytest.mark.parametrize("org_type", ["school", "kindergarten", "additional"])
def test_org_monitoring_lists_only_the_indicators_of_the_type(login, official, period, org_type):
    org = make_org("T01", org_type)
    fill_district(period, [org], user=official)
    response = login(official).get(url("org_monitoring", period.pk, org.pk))
    assert response.status_code == 200
    codes = [line.code for block in response.context["profile"].blocks for line in block.indicators]
    catalogue = version_for(period).catalogue
    assert codes == [i.code for i in catalogue.indicators if org_type in i.applies_to]
    statuses = {line.status for b in response.context["profile"].blocks for line in b.indicators}
    assert "н/п" not in statuses


def test_completeness_queries_are_constant(login, official, period):
    client = login(official)
    counts = []
    orgs = []
    for n in (3, 15):
        orgs = _district(n, orgs)
        Score.objects.all().delete()
        fill_district(period, orgs, user=official)
        start_report(period, orgs[1])
        counts.append(count_queries(client, url("completeness", period.pk)))
    assert counts[0] == counts[1]


def test_completeness_counts_present_and_missing_inputs(login, official, period, org_a, org_b):
    write_values(
        period,
        [
            ValueWrite(org_a.pk, "grad9_total", Decimal("30")),
            ValueWrite(org_a.pk, "teachers_total", Decimal("40")),
        ],
        source=Source.OFFICIAL,
        user=official,
    )
    report = start_report(period, org_b)
    submit(report, {k: Decimal(v) for k, v in REPORT.items()}, make_person("x", None))
    response = login(official).get(url("completeness", period.pk))
    rows = {row.organization.code: row for row in response.context["rows"]}
    assert rows["A01"].present == 2
    assert rows["A01"].missing == rows["A01"].required - 2
    assert rows["B02"].present == 0
    assert (rows["A01"].self_report, rows["B02"].self_report) == ("", SelfReport.Status.SUBMITTED)
    assert rows["A01"].preliminary is None  # not scored yet: «нет данных», never 0


def test_period_page_queries_do_not_grow_with_reports_to_review(login, official, period):
    version_for(period)  # the first look links the period to its methodology
    client = login(official)
    counts = []
    orgs = []
    for n in (3, 15):
        orgs = _district(n, orgs)
        for org in orgs:
            report = start_report(period, org)
            if report.status == SelfReport.Status.DRAFT:
                head = org.memberships.get().user
                submit(report, {"vsoko_items_done": Decimal(1)}, head)
        counts.append(count_queries(client, url("period_detail", period.pk)))
    assert counts[0] == counts[1]
    response = client.get(url("period_detail", period.pk))
    assert len(response.context["to_review"]) == 15
