"""Two saves of the same mentoring record: the second, made on a page opened before the first, is
refused with the message (who saved first, when) and the first is what the database holds.

Each case opens the real page twice (two tabs of one person, or two people), reads the revision
its form carries, saves from the first, then from the second: a diary entry's autosave, the
trainee's notes, a line of the technological map (its form and its status), the internship's
stage, the final materials (with their files) and the mentor's assessment, a decision of the
matrix, a base site and an agreement. The last case races two officials filling a base site's
last place on PostgreSQL.
"""

import re
import threading
from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from mentoring import internships as domain
from mentoring.assignment import create_internship
from mentoring.models import Assignment, BaseSite, DiaryEntry, Internship, Stage, Trainee
from tests.concurrency import messages_of, opened_revision, page_text
from tests.conftest import make_person
from tests.mentoring.internship_fixtures import (
    PDF,
    add_assignment,
    add_decision,
    add_entry,
    competency,
    make_internship,
    ready_to_close,
    trainee_of,
)
from tests.mentoring.site_helpers import make_agreement, make_site
from zelenchuk_portal.concurrency import conflict_message
from zelenchuk_portal.models import Role

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}
OTHER_PDF = PDF.replace(b"1 0 obj", b"2 0 obj")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def colleague(db):
    return make_person("colleague", Role.OFFICIAL, last_name="Петренко", first_name="Анна")


@pytest.fixture
def internship(mentor, candidate):
    return make_internship(mentor, [candidate], stage=Stage.MAIN)


@pytest.fixture
def trainee(internship):
    return trainee_of(internship)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response, record, who, me) -> bool:
    """The page (or the message after a redirect) names who saved `record` first, and when."""
    record.refresh_from_db()
    expected = conflict_message(who=who, when=record.revised_at, me=me)
    return expected in page_text(response) or expected in messages_of(response)


def form_revision(response, action: str) -> str:
    """The revision carried by the page's form that posts to `action` (a page with many)."""
    found = re.search(
        rf'action="{re.escape(action)}"[^>]*>.*?name="base_revision" value="(\d+)"',
        page_text(response),
        re.S,
    )
    assert found, f"no form posting to {action} carries a revision"
    return found.group(1)


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- The diary and the notes: autosaved drafts ---------------------------------------------------


def entry_values(**changes) -> dict:
    values = {
        "day": "2024-10-14",
        "time_from": "09:00",
        "time_to": "10:30",
        "activity": "meeting",
        "head_actions": "Директор провела совещание",
        "reflection": "",
    }
    return {**values, **changes}


def test_a_diary_draft_autosaved_from_an_older_tab_gets_409(trainee, candidate):
    draft = add_entry(trainee, submit=False)
    url = reverse("mentoring:entry_edit", args=[draft.pk])
    tab = browser(candidate)
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    saved = tab.post(
        url, entry_values(reflection="Из первой вкладки", base_revision=first), **AUTOSAVE
    )
    assert saved.json() == {"saved": True, "revision": int(first) + 1}
    refused = tab.post(
        url, entry_values(reflection="Из второй вкладки", base_revision=second), **AUTOSAVE
    )
    assert refused.status_code == 409
    draft.refresh_from_db()
    assert refused.json() == {
        "saved": False,
        "conflict": True,
        "error": conflict_message(who=candidate, when=draft.revised_at, me=candidate),
    }
    assert draft.reflection == "Из первой вкладки" and draft.is_draft
    # The first tab goes on with the revision its save returned.
    again = entry_values(reflection="Дописано", base_revision=saved.json()["revision"])
    assert tab.post(url, again, **AUTOSAVE).json()["saved"] is True


def test_a_new_entry_never_clashes_with_its_own_autosaves(trainee, candidate):
    """The page of a new entry carries 0; each autosave's reply gives the revision the page
    sends next (static/js/portal.js), up to the submission."""
    url = reverse("mentoring:entry_create", args=[trainee.pk])
    tab = browser(candidate)
    page = tab.get(url)
    token = page_text(page).split('name="draft" value="')[1].split('"')[0]
    assert opened_revision(page) == "0"  # no entry yet
    created = tab.post(url, entry_values(draft=token, base_revision="0"), **AUTOSAVE).json()
    assert created == {"saved": True, "revision": DiaryEntry.objects.get().revision}
    typed = entry_values(draft=token, reflection="Ещё", base_revision=created["revision"])
    again = tab.post(url, typed, **AUTOSAVE).json()
    assert again == {"saved": True, "revision": created["revision"] + 1}
    submitted = tab.post(url, {**typed, "base_revision": again["revision"], "submit": "1"})
    assert submitted.status_code == 302
    entry = DiaryEntry.objects.get()  # one draft throughout, now submitted
    assert not entry.is_draft and entry.reflection == "Ещё"


