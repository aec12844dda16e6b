"""Two officials acting on the same candidacy: the second action, made on a page opened before the
first, is refused with the message (who changed the candidacy, when) and the first is kept —
a nomination's correction, a status move, an approval, a readiness decision.
"""

import pytest
from django.test import Client
from django.urls import reverse

from reserve.models import ReadinessReview, Status
from tests.concurrency import messages_of, opened_revision, page_text
from tests.conftest import make_person
from zelenchuk_portal.concurrency import conflict_message
from zelenchuk_portal.models import Role


@pytest.fixture
def colleague(db):
    return make_person("colleague", Role.OFFICIAL, last_name="Петренко", first_name="Анна")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def two_pages(candidacy, official, colleague):
    """The candidate's page opened by two officials: (client, revision) each."""
    url = reverse("reserve:candidate_detail", args=[candidacy.pk])
    first, second = browser(colleague), browser(official)
    return (first, opened_revision(first.get(url))), (second, opened_revision(second.get(url)))


def action(name, candidacy):
    return reverse(f"reserve:{name}", args=[candidacy.pk])


def said(response, candidacy, who, me) -> bool:
    candidacy.refresh_from_db()
    expected = conflict_message(who=who, when=candidacy.revised_at, me=me)
    return expected in page_text(response) or expected in messages_of(response)


def test_the_nomination_corrected_by_two_officials(candidacy, official, colleague):
    url = action("candidate_edit", candidacy)
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    form = {"position": candidacy.position, "management_since": "2019-09-01"}
    saved = first.post(
        url, {**form, "reason": "Основание 1", "base_revision": opened_revision(first_page)}
    )
    assert saved.status_code == 302
    refused = second.post(
        url, {**form, "reason": "Основание 2", "base_revision": opened_revision(second_page)}
    )
    assert refused.status_code == 200
    candidacy.refresh_from_db()
    assert candidacy.reason == "Основание 1"
    assert said(refused, candidacy, colleague, official)


def test_a_status_move_from_a_stale_page_is_refused(candidacy, official, colleague):
    (first, seen_first), (second, seen_second) = two_pages(candidacy, official, colleague)
    moved = first.post(
        action("candidate_move", candidacy),
        {"status": "training", "on": "2025-01-10", "comment": "", "base_revision": seen_first},
    )
    assert moved.status_code == 302
    # Training → removed is a step of the flow, but the second official decided on «enrolled».
    refused = second.post(
        action("candidate_move", candidacy),
        {
            "status": "removed",
            "on": "2025-01-11",
            "comment": "Переезд",
            "base_revision": seen_second,
        },
    )
    assert refused.status_code == 200
    candidacy.refresh_from_db()
    assert candidacy.status == Status.TRAINING and candidacy.left_on is None
    assert candidacy.changes.count() == 3  # nominated, enrolled, training
    assert said(refused, candidacy, colleague, official)


def test_a_move_the_flow_no_longer_allows_names_who_changed_the_candidacy(
    candidacy, official, colleague, org_b
):
    (first, seen_first), (second, seen_second) = two_pages(candidacy, official, colleague)
    first.post(
        action("candidate_move", candidacy),
        {
            "status": "appointed",
            "on": "2025-06-01",
            "position": "директор",
            "organization": org_b.pk,
            "comment": "Решение комиссии",
            "base_revision": seen_first,
        },
    )
    refused = second.post(
        action("candidate_move", candidacy),
        {"status": "training", "on": "2025-06-02", "comment": "", "base_revision": seen_second},
    )
    candidacy.refresh_from_db()
    assert candidacy.status == Status.APPOINTED
    assert said(refused, candidacy, colleague, official)


def test_a_stale_approval_of_a_head_s_nomination_is_refused(staff_nomination, official, colleague):
    (first, seen_first), (second, seen_second) = two_pages(staff_nomination, official, colleague)
    first.post(
        action("candidate_reject", staff_nomination),
        {"reason": "Нет управленческого опыта", "base_revision": seen_first},
    )
    refused = second.post(
        action("candidate_approve", staff_nomination), {"base_revision": seen_second}
    )
    staff_nomination.refresh_from_db()
    assert staff_nomination.status == Status.REMOVED and staff_nomination.approved_on is None
    assert said(refused, staff_nomination, colleague, official)


def test_a_stale_readiness_decision_is_refused(candidacy, official, colleague):
    (first, seen_first), (second, seen_second) = two_pages(candidacy, official, colleague)
    first.post(
        action("readiness_confirm", candidacy),
        {"ready": "1", "comment": "Готова", "base_revision": seen_first},
    )
    refused = second.post(
        action("readiness_confirm", candidacy),
        {"ready": "0", "comment": "Рано", "base_revision": seen_second},
    )
    assert refused.status_code == 200
    candidacy.refresh_from_db()
    assert candidacy.status == Status.READY
    assert list(ReadinessReview.objects.values_list("comment", flat=True)) == ["Готова"]
    assert said(refused, candidacy, colleague, official)
