"""The self-assessment pages: the author's form (autosave, submit, copy, evidence), the expert's
rating, side by side, deficit decisions, the officials' list and rule, the PDF."""

import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import count_queries, make_org, make_person
from tests.trajectories.test_assessments import (
    item,
    make_score,
    previous_period,
    rate_expert,
    rate_self,
    submit,
)
from trajectories import assessments as domain
from trajectories.models import Assessment, Deficit, DeficitRule
from zelenchuk_portal.models import Period, Role

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(name, *args):
    return reverse(f"assessments:{name}", args=args)


def form_data(assessment, side="self", **by_code):
    """POST data rating every item as its stored rating, or as given per code."""
    data = {}
    for i in assessment.items.select_related("competency"):
        value = i.self_rating if side == "self" else i.expert_rating
        value = by_code.get(i.competency.code, value)
        data[f"rating-{i.pk}"] = "" if value is None else str(value)
        data[f"comment-{i.pk}"] = ""
    return data


def start(client, person):
    response = client.get(url("my_assessment"))
    assessment = Assessment.objects.get(person=person, period=Period.objects.current())
    assert response.status_code == 302
    assert response.url == url("assessment_edit", assessment.pk)
    return assessment


# --- The author ----------------------------------------------------------------------------------


def test_my_assessment_starts_and_shows_every_item_by_block(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    page = client.get(url("assessment_edit", assessment.pk)).content.decode()
    assert page.count('type="radio"') == 31 * 4
    assert "3 — владею на высоком уровне, могу транслировать опыт" in page
    assert "6. Надпрофессиональные компетенции" in page
    assert "data-autosave" in page
    assert "<script>" not in page  # no inline JS


def test_no_assessment_is_started_without_an_open_period(login, principal_a, db):
    client = login(principal_a)
    response = client.get(url("my_assessment"))
    assert response.status_code == 200
    assert response.context["period"] is None
    period = previous_period()
    period.status = "closed"
    period.save()
    response = client.get(url("my_assessment"))
    assert (response.status_code, response.context["period"]) == (200, period)
    assert not Assessment.objects.exists()


def test_autosave_stores_the_draft_and_answers_json(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    data = form_data(assessment, **{"1.1": 2})
    data[f"comment-{item(assessment, '1.1').pk}"] = "Кадровая политика утверждена"
    response = client.post(url("assessment_edit", assessment.pk), data, **AUTOSAVE)
    assert response.status_code == 200
    revision = Assessment.objects.get(pk=assessment.pk).revision
    assert response.json() == {"saved": True, "revision": revision}  # the page keeps it
    saved = item(assessment, "1.1")
    assert (saved.self_rating, saved.self_comment) == (2, "Кадровая политика утверждена")
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT


def test_a_rating_outside_the_scale_gets_a_russian_error(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    data = form_data(assessment, **{"1.1": 7, "1.2": 3})
    response = client.post(url("assessment_edit", assessment.pk), data, **AUTOSAVE)
    assert response.status_code == 400
    assert response.json()["errors"] == ["1.1: Оценка «7» вне шкалы: выберите значение от 0 до 3."]
    assert item(assessment, "1.2").self_rating == 3  # the valid answers are kept
    assert item(assessment, "1.1").self_rating is None
    page = client.post(url("assessment_edit", assessment.pk), data).content.decode()
    assert "Оценка «7» вне шкалы" in page


def test_save_button_keeps_the_draft(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    data = {**form_data(assessment, **{"2.1": 1}), "save_draft": "1"}
    response = client.post(url("assessment_edit", assessment.pk), data)
    assert response.status_code == 302
    assert item(assessment, "2.1").self_rating == 1


def test_submit_requires_every_item_then_locks(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    data = {**form_data(assessment, **{"1.1": 1}), "submit": "1"}
    response = client.post(url("assessment_edit", assessment.pk), data)
    assert response.status_code == 200
    assert "Не оценены: 1.2, 1.3" in response.content.decode()
    codes = assessment.items.values_list("competency__code", flat=True)
    data = {**form_data(assessment, **dict.fromkeys(codes, 2)), "submit": "1"}
    response = client.post(url("assessment_edit", assessment.pk), data)
    assert response.status_code == 302
    assert response.url == url("assessment_detail", assessment.pk)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    # locked: the form page sends the author to the summary, a POST changes nothing
    assert client.get(url("assessment_edit", assessment.pk)).status_code == 302
    client.post(url("assessment_edit", assessment.pk), form_data(assessment, **{"1.1": 0}))
    assert item(assessment, "1.1").self_rating == 2
    assert client.get(url("my_assessment")).url == url("assessment_detail", assessment.pk)


def test_copy_last_period(login, principal_a, period):
    submit(principal_a, previous_period(), default=3)
    client = login(principal_a)
    assessment = start(client, principal_a)
    page = client.get(url("assessment_edit", assessment.pk)).content.decode()
    assert url("assessment_copy", assessment.pk) in page
    response = client.post(url("assessment_copy", assessment.pk), follow=True)
    assert "31" in response.content.decode()
    assert set(assessment.items.values_list("self_rating", flat=True)) == {3}


def test_evidence_is_checked_stored_and_served_to_those_who_see_it(
    login, principal_a, principal_b, official, period
):
    client = login(principal_a)
    assessment = start(client, principal_a)
    target = item(assessment, "1.1")
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00 not a document")
    response = client.post(url("evidence_upload", target.pk), {"file": bad}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    target.refresh_from_db()
    assert not target.evidence
    upload = SimpleUploadedFile("../Приказ № 5.pdf", PDF, content_type="application/pdf")
    client.post(url("evidence_upload", target.pk), {"file": upload})
    target.refresh_from_db()
    assert target.evidence_name == "Приказ № 5.pdf"
    assert "Приказ" not in target.evidence.name  # a random storage name
    response = client.get(url("evidence_download", target.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    # a draft is private: an official does not reach its file; after submission he does
    assert login(official).get(url("evidence_download", target.pk)).status_code == 404
    rate_self(assessment)
    domain.submit_assessment(assessment, principal_a)
    assert login(official).get(url("evidence_download", target.pk)).status_code == 200
    assert login(principal_b).get(url("evidence_download", target.pk)).status_code == 404


def test_evidence_removed_by_the_author(login, principal_a, period):
    client = login(principal_a)
    assessment = start(client, principal_a)
    target = item(assessment, "1.1")
    client.post(url("evidence_upload", target.pk), {"file": SimpleUploadedFile("a.pdf", PDF)})
    client.post(url("evidence_delete", target.pk))
    target.refresh_from_db()
    assert not target.evidence and target.evidence_name == ""


# --- Officials and the expert --------------------------------------------------------------------


def test_officials_list_shows_submitted_only_and_assigns(
    login, official, principal_a, principal_b, expert, period
):
    submitted = submit(principal_a, period)
    domain.start_assessment(principal_b, period)  # a draft: private
    client = login(official)
    page = client.get(url("assessment_list")).content.decode()
    assert principal_a.full_name in page
    assert principal_b.full_name not in page
    response = client.post(url("assessment_assign", submitted.pk), {"expert": principal_b.pk})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.expert is None
    assert (
        "Экспертом может быть только эксперт или ментор"
        in client.get(response.url).content.decode()
    )
    client.post(url("assessment_assign", submitted.pk), {"expert": expert.pk})
    submitted.refresh_from_db()
    assert submitted.expert == expert


def test_expert_rates_completes_and_decides(login, official, principal_a, expert, period):
    assessment = submit(principal_a, period, default=3, **{"4.2": 1})
    domain.assign_expert(assessment, expert, official)
    client = login(expert)
    page = client.get(url("to_rate")).content.decode()
    assert url("expert_rating", assessment.pk) in page
    page = client.get(url("expert_rating", assessment.pk)).content.decode()
    assert "1 — владею частично" in page  # the author's own rating of 4.2 is shown
    data = form_data(assessment, side="expert", **{"4.2": 2, "6.3": 0})
    response = client.post(url("expert_rating", assessment.pk), data, **AUTOSAVE)
    revision = Assessment.objects.get(pk=assessment.pk).revision
    assert response.json() == {"saved": True, "revision": revision}
    response = client.post(url("expert_rating", assessment.pk), {**data, "complete": "1"})
    assert response.status_code == 200
    assert "Не оценены: 1.1" in response.content.decode()
    full = {k: ("3" if k.startswith("rating-") and not v else v) for k, v in data.items()}
    response = client.post(url("expert_rating", assessment.pk), {**full, "complete": "1"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.expert_status == Assessment.ExpertStatus.DONE
    deficits = {d.code: d for d in assessment.deficits.all()}
    assert set(deficits) == {"6.3"}  # 4.2 withdrawn: the expert rated it 2
    # dismissing needs a comment
    decide = url("deficit_decide", deficits["6.3"].pk)
    response = client.post(decide, {"decision": "dismiss", "comment": ""}, follow=True)
    assert "комментарий обязателен" in response.content.decode()
    client.post(decide, {"decision": "confirm", "comment": "Согласен"})
    deficits["6.3"].refresh_from_db()
    assert deficits["6.3"].status == Deficit.Status.CONFIRMED
    # no more rating once completed
    assert client.get(url("expert_rating", assessment.pk)).status_code == 302


def test_side_by_side_page(login, official, principal_a, org_a, expert, period):
    assessment = submit(principal_a, period, **{f"2.{n}": 3 for n in range(1, 6)})
    make_score(period, org_a, B1=30.0)
    domain.assign_expert(assessment, expert, official)
    rate_expert(assessment, 1)
    page = login(expert).get(url("assessment_detail", assessment.pk)).content.decode()
    assert "B1 Базовая подготовка обучающихся и объективность" in page
    assert page.count("confidence-flag") == 1  # over-confidence: block 2 next to B1
    assert 'text-danger">-2<' in page  # the gap on block 2's items (3 → 1)
    # the author does not see the expert's ratings until the expert completes
    author_page = login(principal_a).get(url("assessment_detail", assessment.pk)).content.decode()
    assert 'text-danger">-2<' not in author_page
    domain.complete_expert_rating(assessment, expert)
    author_page = login(principal_a).get(url("assessment_detail", assessment.pk)).content.decode()
    assert 'text-danger">-2<' in author_page


def test_return_for_revision_through_the_page(login, official, principal_a, expert, period):
    assessment = submit(principal_a, period)
    domain.assign_expert(assessment, expert, official)
    client = login(expert)
    response = client.post(url("assessment_return", assessment.pk), {"comment": ""}, follow=True)
    assert "комментарий обязателен" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    client.post(url("assessment_return", assessment.pk), {"comment": "Уточните блок 3"})
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.RETURNED
    page = login(principal_a).get(url("assessment_edit", assessment.pk)).content.decode()
    assert "Уточните блок 3" in page


def test_officials_edit_the_deficit_rule(login, official, principal_a):
    client = login(official)
    assert client.get(url("deficit_rule")).status_code == 200
    response = client.post(url("deficit_rule"), {"item_max_rating": "0", "block_min_percent": "0"})
    assert response.status_code == 200
    assert "от 1 до 100" in response.content.decode()
    response = client.post(url("deficit_rule"), {"item_max_rating": "0", "block_min_percent": "55"})
    assert response.status_code == 302
    rule = DeficitRule.current()
    assert (rule.item_max_rating, rule.block_min_percent) == (0, 55)
    assert login(principal_a).get(url("deficit_rule")).status_code == 403


# --- PDF -----------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_pdf_holds_self_expert_gap_and_deficits(login, official, principal_a, expert, period):
    assessment = submit(principal_a, period, default=3, **{"5.4": 1})
    domain.assign_expert(assessment, expert, official)
    rate_expert(assessment, 3, **{"5.4": 0})
    domain.complete_expert_rating(assessment, expert)
    response = login(principal_a).get(url("assessment_pdf", assessment.pk))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Самооценка управленческих компетенций, 2024/2025" in text
    assert principal_a.full_name in text
    assert "Использование информационно-аналитических систем" in text
    assert "Разрыв" in text
    assert "5.4" in text and "предложен" in text
    assert "Индекс самооценки" in text


# --- Query counts --------------------------------------------------------------------------------


def add_assessments(first, last, period, expert, official):
    """Heads number first…last-1, each with a submitted assessment assigned to `expert`."""
    for k in range(first, last):
        person = make_person(f"head{k}", Role.PRINCIPAL, make_org(f"Q{k:02d}"))
        domain.assign_expert(submit(person, period, **{"1.1": 1}), expert, official)


@pytest.mark.parametrize("name", ["assessment_list", "to_rate"])
def test_list_pages_do_not_grow_with_the_data(login, official, expert, period, name):
    add_assessments(0, 3, period, expert, official)
    client = login(official if name == "assessment_list" else expert)
    few = count_queries(client, url(name))
    add_assessments(3, 12, period, expert, official)
    assert Assessment.objects.count() == 12
    assert count_queries(client, url(name)) == few
