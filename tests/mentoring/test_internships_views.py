"""Internship pages: the journey through the map, the diary with autosaved drafts, the
mentor's comments, the matrix, final materials with files, the assessment, stages and closing;
the officials' list with its filters; query counts of the list and of the internship page."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mentoring.models import (
    Agreement,
    Assignment,
    DecisionCompetency,
    DiaryEntry,
    FinalRating,
    Form,
    Internship,
    Stage,
    Trainee,
)
from tests.conftest import count_queries, make_org, make_person
from tests.mentoring.internship_fixtures import (
    EXE,
    PDF,
    add_assignment,
    add_decision,
    add_entry,
    competency,
    make_internship,
    ready_to_close,
    trainee_of,
)
from tests.trajectories.test_plans import approved_plan, confirm_deficits
from trajectories.models import PlanTask, TaskForm
from zelenchuk_portal.models import Role

AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def internship(mentor, candidate):
    return make_internship(mentor, [candidate], stage=Stage.PRELIMINARY)


@pytest.fixture
def trainee(internship):
    return trainee_of(internship)


def detail(internship):
    return reverse("mentoring:internship_detail", args=[internship.pk])


def page_of(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def entry_data(**values):
    data = {
        "day": "2024-10-14",
        "time_from": "09:00",
        "time_to": "10:30",
        "activity": "meeting",
        "head_actions": "Директор провела совещание по итогам мониторинга",
        "reflection": "Поручения со сроками и ответственными",
    }
    data.update(values)
    return data


# --- The journey ---------------------------------------------------------------------------------


def test_the_mentor_fills_the_map_and_moves_the_stage(login, internship, mentor, candidate):
    client = login(mentor)
    url = reverse("mentoring:assignment_create", args=[internship.pk])
    response = client.post(
        url,
        {
            "assignee": "trainee",
            "task": "Посетить педсовет",
            "expected_result": "Записи в дневнике",
            "deadline": "2025-02-01",
            "status": "planned",
        },
    )
    assert response.status_code == 200  # the deadline is after the internship
    assert (
        _("The deadline %(deadline)s must fall within the internship: from %(start)s to %(end)s.")
        % {"deadline": "01.02.2025", "start": "01.10.2024", "end": "20.12.2024"}
        in response.content.decode()
    )
    response = client.post(
        url,
        {
            "assignee": "trainee",
            "task": "Посетить педсовет",
            "expected_result": "Записи в дневнике",
            "deadline": "2024-10-20",
            "status": "planned",
        },
    )
    assert response.url == detail(internship) + "#map"
    assignment = Assignment.objects.get()
    client.post(reverse("mentoring:assignment_status", args=[assignment.pk]), {"status": "done"})
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
    client.post(reverse("mentoring:internship_stage", args=[internship.pk]), {"stage": "main"})
    internship.refresh_from_db()
    assert internship.stage == Stage.MAIN
    # Back needs a comment: refused without one, with the reason shown.
    response = client.post(
        reverse("mentoring:internship_stage", args=[internship.pk]),
        {"stage": "preliminary"},
        follow=True,
    )
    assert (
        _("Say why the internship goes back to the «%(stage)s» stage.")
        % {"stage": pgettext("internship stage", "preliminary")}
        in response.content.decode()
    )
    internship.refresh_from_db()
    assert internship.stage == Stage.MAIN
    page = page_of(login(candidate), detail(internship))
    assert "Посетить педсовет" in page
    assert reverse("mentoring:assignment_create", args=[internship.pk]) not in page


def test_drafts_are_saved_as_the_trainee_types(login, internship, trainee, candidate):
    client = login(candidate)
    url = reverse("mentoring:entry_create", args=[trainee.pk])
    page = page_of(client, url)
    assert "data-autosave" in page and 'name="draft"' in page
    token = page.split('name="draft" value="')[1].split('"')[0]
    partial = entry_data(activity="", head_actions="Директор", reflection="", draft=token)
    response = client.post(url, partial, **AUTOSAVE)
    # The reply carries the draft's revision, which the page puts into its form.
    assert json.loads(response.content) == {"saved": True, "revision": 1}
    client.post(url, {**partial, "head_actions": "Директор провела совещание"}, **AUTOSAVE)
    draft = DiaryEntry.objects.get()  # the same draft, not a second one
    assert draft.is_draft and draft.head_actions == "Директор провела совещание"
    # A bad autosave answers 400 with the reason and changes nothing.
    response = client.post(url, {**partial, "time_to": "08:00"}, **AUTOSAVE)
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]
    draft.refresh_from_db()
    assert draft.time_to.hour == 10
    # Submitting with the same token hands the same entry to the mentor.
    response = client.post(url, entry_data(draft=token, submit="1"))
    draft.refresh_from_db()
    assert not draft.is_draft and DiaryEntry.objects.count() == 1
    assert response.url == f"{detail(internship)}?trainee={trainee.pk}#entry-{draft.pk}"
    # A new form is a new entry.
    client.post(url, entry_data(time_from="11:00", time_to="11:30"), **AUTOSAVE)
    assert DiaryEntry.objects.count() == 2


def test_bad_entries_are_explained_in_russian(login, internship, trainee, candidate):
    add_entry(trainee)
    client = login(candidate)
    url = reverse("mentoring:entry_create", args=[trainee.pk])
    response = client.post(url, entry_data(time_from="10:00", time_to="11:00", submit="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "09:00–10:30" in page and "14.10.2024" in page  # names the other entry
    response = client.post(url, entry_data(day="2025-01-10", submit="1"))
    assert "10.01.2025" in response.content.decode()
    response = client.post(url, entry_data(time_from="12:00", time_to="11:00", submit="1"))
    assert (
        _("The end (%(end)s) must be after the start (%(start)s).")
        % {"end": "11:00", "start": "12:00"}
        in response.content.decode()
    )
    assert DiaryEntry.objects.count() == 1


def test_the_diary_with_total_hours_and_the_mentors_comment(login, trainee, internship, mentor):
    first = add_entry(trainee, start=(9, 0), end=(10, 30))
    add_entry(trainee, start=(11, 0), end=(12, 15))
    page = page_of(login(mentor), detail(internship))
    assert _("%(hours)s h %(minutes)s min") % {"hours": 2, "minutes": 45} in page
    url = reverse("mentoring:entry_comment", args=[first.pk])
    response = login(mentor).post(url, {"text": "Обратите внимание на сроки"})
    assert response.url.endswith(f"#entry-{first.pk}")
    first.refresh_from_db()
    assert first.mentor_comment == "Обратите внимание на сроки"
    assert "Обратите внимание на сроки" in page_of(login(mentor), detail(internship))


def test_notes_on_the_host_are_autosaved(login, trainee, candidate, principal_a):
    url = reverse("mentoring:trainee_notes", args=[trainee.pk])
    response = login(candidate).post(url, {"host_notes": "Сайт гимназии"}, **AUTOSAVE)
    trainee.refresh_from_db()
    assert json.loads(response.content) == {"saved": True, "revision": trainee.revision}
    assert trainee.host_notes == "Сайт гимназии"
    page = page_of(login(principal_a), detail(trainee.internship))
    assert "Сайт гимназии" in page and 'name="host_notes"' not in page


def test_the_matrix(login, trainee, internship, candidate, mentor):
    entry = add_entry(trainee)
    client = login(candidate)
    url = reverse("mentoring:decision_create", args=[trainee.pk])
    c23, c41 = competency("2.3"), competency("4.1")
    response = client.post(url, {"text": "Назначить ответственных", "entry": entry.pk})
    assert response.status_code == 200  # no competency marked
    assert (
        _("Mark at least one competency the decision exercised, with your rating.")
        in response.content.decode()
    )
    response = client.post(
        url, {"text": "Назначить ответственных", "entry": entry.pk, f"c{c23.pk}": "2"}
    )
    assert response.url.endswith("#matrix")
    decision = trainee.decisions.get()
    rate = reverse("mentoring:decision_rate", args=[decision.pk])
    assert c23.name in page_of(login(mentor), rate)
    login(mentor).post(rate, {f"c{c23.pk}": "3"})
    row = DecisionCompetency.objects.get()
    assert (row.self_rating, row.mentor_rating) == (2, 3)
    edit = reverse("mentoring:decision_edit", args=[decision.pk])
    client = login(candidate)
    client.post(edit, {"text": "Назначить ответственных", f"c{c23.pk}": "1", f"c{c41.pk}": "2"})
    page = page_of(client, detail(internship))
    assert "Назначить ответственных" in page and c41.code in page
    assert DecisionCompetency.objects.get(competency=c23).mentor_rating == 3


def test_final_materials_files_and_assessment(login, trainee, internship, candidate, mentor):
    client = login(candidate)
    url = reverse("mentoring:trainee_final", args=[trainee.pk])
    response = client.post(
        url,
        {
            "report": "Отчёт",
            "project_title": "Проект",
            "report_file": SimpleUploadedFile("report.pdf", EXE),
        },
    )
    assert response.status_code == 200
    trainee.refresh_from_db()
    assert not trainee.report_file and trainee.report == ""
    response = client.post(
        url,
        {
            "report": "Отчёт о стажировке",
            "project_title": "Карта наблюдения урока",
            "project_summary": "Единый инструмент контроля",
            "report_file": SimpleUploadedFile("Отчёт.pdf", PDF),
        },
    )
    assert response.url.endswith("#final")
    download = login(mentor).get(reverse("mentoring:trainee_report_file", args=[trainee.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert (
        login(mentor).get(reverse("mentoring:trainee_project_file", args=[trainee.pk])).status_code
        == 404
    )  # no project file
    assess = reverse("mentoring:trainee_assess", args=[trainee.pk])
    c23, c41 = competency("2.3"), competency("4.1")
    login(mentor).post(assess, {f"c{c23.pk}": "3", f"c{c41.pk}": "2", "conclusion": "Готов"})
    assert dict(FinalRating.objects.values_list("competency__code", "rating")) == {
        "2.3": 3,
        "4.1": 2,
    }
    page = page_of(login(candidate), detail(internship))
    assert "Карта наблюдения урока" in page and "Готов" in page and "Отчёт.pdf" in page


def test_closing_shows_what_is_missing_then_completes(login, mentor, candidate, period, internship):
    confirm_deficits(candidate, period, codes=("2.3",), blocks=())
    plan = approved_plan(candidate, period, mentor)
    PlanTask.objects.filter(goal__plan=plan).update(form=TaskForm.INTERNSHIP)
    client = login(mentor)
    page = page_of(client, detail(internship))
    assert escape(_("the mentor's conclusion")) in page and candidate.short_name in page
    response = client.post(reverse("mentoring:internship_close", args=[internship.pk]))
    assert response.url.endswith("#closing")
    internship.refresh_from_db()
    assert internship.stage == Stage.PRELIMINARY
    ready_to_close(internship, mentor)
    client.post(reverse("mentoring:internship_close", args=[internship.pk]))
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED and internship.completed_on
    assert PlanTask.objects.filter(goal__plan=plan, done=True).count() == 1
    # Completed: the forms send people back with the reason, nothing changes.
    trainee = trainee_of(internship)
    response = login(candidate).get(
        reverse("mentoring:entry_create", args=[trainee.pk]), follow=True
    )
    assert (
        _("The internship is completed: its materials can no longer be changed.")
        in response.content.decode()
    )
    page = page_of(login(candidate), detail(internship))
    assert reverse("mentoring:entry_create", args=[trainee.pk]) not in page


def test_the_page_shows_the_header_and_the_expired_agreement(login, internship, official):
    site = internship.base_site
    internship.agreement = Agreement.objects.create(
        number="7-С",
        signed_on=date(2024, 9, 1),
        valid_from=date(2024, 9, 1),
        valid_until=date(2024, 12, 31),
        base_site=site,
        host_organization=site.organization,
        trainee_organization=internship.trainees.get().organization,
    )
    internship.save()
    page = page_of(login(official), detail(internship))
    assert "7-С" in page and _("expired") in page
    assert internship.theme in page and site.organization.short_name in page


# --- The list ------------------------------------------------------------------------------------


def test_officials_filter_the_list(login, official, mentor, candidate, principal_b):
    other_mentor = make_person("mentor_4", Role.MENTOR, make_org("M04", short_name="Лицей № 4"))
    quiet = make_internship(mentor, [candidate], theme="Тихая стажировка")
    busy = make_internship(other_mentor, [principal_b], theme="Активная стажировка")
    busy.stage = Stage.FINAL
    busy.save()
    today = timezone.localdate()
    Internship.objects.update(start_date=date(today.year - 1, 1, 1), end_date=today)
    add_entry(trainee_of(busy), day=today)
    client = login(official)
    url = reverse("mentoring:my_internships")

    def listed(**params):
        page = page_of(client, url, **params)
        return {t for t in ("Тихая стажировка", "Активная стажировка") if t in page}

    assert listed() == {"Тихая стажировка", "Активная стажировка"}
    assert listed(stage="final") == {"Активная стажировка"}
    assert listed(mentor=mentor.pk) == {"Тихая стажировка"}
    assert listed(base_site=busy.base_site_id) == {"Активная стажировка"}
    assert listed(at_risk="on") == {"Тихая стажировка"}
    assert listed(q="Тихая") == {"Тихая стажировка"}
    assert quiet.pk != busy.pk


def test_the_list_shows_hours_so_far(login, mentor, trainee, internship):
    add_entry(trainee, start=(9, 0), end=(10, 30))
    add_entry(trainee, start=(11, 0), end=(11, 30), submit=False)
    page = page_of(login(mentor), reverse("mentoring:my_internships"))
    assert _("%(hours)s h %(minutes)s min") % {"hours": 1, "minutes": 30} in page
    assert _("mentor") in page


# --- Query counts --------------------------------------------------------------------------------


def _internships(mentor, count, start=0):
    for n in range(start, start + count):
        org = make_org(f"Q{n:02d}")
        person = make_person(f"head_q{n}", Role.PRINCIPAL, org)
        deputy = make_person(f"deputy_q{n}", Role.CANDIDATE, org)
        internship = make_internship(
            mentor, [person, deputy], theme=f"Стажировка {n}", form=Form.GROUP
        )
        add_assignment(internship, mentor)
        for trainee in internship.trainees.select_related("internship"):
            add_entry(trainee)
            add_entry(trainee, day=date(2024, 10, 15))


@pytest.mark.parametrize("who", ["official", "mentor"])
def test_the_list_keeps_its_query_count(request_fixture, login, mentor, who):
    client = login(request_fixture(who))
    _internships(mentor, 2)
    few = count_queries(client, reverse("mentoring:my_internships"))
    _internships(mentor, 6, start=2)
    assert Internship.objects.count() == 8
    assert count_queries(client, reverse("mentoring:my_internships")) == few


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


@pytest.mark.parametrize("who", ["mentor", "candidate", "official"])
def test_the_internship_page_keeps_its_query_count(
    request_fixture, login, mentor, candidate, org_b, who
):
    group = make_internship(mentor, [candidate], form=Form.GROUP, stage=Stage.FINAL)
    trainee = trainee_of(group)
    add_assignment(group, mentor)
    entry = add_entry(trainee)
    add_decision(trainee, entry=entry)
    client = login(request_fixture(who))
    url = detail(group)
    few = count_queries(client, url)
    for n in range(3):
        person = make_person(f"deputy_b{n}", Role.CANDIDATE, org_b)
        Trainee.objects.create(internship=group, person=person, organization=org_b)
        add_assignment(group, mentor, task=f"Задание {n}")
    for day in (15, 16, 17, 18):
        more = add_entry(trainee, day=date(2024, 10, day))
        add_entry(trainee, day=date(2024, 10, day), start=(11, 0), end=(12, 0), submit=False)
        add_decision(trainee, entry=more, ratings={competency(c).pk: 1 for c in ("1.1", "3.2")})
    assert count_queries(client, url) == few


def test_a_head_reads_without_controls(login, trainee, internship, principal_a, mentor):
    add_assignment(internship, mentor)
    add_entry(trainee)
    add_decision(trainee)
    page = page_of(login(principal_a), detail(internship))
    assert "Директор провела совещание" in page and "Назначить ответственных" in page
    for name, pk in (
        ("assignment_create", internship.pk),
        ("entry_create", trainee.pk),
        ("decision_create", trainee.pk),
        ("trainee_final", trainee.pk),
        ("trainee_assess", trainee.pk),
        ("internship_stage", internship.pk),
        ("internship_close", internship.pk),
    ):
        assert reverse(f"mentoring:{name}", args=[pk]) not in page, name


def test_a_completed_internship_is_reopened_with_a_reason(login, internship, mentor):
    ready_to_close(internship, mentor)
    client = login(mentor)
    client.post(reverse("mentoring:internship_close", args=[internship.pk]))
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED
    page = page_of(client, detail(internship))
    assert reverse("mentoring:internship_stage", args=[internship.pk]) in page
    stage = reverse("mentoring:internship_stage", args=[internship.pk])
    client.post(stage, {"stage": "final"})
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED  # no reason given
    client.post(stage, {"stage": "final", "comment": "Нужно приложить проект"})
    internship.refresh_from_db()
    assert internship.stage == Stage.FINAL and internship.completed_on is None
