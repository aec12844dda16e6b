"""An internship in a real browser, from the base site to the PDF.

The official designates the gymnasium a base site with its mentor, registers the partnership
agreement with the head's school, matches the head (whose confirmed deficit is 2.2) and assigns
the mentor the matching page suggests. The mentor fills the technological map and opens the
main stage. The head writes notes on the host, keeps the diary over three entries (the first one
refused while it ends before it starts) and the matrix; the mentor comments on every entry and
rates a decision, marks the map done and opens the final stage. The head uploads the report and
the management project, the mentor assesses and closes the internship — the head's development
plan gets its «стажировка» task done — and the internship's PDF downloads and reads.

Selectors are ids, names and form actions, never wording: the interface is translated.
"""

import importlib
import subprocess
from datetime import date, timedelta

import pytest
from django.apps import apps

from mentoring.models import Agreement, BaseSite, DiaryEntry, Internship, Stage
from tests.conftest import PASSWORD
from trajectories.models import (
    Assessment,
    Competency,
    Deficit,
    Plan,
    PlanGoal,
    PlanTask,
    ResourceKind,
    TaskForm,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAMEWORK_MIGRATION = "trajectories.migrations.0002_load_competency_framework"
THEME = "Внутренняя система оценки качества образования"
# The internship lies in the period fixture's school year (2024/2025): its diary days are past.
START, END = date(2025, 2, 3), date(2025, 3, 28)
ENTRIES = [
    # day, from, to, activity, what the head did, reflection
    (
        date(2025, 2, 4),
        "08:30",
        "10:00",
        "meeting",
        "Директор провела установочную встречу и утвердила график посещений.",
        "ВСОКО держится на циклограмме, а не на одном положении.",
    ),
    (
        date(2025, 2, 12),
        "13:00",
        "15:00",
        "analysis",
        "Директор назначила тематический контроль по расхождению отметок и результатов ВПР.",
        "Решение опирается на данные, а не на средний балл.",
    ),
    (
        date(2025, 3, 5),
        "09:00",
        "10:00",
        "lesson_visit",
        "После посещения урока директор включила учителя в программу наставничества.",
        "Контроль превращается в поддержку учителя.",
    ),
]
TOTAL_HOURS = "4 ч 30 мин"  # 90 + 120 + 60 minutes
DECISIONS = [
    (0, "Утвердить график посещений и ответственных за сопровождение стажёра", {"2.2": 1}),
    (1, "Назначить тематический контроль по расхождению отметок и ВПР", {"2.2": 2, "2.5": 1}),
]
PROJECT = "Пороговые значения показателей во ВСОКО школы"
CONCLUSION = "Стажёр освоил цикл «мониторинг — анализ — решение». Рекомендую к внедрению."
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def framework(db):
    """The 31 competencies (see test_trajectory_journey: a flush empties the table)."""
    if not Competency.objects.exists():
        importlib.import_module(FRAMEWORK_MIGRATION).load(apps, None)


@pytest.fixture
def head_with_a_deficit(principal_a, org_a, period, framework):
    """The head's submitted, rated self-assessment with 2.2 confirmed, and an approved plan
    with an internship task."""
    assessment = Assessment.objects.create(
        person=principal_a,
        period=period,
        organization=org_a,
        status=Assessment.Status.SUBMITTED,
        expert_status=Assessment.ExpertStatus.DONE,
    )
    competency = Competency.objects.get(code="2.2")
    Deficit.objects.create(
        assessment=assessment,
        competency=competency,
        block=competency.block,
        status=Deficit.Status.CONFIRMED,
    )
    plan = Plan.objects.create(
        person=principal_a, period=period, organization=org_a, status=Plan.Status.APPROVED
    )
    goal = PlanGoal.objects.create(plan=plan, text="Развить компетенцию 2.2")
    return PlanTask.objects.create(
        goal=goal,
        text="Пройти стажировку на базовой площадке по ВСОКО",
        form=TaskForm.INTERNSHIP,
        resource=ResourceKind.EXTERNAL,
        deadline=END,
    )


def _go(page, url):
    response = page.goto(url)
    page.wait_for_load_state()
    assert response is not None and response.ok, (url, response and response.status)


def _post(page, button):
    """Click a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def _as(page, sign_in, username):
    page.context.clear_cookies()
    sign_in(username, PASSWORD)


def _autosaved(marker: str):
    """A predicate for the draft autosave whose form data carries `marker`."""
    wanted = marker.encode()

    def _check(response):
        request = response.request
        body = request.post_data_buffer or b""
        return request.headers.get("x-autosave") == "1" and wanted in body

    return _check


def _write_entry(page, day, start, end, activity, head_actions, reflection):
    """Fill the diary entry form; wait until the draft holding everything is autosaved (the
    submission then changes that draft instead of racing it), and submit it."""
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_time_from").fill(start)
    page.locator("#id_time_to").fill(end)
    page.locator("#id_activity").select_option(activity)
    page.locator("#id_head_actions").fill(head_actions)
    with page.expect_response(_autosaved(reflection)) as saved:
        page.locator("#id_reflection").fill(reflection)
    assert saved.value.ok, saved.value.status
    _post(page, page.locator("form[data-autosave] button[name=submit]"))


def test_base_site_to_a_closed_internship_and_its_pdf(
    sign_in,
    page,
    live_server,
    tmp_path,
    official,
    mentor,
    principal_a,
    org_a,
    head_with_a_deficit,
):
    url = live_server.url
    today = date.today()
    school = mentor.memberships.get().organization
    code = {c.code: c.pk for c in Competency.objects.all()}

    # --- The official designates the base site --------------------------------------------
    _as(page, sign_in, "official")
    _go(page, f"{url}/mentoring/sites/new/")
    page.locator("#id_organization").select_option(str(school.pk))
    _post(page, page.locator("form:has(#id_organization) button[type=submit]"))
    page.locator("#id_order").fill("приказ УО № 12-о")
    page.locator("#id_capacity").fill("2")
    page.locator("#id_themes").fill(f"{THEME}\nУправление качеством образования")
    page.locator(f"input[name=mentors][value='{mentor.pk}']").check()
    _post(page, page.locator("form:has(#id_themes) button[type=submit]"))
    site = BaseSite.objects.get(organization=school)
    assert page.url.endswith(f"/mentoring/sites/{site.pk}/"), page.url
    assert site.capacity == 2 and site.theme_list[0] == THEME

    # --- … registers the agreement with the head's school ----------------------------------
    _go(page, f"{url}/mentoring/agreements/new/?site={site.pk}")
    page.locator("#id_number").fill("7/СП-2025")
    page.locator("#id_signed_on").fill("2025-01-20")
    page.locator("#id_valid_from").fill("2025-01-20")
    page.locator("#id_valid_until").fill((today + timedelta(days=3 * 365)).isoformat())
    page.locator("#id_trainee_organization").select_option(str(org_a.pk))
    page.locator("#id_file").set_input_files(
        files=[{"name": "Договор.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    _post(page, page.locator("form:has(#id_number) button[type=submit]"))
    agreement = Agreement.objects.get(number="7/СП-2025")
    assert (agreement.base_site, agreement.host_organization) == (site, school)
    assert agreement.trainee_organization == org_a and agreement.file_name == "Договор.pdf"

    # --- … matches the head and assigns the suggested mentor -------------------------------
    _go(page, f"{url}/mentoring/match/")
    page.locator("#id_person").select_option(str(principal_a.pk))
    _post(page, page.locator("form:has(#id_person) button[type=submit]"))
    assign = page.locator(f"a[href*='trainee={principal_a.pk}'][href*='mentor={mentor.pk}']")
    _post(page, assign)
    assert page.locator(f"input[name=competencies][value='{code['2.2']}']").is_checked()
    page.locator(f"input[name=competencies][value='{code['2.5']}']").check()
    page.locator("#id_theme").fill(THEME)
    page.locator("#id_form").select_option("individual")
    page.locator("#id_start_date").fill(START.isoformat())
    page.locator("#id_end_date").fill(END.isoformat())
    page.locator("#id_agreement").select_option(str(agreement.pk))
    _post(page, page.locator("form:has(#id_theme) button[type=submit]"))
    internship = Internship.objects.get()
    trainee = internship.trainees.get()
    assert page.url.endswith(f"/mentoring/internships/{internship.pk}/"), page.url
    assert (internship.mentor, internship.base_site, trainee.person) == (mentor, site, principal_a)
    assert internship.agreement == agreement and trainee.organization == org_a
    assert set(internship.competencies.values_list("code", flat=True)) == {"2.2", "2.5"}
    detail = f"{url}/mentoring/internships/{internship.pk}/"

    # --- The mentor fills the technological map and opens the main stage --------------------
    _as(page, sign_in, "mentor")
    _go(page, f"{url}/mentoring/internships/")
    _post(page, page.locator(f"a[href$='/mentoring/internships/{internship.pk}/']").first)
    for assignee, task, deadline in (
        ("mentor", "Провести установочную встречу и согласовать график", "2025-02-04"),
        ("trainee", "Подготовить проект положения о ВСОКО своей школы", "2025-03-21"),
    ):
        _post(page, page.locator(f"a[href$='/internships/{internship.pk}/assignments/new/']"))
        page.locator("#id_assignee").select_option(assignee)
        page.locator("#id_task").fill(task)
        page.locator("#id_expected_result").fill("Результат согласован с наставником")
        page.locator("#id_deadline").fill(deadline)
        _post(page, page.locator("form:has(#id_task) button[type=submit]"))
    assert internship.assignments.count() == 2
    _post(page, page.locator("form:has(input[name=stage][value=main]) button"))
    internship.refresh_from_db()
    assert internship.stage == Stage.MAIN

    # --- The head: notes on the host, three diary entries, the matrix -----------------------
    _as(page, sign_in, "principal_a")
    _go(page, detail)
    page.locator("#id_host_notes").fill("Гимназия: 640 обучающихся, положение о ВСОКО на сайте.")
    _post(page, page.locator(f"form[action$='/trainees/{trainee.pk}/notes/'] button"))
    trainee.refresh_from_db()
    assert trainee.host_notes.startswith("Гимназия")

    new_entry = f"a[href$='/trainees/{trainee.pk}/entries/new/']"
    _post(page, page.locator(new_entry))
    # An entry that ends before it starts is refused and nothing is stored.
    day, start, end, activity, actions, reflection = ENTRIES[0]
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_time_from").fill(start)
    page.locator("#id_time_to").fill("08:00")
    page.locator("#id_head_actions").fill(actions)
    _post(page, page.locator("form[data-autosave] button[name=submit]"))
    assert page.locator(".alert-danger, .invalid-feedback").count() >= 1
    assert not DiaryEntry.objects.exists()
    _write_entry(page, *ENTRIES[0])
    for values in ENTRIES[1:]:
        _post(page, page.locator(new_entry))
        _write_entry(page, *values)
    entries = list(trainee.entries.order_by("day"))
    assert [(e.day, e.is_draft) for e in entries] == [(e[0], False) for e in ENTRIES]
    assert sum(e.minutes for e in entries) == 270

    for entry_index, text, ratings in DECISIONS:
        _post(page, page.locator(f"a[href$='/trainees/{trainee.pk}/decisions/new/']"))
        page.locator("#id_text").fill(text)
        page.locator("#id_entry").select_option(str(entries[entry_index].pk))
        for competency, rating in ratings.items():
            field = page.locator(f"#id_c{code[competency]}")
            block = page.locator("details", has=field)
            if block.get_attribute("open") is None:  # the competency's block is folded
                block.locator("summary").click()
            field.select_option(str(rating))
        _post(page, page.locator("form:has(#id_text) button[type=submit]"))
    decisions = list(trainee.decisions.order_by("pk"))
    assert [d.text for d in decisions] == [text for _, text, _ in DECISIONS]
    assert dict(decisions[1].competencies.values_list("competency__code", "self_rating")) == {
        "2.2": 2,
        "2.5": 1,
    }

    # --- The mentor comments on every entry, rates a decision, closes the map ---------------
    _as(page, sign_in, "mentor")
    for n, entry in enumerate(entries, start=1):
        _go(page, f"{detail}?trainee={trainee.pk}")
        page.locator(f"#comment-{entry.pk}").fill(f"Комментарий наставника № {n}")
        _post(page, page.locator(f"form[action$='/entries/{entry.pk}/comment/'] button"))
    comments = list(trainee.entries.order_by("day").values_list("mentor_comment", flat=True))
    assert comments == [f"Комментарий наставника № {n}" for n in (1, 2, 3)]
    _post(page, page.locator(f"a[href$='/decisions/{decisions[1].pk}/rate/']"))
    page.locator(f"#id_c{code['2.2']}").select_option("2")
    _post(page, page.locator("form:has(select) button[type=submit]"))
    rated = dict(decisions[1].competencies.values_list("competency__code", "mentor_rating"))
    assert rated == {"2.2": 2, "2.5": None}
    for assignment in internship.assignments.all():
        status = page.locator(f"form[action$='/assignments/{assignment.pk}/status/']")
        status.locator("select[name=status]").select_option("done")
        _post(page, status.locator("button"))
    assert not internship.assignments.exclude(status="done").exists()
    _post(page, page.locator("form:has(input[name=stage][value=final]) button"))
    internship.refresh_from_db()
    assert internship.stage == Stage.FINAL

    # --- The head uploads the final materials ------------------------------------------------
    _as(page, sign_in, "principal_a")
    _go(page, detail)
    _post(page, page.locator(f"a[href$='/trainees/{trainee.pk}/final/']"))
    page.locator("#id_report").fill("Изучены положение о ВСОКО и порядок решений по ВПР.")
    page.locator("#id_project_title").fill(PROJECT)
    page.locator("#id_project_file").set_input_files(
        files=[{"name": "Проект.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    _post(page, page.locator("form:has(#id_report) button[type=submit]"))
    trainee.refresh_from_db()
    assert trainee.project_title == PROJECT and trainee.project_file_name == "Проект.pdf"

    # --- The mentor assesses and closes; the plan's internship task is done -----------------
    _as(page, sign_in, "mentor")
    _go(page, detail)
    _post(page, page.locator(f"a[href$='/trainees/{trainee.pk}/assessment/']"))
    page.locator(f"#id_c{code['2.2']}").select_option("2")
    page.locator(f"#id_c{code['2.5']}").select_option("3")
    page.locator("#id_conclusion").fill(CONCLUSION)
    _post(page, page.locator("form:has(#id_conclusion) button[type=submit]"))
    page.once("dialog", lambda dialog: dialog.accept())
    _post(page, page.locator(f"form[action$='/internships/{internship.pk}/close/'] button"))
    internship.refresh_from_db()
    assert internship.stage == Stage.COMPLETED and internship.completed_on == today
    task = head_with_a_deficit
    task.refresh_from_db()
    assert task.done and task.done_at == today

    # --- The PDF downloads and reads ----------------------------------------------------------
    link = page.locator(f"a[href$='/internships/{internship.pk}/pdf/']")
    response = page.request.get(url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "internship.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    # Table cells wrap and hyphenate: inside them only words that never break are looked for.
    flat = " ".join(text.split())
    for expected in (
        f"«{THEME}»",
        f"Стажёры {principal_a.full_name}",
        f"завершена {today:%d.%m.%Y}",
        f"Всего по дневникам {TOTAL_HOURS}",
        *(f"{start}–{end}" for _day, start, end, *_rest in ENTRIES),
        f"Итого: {TOTAL_HOURS}",
        "2/2",  # the decision the mentor rated: self-rating 2 / mentor's 2
        "выполнено",
        PROJECT,
        "Проект.pdf",
        CONCLUSION,
    ):
        assert expected in flat, expected