def test_notes_autosaved_from_an_older_page_get_409(internship, trainee, candidate):
    detail = reverse("mentoring:internship_detail", args=[internship.pk])
    url = reverse("mentoring:trainee_notes", args=[trainee.pk])
    tab = browser(candidate)
    first, second = opened_revision(tab.get(detail)), opened_revision(tab.get(detail))
    saved = tab.post(url, {"host_notes": "Сайт гимназии", "base_revision": first}, **AUTOSAVE)
    assert saved.json() == {"saved": True, "revision": int(first) + 1}
    refused = tab.post(url, {"host_notes": "Старые заметки", "base_revision": second}, **AUTOSAVE)
    assert refused.status_code == 409 and refused.json()["conflict"] is True
    # The button: the page comes back with the notes as typed and the message.
    shown = tab.post(url, {"host_notes": "Старые заметки", "base_revision": second})
    assert shown.status_code == 200 and "Старые заметки" in page_text(shown)
    assert said(shown, trainee, candidate, candidate)
    trainee.refresh_from_db()
    assert trainee.host_notes == "Сайт гимназии"


# --- The technological map -----------------------------------------------------------------------


def assignment_values(assignment, **changes) -> dict:
    values = {
        "assignee": assignment.assignee,
        "task": assignment.task,
        "expected_result": assignment.expected_result,
        "deadline": assignment.deadline.isoformat(),
        "status": assignment.status,
    }
    return {**values, **changes}


def test_a_map_assignment_edited_by_the_mentor_and_an_official(internship, mentor, colleague):
    assignment = add_assignment(internship, mentor)
    url = reverse("mentoring:assignment_edit", args=[assignment.pk])
    own, office = browser(mentor), browser(colleague)
    own_page, office_page = own.get(url), office.get(url)
    saved = own.post(
        url,
        assignment_values(
            assignment, task="Задание наставника", base_revision=opened_revision(own_page)
        ),
    )
    assert saved.status_code == 302
    refused = office.post(
        url,
        assignment_values(
            assignment, task="Задание управления", base_revision=opened_revision(office_page)
        ),
    )
    assert refused.status_code == 200
    assert Assignment.objects.get(pk=assignment.pk).task == "Задание наставника"
    assert said(refused, assignment, mentor, colleague)


def test_a_status_changed_on_the_map_of_a_stale_page_is_refused(internship, mentor, colleague):
    assignment = add_assignment(internship, mentor)
    detail = reverse("mentoring:internship_detail", args=[internship.pk])
    status = reverse("mentoring:assignment_status", args=[assignment.pk])
    seen = form_revision(browser(mentor).get(detail), status)
    office = browser(colleague)
    edit = reverse("mentoring:assignment_edit", args=[assignment.pk])
    current = opened_revision(office.get(edit))
    office.post(edit, assignment_values(assignment, status="in_progress", base_revision=current))
    refused = browser(mentor).post(status, {"status": "done", "base_revision": seen})
    assert refused.status_code == 302
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.IN_PROGRESS
    assert said(refused, assignment, colleague, mentor)


# --- Stages --------------------------------------------------------------------------------------


def test_a_stage_move_from_a_stale_page_is_refused(internship, trainee, mentor, colleague):
    add_assignment(internship, mentor)
    add_entry(trainee)  # the final stage needs a submitted entry
    detail = reverse("mentoring:internship_detail", args=[internship.pk])
    move = reverse("mentoring:internship_stage", args=[internship.pk])
    own, office = browser(mentor), browser(colleague)
    own_seen, office_seen = opened_revision(own.get(detail)), opened_revision(office.get(detail))
    assert own.post(move, {"stage": "final", "base_revision": own_seen}).status_code == 302
    refused = office.post(move, {"stage": "final", "base_revision": office_seen})
    internship.refresh_from_db()
    assert internship.stage == Stage.FINAL
    assert [row["stage"] for row in internship.history] == ["final"]
    assert said(refused, internship, mentor, colleague)
    # The mentor goes back to the main stage; the official's page, opened at «main», still
    # offers «final», a move the flow allows — but it was decided on an older state: refused.
    now = opened_revision(own.get(detail))
    own.post(move, {"stage": "main", "comment": "Карта не выполнена", "base_revision": now})
    refused = office.post(move, {"stage": "final", "base_revision": office_seen})
    internship.refresh_from_db()
    assert internship.stage == Stage.MAIN
    assert [row["stage"] for row in internship.history] == ["final", "main"]
    assert said(refused, internship, mentor, colleague)


