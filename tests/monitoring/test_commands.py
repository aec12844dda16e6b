"""The management commands: thin wrappers around the functions the pages call."""

import csv
import io

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from monitoring.methodology import version_for
from monitoring.models import ImportRecord, Score, ScoringRun, Value, ValueChange
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.workbook import SHEET_DATA, SHEET_PERIOD, template_columns
from zelenchuk_portal.models import PeriodStatus


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def template(tmp_path, period, org_a, org_b):
    path = tmp_path / "t.xlsx"
    run("export_template", "--period", "2024/2025", "--out", str(path))
    return path


def fill(template, period, edits=None):
    """Fill the exported template with plausible values for A01 and B02 (rows 2 and 3)."""
    catalogue = version_for(period).catalogue
    frame = generate_values(catalogue, pd.Series({"A01": "school", "B02": "school"}), 0)
    columns = template_columns(catalogue)
    book = openpyxl.load_workbook(template)
    sheet = book[SHEET_DATA]
    for row, code in ((2, "A01"), (3, "B02")):
        for input_code, value in frame.loc[code].dropna().items():
            sheet[f"{columns[input_code]}{row}"] = value
    for row in book[SHEET_PERIOD].iter_rows(min_row=2):
        row[2].value = generate_period_values(catalogue, 0)[row[0].value]
    for ref, value in (edits or {}).items():
        sheet[ref] = value
    book.save(template)
    return int(frame.notna().sum().sum()) + 5


def test_export_template_writes_the_workbook(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["Данные", "Справочные значения", "Справочник"]
    assert [c.value for c in book["Данные"]["A"]] == ["Код ОО", "A01", "B02"]


def test_export_template_says_where_it_wrote(tmp_path, period):
    out, _err = run("export_template", "--period", "2024/2025", "--out", str(tmp_path / "x.xlsx"))
    assert out == f"Шаблон за 2024/2025 записан в {tmp_path / 'x.xlsx'}.\n"


def test_import_dry_run_stores_nothing_and_prints_counts(template, period):
    cells = fill(template, period)
    out, err = run("import_monitoring", str(template), "--period", "2024/2025", "--dry-run")
    assert err == ""
    assert f"Строк: 2. Новых значений: {cells}, изменённых: 0, без изменений: 0." in out
    assert "Пробный запуск: ничего не сохранено." in out
    assert not Value.objects.exists()
    assert ImportRecord.objects.get().status == ImportRecord.Status.DISCARDED


def test_import_stores_values_and_rescores(template, period):
    cells = fill(template, period)
    out, _err = run("import_monitoring", str(template), "--period", "2024/2025")
    assert f"Сохранено: новых {cells}, изменённых 0; баллы пересчитаны." in out
    assert Value.objects.count() == cells
    assert ValueChange.objects.count() == cells
    assert Score.objects.count() == 2
    assert ImportRecord.objects.get().status == ImportRecord.Status.APPLIED

    out, _err = run("import_monitoring", str(template), "--period", "2024/2025")
    assert f"Новых значений: 0, изменённых: 0, без изменений: {cells}." in out
    assert "Сохранено: новых 0, изменённых 0" in out
    assert ValueChange.objects.count() == cells


def test_import_with_errors_lists_them_and_stores_nothing(template, period):
    columns = template_columns(version_for(period).catalogue)
    fill(template, period, {f"{columns['grad9_total']}2": "много", f"{columns['honors']}3": -1})
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_monitoring", str(template), "--period", "2024/2025",
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert str(caught.value) == "Ошибок: 2. Ничего не сохранено."
    lines = err.getvalue().splitlines()
    assert lines == [
        f"Данные, строка 2, столбец {columns['grad9_total']} (grad9_total): "
        "Значение «много» не является числом.",
        f"Данные, строка 3, столбец {columns['honors']} (honors): "
        "Значение -1 вне допустимого диапазона: от 0 до 2000.",
    ]
    assert not Value.objects.exists()


def test_import_of_a_file_that_is_not_a_workbook(tmp_path, period):
    path = tmp_path / "data.xlsx"
    path.write_text("Код ОО;grad9_total\nA01;30\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_monitoring", str(path), "--period", "2024/2025", stderr=err)
    assert str(caught.value) == "Ошибок: 1. Ничего не сохранено."
    assert err.getvalue().startswith("Файл не является книгой Excel (.xlsx)")


def test_import_of_a_missing_file(tmp_path, period):
    with pytest.raises(CommandError) as caught:
        run("import_monitoring", str(tmp_path / "nope.xlsx"), "--period", "2024/2025")
    assert str(caught.value) == f"Файл {tmp_path / 'nope.xlsx'} не найден."


def test_import_into_a_closed_period(template, period):
    fill(template, period)
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(CommandError) as caught:
        run("import_monitoring", str(template), "--period", "2024/2025")
    assert "2024/2025" in str(caught.value)
    assert not Value.objects.exists()


def test_rescore(template, period):
    fill(template, period)
    run("import_monitoring", str(template), "--period", "2024/2025")
    out, _err = run("rescore", "--period", "2024/2025")
    assert out.startswith("Баллы за 2024/2025 пересчитаны: 2 организаций, ")
    run_ = ScoringRun.objects.first()
    assert (run_.trigger, run_.organizations, run_.by) == ("command", 2, None)
    assert Score.objects.filter(run=run_).count() == 2


def test_rescore_of_a_closed_period_fails_clearly(period):
    period.status = PeriodStatus.CLOSED
    period.save()
    with pytest.raises(CommandError) as caught:
        run("rescore", "--period", "2024/2025")
    assert "2024/2025" in str(caught.value)
    assert not ScoringRun.objects.exists()


def test_export_scores(tmp_path, template, period):
    fill(template, period)
    run("import_monitoring", str(template), "--period", "2024/2025")
    path = tmp_path / "scores.csv"
    out, _err = run("export_scores", "--period", "2024/2025", "--out", str(path))
    assert out == f"Баллы за 2024/2025 записаны в {path}.\n"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("org_code,index,level,group_a,group_b,A1,A2,B1,B2,B3,B4,B5,A1.1_value,")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3
    assert len(rows[0]) == 12 + 3 * 49
    assert [r[0] for r in rows[1:]] == ["A01", "B02"]
    for row in rows[1:]:
        score = Score.objects.get(organization__code=row[0])
        assert float(row[1]) == score.index


@pytest.mark.parametrize(
    "args",
    [
        ("export_template", "--out", "x.xlsx"),
        ("export_scores", "--out", "x.csv"),
        ("rescore",),
        ("import_monitoring", "x.xlsx"),
    ],
)
def test_an_unknown_period_gives_a_clear_error(period, args):
    with pytest.raises(CommandError) as caught:
        run(*args, "--period", "2030/2031")
    assert str(caught.value) == "Нет периода «2030/2031». Есть: 2024/2025."
