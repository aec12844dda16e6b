"""Targeted recommendations as the office and a head live them, in a real browser.

The official drafts the period's letters from the rules, opens a school's draft, rewrites a
recommendation, adds one, issues the letter with its number and opens the PDF; the head then finds
the letter on his or her page, and the head of another school gets 404 for it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Recommendation, RecommendationRule
from tests.conftest import PASSWORD
from tests.monitoring.test_recommendations_drafting import make_rule, make_score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored(period, org_a, org_b):
    RecommendationRule.objects.all().delete()
    make_rule("indicator_points", "B1.3", indicator_code="B1.3", threshold=0, days=30, position=2)
    make_rule("level", "critical", level="critical", days=10, position=1)
    period.monitoring_end = timezone.localdate() - timedelta(days=3)
    period.save()
    make_score(period, org_a, index=41.0, level="critical", points={"B1.3": 0.0})
    make_score(period, org_b, index=72.0, level="optimal", points={"B1.3": 2.0})
    return period


def test_official_drafts_edits_and_issues_then_the_head_reads_it(
    sign_in, official, principal_a, principal_b, org_a, scored, live_server
):
    period = scored
    page = sign_in("official", PASSWORD)
    page.goto(f"{live_server.url}/recommendations/")
    assert page.url.endswith(f"/recommendations/periods/{period.pk}/")
    page.locator(f"form[action$='/periods/{period.pk}/draft/'] button").click()
    page.wait_for_load_state()
    assert Recommendation.objects.filter(organization=org_a).exists()

    page.locator(f"a[href$='/organizations/{org_a.pk}/']").first.click()
    page.wait_for_load_state()
    assert page.locator("textarea[name='items-0-text']").input_value().startswith("Текст: critical")
    page.fill("textarea[name='items-0-text']", "Собеседование с руководителем 15 июля в 10:00.")
    page.fill("textarea[name='items-2-text']", "Принять участие в семинаре директоров.")
    page.fill("input[name='items-2-owner']", "руководитель ОО")
    deadline = (timezone.localdate() + timedelta(days=40)).isoformat()
    page.fill("input[name='items-2-deadline']", deadline)
    page.fill("input[name='number']", "01-12/77")
    page.locator("button[name='issue']").click()
    page.wait_for_load_state()
    assert page.locator("textarea[name^='items-']").count() == 0  # issued: read-only
    body = page.locator("main").inner_text()
    assert "Собеседование с руководителем 15 июля" in body
    assert "Принять участие в семинаре директоров." in body
    letter = Recommendation.objects.get(organization=org_a)
    assert (letter.status, letter.number, letter.items.count()) == ("issued", "01-12/77", 3)

    pdf = page.request.get(
        f"{live_server.url}/recommendations/periods/{period.pk}/organizations/{org_a.pk}/letter.pdf"
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    page.context.clear_cookies()
    page = sign_in("principal_a", PASSWORD)
    page.goto(f"{live_server.url}/recommendations/")
    body = page.locator("main").inner_text()
    assert "01-12/77" in body and "Собеседование с руководителем 15 июля" in body
    assert page.locator("a[href$='letter.pdf']").count() == 1

    page.context.clear_cookies()
    page = sign_in("principal_b", PASSWORD)
    response = page.goto(
        f"{live_server.url}/recommendations/periods/{period.pk}/organizations/{org_a.pk}/"
    )
    assert response.status == 404