def test_closing_makes_a_stage_form_opened_before_it_out_of_date(
    internship, trainee, mentor, colleague
):
    ready_to_close(internship, mentor)
    detail = reverse("mentoring:internship_detail", args=[internship.pk])
    seen = opened_revision(browser(colleague).get(detail))
    browser(mentor).post(reverse("mentoring:internship_close", args=[internship.pk]))
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED
    move = reverse("mentoring:internship_stage", args=[internship.pk])
    # The official's page, opened at the final stage, offered a return to the main one.
    refused = browser(colleague).post(
        move, {"stage": "main", "comment": "Доработать карту", "base_revision": seen}
    )
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED
    assert said(refused, internship, mentor, colleague)


# --- Final materials and the assessment ----------------------------------------------------------


def test_final_materials_saved_from_two_tabs_keep_the_first(settings, trainee, candidate):
    url = reverse("mentoring:trainee_final", args=[trainee.pk])
    tab = browser(candidate)
    first, second = opened_revision(tab.get(url)), opened_revision(tab.get(url))
    saved = tab.post(
        url,
        {
            "report": "Отчёт из первой вкладки",
            "project_title": "Карта наблюдения урока",
            "report_file": SimpleUploadedFile("Отчёт.pdf", PDF),
            "base_revision": first,
        },
    )
    assert saved.status_code == 302
    files = stored_files(settings)
    refused = tab.post(
        url,
        {
            "report": "Отчёт из второй вкладки",
            "project_title": "Другой проект",
            "report_file": SimpleUploadedFile("Черновик.pdf", OTHER_PDF),
            "base_revision": second,
        },
    )
    assert refused.status_code == 200
    assert said(refused, trainee, candidate, candidate)
    trainee.refresh_from_db()
    assert (trainee.report, trainee.project_title) == (
        "Отчёт из первой вкладки",
        "Карта наблюдения урока",
    )
    assert trainee.report_file_name == "Отчёт.pdf" and trainee.report_file.read() == PDF
    assert stored_files(settings) == files  # the refused file was not stored


def test_the_mentor_s_assessment_of_materials_changed_meanwhile_is_refused(
    trainee, candidate, mentor
):
    assess = reverse("mentoring:trainee_assess", args=[trainee.pk])
    final = reverse("mentoring:trainee_final", args=[trainee.pk])
    assessing = browser(mentor)
    seen = opened_revision(assessing.get(assess))
    writing = browser(candidate)
    current = opened_revision(writing.get(final))
    writing.post(final, {"report": "Новый отчёт", "project_title": "П", "base_revision": current})
    c23, c41 = competency("2.3"), competency("4.1")
    refused = assessing.post(
        assess,
        {f"c{c23.pk}": "3", f"c{c41.pk}": "2", "conclusion": "Готов", "base_revision": seen},
    )
    assert refused.status_code == 200
    assert said(refused, trainee, candidate, mentor)
    trainee.refresh_from_db()
    assert trainee.mentor_conclusion == "" and not trainee.ratings.exists()


# --- The matrix ----------------------------------------------------------------------------------


def test_a_decision_rated_on_a_page_opened_before_the_trainee_changed_it(
    trainee, candidate, mentor
):
    decision = add_decision(trainee)
    rate = reverse("mentoring:decision_rate", args=[decision.pk])
    edit = reverse("mentoring:decision_edit", args=[decision.pk])
    rating = browser(mentor)
    seen = opened_revision(rating.get(rate))
    writing = browser(candidate)
    current = opened_revision(writing.get(edit))
    c23 = competency("2.3")
    changed = writing.post(
        edit, {"text": "Другое решение", f"c{c23.pk}": "3", "base_revision": current}
    )
    assert changed.status_code == 302
    refused = rating.post(rate, {f"c{c23.pk}": "1", "base_revision": seen})
    assert refused.status_code == 200
    assert said(refused, decision, candidate, mentor)
    assert decision.competencies.get().mentor_rating is None


# --- Base sites and agreements -------------------------------------------------------------------


def site_values(mentor, **changes) -> dict:
    values = {"designated_on": "2024-09-01", "themes": "ВСОКО", "capacity": "5"}
    return {**values, "mentors": [mentor.pk], **changes}


def test_a_base_site_edited_by_two_officials(mentor, official, colleague):
    site = make_site(mentor.memberships.get().organization)
    url = reverse("mentoring:site_edit", args=[site.pk])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    saved = first.post(
        url, site_values(mentor, capacity="7", base_revision=opened_revision(first_page))
    )
    assert saved.status_code == 302
    refused = second.post(
        url, site_values(mentor, capacity="4", base_revision=opened_revision(second_page))
    )
    assert refused.status_code == 200
    assert BaseSite.objects.get(pk=site.pk).capacity == 7
    assert said(refused, site, colleague, official)


