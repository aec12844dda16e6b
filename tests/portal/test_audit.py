"""The audit trail: who changed which record, when, old → new; its history on record pages, the
district-wide audit log with its filters and Excel export, and officials' views of dossiers.

Changes made through the pages get their actor from the middleware; changes made by calling the
domain directly name the actor with auditlog's `set_actor`, as a background job would.
"""

import ast
import io
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from mentoring.models import Activity, BaseSite, DiaryEntry, Form, Internship, Trainee
from monitoring.decisions import change_status as change_decision_status
from monitoring.decisions import save_decision
from monitoring.models import Decision, DecisionKind, Source, ValueChange
from monitoring.values import ValueWrite, write_values
from reserve import candidacies as reserve
from reserve.models import Status as ReserveStatus
from tests.conftest import make_org, make_person
from trajectories.assessments import Row, save_self_draft, start_assessment
from trajectories.models import PlanGoal, PlanTask, TaskForm
from trajectories.plans import start_plan
from zelenchuk_portal.audit import AuditFilters, audit_page, history_for
from zelenchuk_portal.models import Membership, Organization, Role

Action = LogEntry.Action
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _russian():
    with translation.override("ru"):
        yield


def entries(obj, action=None, pk=None):
    """The log entries of `obj` (of `pk` when `obj` was deleted since), oldest first."""
    kind = ContentType.objects.get_for_model(type(obj))
    found = LogEntry.objects.filter(content_type=kind, object_id=pk or obj.pk).order_by("pk")
    return list(found if action is None else found.filter(action=action))


