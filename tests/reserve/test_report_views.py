"""The reserve report's page, Excel file and PDF: officials only, the period chosen by
?period=, every row with its number, wording and value, the three agreeing with each other and
with the builder, and a number of queries that does not grow with the reserve."""

import io
import re
import shutil
import subprocess
from datetime import date
from html import unescape

import openpyxl
import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from reserve import report_urls
from reserve.reports import LABELS, NUMBERS
from tests.conftest import count_queries, make_org, make_person
from tests.reserve.test_reports import (
    EXPECTED,
    EXPECTED_BY_ORG,
    START,
    add_training,
    make_candidacy,
    make_plan,
    reserve,  # noqa: F401 (fixture)
)
from zelenchuk_portal.excel import XLSX_CONTENT_TYPE
from zelenchuk_portal.models import Period, PeriodStatus

PAGE, XLSX, PDF = (reverse(f"reserve:{name}") for name in ("report", "report_xlsx", "report_pdf"))
PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def page_rows(html: str) -> dict[str, tuple[str, int]]:
    """{number: (wording, value)} read from the page's district table."""
    table = html.split('id="reserve-rows"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [
            re.sub(r"<span.*?</span>", "", c, flags=re.S)
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        number, label, value = (" ".join(unescape(c).split()) for c in cells)
        rows[number] = (label, int(value))
    return rows


def page_orgs(html: str) -> dict[str, list[int]]:
    """{organisation name: values by row} from the by-organisation table (and its total)."""
    table = html.split('id="reserve-orgs"', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        name = re.sub(r'<span class="text-muted small">.*?</span>', "", cells[0], flags=re.S)
        texts = [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in [name, *cells[1:]]]
        found[texts[0]] = [int(c) for c in texts[1:]]
    return found


# Every URL of reserve/report_urls.py: officials only, none takes an id in its path (the period
# comes as ?period=, an unknown one is 404 — tested below).
OFFICIAL_ONLY = ("report", "report_xlsx", "report_pdf", "succession", "succession_xlsx")


def test_every_report_url_is_covered():
    assert {p.name for p in report_urls.urlpatterns} == set(OFFICIAL_ONLY)
    assert not any(p.pattern.converters for p in report_urls.urlpatterns)


def test_officials_only(period, login, official, principal_a, candidate, expert, mentor):
    for name in OFFICIAL_ONLY:
        url = reverse(f"reserve:{name}")
        assert login(official).get(url).status_code == 200, name
        for person in (principal_a, candidate, expert, mentor):
            assert login(person).get(url).status_code == 403, (name, person)


def test_menu_shows_the_report_and_succession_to_officials_only(
    period, login, official, principal_a
):
    links = (reverse("reserve:report"), reverse("reserve:succession"))
    html = login(official).get(reverse("reserve:report")).content.decode()
    assert all(f'href="{link}"' in html for link in links)
    page = login(principal_a).get(reverse("my_account")).content.decode()
    assert not any(f'href="{link}"' in page for link in links)


def test_the_period_is_chosen_and_an_unknown_one_is_404(period, login, official):
    earlier = Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.CLOSED,
    )
    client = login(official)
    assert client.get(PAGE).context["report"].period == period  # the current (open) period
    assert client.get(PAGE, {"period": earlier.pk}).context["report"].period == earlier
    for url in (PAGE, XLSX, PDF):
        assert client.get(url, {"period": 99999}).status_code == 404


def test_without_periods_the_page_says_so(db, login, official):
    response = login(official).get(PAGE)
    assert "analysis/no_periods.html" in [t.name for t in response.templates]


def test_page_shows_every_row_with_number_wording_and_value(period, login, official, reserve):  # noqa: F811
    html = login(official).get(PAGE, {"period": period.pk}).content.decode()
    assert page_rows(html) == {n: (LABELS[n], EXPECTED[n]) for n in NUMBERS}
    orgs = page_orgs(html)
    assert orgs == {
        **{f"Школа {c}": [values[n] for n in NUMBERS] for c, values in EXPECTED_BY_ORG.items()},
        _("Total for the district"): [EXPECTED[n] for n in NUMBERS],
    }
    org_a = reserve["orgs"]["A"]
    assert f"{reverse('reserve:candidate_list')}?organization={org_a.pk}" in html


def test_excel_holds_the_pages_numbers(period, login, official, reserve):  # noqa: F811
    response = login(official).get(XLSX, {"period": period.pk})
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "2024-2025.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    district, by_org = workbook.worksheets
    rows = list(district.iter_rows(min_row=2, values_only=True))
    assert rows == [(n, LABELS[n], EXPECTED[n]) for n in NUMBERS]
    header = next(by_org.iter_rows(max_row=1, values_only=True))
    assert header[2:] == tuple(f"{n}. {LABELS[n]}" for n in NUMBERS)
    lines = list(by_org.iter_rows(min_row=2, values_only=True))
    assert {line[0]: list(line[2:]) for line in lines[:-1]} == {
        code: [values[n] for n in NUMBERS] for code, values in EXPECTED_BY_ORG.items()
    }
    assert list(lines[-1][2:]) == [EXPECTED[n] for n in NUMBERS]


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_holds_the_pages_numbers(period, login, official, reserve):  # noqa: F811
    response = login(official).get(PDF, {"period": period.pk})
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Показатели кадрового резерва управленческих кадров" in text
    assert "за 2024/2025 учебный год" in text
    for number in NUMBERS:
        assert f"{number} {LABELS[number]} {EXPECTED[number]}" in text, number
    for code, values in EXPECTED_BY_ORG.items():
        assert f"Школа {code} " + " ".join(str(values[n]) for n in NUMBERS) in text
    assert "Итого по району " + " ".join(str(EXPECTED[n]) for n in NUMBERS) in text


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_of_an_empty_reserve_says_so(period, login, official):
    text = pdf_text(login(official).get(PDF).content)
    assert "никто не состоял" in text
    for number in NUMBERS[1:]:  # (the header cell may land after row 1's wording)
        assert f"{number} {LABELS[number]} 0" in text


def test_page_queries_do_not_grow_with_the_reserve(period, login, official, reserve):  # noqa: F811
    client = login(official)
    few = count_queries(client, PAGE, period=period.pk)
    for n in range(12):
        org = make_org(f"X{n:02}")
        person = make_person(f"extra{n}", None)
        candidacy = make_candidacy(
            person, org, period, official, nominated=START, enrolled=date(2024, 10, 1)
        )
        make_plan(person, period, n % 5, 4)
        add_training(candidacy, date(2025, 1, 15))
    assert count_queries(client, PAGE, period=period.pk) == few
