"""The Content-Security-Policy in a real browser: pages work under it, injected scripts do not.

The `page` fixture (conftest.py) already fails any journey during which Chromium refused
something; here an official walks the pages with the most moving parts — SVG charts, the
navigation's drop-downs, a form's «Отмена» — and an injected inline script is shown refused.
"""

from datetime import date

import pandas as pd
import pytest

from monitoring.methodology import version_for
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import PASSWORD
from zelenchuk_portal.models import Period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scored_period(organizations):
    period = Period.objects.create(
        label="2024/2025", start_date=date(2024, 9, 1), end_date=date(2025, 8, 31)
    )
    catalogue = version_for(period).catalogue
    frame = generate_values(catalogue, pd.Series({o.code: o.org_type for o in organizations}), 0)
    ids = {o.code: o.pk for o in organizations}
    writes = [ValueWrite(ids[c], k, v) for (c, k), v in frame.stack().dropna().items()]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, 0).items()]
    write_values(period, writes, source="official")
    score_period(period, trigger="test")
    return period


def test_pages_work_under_the_policy(sign_in, page, live_server, official, org_a, org_b):
    period = _scored_period([org_a, org_b])
    sign_in("official", PASSWORD)
    for path in (
        f"/analysis/periods/{period.pk}/",
        f"/analysis/dossier/{org_a.pk}/?period={period.pk}",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
        chart = page.locator("svg.zp-chart").first
        assert chart.is_visible()
        # The chart speaks the page's font (portal.css), not its PDF fallback.
        fonts = page.evaluate(
            "[getComputedStyle(document.querySelector('svg.zp-chart')).fontFamily,"
            " getComputedStyle(document.body).fontFamily]"
        )
        assert fonts[0] == fonts[1]

    page.get_by_role("button", name="Реестр").click()  # Bootstrap's drop-down: its script runs
    page.get_by_role("link", name="Организации").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/people/new/")
    page.get_by_role("link", name="Отмена").click()  # back without a javascript: URL
    page.wait_for_load_state()
    assert page.url.endswith("/organizations/")


def test_an_injected_inline_script_does_not_run(sign_in, page, live_server, official):
    sign_in("official", PASSWORD)
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true;";
            document.body.appendChild(script);
            const button = document.createElement("button");
            button.setAttribute("onclick", "window.clicked = true;");
            document.body.appendChild(button);
            button.click();
            return [window.injected === true, window.clicked === true];
        }"""
    )
    assert ran == [False, False]
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    refused = " ".join(page.csp_violations)
    assert "script-src" in refused
    page.csp_violations.clear()  # refused on purpose