def test_an_edit_opened_before_the_site_was_deactivated_does_not_reactivate_it(
    mentor, official, colleague
):
    site = make_site(mentor.memberships.get().organization)
    url = reverse("mentoring:site_edit", args=[site.pk])
    stale = browser(official)
    seen = opened_revision(stale.get(url))
    browser(colleague).post(reverse("mentoring:site_deactivate", args=[site.pk]))
    refused = stale.post(url, site_values(mentor, base_revision=seen))
    assert refused.status_code == 200
    assert not BaseSite.objects.get(pk=site.pk).is_active
    assert said(refused, site, colleague, official)


def test_an_agreement_edited_by_two_officials(settings, mentor, official, colleague, org_a):
    site = make_site(mentor.memberships.get().organization)
    agreement = make_agreement(site, org_a)
    url = reverse("mentoring:agreement_edit", args=[agreement.pk])
    first, second = browser(colleague), browser(official)
    first_page, second_page = first.get(url), second.get(url)
    values = {
        "signed_on": "2024-09-01",
        "valid_from": "2024-09-01",
        "valid_until": "2025-08-31",
        "base_site": site.pk,
        "host_organization": site.organization_id,
        "trainee_organization": org_a.pk,
    }
    saved = first.post(
        url, {**values, "number": "7/2024", "base_revision": opened_revision(first_page)}
    )
    assert saved.status_code == 302
    refused = second.post(
        url,
        {
            **values,
            "number": "8/2024",
            "file": SimpleUploadedFile("Договор.pdf", PDF),
            "base_revision": opened_revision(second_page),
        },
    )
    assert refused.status_code == 200
    agreement.refresh_from_db()
    assert agreement.number == "7/2024" and not agreement.file
    assert stored_files(settings) == []  # the refused file was not stored
    assert said(refused, agreement, colleague, official)


def test_the_new_internship_form_carries_zero_and_names_who_created_it(mentor, official, candidate):
    site = make_site(mentor.memberships.get().organization)
    client = browser(official)
    url = reverse("mentoring:internship_create")
    assert opened_revision(client.get(url)) == "0"
    response = client.post(
        url,
        {
            "theme": "ВСОКО",
            "form": "individual",
            "start_date": "2024-10-01",
            "end_date": "2024-12-20",
            "base_site": site.pk,
            "mentor": mentor.pk,
            "trainees": [candidate.pk],
            "base_revision": "0",
        },
    )
    assert response.status_code == 302
    internship = Internship.objects.get()
    assert (internship.revision, internship.revised_by) == (1, official)


# --- A real race: the last free place of a base site ---------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_two_officials_filling_the_last_place_at_once(mentor, official, colleague, org_a):
    """The first assignment keeps its transaction open while the second runs: the second waits
    for the site's row, then counts the first one's trainee and is refused."""
    site = make_site(mentor.memberships.get().organization, capacity=1)
    first_person = make_person("deputy_a1", Role.CANDIDATE, org_a)
    second_person = make_person("deputy_a2", Role.CANDIDATE, org_a)
    holding, done = threading.Event(), threading.Event()
    outcome = {}

    def assign(person, by):
        return create_internship(
            theme=f"Стажировка {person.username}",
            form="individual",
            start_date=date(2024, 10, 1),
            end_date=date(2024, 12, 20),
            base_site=BaseSite.objects.get(pk=site.pk),
            mentor=mentor,
            trainees=[person],
            by=by,
            today=date(2024, 9, 20),
        )

    def first():
        try:
            with transaction.atomic():
                assign(first_person, official)
                holding.set()
                done.wait(5)  # keep the transaction open while the second one runs
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            holding.wait(5)
            timer = threading.Timer(0.5, done.set)  # let the first commit while we wait
            timer.start()
            assign(second_person, colleague)
            outcome["second"] = "saved"
        except ValidationError as error:
            outcome["second"] = error.message_dict
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome["first"] == "saved"
    assert set(outcome["second"]) == {"base_site"}  # the capacity, nothing else
    assert list(Trainee.objects.values_list("person", flat=True)) == [first_person.pk]


def test_callers_without_a_form_compare_nothing_but_move_the_revision(internship, trainee, mentor):
    """Callers without a form (the demo, commands) compare nothing, but move the revision so
    that pages opened before them go stale."""
    before = internship.revision
    add_assignment(internship, mentor)
    domain.set_stage(internship, Stage.PRELIMINARY, by=mentor, comment="Заново")
    entry = domain.save_entry(
        trainee,
        day=date(2024, 10, 15),
        time_from=time(9, 0),
        time_to=time(10, 0),
        activity="meeting",
        head_actions="Совещание",
    )
    internship.refresh_from_db()
    assert internship.revision == before + 1 and entry.revision == 1
