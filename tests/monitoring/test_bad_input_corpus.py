"""The bad-input corpus (tests/monitoring/corpus/build.py) through the upload page.

Each broken or hostile workbook is uploaded the way an official does it — the upload form
(preview), then «Confirm» — and must come back with a clear Russian message that names the place
(sheet, row, column, field) where there is one, while the stored data stays exactly as it was:
values, their history, scores, scoring runs, applied imports. The only trace is the rejected
import record that carries the message. A control case shows the same base file, unbroken,
goes through, so that a refusal is the broken part's doing.
"""

import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from monitoring.exports import template_bytes
from monitoring.methodology import version_for
from monitoring.models import ImportRecord, Score, ScoringRun, Source, Value, ValueChange
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from monitoring.workbook import SHEET_DATA, SHEET_PERIOD, template_columns
from tests.monitoring.corpus.build import CASES, MB, Base, Place, bomb, cfb_xls, encrypted

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CYRILLIC_WORD = re.compile("[а-яё]{4,}", re.IGNORECASE)
# Words of the English msgids: seen in a message, the Russian catalogue was missed.
ENGLISH_WORD = re.compile(r"\b(the|file|sheet|cell|upload|workbook|not|and|with)\b", re.I)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def base(period, org_a, org_b, official) -> Base:
    """The period's template filled with plausible values for A01 and B02 (a valid upload), and
    a period that already holds data: two stored values with their history, and scores."""
    catalogue = version_for(period).catalogue
    write_values(
        period,
        [
            ValueWrite(org_a.pk, "mgmt_training_hours_3y", 72),
            ValueWrite(org_b.pk, "diagnostics_level", 3),
        ],
        source=Source.OFFICIAL,
        user=official,
    )
    score_period(period, trigger="test")

    columns = template_columns(catalogue)
    frame = generate_values(catalogue, pd.Series({"A01": "school", "B02": "school"}), 0)
    period_values = generate_period_values(catalogue, 0)
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(period)))
    sheet = book[SHEET_DATA]
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    for org_code, values in frame.iterrows():
        for code, value in values.dropna().items():
            sheet[f"{columns[code]}{rows[org_code]}"] = int(value) if value.is_integer() else value
    period_rows = {}
    for row in book[SHEET_PERIOD].iter_rows(min_row=2):
        row[2].value = period_values[row[0].value]
        period_rows[row[0].value] = row[0].row
    out = io.BytesIO()
    book.save(out)
    return Base(out.getvalue(), columns, rows, period.label, period_rows)


def _sorted(rows) -> list:
    return sorted(rows, key=lambda row: ["" if part is None else str(part) for part in row])


def state() -> dict:
    """What an import may change, counted and listed."""
    return {
        "values": _sorted(
            Value.objects.values_list("organization__code", "input_code", "value", "source")
        ),
        "history": ValueChange.objects.count(),
        "scores": sorted(Score.objects.values_list("organization__code", "index")),
        "runs": ScoringRun.objects.count(),
        "imports": sorted(ImportRecord.objects.values_list("pk", "status")),
    }


def upload(client, period, name: str, data: bytes):
    return client.post(
        reverse("monitoring:import_upload", args=[period.pk]),
        {"file": SimpleUploadedFile(name, data, content_type=XLSX)},
    )


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


def test_the_generators_make_genuine_files(base):
    """The bomb is a valid zip whose part really inflates to the size it declares (checked on a
    small one), the .xls a valid compound file, the encrypted file one that Office would open."""
    import olefile

    small = bomb(base, 3 * MB)
    archive = zipfile.ZipFile(io.BytesIO(small))
    assert archive.testzip() is None
    assert archive.getinfo("xl/worksheets/sheet1.xml").file_size >= 3 * MB
    assert len(small) < len(base.workbook) + 64 * 1024
    assert olefile.OleFileIO(io.BytesIO(cfb_xls())).listdir() == [["Workbook"]]
    assert olefile.OleFileIO(io.BytesIO(encrypted(base.workbook))).exists("EncryptedPackage")


def test_the_unbroken_base_goes_through(base, login, official, period):
    client = login(official)
    before = state()
    response = upload(client, period, "данные.xlsx", base.workbook)
    record = ImportRecord.objects.latest("pk")
    assert response.url == reverse("monitoring:import_detail", args=[record.pk])
    assert record.status == ImportRecord.Status.PREVIEW, record.issues
    assert record.issues == []
    client.post(reverse("monitoring:import_confirm", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.APPLIED
    after = state()
    assert after["values"] != before["values"] and after["history"] > before["history"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_bad_workbook_is_refused_and_nothing_changes(case, base, login, official, period):
    data = case.build(base)
    client = login(official)
    before = state()

    response = upload(client, period, case.upload_name, data)
    record = ImportRecord.objects.latest("pk")
    assert response.url == reverse("monitoring:import_detail", args=[record.pk])
    assert record.status == ImportRecord.Status.REJECTED
    messages = [issue["message"] for issue in record.issues]
    assert record.error_count == len(messages) >= 1
    text = " ".join(messages)
    for fragment in case.says:
        assert fragment in text, messages
    for message in messages:
        unquoted = re.sub("«[^»]*»", "", message)  # names quoted from the file may be English
        assert CYRILLIC_WORD.search(message) and not ENGLISH_WORD.search(unquoted), message

    places = [Place(i["sheet"], i["row"], i["column"], i["code"]) for i in record.issues]
    if case.places is None:  # the file as a whole: one message, the place (if any) inside it
        assert places == [Place("", None, "", "")]
    else:
        assert places == case.places(base)

    page = client.get(response.url).content.decode()
    for message in messages:
        assert escape(message) in page
    with record.file.open("rb") as stored:
        assert stored.read() == (data if case.kept else b"")

    client.post(reverse("monitoring:import_confirm", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.REJECTED
    after = state()
    assert after["imports"] == [*before["imports"], (record.pk, ImportRecord.Status.REJECTED)]
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }
