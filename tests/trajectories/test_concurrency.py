"""Two saves of the same self-assessment or plan: the second is refused with the message and the
first is kept. Each case opens the real page twice (two tabs, or the owner and an official),
reads the revision its form carries, saves from the first, then from the second.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.concurrency import messages_of, opened_revision, page_text
from tests.conftest import make_person
from tests.trajectories.test_assessments import item, submit
from tests.trajectories.test_assessments_views import form_data
from tests.trajectories.test_plans import approved_plan, confirm_deficits, draft_plan
from trajectories import assessments as domain
from trajectories.models import Assessment, DeficitAnalysis, Plan, PlanGoal, PlanTask
from zelenchuk_portal.concurrency import conflict_message
from zelenchuk_portal.models import Role

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def colleague(db):
    return make_person("colleague", Role.OFFICIAL, last_name="Петренко", first_name="Анна")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response, record, who, me) -> bool:
    record.refresh_from_db()
    expected = conflict_message(who=who, when=record.revised_at, me=me)
    return expected in page_text(response) or expected in messages_of(response)


# --- Self-assessment ----------------------------------------------------------------------------


def _started(principal_a, period) -> tuple[Client, Assessment]:
    tab = browser(principal_a)
    tab.get(reverse("assessments:my_assessment"))
    return tab, Assessment.objects.get(person=principal_a, period=period)


def test_self_assessment_saved_from_two_tabs(principal_a, period):
    tab, assessment = _started(principal_a, period)
    url = reverse("assessments:assessment_edit", args=[assessment.pk])
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    saved = tab.post(url, {**form_data(assessment, **{"1.1": 2}), "base_revision": first})
    assert saved.status_code == 302
    refused = tab.post(url, {**form_data(assessment, **{"1.1": 0}), "base_revision": second})
    assert refused.status_code == 200
    assert item(assessment, "1.1").self_rating == 2
    assert said(refused, assessment, principal_a, principal_a)


def test_self_assessment_autosave_from_an_older_tab_gets_409(principal_a, period):
    tab, assessment = _started(principal_a, period)
    url = reverse("assessments:assessment_edit", args=[assessment.pk])
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    data = form_data(assessment, **{"1.1": 3})
    saved = tab.post(url, {**data, "base_revision": first}, **AUTOSAVE)
    assert saved.json() == {"saved": True, "revision": int(first) + 1}
    refused = tab.post(
        url, {**form_data(assessment, **{"1.1": 1}), "base_revision": second}, **AUTOSAVE
    )
    assert refused.status_code == 409
    assessment.refresh_from_db()
    assert refused.json() == {
        "saved": False,
        "conflict": True,
        "error": conflict_message(who=principal_a, when=assessment.revised_at, me=principal_a),
    }
    assert item(assessment, "1.1").self_rating == 3


def test_expert_rating_autosave_from_an_older_tab_gets_409(official, principal_a, expert, period):
    assessment = submit(principal_a, period, default=3)
    domain.assign_expert(assessment, expert, official)
    tab = browser(expert)
    url = reverse("assessments:expert_rating", args=[assessment.pk])
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    data = form_data(assessment, side="expert", **{"4.2": 2})
    assert tab.post(url, {**data, "base_revision": first}, **AUTOSAVE).status_code == 200
    stale = form_data(assessment, side="expert", **{"4.2": 0})
    refused = tab.post(url, {**stale, "base_revision": second}, **AUTOSAVE)
    assert refused.status_code == 409 and refused.json()["conflict"] is True
    assert item(assessment, "4.2").expert_rating == 2


def test_the_expert_s_old_page_is_refused_after_a_return_and_resubmission(
    official, principal_a, expert, period
):
    assessment = submit(principal_a, period, default=3)
    domain.assign_expert(assessment, expert, official)
    tab = browser(expert)
    url = reverse("assessments:expert_rating", args=[assessment.pk])
    seen = opened_revision(tab.get(url))
    domain.return_assessment(assessment, official, "Добавьте подтверждения")
    domain.submit_assessment(assessment, principal_a)  # rated again by the expert from here
    refused = tab.post(
        url,
        {**form_data(assessment, side="expert", **{"1.1": 1}), "base_revision": seen},
        **AUTOSAVE,
    )
    assert refused.status_code == 409
    assessment.refresh_from_db()
    assert refused.json()["error"] == conflict_message(
        who=principal_a, when=assessment.revised_at, me=expert
    )
    assert item(assessment, "1.1").expert_rating is None


# --- Plans ------------------------------------------------------------------------------------


@pytest.fixture
def plan(period, principal_a, mentor):
    confirm_deficits(principal_a, period)
    return draft_plan(principal_a, period, mentor)


def test_a_goal_edited_by_the_owner_and_an_official(plan, principal_a, official):
    goal = plan.goals.first()
    url = reverse("plans:goal_edit", args=[goal.pk])
    owner, office = browser(principal_a), browser(official)
    owner_page, office_page = owner.get(url), office.get(url)
    saved = owner.post(
        url, {"text": "Цель владельца", "base_revision": opened_revision(owner_page)}
    )
    assert saved.status_code == 302
    refused = office.post(
        url, {"text": "Цель управления", "base_revision": opened_revision(office_page)}
    )
    assert refused.status_code == 200
    assert PlanGoal.objects.get(pk=goal.pk).text == "Цель владельца"
    assert said(refused, goal, principal_a, official)


def test_a_task_edited_in_two_tabs(plan, principal_a):
    task = PlanTask.objects.filter(goal__plan=plan).first()
    url = reverse("plans:task_edit", args=[task.pk])
    tab = browser(principal_a)
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    form = {"text": task.text, "form": task.form, "resource": task.resource}
    form["deadline"] = task.deadline.isoformat()
    assert tab.post(url, {**form, "responsible": "Я", "base_revision": first}).status_code == 302
    refused = tab.post(url, {**form, "responsible": "Другой", "base_revision": second})
    assert refused.status_code == 200
    assert PlanTask.objects.get(pk=task.pk).responsible == "Я"
    assert said(refused, task, principal_a, principal_a)


def test_an_analysis_edited_by_the_owner_and_an_official(period, principal_a, mentor, official):
    confirm_deficits(principal_a, period)
    plan = approved_plan(principal_a, period, mentor)
    analysis = plan.analyses.first()
    url = reverse("plans:analysis_edit", args=[analysis.pk])
    owner, office = browser(principal_a), browser(official)
    owner_page, office_page = owner.get(url), office.get(url)
    form = {"successes": "", "problems": "", "use_of_successes": "", "solutions": ""}
    form["outcome"] = DeficitAnalysis.Outcome.OPEN
    saved = owner.post(
        url, {**form, "results": "Итоги владельца", "base_revision": opened_revision(owner_page)}
    )
    assert saved.status_code == 302
    refused = office.post(
        url, {**form, "results": "Итоги управления", "base_revision": opened_revision(office_page)}
    )
    assert refused.status_code == 200
    assert DeficitAnalysis.objects.get(pk=analysis.pk).results == "Итоги владельца"
    assert said(refused, analysis, principal_a, official)


def test_a_status_move_from_a_stale_page_is_refused(plan, principal_a, mentor, official):
    detail = reverse("plans:plan_detail", args=[plan.pk])
    move = reverse("plans:plan_status", args=[plan.pk])
    owner, office = browser(principal_a), browser(official)
    owner_seen, office_seen = (
        opened_revision(owner.get(detail)),
        opened_revision(office.get(detail)),
    )
    owner.post(move, {"status": Plan.Status.ON_REVIEW, "comment": "", "base_revision": owner_seen})
    refused = office.post(
        move, {"status": Plan.Status.ON_REVIEW, "comment": "", "base_revision": office_seen}
    )
    plan.refresh_from_db()
    assert said(refused, plan, principal_a, official)
    assert [entry["status"] for entry in plan.history].count(Plan.Status.ON_REVIEW) == 1
    reviewer = browser(mentor)
    current = opened_revision(reviewer.get(detail))  # a page opened now moves it
    reviewer.post(
        reverse("plans:plan_review", args=[plan.pk]),
        {"decision": Plan.Status.APPROVED, "comment": "", "base_revision": current},
    )
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED
