"""The district overview page: officials only, a period chosen by ?period=, each table as Excel,
and a number of queries that does not grow with the district."""

from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import count_queries, make_org, make_person
from tests.trajectories.test_providers import add_deficit, make_assessment, make_plan
from trajectories.models import Plan
from zelenchuk_portal.excel import XLSX_CONTENT_TYPE
from zelenchuk_portal.models import Period, PeriodStatus, Role

URL = reverse("trajectories:district")


def test_officials_only(period, login, official, principal_a, mentor, candidate, expert):
    assert login(official).get(URL).status_code == 200
    for person in (principal_a, mentor, candidate, expert):
        assert login(person).get(URL).status_code == 403


def test_the_period_is_chosen_and_an_unknown_one_is_404(period, login, official):
    earlier = Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.CLOSED,
    )
    client = login(official)
    assert client.get(URL).context["overview"].period == period  # the current (open) period
    assert client.get(URL, {"period": earlier.pk}).context["overview"].period == earlier
    assert client.get(URL, {"period": 99999}).status_code == 404


def test_without_periods_the_page_says_so(db, login, official):
    response = login(official).get(URL)
    assert response.status_code == 200
    assert "analysis/no_periods.html" in [t.name for t in response.templates]


def test_page_shows_every_part(period, login, official, org_a, principal_a, principal_b):
    assessment = make_assessment(principal_a, period, organization=org_a)
    add_deficit(assessment, "2.3")
    make_plan(principal_a, period, Plan.Status.APPROVED, tasks=[(date(2024, 10, 1), False)])
    response = login(official).get(URL, {"period": period.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 2  # deficits by block, by competency
    for table in ("missing", "blocks", "items", "plans", "overdue"):
        assert f"table={table}" in html
    assert "Principal_b Тест" in html  # has not submitted
    assert "Задача 1" in html  # its deadline has passed whatever today is


@pytest.mark.parametrize("table", ["missing", "blocks", "items", "plans", "overdue"])
def test_each_table_downloads_as_excel(period, login, official, principal_a, table):
    response = login(official).get(URL, {"period": period.pk, "table": table})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response.content.startswith(b"PK")
    assert "2024-2025" in response["Content-Disposition"]


def test_an_unknown_table_goes_back_to_the_page(period, login, official):
    response = login(official).get(URL, {"period": period.pk, "table": "nope"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?period={period.pk}"


def _grow(period, n, start):
    for k in range(start, start + n):
        org = make_org(f"S{k:03}")
        head = make_person(f"head{k}", Role.PRINCIPAL, org)
        if k % 3:
            assessment = make_assessment(head, period, organization=org)
            add_deficit(assessment, "1.2")
            add_deficit(assessment, "6")
            make_plan(
                head,
                period,
                Plan.Status.APPROVED,
                tasks=[(date(2024, 11, 1), False), (date(2025, 4, 1), True)],
            )


def test_queries_do_not_grow_with_the_district(period, login, official):
    client = login(official)
    _grow(period, 3, 0)
    few = count_queries(client, URL, period=period.pk)
    _grow(period, 9, 3)
    assert count_queries(client, URL, period=period.pk) == few
