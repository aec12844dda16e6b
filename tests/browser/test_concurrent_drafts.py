"""Two tabs on the same draft, in a real browser: the older tab's autosave is refused (409), the
page says why at the top (static/js/portal.js, no inline script) and stops saving; the newer
draft stays. A tab that keeps saving never clashes with itself: each reply's revision goes into
its form."""

import pytest
from django.utils import translation

from monitoring.models import SelfReport
from tests.conftest import PASSWORD
from zelenchuk_portal.concurrency import conflict_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _autosave_of(typed: str):
    """The autosave whose form data carries `typed` in «vsoko_items_done»."""
    marker = f'name="vsoko_items_done"\r\n\r\n{typed}\r\n'

    def predicate(response):
        request = response.request
        return (
            request.method == "POST"
            and request.headers.get("x-autosave") == "1"
            and marker in (request.post_data or "")
        )

    return predicate


def test_an_older_tab_cannot_overwrite_a_newer_draft(
    sign_in, page, live_server, principal_a, org_a, period
):
    url = f"{live_server.url}/monitoring/periods/{period.pk}/organizations/{org_a.pk}/self-report/"
    sign_in("principal_a", PASSWORD)
    page.goto(url)
    page.locator("#id_vsoko_items_done").fill("1")
    with page.expect_response(_autosave_of("1")) as first:
        page.locator("#id_vsoko_items_done").dispatch_event("change")
    assert first.value.ok

    older = page.context.new_page()  # the second tab, opened on the draft as it is now
    older.goto(url)
    older.wait_for_load_state()

    for typed in ("6", "7"):  # the first tab saves twice: its own revision follows each save
        page.locator("#id_vsoko_items_done").fill(typed)
        with page.expect_response(_autosave_of(typed)) as saved:
            page.locator("#id_vsoko_items_done").dispatch_event("change")
        assert saved.value.status == 200, saved.value.status

    older.locator("#id_vsoko_items_done").fill("2")
    with older.expect_response(_autosave_of("2")) as refused:
        older.locator("#id_vsoko_items_done").dispatch_event("change")
    assert refused.value.status == 409

    report = SelfReport.objects.get(period=period, organization=org_a)
    assert report.values["vsoko_items_done"] == "7"
    with translation.override("ru"):
        expected = conflict_message(who=principal_a, when=report.revised_at, me=principal_a)
    alert = older.locator("[data-autosave-conflict]")
    alert.wait_for()
    assert alert.inner_text() == expected
    assert older.locator("[data-autosave-status]").inner_text() == expected

    older.locator("#id_vsoko_items_done").fill("3")  # the refused tab saves nothing any more
    older.wait_for_timeout(2500)
    report.refresh_from_db()
    assert report.values["vsoko_items_done"] == "7"
    older.close()
