"""The management cycle in a real browser: from the dashboard to a decision and its effect.

The official opens the district dashboard, drills into a school's dossier, records a management
decision targeting an indicator, and — once the next period is scored — the dossier shows the
decision's effect. The head sees his or her own dossier and gets 404 for another school's.
"""

from datetime import date

import pandas as pd
import pytest

from monitoring.methodology import version_for
from monitoring.models import Decision, DecisionBaseline
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import PASSWORD
from zelenchuk_portal.models import Period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _score(period, organizations, index, overrides=None):
    catalogue = version_for(period).catalogue
    frame = generate_values(
        catalogue, pd.Series({o.code: o.org_type for o in organizations}), index
    )
    for (code, column), value in (overrides or {}).items():
        frame.at[code, column] = value
    ids = {o.code: o.pk for o in organizations}
    writes = [ValueWrite(ids[c], k, v) for (c, k), v in frame.stack().dropna().items()]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, index).items()]
    write_values(period, writes, source="official")
    score_period(period, trigger="test")


def test_from_the_dashboard_to_a_decision_and_its_effect(
    sign_in, page, live_server, official, principal_a, principal_b, org_a, org_b
):
    first = Period.objects.create(
        label="2023/2024", start_date=date(2023, 9, 1), end_date=date(2024, 8, 31)
    )
    # School A has vacancies: B4.1 (staffing) is weak in the first period.
    _score(first, [org_a, org_b], 0, {(org_a.code, "teacher_vacancies"): 4.0})

    sign_in("official", PASSWORD)
    page.goto(f"{live_server.url}/analysis/periods/{first.pk}/")
    assert page.get_by_role("heading", name="Панель мониторинга района, 2023/2024").is_visible()
    page.get_by_role("link", name=org_a.short_name).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=org_a.short_name).is_visible()

    page.goto(f"{live_server.url}/decisions/new/?period={first.pk}")
    page.locator("#id_number").fill("145-од")
    page.locator("#id_date").fill("2024-07-15")
    page.locator("#id_kind").select_option("resources")
    page.locator("#id_title").fill("Выделить ставки и жильё для привлечения учителей")
    page.locator("#id_organizations").select_option(str(org_a.pk))
    page.locator("#id_indicator_codes").select_option("B4.1")
    page.locator("#id_owner").fill("управление образования")
    page.locator("#id_due_date").fill("2024-12-31")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    decision = Decision.objects.get(number="145-од")
    baseline = DecisionBaseline.objects.get(decision=decision, indicator_code="B4.1")
    assert baseline.value is not None and baseline.value < 100

    second = Period.objects.create(
        label="2024/2025", start_date=date(2024, 9, 1), end_date=date(2025, 8, 31)
    )
    _score(second, [org_a, org_b], 1, {(org_a.code, "teacher_vacancies"): 0.0})
    page.goto(f"{live_server.url}/analysis/dossier/{org_a.pk}/?period={second.pk}")
    section = page.locator(".card", has_text="Управленческие решения").last
    assert "145-од" in section.inner_text()
    assert "2024/2025" in section.inner_text() and "B4.1" in section.inner_text()

    page.context.clear_cookies()
    sign_in("principal_a", PASSWORD)
    assert page.get_by_role("heading", name=org_a.short_name).is_visible()  # lands on own dossier
    response = page.goto(f"{live_server.url}/analysis/dossier/{org_b.pk}/")
    assert response.status == 404
