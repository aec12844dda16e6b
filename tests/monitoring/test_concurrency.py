"""Two people saving the same monitoring record: the second save is refused with the message
(who saved first, when) and the first save is kept. Each case opens the real page twice, reads
the revision its form carries, saves from the first, then from the second.

Self-reports (form and autosave), the official's review, an official's correction of a value,
the letter of recommendations, a decision (edit and status move) and a measure.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring import recommendations
from monitoring.models import (
    Decision,
    Measure,
    Recommendation,
    RecommendationRule,
    SelfReport,
    Source,
    Value,
    ValueChange,
)
from monitoring.values import ValueWrite, write_values
from tests.concurrency import messages_of, opened_revision, page_text
from tests.conftest import make_person
from tests.monitoring.test_decisions import new_decision
from tests.monitoring.test_decisions_views import decision_post, make_measure
from tests.monitoring.test_recommendations_drafting import make_rule, make_score
from tests.monitoring.test_recommendations_views import formset_data
from zelenchuk_portal.concurrency import conflict_message
from zelenchuk_portal.models import Role

REPORT = {
    "development_program_status": "2",
    "internal_reserve_order": "1",
    "teachers_trained_3y": "18",
    "vsoko_items_done": "5",
    "profmin_covered": "150",
}
AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture
def colleague(db):
    return make_person("colleague", Role.OFFICIAL, last_name="Петренко", first_name="Анна")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused_with(response, record, who, me) -> None:
    """The page (or its message) says who saved first and when."""
    record.refresh_from_db()
    expected = conflict_message(who=who, when=record.revised_at, me=me)
    assert expected in page_text(response) or expected in messages_of(response)


# --- Self-reports ------------------------------------------------------------------------------


def test_self_report_saved_from_two_tabs(period, org_a, principal_a):
    tab = browser(principal_a)
    url = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    first_page, second_page = tab.get(url), tab.get(url)
    assert opened_revision(first_page) == "0"  # no report yet
    saved = tab.post(
        url,
        {**REPORT, "save_draft": "1", "base_revision": opened_revision(first_page)},
    )
    assert saved.status_code == 302
    refused = tab.post(
        url,
        {
            **REPORT,
            "teachers_trained_3y": "44",
            "save_draft": "1",
            "base_revision": opened_revision(second_page),
        },
    )
    assert refused.status_code == 200
    report = SelfReport.objects.get()
    assert report.values["teachers_trained_3y"] == "18"
    refused_with(refused, report, principal_a, principal_a)
    assert 'value="44"' in page_text(refused)  # the refused input stays on screen


def test_a_stale_tab_cannot_submit_over_a_newer_draft(period, org_a, principal_a):
    tab = browser(principal_a)
    url = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    tab.post(url, {**REPORT, "save_draft": "1", "base_revision": "0"})
    old_page, new_page = tab.get(url), tab.get(url)
    newer = {**REPORT, "profmin_covered": "140", "save_draft": "1"}
    tab.post(url, {**newer, "base_revision": opened_revision(new_page)})
    refused = tab.post(url, {**REPORT, "submit": "1", "base_revision": opened_revision(old_page)})
    assert refused.status_code == 200
    report = SelfReport.objects.get()
    assert report.status == SelfReport.Status.DRAFT  # the stale submission did not go through
    assert report.values["profmin_covered"] == "140"  # nor overwrite the newer draft


def test_autosave_from_an_older_tab_gets_409_and_stores_nothing(period, org_a, principal_a):
    tab = browser(principal_a)
    url = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    tab.post(url, {**REPORT, "save_draft": "1", "base_revision": "0"})
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    saved = tab.post(url, {**REPORT, "vsoko_items_done": "6", "base_revision": first}, **AUTOSAVE)
    report = SelfReport.objects.get()
    assert saved.json() == {"saved": True, "revision": report.revision}
    # The same tab saves again with the revision the first reply gave it: no clash with itself.
    again = tab.post(
        url,
        {**REPORT, "vsoko_items_done": "7", "base_revision": saved.json()["revision"]},
        **AUTOSAVE,
    )
    assert again.status_code == 200
    refused = tab.post(
        url, {**REPORT, "vsoko_items_done": "9", "base_revision": second}, **AUTOSAVE
    )
    assert refused.status_code == 409
    body = refused.json()
    report.refresh_from_db()
    assert (body["saved"], body["conflict"]) == (False, True)
    assert body["error"] == conflict_message(
        who=principal_a, when=report.revised_at, me=principal_a
    )
    assert report.values["vsoko_items_done"] == "7"


def test_two_officials_review_the_same_report(period, org_a, principal_a, official, colleague):
    head = browser(principal_a)
    head.post(
        reverse("monitoring:self_report", args=[period.pk, org_a.pk]),
        {**REPORT, "submit": "1", "base_revision": "0"},
    )
    report = SelfReport.objects.get()
    assert report.status == SelfReport.Status.SUBMITTED
    page = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    review = reverse("monitoring:self_report_review", args=[report.pk])
    first, second = browser(colleague), browser(official)
    seen_first, seen_second = opened_revision(first.get(page)), opened_revision(second.get(page))
    first.post(review, {"return": "1", "comment": "Нет приказа", "base_revision": seen_first})
    refused = second.post(review, {"accept": "1", "comment": "", "base_revision": seen_second})
    report.refresh_from_db()
    assert report.status == SelfReport.Status.RETURNED  # the second review did not land
    assert not Value.objects.exists()
    refused_with(refused, report, colleague, official)


# --- An official's correction of a value --------------------------------------------------------


def _store(period, org, user, value):
    write_values(
        period,
        [ValueWrite(org.pk, "unresolved_violations", Decimal(value))],
        source=Source.OFFICIAL,
        user=user,
    )


def test_value_corrected_by_two_officials(period, org_a, official, colleague):
    _store(period, org_a, official, "1")
    url = reverse("monitoring:value_edit", args=[period.pk, org_a.pk, "unresolved_violations"])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    assert opened_revision(first_page) == str(ValueChange.objects.get().pk)
    saved = first.post(
        url, {"value": "2", "reason": "Акт № 1", "base_revision": opened_revision(first_page)}
    )
    assert saved.status_code == 302
    refused = second.post(
        url, {"value": "3", "reason": "Акт № 2", "base_revision": opened_revision(second_page)}
    )
    assert refused.status_code == 200
    value = Value.objects.get()
    assert value.value == Decimal("2") and value.reason == "Акт № 1"
    latest = ValueChange.objects.first()
    expected = conflict_message(who=colleague, when=latest.changed_at, me=official)
    assert expected in page_text(refused)
    assert ValueChange.objects.count() == 2  # the refused correction left no history either


def test_a_correction_opened_before_an_import_is_refused(period, org_a, official):
    url = reverse("monitoring:value_edit", args=[period.pk, org_a.pk, "unresolved_violations"])
    client = browser(official)
    page = client.get(url)
    assert opened_revision(page) == "0"  # never stored
    _store(period, org_a, None, "4")  # an import (no person) lands meanwhile
    refused = client.post(url, {"value": "1", "reason": "ошибка", "base_revision": "0"})
    assert refused.status_code == 200
    assert Value.objects.get().value == Decimal("4")
    latest = ValueChange.objects.get()
    assert conflict_message(when=latest.changed_at, me=official) in page_text(refused)


# --- The letter of recommendations ------------------------------------------------------------


@pytest.fixture
def letter(period, org_a):
    RecommendationRule.objects.all().delete()
    make_rule("level", "critical", level="critical", days=10)
    make_score(period, org_a, index=41.0, level="critical")
    recommendations.draft_recommendations(period)
    return Recommendation.objects.get(organization=org_a)


def test_a_draft_letter_edited_by_two_officials(period, org_a, letter, official, colleague):
    url = reverse("recommendations:org_recommendations", args=[period.pk, org_a.pk])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    mine = formset_data(letter, **{"items-0-text": "Первый текст", "items-0-deadline": deadline})
    theirs = formset_data(letter, **{"items-0-text": "Второй текст", "items-0-deadline": deadline})
    saved = first.post(url, {**mine, "base_revision": opened_revision(first_page)})
    assert saved.status_code == 302
    refused = second.post(url, {**theirs, "base_revision": opened_revision(second_page)})
    assert refused.status_code == 200
    assert [item.text for item in letter.items.all()] == ["Первый текст"]
    refused_with(refused, letter, colleague, official)


# --- Decisions and measures -------------------------------------------------------------------


def test_a_decision_edited_by_two_officials(period, org_a, official, colleague):
    decision = new_decision(period, official, [org_a], ["B4.2"])
    url = reverse("decisions:decision_edit", args=[decision.pk])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    saved = first.post(
        url, {**decision_post(org_a, number="1-од"), "base_revision": opened_revision(first_page)}
    )
    assert saved.status_code == 302
    refused = second.post(
        url, {**decision_post(org_a, number="2-од"), "base_revision": opened_revision(second_page)}
    )
    assert refused.status_code == 200
    assert Decision.objects.get().number == "1-од"
    refused_with(refused, decision, colleague, official)


def test_a_status_move_from_a_stale_page_is_refused(period, org_a, official, colleague):
    decision = new_decision(period, official, [org_a], ["B4.2"])
    detail = reverse("decisions:decision_detail", args=[decision.pk])
    move = reverse("decisions:decision_status", args=[decision.pk])
    first, second = browser(colleague), browser(official)
    seen_first, seen_second = (
        opened_revision(first.get(detail)),
        opened_revision(second.get(detail)),
    )
    first.post(move, {"status": "in_progress", "comment": "", "base_revision": seen_first})
    refused = second.post(
        move, {"status": "cancelled", "comment": "Не нужно", "base_revision": seen_second}
    )
    decision.refresh_from_db()
    assert decision.status == "in_progress"  # in_progress → cancelled is a step, but not seen
    refused_with(refused, decision, colleague, official)


def test_a_measure_edited_by_two_officials(period, org_a, official, colleague):
    measure = make_measure(official, [org_a], period=period)
    url = reverse("decisions:measure_edit", args=[measure.pk])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    form = {
        "kind": measure.kind,
        "title": measure.title,
        "period": period.pk,
        "starts_on": measure.starts_on.isoformat(),
        "organiser": measure.organiser,
        "organizations": [org_a.pk],
    }
    saved = first.post(
        url, {**form, "title": "Первое название", "base_revision": opened_revision(first_page)}
    )
    assert saved.status_code == 302, page_text(saved)[:500]
    refused = second.post(
        url, {**form, "title": "Второе название", "base_revision": opened_revision(second_page)}
    )
    assert refused.status_code == 200
    assert Measure.objects.get().title == "Первое название"
    refused_with(refused, measure, colleague, official)
