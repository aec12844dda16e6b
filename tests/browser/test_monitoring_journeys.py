"""Monitoring as the office and a head live it, in a real browser.

The official downloads the template, fills it (here openpyxl plays the part of Excel), uploads a
file with mistakes, sees each mistake with its row and column, fixes them, previews, confirms and
sees scores. The head fills the self-report and submits it; the official accepts; the score
changes.
"""

import io
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from monitoring import selfreports
from monitoring.methodology import version_for
from monitoring.models import Score, SelfReport, Value
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill(workbook_bytes, period, organizations) -> tuple[bytes, object]:
    """Fill «Данные» and «Справочные значения» with plausible numbers, as an official would."""
    catalogue = version_for(period).catalogue
    types = pd.Series({org.code: org.org_type for org in organizations})
    values = generate_values(catalogue, types, 0)
    book = load_workbook(io.BytesIO(workbook_bytes))
    sheet = book["Данные"]
    headers = {cell.value: cell.column for cell in sheet[1] if cell.value}
    column_of = {header.rsplit("(", 1)[-1].rstrip(")"): col for header, col in headers.items()}
    for row in sheet.iter_rows(min_row=2):
        code = row[0].value
        for input_code, value in values.loc[code].dropna().items():
            if input_code in column_of:
                sheet.cell(row=row[0].row, column=column_of[input_code], value=float(value))
    reference = book["Справочные значения"]
    period_values = generate_period_values(catalogue, 0)
    for row in reference.iter_rows(min_row=2):
        if row[0].value in period_values:
            reference.cell(row=row[0].row, column=3, value=period_values[row[0].value])
    return book, column_of


def _bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_official_imports_a_workbook_with_mistakes_then_fixes_it(
    sign_in, official, org_a, org_b, period, live_server, tmp_path
):
    page = sign_in("official", PASSWORD)
    page.goto(f"{live_server.url}/monitoring/periods/{period.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать шаблон").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    book, column_of = _fill(template.read_bytes(), period, [org_a, org_b])
    sheet = book["Данные"]
    teachers = sheet.cell(row=2, column=column_of["teachers_total"]).value
    sheet.cell(row=2, column=column_of["teachers_total"], value="сорок")  # not a number
    sheet.cell(row=3, column=column_of["nokuod_score"], value=140)  # above its maximum of 100
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(_bytes(book))

    page.get_by_label("Заполненный шаблон").set_input_files(str(broken))
    page.get_by_role("button", name="Проверить файл").click()
    page.wait_for_load_state()
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 2
    text = page.locator("#import-errors").inner_text()
    teachers_letter = sheet.cell(row=1, column=column_of["teachers_total"]).column_letter
    assert teachers_letter in text and "teachers_total" in text and "сорок" in text
    assert "nokuod_score" in text
    assert not Value.objects.filter(period=period, organization__isnull=False).exists()

    sheet.cell(row=2, column=column_of["teachers_total"], value=teachers)
    sheet.cell(row=3, column=column_of["nokuod_score"], value=87.5)
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(_bytes(book))
    page.goto(f"{live_server.url}/monitoring/periods/{period.pk}/")
    page.get_by_label("Заполненный шаблон").set_input_files(str(fixed))
    page.get_by_role("button", name="Проверить файл").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Подтвердить и сохранить").click()
    page.wait_for_load_state()

    score = Score.objects.get(period=period, organization=org_a)
    assert score.index is not None
    page.goto(f"{live_server.url}/monitoring/periods/{period.pk}/organizations/{org_a.pk}/")
    shown = page.locator(".card-kpi .display-6").first.inner_text()
    assert shown == f"{score.index:.1f}".replace(".", ",")


def test_head_submits_self_report_and_official_accepts_it(
    sign_in, official, principal_a, org_a, period, live_server, page
):
    catalogue = version_for(period).catalogue
    values = generate_values(catalogue, pd.Series({org_a.code: org_a.org_type}), 0)
    own = [ValueWrite(org_a.pk, code, v) for code, v in values.loc[org_a.code].dropna().items()]
    principal_codes = {i.code for _sg, i in selfreports.principal_inputs(catalogue, "school")}
    write_values(period, [w for w in own if w.input_code not in principal_codes], source="official")
    write_values(
        period,
        [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, 0).items()],
        source="official",
    )
    score_period(period, trigger="test")
    before = Score.objects.get(period=period, organization=org_a).index

    sign_in("principal_a", PASSWORD)
    page.goto(
        f"{live_server.url}/monitoring/periods/{period.pk}/organizations/{org_a.pk}/self-report/"
    )
    page.locator("#id_development_program_status").select_option("2")
    page.locator("#id_internal_reserve_order").select_option("1")
    page.locator("#id_teachers_trained_3y").fill(str(int(values.at[org_a.code, "teachers_total"])))
    page.locator("#id_vsoko_items_done").fill("6")
    page.locator("#id_profmin_covered").fill(str(int(values.at[org_a.code, "students_6_11"])))
    page.get_by_role("button", name="Отправить на проверку").click()
    page.wait_for_load_state()
    report = SelfReport.objects.get(period=period, organization=org_a)
    assert report.status == SelfReport.Status.SUBMITTED
    assert report.values["vsoko_items_done"] == "6"

    page.context.clear_cookies()
    sign_in("official", PASSWORD)
    page.goto(
        f"{live_server.url}/monitoring/periods/{period.pk}/organizations/{org_a.pk}/self-report/"
    )
    page.get_by_role("button", name="Принять").click()
    page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == SelfReport.Status.ACCEPTED
    stored = Value.objects.get(period=period, organization=org_a, input_code="vsoko_items_done")
    assert stored.value == Decimal("6") and stored.source == "principal"
    after = Score.objects.get(period=period, organization=org_a).index
    assert after > before
