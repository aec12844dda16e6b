"""Dashboard, indicator page, dossier and analytical report."""

import shutil
import subprocess
from datetime import date

import pandas as pd
import pytest
from django.urls import reverse

from monitoring.dashboard import Filters, OrgRow, build_dashboard, most_improved, risk_groups
from monitoring.decisions import save_decision
from monitoring.methodology import version_for
from monitoring.models import Decision, Score
from monitoring.reports import build_report
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import count_queries, make_org
from zelenchuk_portal.models import Period, PeriodStatus


def row(org_id, *, level="optimal", change=None, flags=(), org_type="school", index=70.0):
    return OrgRow(
        organization_id=org_id,
        code=f"C{org_id}",
        name=f"Школа {org_id}",
        org_type=org_type,
        settlement="ст. Зеленчукская",
        index=index,
        level=level,
        index_change=change,
        preliminary=False,
        risk_flags=list(flags),
        subgroups=[None] * 7,
    )


def test_risk_groups_from_rows():
    critical = {"kind": "critical", "indicator": "B1.8", "text": "…"}
    objectivity = {"kind": "objectivity", "indicator": "B1.7", "text": "…"}
    rows = [
        row(1, level="critical"),
        row(2, change=-3.0),  # falling now, and last period too
        row(3, change=-1.0),  # falling now only
        row(4, flags=[critical, objectivity]),
        row(5, change=2.0),
    ]
    groups = risk_groups(rows, {2: -0.5, 3: 1.5, 5: -2.0})
    assert [r.organization_id for r in groups.critical] == [1]
    assert [r.organization_id for r in groups.falling] == [2]
    assert [r.organization_id for r in groups.objectivity] == [4]
    assert [(r.organization_id, codes) for r, codes in groups.critical_indicators] == [
        (4, ["B1.8"])
    ]
    assert groups.total == 3


def test_most_improved_is_per_type_and_only_rises():
    rows = [
        row(1, change=3.0),
        row(2, change=7.5),
        row(3, change=1.0, org_type="kindergarten"),
        row(4, change=-4.0, org_type="additional"),
        row(5, change=None),
    ]
    assert [r.organization_id for r in most_improved(rows)] == [3, 2]


# --- With a scored district ---------------------------------------------------------------------


def _period(label, year, status=PeriodStatus.OPEN):
    return Period.objects.create(
        label=label, start_date=date(year, 9, 1), end_date=date(year + 1, 8, 31), status=status
    )


def _score(period, organizations, index):
    catalogue = version_for(period).catalogue
    types = pd.Series({o.code: o.org_type for o in organizations})
    frame = generate_values(catalogue, types, index)
    ids = {o.code: o.pk for o in organizations}
    writes = [ValueWrite(ids[c], k, v) for (c, k), v in frame.stack().dropna().items()]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, index).items()]
    write_values(period, writes, source="official")
    score_period(period, trigger="test")


@pytest.fixture
def district(db, org_a, org_b):
    organizations = [org_a, org_b] + [
        make_org(f"K{n}", org_type="kindergarten", short_name=f"Детский сад {n}") for n in range(3)
    ]
    first, second = _period("2023/2024", 2023), _period("2024/2025", 2024)
    _score(first, organizations, 0)
    _score(second, organizations, 1)
    return {"periods": (first, second), "organizations": organizations}


def _grow(district, count):
    """More scored organisations in both periods (to show query counts do not follow)."""
    extra = [make_org(f"X{n}{count}", short_name=f"СОШ {n}") for n in range(count)]
    for index, period in enumerate(district["periods"]):
        _score(period, district["organizations"] + extra, index)
    district["organizations"] += extra


def test_dashboard_counts_levels_of_the_period(district):
    period = district["periods"][1]
    board = build_dashboard(period, Filters())
    levels = {code: n for code, _label, n in board.level_counts}
    stored = Score.objects.filter(period=period)
    assert sum(levels.values()) == stored.count() == 5
    for code, n in levels.items():
        assert stored.filter(level=code).count() == n
    assert board.trend.periods == ["2023/2024", "2024/2025"]
    kindergartens = build_dashboard(period, Filters(org_type="kindergarten"))
    assert kindergartens.scored == 3


def test_dashboard_page_queries_do_not_grow(district, login, official):
    client = login(official)
    url = reverse("analysis:dashboard", args=[district["periods"][1].pk])
    few = count_queries(client, url)
    _grow(district, 6)
    assert count_queries(client, url) == few


def test_dashboard_tables_download_as_excel(district, login, official):
    url = reverse("analysis:dashboard", args=[district["periods"][1].pk])
    response = login(official).get(url, {"table": "organizations"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def _decide(period, organization, official):
    decision = Decision(
        period=period,
        number=f"{period.pk}-{Decision.objects.count()}-од",
        date=period.end_date,
        kind="interview",
        title="Собеседование с руководителем",
        owner="управление образования",
        due_date=period.end_date,
    )
    save_decision(
        decision, organizations=[organization], people=[], indicator_codes=["B4.1"], user=official
    )


def test_dossier_queries_do_not_grow_with_periods_or_organisations(
    district, login, principal_a, org_a, official
):
    client = login(principal_a)
    url = reverse("analysis:dossier", args=[org_a.pk])
    first, second = district["periods"]
    _decide(first, org_a, official)
    _decide(second, org_a, official)
    few = count_queries(client, url)
    _grow(district, 6)
    third = _period("2025/2026", 2025)
    _score(third, district["organizations"], 2)
    _decide(third, org_a, official)  # the effect is measured for two periods at most
    assert count_queries(client, url) == few
    page = client.get(url).content.decode()
    assert "Собеседование с руководителем" in page


def test_dossier_scope_and_roles(
    district, login, principal_a, principal_b, org_a, candidate, official
):
    url = reverse("analysis:dossier", args=[org_a.pk])
    assert login(principal_a).get(url).status_code == 200
    assert login(principal_b).get(url).status_code == 404
    assert login(candidate).get(url).status_code == 403
    assert login(official).get(url).status_code == 200


def test_dossier_shows_median_not_other_names(district, login, principal_a, org_a, org_b):
    page = login(principal_a).get(reverse("analysis:dossier", args=[org_a.pk])).content.decode()
    assert org_a.short_name in page
    assert org_b.short_name not in page  # the head sees the median, never a named other school
    assert "медиана" in page.lower()


def test_indicator_page_lists_values_and_not_assessed(district, login, official, principal_a):
    period = district["periods"][1]
    url = reverse("analysis:indicator", args=[period.pk, "B4.1"])
    page = login(official).get(url)
    assert page.status_code == 200
    view = page.context["view"]
    assert len(view.values) + len(view.not_assessed) + len(view.missing) == 5
    assert login(principal_a).get(url).status_code == 403
    assert (
        login(official).get(reverse("analysis:indicator", args=[period.pk, "Z9.9"])).status_code
        == 404
    )


def test_report_has_every_section_and_says_when_a_step_has_no_records(district):
    report = build_report(district["periods"][1])
    assert report.coverage.scored == 5
    assert report.previous == district["periods"][0]
    assert report.deficits is None  # no trajectories records: the page says so plainly
    assert report.conclusions


def test_report_pdf_text(district, login, official):
    response = login(official).get(reverse("analysis:report_pdf", args=[district["periods"][1].pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Аналитическая справка" in text
    assert "Группы риска" in text
