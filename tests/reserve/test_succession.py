"""The succession view: heads' age and years in post, ready successors, organisations at risk
(head 60 or older, nobody ready), the filter, the Excel file, access and query counts."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from reserve.models import Status
from reserve.succession import build_succession, succession_sheet
from tests.conftest import count_queries, make_org, make_person
from tests.reserve.test_reports import START, make_candidacy
from zelenchuk_portal.excel import XLSX_CONTENT_TYPE
from zelenchuk_portal.models import Membership, Role

TODAY = date(2025, 3, 1)
URL = reverse("reserve:succession")
XLSX = reverse("reserve:succession_xlsx")


def head(username, organization, birth_date, since=None, **names):
    person = make_person(username, Role.PRINCIPAL, organization, birth_date=birth_date, **names)
    Membership.objects.filter(user=person).update(start_date=since)
    return person


def ready(username, organization, period, by, target=None, status=Status.READY, **names):
    return make_candidacy(
        make_person(username, None, **names),
        organization,
        period,
        by,
        nominated=START,
        enrolled=date(2024, 9, 10),
        status=status,
        target=target,
    )


@pytest.fixture
def district(period, official):
    """A: head 61 on TODAY, nobody ready (a candidate in training targets A) → at risk.
    B: head 64 with a ready successor. C: head turns 60 on TODAY → at risk. D: head turns 60 the
    day after → not yet. E: no head. F: head with no date of birth. G: inactive (not listed)."""
    orgs = {code: make_org(code, short_name=f"Школа {code}") for code in "ABCDEFG"}
    orgs["G"].is_active = False
    orgs["G"].save()
    head("head_a", orgs["A"], date(1963, 6, 1), since=date(2010, 9, 1), last_name="Абрамова")
    head("head_b", orgs["B"], date(1960, 5, 5), since=date(2015, 3, 2))
    head("head_c", orgs["C"], date(1965, 3, 1), since=date(2024, 3, 1))
    head("head_d", orgs["D"], date(1965, 3, 2))
    head("head_f", orgs["F"], None, since=date(2020, 1, 1))
    head("head_g", orgs["G"], date(1950, 1, 1))
    ready("successor_b", orgs["C"], period, official, target=orgs["B"], last_name="Борисов")
    ready("in_training", orgs["C"], period, official, target=orgs["A"], status=Status.TRAINING)
    ready("anywhere", orgs["E"], period, official, last_name="Васильев")
    return orgs


def test_heads_successors_and_risk_by_hand(district):
    data = build_succession(today=TODAY)
    rows = {row.organization.code: row for row in data.rows}
    assert list(rows) == ["A", "B", "C", "D", "E", "F"]  # G is inactive
    a, b, c, d, e, f = (rows[code] for code in "ABCDEF")
    assert (a.head_name, a.head_age, a.years_in_post) == ("Абрамова Тест", 61, 14)
    assert a.successors == [] and a.at_risk  # in training is not ready
    assert (b.head_age, b.years_in_post) == (64, 9)
    assert [s.name for s in b.successors] == ["Борисов Тест"] and not b.at_risk
    assert (c.head_age, c.years_in_post, c.at_risk) == (60, 1, True)  # 60 today
    assert (d.head_age, d.years_in_post, d.at_risk) == (59, None, False)  # 60 tomorrow
    assert (e.has_head, e.at_risk) == (False, False)
    assert (f.head_age, f.years_in_post, f.at_risk) == (None, 5, False)
    assert [s.name for s in data.untargeted] == ["Васильев Тест"]
    assert (data.at_risk_count, data.total) == (2, 6)


def test_filter_keeps_only_the_organisations_at_risk(district):
    data = build_succession(only_at_risk=True, today=TODAY)
    assert [row.organization.code for row in data.rows] == ["A", "C"]
    assert (data.at_risk_count, data.total) == (2, 6)


def test_a_ready_successor_lifts_the_risk(period, official, district):
    ready("successor_a", district["B"], period, official, target=district["A"])
    rows = {row.organization.code: row for row in build_succession(today=TODAY).rows}
    assert not rows["A"].at_risk


def test_sheet_has_a_line_per_organisation(district):
    sheet = succession_sheet(build_succession(today=TODAY))
    rows = list(sheet.rows)
    assert [row[0] for row in rows] == ["A", "B", "C", "D", "E", "F"]
    assert rows[0][2:6] == ["Абрамова Тест", 61, 14, 0]
    assert rows[1][5:7] == [1, "Борисов Тест (Заместитель директора по УВР, Школа C)"]
    assert [bool(row[7]) for row in rows] == [True, False, True, False, False, False]


# --- The page ------------------------------------------------------------------------------------


# Access (officials only, 403 for everyone else) is tested with every report URL in
# test_report_views.py.


def test_page_highlights_and_filters(login, official, period):
    today = timezone.localdate()
    old, young = make_org("OLD", short_name="Школа «Старая»"), make_org("NEW")
    head("old_head", old, date(today.year - 63, 1, 1), last_name="Старикова")
    head("young_head", young, date(today.year - 40, 1, 1))
    client = login(official)
    html = client.get(URL).content.decode()
    assert html.count("data-at-risk") == 1
    assert "Старикова" in html and "Young_head" in html
    filtered = client.get(URL, {"at_risk": "1"}).content.decode()
    assert "Старикова" in filtered and "Young_head" not in filtered


def test_excel_follows_the_filter(login, official, period):
    today = timezone.localdate()
    head("old_head", make_org("OLD"), date(today.year - 63, 1, 1))
    head("young_head", make_org("NEW"), date(today.year - 40, 1, 1))
    client = login(official)
    for params, codes in (({}, ["NEW", "OLD"]), ({"at_risk": "1"}, ["OLD"])):
        response = client.get(XLSX, params)
        assert response["Content-Type"] == XLSX_CONTENT_TYPE
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == codes


def test_queries_do_not_grow_with_the_district(login, official, period):
    client = login(official)
    head("first_head", make_org("H00"), date(1960, 1, 1), since=date(2012, 9, 1))
    few = count_queries(client, URL)
    for n in range(1, 15):
        org = make_org(f"H{n:02}")
        head(f"head{n}", org, date(1960 + n, 1, 1), since=date(2012, 9, 1))
        ready(f"ready{n}", org, period, official, target=org)
    assert count_queries(client, URL) == few
