"""Who reaches which internship page: a mentor sees only his or her internships, a trainee only
his or her own, a principal only those of the organisation's staff (404 otherwise); the wrong
role for an action gets 403; a head reads only.

Every view of `mentoring/internship_urls.py` that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case.
"""

from datetime import date
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from mentoring import internship_urls
from mentoring.models import Assignment, Decision, DiaryEntry, Form, Internship, Stage
from tests.conftest import make_org, make_person
from tests.mentoring.internship_fixtures import (
    PDF,
    add_assignment,
    add_decision,
    add_entry,
    make_internship,
    trainee_of,
)
from zelenchuk_portal.models import Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roleless(db):
    return make_person("nobody", None)


@pytest.fixture
def other_mentor(db):
    school = make_org("M04", short_name="МКОУ «Лицей № 4»")
    return make_person("mentor_4", Role.MENTOR, school)


@pytest.fixture
def other_trainee(org_b):
    return make_person("candidate_b", Role.CANDIDATE, org_b)


@pytest.fixture
def world(mentor, candidate, principal_a, other_mentor, other_trainee):
    """The mentor's internship of the candidate of school A (whose head is principal A), with
    a map line, a submitted entry, a decision and both final files; and another mentor's
    internship of a candidate of school B."""
    internship = make_internship(mentor, [candidate])
    trainee = trainee_of(internship)
    trainee.report_file.save("r.pdf", ContentFile(PDF), save=False)
    trainee.project_file.save("p.pdf", ContentFile(PDF), save=False)
    trainee.report_file_name, trainee.project_file_name = "Отчёт.pdf", "Проект.pdf"
    trainee.save()
    entry = add_entry(trainee)
    make_internship(other_mentor, [other_trainee], theme="Чужая стажировка")
    return {
        "internship": internship,
        "assignment": add_assignment(internship, mentor),
        "trainee": trainee,
        "entry": entry,
        "decision": add_decision(trainee, entry=entry),
    }


# (name, method, object, who may: view | manage | trainee | mentor)
ID_PAGES = [
    ("internship_detail", "get", "internship", "view"),
    ("internship_pdf", "get", "internship", "view"),
    ("internship_stage", "post", "internship", "manage"),
    ("internship_close", "post", "internship", "manage"),
    ("assignment_create", "get", "internship", "manage"),
    ("assignment_create", "post", "internship", "manage"),
    ("assignment_edit", "get", "assignment", "manage"),
    ("assignment_edit", "post", "assignment", "manage"),
    ("assignment_status", "post", "assignment", "manage"),
    ("assignment_delete", "post", "assignment", "manage"),
    ("trainee_notes", "post", "trainee", "trainee"),
    ("entry_create", "get", "trainee", "trainee"),
    ("entry_create", "post", "trainee", "trainee"),
    ("entry_edit", "get", "entry", "trainee"),
    ("entry_edit", "post", "entry", "trainee"),
    ("entry_delete", "post", "entry", "trainee"),
    ("entry_comment", "post", "entry", "mentor"),
    ("decision_create", "get", "trainee", "trainee"),
    ("decision_create", "post", "trainee", "trainee"),
    ("decision_edit", "get", "decision", "trainee"),
    ("decision_edit", "post", "decision", "trainee"),
    ("decision_delete", "post", "decision", "trainee"),
    ("decision_rate", "get", "decision", "mentor"),
    ("decision_rate", "post", "decision", "mentor"),
    ("trainee_final", "get", "trainee", "trainee"),
    ("trainee_final", "post", "trainee", "trainee"),
    ("trainee_assess", "get", "trainee", "mentor"),
    ("trainee_assess", "post", "trainee", "mentor"),
    ("trainee_report_file", "get", "trainee", "view"),
    ("trainee_project_file", "get", "trainee", "view"),
]
LIST_PAGES = ["my_internships"]
MAY = {
    "official": {"view", "manage"},
    "mentor": {"view", "manage", "mentor"},
    "candidate": {"view", "trainee"},  # the trainee
    "principal_a": {"view"},  # the trainee's head reads only
}


def url_of(world, name, kind):
    return reverse(f"mentoring:{name}", args=[world[kind].pk])


