"""A head's professional development in a real browser, from the self-assessment to A1.4/A1.5.

The head rates the 31 competencies and submits; the official assigns the expert; the expert
rates, completes and confirms the proposed deficits (dismissing one with a comment); the head
builds the plan from the confirmed deficits, a task per goal, and sends it to the mentor, who
approves it; the head marks every task done, fills the analytical section (each deficit closed)
and closes the plan. After rescoring, A1.4 is the head's self-assessment index, A1.5 is 100 %
with full points, and the dossier's «Professional development» section shows the plan done.
"""

import importlib
from datetime import date

import pandas as pd
import pytest
from django.apps import apps
from django.utils import translation

from monitoring.catalogue import STATUS_NO_DATA, STATUS_VALUE
from monitoring.methodology import version_for
from monitoring.models import Score
from monitoring.scoring import score_period
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import PASSWORD
from trajectories.models import Assessment, Competency, Deficit, DeficitAnalysis, Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The head's own ratings: mostly 2–3, a few 1s, and block 4 low (mean 50 % < 60 %).
SELF = {
    **{"1.1": 3, "1.2": 2, "1.3": 3, "1.4": 2, "1.5": 2},
    **{"2.1": 2, "2.2": 2, "2.3": 1, "2.4": 2, "2.5": 3},
    **{"3.1": 3, "3.2": 3, "3.3": 2, "3.4": 2, "3.5": 3, "3.6": 2},
    **{"4.1": 1, "4.2": 1, "4.3": 2, "4.4": 2},
    **{"5.1": 2, "5.2": 3, "5.3": 2, "5.4": 2, "5.5": 2},
    **{"6.1": 3, "6.2": 2, "6.3": 2, "6.4": 1, "6.5": 3, "6.6": 2},
}
# The expert agrees except on two items: 5.5 is weaker than the head thinks, 6.4 is fine.
EXPERT = {**SELF, "5.5": 1, "6.4": 2}
# The rule (item ≤ 1, block < 60 %) on the self-ratings, then on the expert's (which win).
PROPOSED_ON_SUBMISSION = {"2.3", "4.1", "4.2", "6.4", "4"}
PROPOSED_ON_COMPLETION = {"2.3", "4.1", "4.2", "5.5", "4"}
DISMISSED = "4.2"
CONFIRMED = PROPOSED_ON_COMPLETION - {DISMISSED}
FRAMEWORK_MIGRATION = "trajectories.migrations.0002_load_competency_framework"


@pytest.fixture
def framework(db):
    """The 31 competencies. A data migration loads them, but the flush that ends every other
    transactional test empties the table (and `serialized_rollback` trips over the content types
    that flush re-creates), so they are loaded again here when missing."""
    if not Competency.objects.exists():
        loader = importlib.import_module(FRAMEWORK_MIGRATION)
        loader.load(apps, None)
    assert Competency.objects.count() == 31


def _seed_monitoring(period, organization):
    """The period's monitoring data for the school (synthetic), scored."""
    catalogue = version_for(period).catalogue
    frame = generate_values(catalogue, pd.Series({organization.code: organization.org_type}), 0)
    writes = [
        ValueWrite(organization.pk, code, value)
        for code, value in frame.loc[organization.code].dropna().items()
    ]
    writes += [ValueWrite(None, c, v) for c, v in generate_period_values(catalogue, 0).items()]
    write_values(period, writes, source="official")
    score_period(period, trigger="test")


def _a1(period, organization):
    score = Score.objects.select_related("version").get(period=period, organization=organization)
    return score.results["A1.4"], score.results["A1.5"]