def form_data(response, **changes) -> dict:
    """The data of the form a page rendered (hidden fields included), with `changes`."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
    data.update(changes)
    return data


def texts(history) -> list[str]:
    """Each row of a history as one line: action, field: old → new…"""
    return [
        " | ".join([row.action, *(f"{c.label}: {c.old} → {c.new}" for c in row.changes)])
        for row in history.rows
    ]


# --- Writing: create, change, delete of several kinds ------------------------------------------


def test_an_organisation_created_changed_and_deleted_through_the_pages(login, official):
    client = login(official)
    page = client.get(reverse("organization_create"))
    fields = {
        "code": "C77",
        "short_name": "МКОУ «СОШ № 7»",
        "full_name": "Муниципальное казённое общеобразовательное учреждение № 7",
        "org_type": "school",
        "settlement": "ст. Зеленчукская",
        "area": "urban",
    }
    assert client.post(reverse("organization_create"), form_data(page, **fields)).status_code == 302
    organization = Organization.objects.get(code="C77")
    (created,) = entries(organization, Action.CREATE)
    assert created.actor == official
    assert created.remote_addr == "127.0.0.1"
    assert created.changes["short_name"] == [None, "МКОУ «СОШ № 7»"]

    edit = reverse("organization_edit", args=[organization.pk])
    data = form_data(client.get(edit), short_name="МКОУ «СОШ № 7 им. Героя»", area="rural")
    assert client.post(edit, data).status_code == 302
    (changed,) = entries(organization, Action.UPDATE)
    assert changed.actor == official
    assert changed.changes["short_name"] == ["МКОУ «СОШ № 7»", "МКОУ «СОШ № 7 им. Героя»"]
    assert changed.changes["area"] == ["urban", "rural"]
    assert set(changed.changes) == {"short_name", "area"}  # nothing that did not change

    client.post(reverse("organization_delete", args=[organization.pk]))
    assert not Organization.objects.filter(pk=organization.pk).exists()
    (deleted,) = entries(organization, Action.DELETE)
    assert (deleted.actor, deleted.object_repr) == (official, "МКОУ «СОШ № 7 им. Героя»")
    assert deleted.changes["code"] == ["C77", None]


def test_a_role_given_and_ended_is_in_the_history_of_the_person_and_the_organisation(
    login, official, org_a
):
    person = make_person("teacher", None, last_name="Хубиева")
    client = login(official)
    new = reverse("membership_create", args=[person.pk])
    data = form_data(client.get(new), role=Role.CANDIDATE, organization=org_a.pk)
    assert client.post(new, data).status_code == 302
    membership = Membership.objects.get(user=person)
    edit = reverse("membership_edit", args=[membership.pk])
    assert client.post(edit, form_data(client.get(edit), end_date="2025-06-30")).status_code == 302

    created, changed = entries(membership)
    assert (created.action, created.actor, changed.actor) == (Action.CREATE, official, official)
    assert changed.changes == {"end_date": [None, "2025-06-30"]}
    for owner in (org_a, person):
        history = history_for(owner)
        assert [row.own for row in history.rows][:2] == [False, False]
        assert "действует по: — → 30.06.2025" in texts(history)[0]
        assert history.rows[0].actor == official.full_name
    assert texts(history_for(org_a))[1].startswith("создание | пользователь: — → Хубиева Тест")


def test_a_decision_its_organisations_and_its_status(period, official, org_a, org_b):
    with set_actor(official):
        decision = save_decision(
            Decision(
                period=period,
                number="15-од",
                date=date(2025, 9, 20),
                kind=DecisionKind.TRAINING,
                title="Направить руководителя на курсы",
                owner="Методический кабинет",
                due_date=date(2025, 12, 1),
            ),
            organizations=[org_a, org_b],
            people=[],
            indicator_codes=[],
            user=official,
        )
        change_decision_status(decision, Decision.Status.IN_PROGRESS, official, "приказ доведён")
    assert {e.actor for e in entries(decision)} == {official}
    lines = texts(history_for(decision))
    assert any("статус: запланировано → выполняется" in line for line in lines), lines
    assert any(
        "организации: — → добавлено: " in line and org_b.short_name in line for line in lines
    )
    created = [line for line in lines if line.startswith("создание | период: — → 2024/2025")]
    assert len(created) == 1 and "номер приказа: — → 15-од" in created[0], lines
    # The notes the status change wrote are the decision's too, without naming it again.
    note = next(row for row in history_for(decision).rows if row.model == "отметка к решению")
    assert [c.label for c in note.changes][:2] == ["статус", "текст"]


def test_a_plan_s_goals_and_tasks_are_in_the_plan_s_history(period, official, principal_a):
    with set_actor(official):
        plan = start_plan(principal_a, period, official)
        goal = PlanGoal.objects.create(plan=plan, text="Развить ВСОКО", position=1)
        task = PlanTask.objects.create(
            goal=goal,
            text="Пройти курсы",
            form=TaskForm.COURSES,
            resource="external",
            deadline=date(2025, 5, 1),
        )
        task.done, task.done_at = True, date(2025, 4, 1)
        task.save()
        goal.delete()  # takes its task with it
    assert entries(plan, Action.CREATE)[0].actor == official
    history = history_for(plan)
    kinds = [(row.action, row.model) for row in history.rows]
    assert kinds[:3] == [
        ("удаление", "цель плана"),
        ("удаление", "задача плана"),
        ("изменение", "задача плана"),
    ]
    assert "выполнено: нет → да" in texts(history)[2]
    assert "дата выполнения: — → 01.04.2025" in texts(history)[2]
    assert ("создание", "план развития") in kinds
    assert all(row.actor == official.full_name for row in history.rows)


def test_a_candidacy_its_status_changes_and_the_role_it_ends(period, official, candidate, org_a):
    with set_actor(official):
        candidacy = reserve.nominate(
            person=candidate,
            organization=org_a,
            by=official,
            on=date(2024, 10, 1),
            position="заместитель директора",
            reason="Высокие результаты",
        )
        reserve.enrol(candidacy, order="15-к", on=date(2024, 10, 15), by=official)
        reserve.change_status(
            candidacy, ReserveStatus.REMOVED, on=date(2025, 3, 1), by=official, comment="Переезд"
        )
    lines = texts(history_for(candidacy))
    assert any("статус: зачислен → исключён" in line for line in lines), lines
    assert any("причина исключения: — → Переезд" in line for line in lines), lines
    # The candidate role ended with the candidacy: a queryset update, logged row by row.
    role = Membership.objects.get(user=candidate, role=Role.CANDIDATE)
    (ended,) = entries(role, Action.UPDATE)
    assert (ended.actor, ended.changes) == (official, {"end_date": [None, "2025-03-01"]})


def test_an_internship_and_a_diary_entry(period, official, mentor, candidate, org_a):
    with set_actor(mentor):
        site = BaseSite.objects.create(
            organization=mentor.organizations_as(Role.MENTOR).get(),
            designated_on=date(2024, 9, 1),
            themes="ВСОКО",
            capacity=3,
        )
        internship = Internship.objects.create(
            theme="ВСОКО",
            form=Form.INDIVIDUAL,
            start_date=date(2024, 10, 1),
            end_date=date(2024, 12, 20),
            base_site=site,
            mentor=mentor,
            created_by=official,
        )
        trainee = Trainee.objects.create(
            internship=internship, person=candidate, organization=org_a
        )
        entry = DiaryEntry.objects.create(
            trainee=trainee,
            day=date(2024, 10, 14),
            time_from=time(9),
            time_to=time(10, 30),
            activity=Activity.OBSERVATION,
            head_actions="Провела планёрку",
        )
        entry.reflection = "Планёрка коротка и по делу"
        entry.activity = Activity.MEETING
        entry.save()
        entry_pk = entry.pk
        entry.delete()
    created, changed, deleted = entries(entry, pk=entry_pk)
    assert {created.actor, changed.actor, deleted.actor} == {mentor}
    assert changed.changes["activity"] == ["observation", "meeting"]
    history = history_for(internship)
    assert [(row.action, row.model) for row in history.rows[:2]] == [
        ("удаление", "запись дневника"),
        ("изменение", "запись дневника"),
    ]
    assert "вид деятельности: наблюдение → совещание, встреча" in texts(history)[1]


def test_ratings_saved_in_bulk_are_logged_item_by_item(period, principal_a):
    with set_actor(principal_a):
        assessment = start_assessment(principal_a, period)
        first, second = assessment.items.order_by("competency__position")[:2]
        save_self_draft(assessment, {first.pk: Row(2, "Есть опыт"), second.pk: Row(None, "")})
    (rated,) = entries(first, Action.UPDATE)
    assert rated.actor == principal_a
    assert rated.changes == {"self_rating": [None, 2], "self_comment": ["", "Есть опыт"]}
    assert entries(second) == []  # unchanged: nothing to log
    assert history_for(assessment).rows[0].changes[0].new == "2"


def test_the_address_is_the_socket_s_not_a_forged_header(login, official, org_a):
    client = login(official)
    edit = reverse("organization_edit", args=[org_a.pk])
    data = form_data(client.get(edit), address="ул. Ленина, 1")
    client.post(edit, data, HTTP_X_FORWARDED_FOR="not-an-address, 10.0.0.1")
    (changed,) = entries(org_a, Action.UPDATE)
    assert changed.remote_addr == "127.0.0.1"


@pytest.mark.parametrize(
    ("header", "recorded"), [("10.1.2.3", "10.1.2.3"), ("not-an-address", "127.0.0.1")]
)
def test_behind_a_proxy_the_address_is_the_one_the_lockout_counts(
    login, official, org_a, settings, header, recorded
):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    client = login(official)
    edit = reverse("organization_edit", args=[org_a.pk])
    client.post(edit, form_data(client.get(edit), address="ул. Мира, 2"), HTTP_X_REAL_IP=header)
    (changed,) = entries(org_a, Action.UPDATE)
    assert changed.remote_addr == recorded


# --- Reading: the history on record pages ------------------------------------------------------


def test_the_history_is_shown_in_russian_to_officials_only(login, official, principal_a, org_a):
    edit = reverse("organization_edit", args=[org_a.pk])
    client = login(official)
    client.post(edit, form_data(client.get(edit), org_type="kindergarten"))
    page = client.get(reverse("organization_detail", args=[org_a.pk])).content.decode()
    assert "История изменений" in page
    assert "видна только специалистам управления" in page
    assert (
        "Тип:</span> Общеобразовательная организация → Дошкольная образовательная организация"
        in page
    )
    assert official.full_name in page

    page = login(principal_a).get(reverse("organization_detail", args=[org_a.pk]))
    assert page.status_code == 200
    assert "История изменений" not in page.content.decode()
    assert 'id="audit-history"' not in page.content.decode()


def test_the_history_runs_a_fixed_number_of_queries(official, org_a, period):
    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = len(history_for(org_a).rows)
        return len(captured.captured_queries), rows

    def changes(start, count):
        with set_actor(official):
            for n in range(start, start + count):
                org_a.short_name = f"Школа № {n}"
                org_a.save()
                person = make_person(f"teacher{n}", Role.PRINCIPAL if n % 2 else None)
                Membership.objects.create(user=person, role=Role.MENTOR, organization=org_a)

    changes(0, 2)
    few, few_rows = queries()
    changes(2, 12)
    many, many_rows = queries()
    assert many_rows > 3 * few_rows
    assert many == few


# --- The district-wide audit log ---------------------------------------------------------------


def test_the_audit_log_is_for_officials(login, principal_a, mentor, official):
    for user in (principal_a, mentor):
        client = login(user)
        assert client.get(reverse("audit_log")).status_code == 403
        assert client.get(reverse("audit_export")).status_code == 403
    assert login(official).get(reverse("audit_log")).status_code == 200


def test_the_audit_log_filters(login, official, principal_a, org_a, org_b, period):
    other = make_person("official2", Role.OFFICIAL, last_name="Семёнова")
    with set_actor(official):
        org_a.settlement = "с. Кардоникская"
        org_a.save()
        Membership.objects.create(
            user=make_person("m1", None), role=Role.MENTOR, organization=org_a
        )
    with set_actor(other):
        org_b.address = "ул. Мира, 2"
        org_b.save()
    client = login(official)

    def subjects(**params) -> list[str]:
        page = client.get(reverse("audit_log"), params)
        assert page.status_code == 200
        return [row.subject for row in page.context["page"].rows]

    assert subjects(person="Семёнова") == [org_b.short_name]
    assert subjects(person=str(other.pk)) == [org_b.short_name]
    by_kind = subjects(model="zelenchuk_portal.organization", action="changed")
    assert by_kind == [org_b.short_name, org_a.short_name]
    # A record's number with its kind: the record and what it owns (the role given in it).
    owned = subjects(model="zelenchuk_portal.organization", object=str(org_a.pk))
    assert owned[0] == f"Ментор — {org_a.short_name}" and org_a.short_name in owned
    assert org_b.short_name not in owned
    assert subjects(object="Даусуз", action="changed") == [org_b.short_name]
    today = timezone.localdate()
    assert subjects(date_to=str(today - timedelta(days=1))) == []
    assert len(subjects(date_from=str(today), date_to=str(today))) >= 3
    bad = client.get(reverse("audit_log"), {"date_from": str(today), "date_to": "2000-01-01"})
    assert "Дата окончания раньше даты начала" in bad.content.decode()


def test_the_audit_log_paginates_and_exports_to_excel(login, official, org_a):
    with set_actor(official):
        for n in range(60):
            org_a.address = f"ул. Ленина, {n}"
            org_a.save()
    client = login(official)
    params = {"model": "zelenchuk_portal.organization", "action": "changed"}
    first = client.get(reverse("audit_log"), params).context["page"]
    assert (first.paginator.count, len(first.rows)) == (60, 50)
    second = client.get(reverse("audit_log"), {**params, "page": 2}).context["page"]
    assert len(second.rows) == 10
    assert second.rows[-1].changes[0].new == "ул. Ленина, 0"

    response = client.get(reverse("audit_export"), params)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Когда", "Кто", "Действие")
    assert len(rows) == 61
    assert rows[1][1:] == (
        official.full_name,
        "изменение",
        "организация",
        org_a.short_name,
        "адрес",
        "ул. Ленина, 58",
        "ул. Ленина, 59",
        None,
        None,
    )


def test_value_changes_are_in_the_audit_log(login, official, principal_a, org_a, period):
    code = "teachers_trained_3y"
    for number, author in ((10, official), (12, principal_a)):
        write_values(
            period,
            [ValueWrite(org_a.pk, code, Decimal(number))],
            source=Source.OFFICIAL,
            user=author,
            reason="Акт проверки",
        )
    page = login(official).get(reverse("audit_log"), {"model": "monitoring.value"})
    rows = page.context["page"].rows
    assert [(row.actor, row.action) for row in rows] == [
        (principal_a.full_name, "изменение"),
        (official.full_name, "создание"),
    ]
    change = rows[0].changes[0]
    assert (change.old, change.new) == ("10", "12")
    assert change.label.endswith(f"({code})")
    assert rows[0].subject == f"{org_a.short_name} · {period.label}"
    assert "Акт проверки" in rows[0].note
    narrowed = audit_page(AuditFilters(person="principal_a"), 1).rows
    assert [row.model for row in narrowed] == ["значение показателя"]
    assert ValueChange.objects.filter(changed_by__isnull=True).count() == 0


def test_every_value_write_in_the_portal_names_its_author():
    """Values bypass auditlog: their author is whatever `write_values` is given as `user`."""
    calls = []
    for app in ("zelenchuk_portal", "monitoring", "trajectories", "mentoring", "reserve"):
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                func = getattr(node, "func", None)
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                if isinstance(node, ast.Call) and name == "write_values":
                    calls.append((path.name, {k.arg for k in node.keywords}))
    assert len(calls) >= 4
    assert [name for name, keywords in calls if "user" not in keywords] == []


# --- Dossier views ------------------------------------------------------------------------------


def test_an_official_s_view_of_a_dossier_is_logged_the_head_s_own_is_not(
    login, official, principal_a, org_a, period
):
    dossier = reverse("analysis:dossier", args=[org_a.pk])
    assert login(principal_a).get(dossier).status_code == 200
    assert LogEntry.objects.filter(action=Action.ACCESS).count() == 0

    client = login(official)
    assert client.get(dossier).status_code == 200
    (viewed,) = LogEntry.objects.filter(action=Action.ACCESS)
    assert viewed.actor == official
    assert viewed.content_type == ContentType.objects.get_for_model(Organization)
    assert (viewed.object_id, viewed.object_repr) == (org_a.pk, org_a.short_name)
    assert viewed.additional_data == {"page": "dossier", "period": period.label}

    rows = client.get(reverse("audit_log"), {"action": "viewed"}).context["page"].rows
    assert [(row.actor, row.action, row.subject) for row in rows] == [
        (official.full_name, "просмотр", org_a.short_name)
    ]
    assert rows[0].note == f"досье руководителя · период {period.label}"
    # Views are not changes: the organisation's own history leaves them out.
    assert all(row.action != "просмотр" for row in history_for(org_a).rows)


def test_a_new_organisation_s_history_lists_its_creation(official):
    with set_actor(official):
        organization = make_org("N01", short_name="МКДОУ «Детский сад № 1»")
    (row,) = history_for(organization).rows
    assert (row.action, row.actor, row.own) == ("создание", official.full_name, True)
    labels = [change.label for change in row.changes]
    assert "код" in labels and "ID" not in labels