def call(client, method, url):
    if method == "get":
        return client.get(url)
    return client.post(
        url,
        {
            "stage": Stage.FINAL,
            "comment": "комментарий",
            "text": "Текст",
            "status": Assignment.Status.DONE,
            "host_notes": "Заметки",
            "day": "2024-10-20",
            "time_from": "12:00",
            "time_to": "13:00",
            "activity": "meeting",
            "head_actions": "Решение",
        },
    )


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_every_view_with_an_id_is_covered():
    patterns = internship_urls.urlpatterns
    with_id = {p.name for p in patterns if p.pattern.converters}
    without = {p.name for p in patterns if not p.pattern.converters}
    assert with_id == {name for name, *_rest in ID_PAGES}
    assert without == set(LIST_PAGES)


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind, needs):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["official", "mentor", "candidate", "principal_a"])
def test_who_may_act(request_fixture, login, world, name, method, kind, needs, who):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    if needs in MAY[who]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_b", "other_mentor", "other_trainee"])
def test_people_outside_the_internship_get_404(
    request_fixture, login, world, name, method, kind, needs, who
):
    """A head of another school, another internship's mentor, another internship's trainee."""
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["expert", "roleless"])
def test_a_role_that_never_reaches_internships_gets_403(
    request_fixture, login, world, name, method, kind, needs, who
):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    assert response.status_code == 403


def test_nothing_changes_when_access_is_refused(
    login, world, principal_a, principal_b, other_mentor, expert
):
    for who in (principal_a, principal_b, other_mentor, expert):
        client = login(who)
        for name, method, kind, _needs in ID_PAGES:
            if method == "post":
                call(client, method, url_of(world, name, kind))
    internship = Internship.objects.get(pk=world["internship"].pk)
    assert internship.stage == Stage.MAIN and internship.history == []
    assert Assignment.objects.get().status == Assignment.Status.PLANNED
    entry = DiaryEntry.objects.get()
    assert entry.mentor_comment == "" and entry.head_actions.startswith("Директор")
    assert Decision.objects.count() == 1
    trainee = world["trainee"]
    trainee.refresh_from_db()
    assert trainee.host_notes == "" and trainee.mentor_conclusion == ""


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("official", 200),
        ("mentor", 200),
        ("candidate", 200),
        ("principal_a", 200),
        ("expert", 403),
        ("roleless", 403),
    ],
)
def test_the_list_by_role(request_fixture, login, world, who, code):
    assert login(request_fixture(who)).get(reverse("mentoring:my_internships")).status_code == code


def _listed(client) -> set[str]:
    page = client.get(reverse("mentoring:my_internships")).content.decode()
    return {theme for theme in Internship.objects.values_list("theme", flat=True) if theme in page}


def test_each_sees_only_his_or_her_internships_in_the_list(
    login, world, official, mentor, candidate, principal_a, principal_b, other_mentor, other_trainee
):
    ours, theirs = world["internship"].theme, "Чужая стажировка"
    assert _listed(login(official)) == {ours, theirs}
    assert _listed(login(mentor)) == {ours}
    assert _listed(login(candidate)) == {ours}
    assert _listed(login(principal_a)) == {ours}
    assert _listed(login(other_mentor)) == {theirs}
    assert _listed(login(other_trainee)) == {theirs}
    assert _listed(login(principal_b)) == {theirs}  # other_trainee works at school B


def test_a_draft_entry_is_the_trainees_own(login, world, mentor, official, candidate):
    draft = add_entry(world["trainee"], day=date(2024, 10, 21), submit=False)
    url = reverse("mentoring:entry_edit", args=[draft.pk])
    assert login(candidate).get(url).status_code == 200
    assert login(mentor).get(url).status_code == 404
    assert login(official).get(url).status_code == 404
    page = login(mentor).get(reverse("mentoring:internship_detail", args=[world["internship"].pk]))
    assert f'id="entry-{draft.pk}"' not in page.content.decode()
    assert f'id="entry-{world["entry"].pk}"' in page.content.decode()


def test_in_a_group_each_trainee_and_head_reads_only_his_or_her_own(
    login, mentor, candidate, principal_a, principal_b, other_trainee
):
    """A group with a trainee from school A and one from school B: each trainee and each head
    sees the internship and the map, but only his or her own (or staff's) diary."""
    group = make_internship(mentor, [candidate, other_trainee], form=Form.GROUP)
    ours, theirs = trainee_of(group, candidate), trainee_of(group, other_trainee)
    add_entry(ours, head_actions="Запись стажёра школы А")
    add_entry(theirs, head_actions="Запись стажёра школы Б")
    detail = reverse("mentoring:internship_detail", args=[group.pk])
    for person, own, foreign in (
        (candidate, ours, theirs),
        (principal_a, ours, theirs),
        (other_trainee, theirs, ours),
        (principal_b, theirs, ours),
    ):
        client = login(person)
        page = client.get(detail, {"trainee": foreign.pk}).content.decode()
        assert own.entries.get().head_actions in page
        assert foreign.entries.get().head_actions not in page
        pdf = reverse("mentoring:trainee_report_file", args=[foreign.pk])
        assert client.get(pdf).status_code == 404
    page = login(mentor).get(detail, {"trainee": theirs.pk}).content.decode()
    assert "Запись стажёра школы Б" in page and "Запись стажёра школы А" not in page
    page = login(mentor).get(detail).content.decode()
    assert "Запись стажёра школы А" in page  # the first tab by default
