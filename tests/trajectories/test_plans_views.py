"""Development plan pages: who reaches what, the journey through the three sections, files,
the PDF and `render_plan`, and query counts of the lists.

Every view of the `plans` namespace that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case.
"""

import shutil
import subprocess
from datetime import date
from io import StringIO
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import get_resolver, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from tests.conftest import count_queries, make_org, make_person
from tests.trajectories.test_plans import (
    analyse,
    approved_plan,
    confirm_deficits,
    draft_plan,
    finish_tasks,
)
from trajectories import plans as domain
from trajectories.models import DeficitAnalysis, Plan, PlanComment, PlanTask, TaskEvidence
from zelenchuk_portal.models import Role, User

Status = Plan.Status
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PDFTOTEXT = shutil.which("pdftotext")
HEAD = {"last_name": "Иванова", "first_name": "Ольга", "patronymic": "Петровна"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roleless(db):
    return make_person("nobody", None)


@pytest.fixture
def world(period, principal_a, mentor):
    """Principal A's draft plan (deficit 2.3 and block 4, a task each), reviewed by the mentor,
    with an evidence file on a task."""
    confirm_deficits(principal_a, period)
    plan = draft_plan(principal_a, period, mentor)
    task = PlanTask.objects.filter(goal__plan=plan).first()
    evidence = TaskEvidence.objects.create(
        task=task,
        file=ContentFile(PDF, name="certificate.pdf"),
        file_name="Удостоверение.pdf",
        uploaded_by=principal_a,
    )
    return {
        "plan": plan,
        "goal": task.goal,
        "task": task,
        "evidence": evidence,
        "analysis": plan.analyses.first(),
    }


# (name, method, object, who may: view | owner | reviewer | participant)
ID_PAGES = [
    ("plan_detail", "get", "plan", "view"),
    ("plan_pdf", "get", "plan", "view"),
    ("plan_reviewer", "post", "plan", "owner"),
    ("plan_status", "post", "plan", "owner"),
    ("plan_review", "post", "plan", "reviewer"),
    ("plan_comment", "post", "plan", "participant"),
    ("plan_sync", "post", "plan", "owner"),
    ("goal_add", "post", "plan", "owner"),
    ("goal_edit", "get", "goal", "owner"),
    ("goal_edit", "post", "goal", "owner"),
    ("goal_delete", "post", "goal", "owner"),
    ("task_create", "get", "goal", "owner"),
    ("task_create", "post", "goal", "owner"),
    ("task_edit", "get", "task", "owner"),
    ("task_edit", "post", "task", "owner"),
    ("task_delete", "post", "task", "owner"),
    ("task_done", "post", "task", "owner"),
    ("evidence_upload", "post", "task", "owner"),
    ("evidence_download", "get", "evidence", "view"),
    ("evidence_delete", "post", "evidence", "owner"),
    ("analysis_edit", "get", "analysis", "owner"),
    ("analysis_edit", "post", "analysis", "owner"),
]
LIST_PAGES = ["plan_list", "my_plan", "review_list", "plan_start"]
# Who reaches which kind of action on principal A's plan (the mentor is its reviewer).
MAY = {
    "principal_a": {"view", "owner", "participant"},
    "official": {"view", "owner", "participant"},
    "mentor": {"view", "participant", "reviewer"},
}


def url_of(world, name, kind):
    return reverse(f"plans:{name}", args=[world[kind].pk])


def call(client, method, url, **data):
    if method == "get":
        return client.get(url)
    values = {"text": "комментарий", "comment": "комментарий", "status": Status.ON_REVIEW}
    values.update(decision=Status.APPROVED, done="1", **data)
    return client.post(url, values)


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_every_view_with_an_id_is_covered():
    resolver = get_resolver().namespace_dict["plans"][1]
    with_id = {p.name for p in resolver.url_patterns if p.pattern.converters}
    without = {p.name for p in resolver.url_patterns if not p.pattern.converters}
    assert with_id == {name for name, *_rest in ID_PAGES}
    assert without == set(LIST_PAGES)


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind, needs):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize("name", LIST_PAGES)
def test_anonymous_goes_to_the_login_page_from_lists(client, name):
    response = client.get(reverse(f"plans:{name}"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_a", "official", "mentor"])
def test_who_may_act_on_a_s_plan(request_fixture, login, world, name, method, kind, needs, who):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    if needs in MAY[who]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_b", "expert", "candidate"])
def test_people_outside_the_plan_get_404(
    request_fixture, login, world, name, method, kind, needs, who
):
    """Principal B, an expert who is not the assigned reviewer, a candidate of the same school."""
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_a_person_with_no_role_gets_403(login, roleless, world, name, method, kind, needs):
    assert call(login(roleless), method, url_of(world, name, kind)).status_code == 403


def test_nothing_changes_when_access_is_refused(login, principal_b, expert, world):
    plan = world["plan"]
    for who in (principal_b, expert):
        client = login(who)
        for name, method, kind, _needs in ID_PAGES:
            if method == "post":
                call(client, method, url_of(world, name, kind))
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT and len(plan.history) == 2
    assert not PlanComment.objects.exists()
    assert TaskEvidence.objects.count() == 1
    assert PlanTask.objects.filter(goal__plan=plan).count() == 2


def test_a_former_reviewer_gets_404_on_review_actions(login, official, mentor, expert, world):
    plan = world["plan"]
    domain.change_status(plan, Status.ON_REVIEW, plan.person)
    domain.assign_reviewer(plan, expert, official)
    response = call(login(mentor), "post", reverse("plans:plan_review", args=[plan.pk]))
    assert response.status_code == 404
    response = login(mentor).get(reverse("plans:plan_detail", args=[plan.pk]))
    assert response.status_code == 404
    response = call(login(expert), "post", reverse("plans:plan_review", args=[plan.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("official", {"plan_list": 200, "my_plan": 403, "review_list": 403, "plan_start": 200}),
        ("principal_a", {"plan_list": 403, "my_plan": 200, "review_list": 403, "plan_start": 200}),
        ("candidate", {"plan_list": 403, "my_plan": 200, "review_list": 403, "plan_start": 200}),
        ("mentor", {"plan_list": 403, "my_plan": 403, "review_list": 200, "plan_start": 403}),
        ("expert", {"plan_list": 403, "my_plan": 403, "review_list": 200, "plan_start": 403}),
    ],
)
def test_list_pages_by_role(request_fixture, login, period, who, codes):
    client = login(request_fixture(who))
    for name, code in codes.items():
        assert client.get(reverse(f"plans:{name}")).status_code == code, name


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_person_with_no_role_gets_403_on_lists(login, roleless, period, name):
    assert login(roleless).get(reverse(f"plans:{name}")).status_code == 403


# --- Pages ---------------------------------------------------------------------------------------


def test_my_plan_offers_to_start_from_the_confirmed_deficits(login, principal_a, period):
    confirm_deficits(principal_a, period)
    client = login(principal_a)
    page = client.get(reverse("plans:my_plan")).content.decode()
    assert "Обеспечение независимой внешней оценки" in page
    assert reverse("plans:plan_start") in page
    response = client.post(reverse("plans:plan_start"), {"period": period.pk})
    plan = Plan.objects.get(person=principal_a)
    assert response.url == reverse("plans:plan_detail", args=[plan.pk])
    assert plan.goals.count() == 2
    page = client.get(reverse("plans:my_plan")).content.decode()
    assert reverse("plans:plan_detail", args=[plan.pk]) in page
    response = client.post(reverse("plans:plan_start"), {"period": period.pk})
    assert response.status_code == 200
    assert (
        _("%(person)s already has a development plan for %(period)s.")
        % {
            "person": principal_a.short_name,
            "period": period.label,
        }
        in response.content.decode()
    )


def test_a_head_starts_only_his_or_her_own_plan(login, principal_a, principal_b, period):
    login(principal_a).post(
        reverse("plans:plan_start"), {"period": period.pk, "person": principal_b.pk}
    )
    assert list(Plan.objects.values_list("person", flat=True)) == [principal_a.pk]


def test_an_official_starts_a_plan_for_a_candidate(login, official, candidate, period):
    response = login(official).post(
        reverse("plans:plan_start"), {"period": period.pk, "person": candidate.pk}
    )
    plan = Plan.objects.get()
    assert plan.person == candidate
    assert response.url == reverse("plans:plan_detail", args=[plan.pk])


def test_the_plan_page_shows_the_three_sections(login, principal_a, world):
    page = login(principal_a).get(reverse("plans:plan_detail", args=[world["plan"].pk]))
    text = page.content.decode()
    for heading in (
        _("Content-target section"),
        _("Organisational section"),
        _("Analytical section"),
    ):
        assert heading in text
    assert "Обеспечение независимой внешней оценки" in text
    assert "14.03.2025" in text
    assert reverse("plans:evidence_download", args=[world["evidence"].pk]) in text
    assert reverse("plans:task_create", args=[world["goal"].pk]) in text  # a draft: editable


def test_the_reviewer_sees_the_plan_read_only(login, mentor, world):
    text = login(mentor).get(reverse("plans:plan_detail", args=[world["plan"].pk])).content
    text = text.decode()
    assert reverse("plans:task_create", args=[world["goal"].pk]) not in text
    assert reverse("plans:plan_comment", args=[world["plan"].pk]) in text


def test_a_deadline_outside_the_period_is_explained_on_the_form(login, principal_a, world):
    url = reverse("plans:task_create", args=[world["goal"].pk])
    data = {
        "text": "Стажировка на базовой площадке",
        "form": "internship",
        "resource": "external",
        "deadline": "2025-10-01",
    }
    response = login(principal_a).post(url, data)
    assert response.status_code == 200
    message = _(
        "The task's deadline %(deadline)s must fall within the period %(period)s: "
        "from %(start)s to %(end)s."
    ) % {
        "deadline": "01.10.2025",
        "period": "2024/2025",
        "start": "01.09.2024",
        "end": "31.08.2025",
    }
    assert escape(message) in response.content.decode()
    response = login(principal_a).post(url, {**data, "deadline": ""})
    assert escape(_("Set the task's deadline.")) in response.content.decode()
    response = login(principal_a).post(url, {**data, "deadline": "2025-04-01"})
    assert response.status_code == 302
    assert world["goal"].tasks.filter(text="Стажировка на базовой площадке").exists()


def test_the_journey_through_the_flow(login, principal_a, mentor, world, period):
    plan = world["plan"]
    owner, reviewer = login(principal_a), None
    status_url = reverse("plans:plan_status", args=[plan.pk])
    owner.post(status_url, {"status": Status.ON_REVIEW})
    reviewer = login(mentor)
    review_url = reverse("plans:plan_review", args=[plan.pk])
    response = reviewer.post(review_url, {"decision": Status.DRAFT, "comment": ""}, follow=True)
    assert _("Say what to revise: a comment is required to return the plan.") in (
        response.content.decode()
    )
    reviewer.post(review_url, {"decision": Status.DRAFT, "comment": "Добавьте стажировку"})
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT
    owner = login(principal_a)
    page = owner.get(reverse("plans:plan_detail", args=[plan.pk])).content.decode()
    assert "Добавьте стажировку" in page
    owner.post(status_url, {"status": Status.ON_REVIEW})
    login(mentor).post(review_url, {"decision": Status.APPROVED})
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED

    owner = login(principal_a)
    for task in PlanTask.objects.filter(goal__plan=plan):
        owner.post(reverse("plans:task_done", args=[task.pk]), {"done": "1"})
    assert not PlanTask.objects.filter(goal__plan=plan, done=False).exists()
    assert not PlanTask.objects.filter(goal__plan=plan, done_at__isnull=True).exists()
    upload = SimpleUploadedFile("Справка о курсах.pdf", PDF, content_type="application/pdf")
    owner.post(reverse("plans:evidence_upload", args=[world["task"].pk]), {"file": upload})
    evidence = TaskEvidence.objects.latest("pk")
    assert evidence.file_name == "Справка о курсах.pdf"
    assert "Справка" not in evidence.file.name  # stored under a random name
    response = owner.get(reverse("plans:evidence_download", args=[evidence.pk]))
    assert b"".join(response.streaming_content) == PDF

    response = owner.post(status_url, {"status": Status.DONE}, follow=True)
    assert "2.3" in response.content.decode()  # the unfinished analysis is named
    for analysis in plan.analyses.all():
        response = owner.post(
            reverse("plans:analysis_edit", args=[analysis.pk]),
            {
                "results": "Курсы пройдены",
                "successes": "Внедрена ВСОКО",
                "problems": "Мало времени",
                "use_of_successes": "Поделиться опытом на семинаре",
                "solutions": "Делегировать часть задач",
                "outcome": DeficitAnalysis.Outcome.CLOSED,
            },
        )
        assert response.status_code == 302
    owner.post(status_url, {"status": Status.DONE, "comment": "План выполнен"})
    plan.refresh_from_db()
    assert plan.status == Status.DONE
    assert [h["status"] for h in plan.history if h["event"] == "status"] == [
        "on_review",
        "draft",
        "on_review",
        "approved",
        "done",
    ]
    page = owner.get(reverse("plans:my_plan")).content.decode()
    assert "100 %" in page


def test_an_evidence_file_of_a_wrong_kind_is_refused(login, principal_a, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = approved_plan(principal_a, period, mentor)
    task = PlanTask.objects.get(goal__plan=plan)
    upload = SimpleUploadedFile("report.pdf", EXE)
    response = login(principal_a).post(
        reverse("plans:evidence_upload", args=[task.pk]), {"file": upload}, follow=True
    )
    assert not TaskEvidence.objects.exists()
    assert "report.pdf" in response.content.decode()


def test_comments_by_the_owner_and_the_reviewer(login, principal_a, mentor, world):
    url = reverse("plans:plan_comment", args=[world["plan"].pk])
    login(mentor).post(url, {"text": "Уточните формы работы"})
    login(principal_a).post(url, {"text": "Уточнила"})
    login(principal_a).post(url, {"text": "   "})
    assert list(PlanComment.objects.values_list("by", "text")) == [
        (mentor.pk, "Уточните формы работы"),
        (principal_a.pk, "Уточнила"),
    ]


def test_the_reviewer_list_shows_plans_waiting_first(login, principal_a, mentor, world, period):
    other = make_person("head_c", Role.PRINCIPAL, make_org("C03"))
    draft_plan(other, period, mentor)
    domain.change_status(world["plan"], Status.ON_REVIEW, principal_a)
    page = login(mentor).get(reverse("plans:review_list")).content.decode()
    assert page.index(principal_a.full_name) < page.index(other.full_name)
    page = login(mentor).get(reverse("plans:review_list"), {"status": "on_review"})
    assert other.full_name not in page.content.decode()


def test_the_officials_list_filters_and_sums_up(login, official, principal_b, world, period):
    domain.start_plan(principal_b, period, official)
    client = login(official)
    page = client.get(reverse("plans:plan_list")).content.decode()
    assert world["plan"].person.full_name in page and principal_b.full_name in page
    assert _("Mean completion") in page
    page = client.get(reverse("plans:plan_list"), {"q": "Principal_b"}).content.decode()
    assert world["plan"].person.full_name not in page and principal_b.full_name in page
    by_org = client.get(reverse("plans:plan_list"), {"organization": world["plan"].organization_id})
    assert principal_b.full_name not in by_org.content.decode()


# --- Query counts --------------------------------------------------------------------------------


def _plans(period, mentor, count, start=0):
    for n in range(start, start + count):
        person = make_person(f"head{n}", Role.PRINCIPAL, make_org(f"Q{n:02d}"))
        confirm_deficits(person, period, codes=("2.3",), blocks=(4,))
        plan = draft_plan(person, period, mentor, tasks_per_goal=2)
        if n % 2:
            domain.change_status(plan, Status.ON_REVIEW, person)


@pytest.mark.parametrize(("who", "name"), [("official", "plan_list"), ("mentor", "review_list")])
def test_lists_keep_their_query_count(request_fixture, login, mentor, period, who, name):
    client = login(request_fixture(who))
    _plans(period, mentor, 3)
    few = count_queries(client, reverse(f"plans:{name}"))
    _plans(period, mentor, 9, start=3)
    assert Plan.objects.count() == 12
    assert count_queries(client, reverse(f"plans:{name}")) == few


def test_the_plan_page_keeps_its_query_count(login, principal_a, mentor, period):
    confirm_deficits(principal_a, period, codes=("2.3",), blocks=())
    plan = approved_plan(principal_a, period, mentor)
    task = PlanTask.objects.get(goal__plan=plan)
    TaskEvidence.objects.create(
        task=task, file=ContentFile(PDF, name="a.pdf"), file_name="a.pdf", uploaded_by=principal_a
    )
    client = login(principal_a)
    url = reverse("plans:plan_detail", args=[plan.pk])
    few = count_queries(client, url)
    Plan.objects.filter(pk=plan.pk).update(status=Status.DRAFT)
    plan.refresh_from_db()
    confirm_more = ("1.2", "3.1", "3.2", "5.2")
    from trajectories.models import Competency, Deficit

    for code in confirm_more:
        competency = Competency.objects.get(code=code)
        Deficit.objects.create(
            assessment=plan.assessment,
            competency=competency,
            block=competency.block,
            status=Deficit.Status.CONFIRMED,
        )
    domain.add_new_deficits(plan, principal_a)
    for goal in plan.goals.all():
        for n in range(3):
            domain.save_task(
                PlanTask(
                    goal=goal,
                    text=f"Задача {n}",
                    form="courses",
                    resource="personal",
                    deadline=date(2025, 2, 1),
                ),
                principal_a,
            )
    Plan.objects.filter(pk=plan.pk).update(status=Status.APPROVED)
    for task in PlanTask.objects.filter(goal__plan=plan):
        TaskEvidence.objects.create(
            task=task,
            file=ContentFile(PDF, name="b.pdf"),
            file_name="b.pdf",
            uploaded_by=principal_a,
        )
    PlanComment.objects.create(plan=plan, text="Ещё", by=mentor)
    assert count_queries(client, url) == few


# --- The PDF and the command ---------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def head(org_a):
    return make_person("head_a", Role.PRINCIPAL, org_a, **HEAD)


@pytest.fixture
def finished(head, mentor, period):
    """Ivanova's approved plan: tasks done, 2.3 closed and block 4 carried over."""
    confirm_deficits(head, period)
    plan = approved_plan(head, period, mentor)
    finish_tasks(plan, head)
    analyse(plan, head, results="Курсы пройдены, ВСОКО внедрена")
    block = plan.analyses.get(deficit__competency__isnull=True)
    block.outcome = DeficitAnalysis.Outcome.CARRIED_OVER
    block.save()
    domain.change_status(plan, Status.CARRIED_OVER, head, "Блок 4 переносится")
    return plan


def test_the_pdf_is_served_inline_to_the_owner(login, head, finished):
    response = login(head).get(reverse("plans:plan_pdf", args=[finished.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("inline;")
    assert "2024-2025" in response["Content-Disposition"]


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_holds_the_three_sections_status_reviewer_and_completion(
    login, official, head, mentor, finished
):
    text = pdf_text(login(official).get(reverse("plans:plan_pdf", args=[finished.pk])).content)
    assert "Индивидуальный план развития" in text
    assert "Иванова Ольга Петровна" in text
    for heading in (
        "1. Содержательно-целевой раздел",
        "2. Организационный раздел",
        "3. Аналитический раздел",
    ):
        assert heading in text
    assert "Обеспечение независимой внешней оценки" in text
    assert "Блок 4" in text
    assert "Курсы пройдены, ВСОКО внедрена" in text
    assert "дефицит закрыт" in text and "дефицит перенесён" in text
    assert "Статус закрыт с переносом" in text
    assert "Курсы" in text  # the form of the task, in the document's Russian
    assert mentor.full_name in text
    assert "Выполнение плана 100 % (выполнено задач: 2 из 2)" in text
    assert "14.03.2025" in text
    assert "Блок 4 переносится" in text  # the history


def test_render_plan_writes_the_pdf(head, finished, tmp_path):
    out = tmp_path / "plan.pdf"
    stdout = StringIO()
    call_command(
        "render_plan",
        "--person",
        "head_a",
        "--period",
        "2024/2025",
        "--out",
        str(out),
        stdout=stdout,
    )
    assert out.read_bytes().startswith(b"%PDF")
    assert "100 %" in stdout.getvalue()
    if PDFTOTEXT:
        assert "Иванова Ольга Петровна" in pdf_text(out.read_bytes())


def test_render_plan_explains_what_is_missing(head, period, tmp_path):
    out = str(tmp_path / "plan.pdf")
    with pytest.raises(CommandError, match="нет плана развития"):
        call_command("render_plan", "--person", "head_a", "--period", "2024/2025", "--out", out)
    with pytest.raises(CommandError, match="Нет пользователя"):
        call_command("render_plan", "--person", "ghost", "--period", "2024/2025", "--out", out)
    with pytest.raises(CommandError, match="Нет периода"):
        call_command("render_plan", "--person", "head_a", "--period", "1999/2000", "--out", out)
    assert not User.objects.filter(username="ghost").exists()