def _post(page, button):
    """Click a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def _go(page, url):
    response = page.goto(url)
    page.wait_for_load_state()
    assert response is not None and response.ok, (url, response and response.status)


def _rate_everything(page, assessment, ratings):
    """Tick every item's radio button; the last tick is waited for until its draft autosave
    (which carries every rating) has answered, so that the submission never races it."""
    item_ids = dict(assessment.items.values_list("competency__code", "pk"))
    assert set(item_ids) == set(ratings)
    *first, (last_code, last_rating) = ratings.items()
    for code, rating in first:
        page.locator(f"input[name='rating-{item_ids[code]}'][value='{rating}']").check()
    marker = f'name="rating-{item_ids[last_code]}"\r\n\r\n{last_rating}'

    def _autosave(response):
        request = response.request
        return (
            request.method == "POST"
            and request.headers.get("x-autosave") == "1"
            and marker in (request.post_data or "")
        )

    with page.expect_response(_autosave) as saved:
        page.locator(f"input[name='rating-{item_ids[last_code]}'][value='{last_rating}']").check()
    assert saved.value.ok, saved.value.status


def _codes(assessment, status=None):
    deficits = assessment.deficits.select_related("competency")
    if status:
        deficits = deficits.filter(status=status)
    return {d.code for d in deficits}


def test_self_assessment_to_a_closed_plan_reaches_a1_and_the_dossier(
    sign_in, page, live_server, framework, official, principal_a, expert, mentor, org_a, period
):
    url = live_server.url
    _seed_monitoring(period, org_a)
    (_v, a14_status, *_), (_w, a15_status, *_) = _a1(period, org_a)
    assert (a14_status, a15_status) == (STATUS_NO_DATA, STATUS_NO_DATA)

    # --- The head rates every competency and submits ----------------------------------------
    sign_in("principal_a", PASSWORD)
    _go(page, f"{url}/assessments/my/")
    assessment = Assessment.objects.get(person=principal_a, period=period)
    assert page.url.endswith(f"/assessments/{assessment.pk}/edit/")
    assert page.locator("#assessment-form fieldset").count() == 31
    first_item = assessment.items.get(competency__code="1.1")
    page.locator(f"#id_comment-{first_item.pk}").fill("Кадровая политика утверждена приказом.")
    _rate_everything(page, assessment, SELF)
    _post(page, page.locator("#assessment-form button[name=submit]"))
    assessment.refresh_from_db()
    assert page.url.endswith(f"/assessments/{assessment.pk}/")
    assert assessment.status == Assessment.Status.SUBMITTED
    ratings = dict(assessment.items.values_list("competency__code", "self_rating"))
    assert ratings == SELF
    assert _codes(assessment) == PROPOSED_ON_SUBMISSION
    assert page.locator("form[action*='/assessments/deficits/']").count() == 0  # not the head's

    # --- The official assigns the expert ------------------------------------------------------
    page.context.clear_cookies()
    sign_in("official", PASSWORD)
    _go(page, f"{url}/assessments/district/")
    assign = page.locator(f"form[action$='/assessments/{assessment.pk}/assign/']")
    assign.locator("select[name=expert]").select_option(str(expert.pk))
    _post(page, assign.locator("button[type=submit]"))
    assessment.refresh_from_db()
    assert assessment.expert_id == expert.pk

    # --- The expert rates, completes and decides the deficits ---------------------------------
    page.context.clear_cookies()
    sign_in("expert", PASSWORD)
    _go(page, f"{url}/assessments/to-rate/")
    _post(page, page.locator(f"a[href$='/assessments/{assessment.pk}/rate/']"))
    assert page.url.endswith(f"/assessments/{assessment.pk}/rate/")
    _rate_everything(page, assessment, EXPERT)
    _post(page, page.locator("form[data-autosave] button[name=complete]"))
    assessment.refresh_from_db()
    assert assessment.expert_status == Assessment.ExpertStatus.DONE
    assert dict(assessment.items.values_list("competency__code", "expert_rating")) == EXPERT
    # 6.4 (only the head's 1) is withdrawn; 5.5 (the expert's 1) is proposed.
    assert _codes(assessment) == PROPOSED_ON_COMPLETION
    for deficit in assessment.deficits.select_related("competency"):
        form = page.locator(f"form[action$='/assessments/deficits/{deficit.pk}/decide/']")
        if deficit.code == DISMISSED:
            form.locator("input[name=comment]").fill("Учтено в дефиците блока 4.")
            _post(page, form.locator("button[name=decision][value=dismiss]"))
        else:
            _post(page, form.locator("button[name=decision][value=confirm]"))
    assert _codes(assessment, Deficit.Status.CONFIRMED) == CONFIRMED
    dismissed = assessment.deficits.get(status=Deficit.Status.DISMISSED)
    assert (dismissed.code, dismissed.comment) == (DISMISSED, "Учтено в дефиците блока 4.")
    assert "Учтено в дефиците блока 4." in page.locator("#deficits + p + table").inner_text()

    # --- The head builds the plan from the confirmed deficits and sends it --------------------
    page.context.clear_cookies()
    sign_in("principal_a", PASSWORD)
    _go(page, f"{url}/plans/my/")
    _post(page, page.locator("form[action$='/plans/new/'] button[type=submit]"))
    plan = Plan.objects.get(person=principal_a, period=period)
    assert page.url.endswith(f"/plans/{plan.pk}/")
    goals = list(plan.goals.select_related("deficit__competency"))
    assert {g.deficit.code for g in goals} == CONFIRMED
    for n, goal in enumerate(goals, start=1):
        _post(page, page.locator(f"a[href$='/plans/goals/{goal.pk}/tasks/new/']"))
        page.locator("#id_text").fill(f"Задача {n}: курсы по теме «{goal.deficit.code}»")
        page.locator("#id_direction").fill("Повышение квалификации")
        page.locator("#id_form").select_option("courses")
        page.locator("#id_resource").select_option("external")
        page.locator("#id_deadline").fill(date(2025, 1 + n, 15).isoformat())
        page.locator("#id_responsible").fill("Директор")
        _post(page, page.locator("form:has(#id_text) button[type=submit]"))
        assert page.url.endswith(f"/plans/{plan.pk}/"), page.url
    assert plan.goals.filter(tasks__isnull=True).count() == 0

    reviewer = page.locator(f"form[action$='/plans/{plan.pk}/reviewer/']")
    reviewer.locator("#id_reviewer").select_option(str(mentor.pk))
    _post(page, reviewer.locator("button[type=submit]"))
    _post(page, page.locator("button[name=status][value=on_review]"))
    plan.refresh_from_db()
    assert (plan.reviewer_id, plan.status) == (mentor.pk, Plan.Status.ON_REVIEW)

    # --- The mentor approves ------------------------------------------------------------------
    page.context.clear_cookies()
    sign_in("mentor", PASSWORD)
    _go(page, f"{url}/plans/review/")
    _post(page, page.locator(f"a[href$='/plans/{plan.pk}/']"))
    page.locator("#review-comment").fill("План реалистичен, утверждаю.")
    _post(page, page.locator("button[name=decision][value=approved]"))
    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED

    # --- The head does the tasks, analyses every deficit and closes the plan ------------------
    page.context.clear_cookies()
    sign_in("principal_a", PASSWORD)
    _go(page, f"{url}/plans/{plan.pk}/")
    tasks = [task for goal in plan.goals.all() for task in goal.tasks.all()]
    for task in tasks:
        _post(page, page.locator(f"form[action$='/plans/tasks/{task.pk}/done/'] button"))
    assert plan.goals.filter(tasks__done=False).count() == 0
    for analysis in plan.analyses.select_related("deficit__competency"):
        _post(page, page.locator(f"a[href$='/plans/analyses/{analysis.pk}/edit/']"))
        page.locator("#id_results").fill(f"Курсы по «{analysis.deficit.code}» пройдены.")
        page.locator("#id_successes").fill("Опыт применён в работе школы.")
        page.locator("#id_problems").fill("Нехватка времени.")
        page.locator("#id_use_of_successes").fill("Поделиться опытом на семинаре директоров.")
        page.locator("#id_solutions").fill("Планировать обучение летом.")
        page.locator("#id_outcome").select_option("closed")
        _post(page, page.locator("form:has(#id_results) button[type=submit]"))
        assert page.url.endswith(f"/plans/{plan.pk}/"), page.url
    outcomes = set(plan.analyses.values_list("outcome", flat=True))
    assert outcomes == {DeficitAnalysis.Outcome.CLOSED}
    _post(page, page.locator("button[name=status][value=done]"))
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DONE, page.locator(".alert").all_inner_texts()

    # --- Rescoring: A1.4 and A1.5 follow; the dossier shows the section -----------------------
    score_period(period, trigger="test")
    (a14_value, a14_status, *_), (a15_value, a15_status, a15_points, *_) = _a1(period, org_a)
    expected_index = round(100 * sum(SELF.values()) / (3 * len(SELF)), 1)
    assert (a14_status, a14_value) == (STATUS_VALUE, pytest.approx(expected_index))
    assert (a15_status, a15_value, a15_points) == (STATUS_VALUE, pytest.approx(100.0), 2)

    _go(page, f"{url}/analysis/dossier/{org_a.pk}/")
    with translation.override("ru"):
        title = translation.gettext("Professional development")
        done_label = str(Plan.Status.DONE.label)
        completion = translation.gettext(
            "Completion: %(percent)s %% (%(done)s of %(total)s tasks done)"
        ) % {"percent": 100, "done": len(tasks), "total": len(tasks)}
    section = page.locator(".card").filter(has=page.get_by_text(title, exact=True))
    text = section.inner_text()
    assert done_label in section.locator(".badge").all_inner_texts()
    assert completion in text
    assert f"{expected_index:.1f}".replace(".", ",") + " %" in text
    assert set(section.locator("code").all_inner_texts()) == CONFIRMED  # not the dismissed one
    strengths = page.locator(".card").filter(has=page.locator(".card-header.text-success"))
    assert "A1.5" in strengths.inner_text()
