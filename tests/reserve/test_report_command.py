"""`python manage.py reserve_report --period 2024/2025 --out FILE.csv [--by-organization]`."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reserve.reports import LABELS, NUMBERS
from tests.reserve.test_reports import (
    EXPECTED,
    EXPECTED_BY_ORG,
    reserve,  # noqa: F401 (fixture)
)


def run(*args) -> str:
    out = StringIO()
    call_command("reserve_report", *args, stdout=out)
    return out.getvalue()


def read(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_writes_rows_1_to_7_with_4a(period, reserve, tmp_path):  # noqa: F811
    out = tmp_path / "reserve.csv"
    message = run("--period", "2024/2025", "--out", str(out))
    rows = read(out)
    assert list(rows[0]) == ["row", "label", "value"]
    assert [r["row"] for r in rows] == ["1", "2", "3", "4", "4a", "5", "6", "7"]
    assert rows == [{"row": n, "label": LABELS[n], "value": str(EXPECTED[n])} for n in NUMBERS]
    assert "2024/2025" in message and "13" in message


def test_by_organization_adds_each_organisations_rows(period, reserve, tmp_path):  # noqa: F811
    out = tmp_path / "reserve.csv"
    run("--period", "2024/2025", "--out", str(out), "--by-organization")
    rows = read(out)
    assert list(rows[0]) == ["row", "label", "value", "organization_code", "organization"]
    district = rows[: len(NUMBERS)]
    assert [(r["row"], r["value"], r["organization_code"]) for r in district] == [
        (n, str(EXPECTED[n]), "") for n in NUMBERS
    ]
    by_org = {}
    for r in rows[len(NUMBERS) :]:
        by_org.setdefault(r["organization_code"], {})[r["row"]] = int(r["value"])
        assert r["label"] == LABELS[r["row"]]
    assert by_org == EXPECTED_BY_ORG


def test_an_empty_reserve_gives_zeros(period, tmp_path):
    out = tmp_path / "reserve.csv"
    run("--period", "2024/2025", "--out", str(out))
    assert [r["value"] for r in read(out)] == ["0"] * len(NUMBERS)


def test_unknown_period_or_folder_is_a_clear_error(period, tmp_path):
    out = tmp_path / "reserve.csv"
    with pytest.raises(CommandError, match="Нет периода «1999/2000». Есть: 2024/2025"):
        run("--period", "1999/2000", "--out", str(out))
    with pytest.raises(CommandError, match="Нет папки"):
        run("--period", "2024/2025", "--out", str(tmp_path / "missing" / "reserve.csv"))
    assert not out.exists()
