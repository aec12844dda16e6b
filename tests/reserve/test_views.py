"""The candidate pages: the list with its filters, counts and Excel export; nomination by an
official and by a head (with approval); the candidate's page and every action on it, bad input
explained next to the field and leaving the data as it was; the candidate's own page; and the
query counts of the list."""

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from reserve import candidacies as domain
from reserve.models import Candidacy, Contest, ReadinessReview, Status, StatusChange, Training
from tests.conftest import count_queries, make_org, make_person
from tests.reserve.conftest import ENROLLED, PDF, enrol_in, new_person, nominate_in, pdf_upload
from zelenchuk_portal.models import Role, User


def text(response) -> str:
    return response.content.decode()


def has(response, message: str) -> bool:
    """The message is on the page (escaped when it comes from a variable, as is from a tag)."""
    return escape(message) in text(response) or message in text(response)


def detail(candidacy):
    return reverse("reserve:candidate_detail", args=[candidacy.pk])


def action(name, candidacy):
    return reverse(f"reserve:{name}", args=[candidacy.pk])


# --- The list ------------------------------------------------------------------------------------


@pytest.fixture
def district(official, org_a, org_b, period, candidacy, candidacy_b, staff_nomination):
    """Three candidacies: the candidate (A, enrolled), a deputy of B (enrolled), and a teacher
    of A nominated by principal A (awaiting approval); plus one of A removed."""
    removed = enrol_in(new_person("Абаева", "Зарема"), org_a, official)
    domain.change_status(removed, Status.REMOVED, on=date(2025, 1, 10), by=official, comment="Ушла")
    return {"removed": removed}


def names(response) -> list[str]:
    return [c.person.full_name for c in response.context["page"]]


def test_officials_see_every_candidate_with_counts_by_status(login, official, district):
    response = login(official).get(reverse("reserve:candidate_list"))
    assert response.status_code == 200
    assert sorted(names(response)) == [
        "Candidate Тест",
        "Абаева Зарема",
        "Петрова Анна Сергеевна",
        "Хубиев Марат Азаматович",
    ]
    counts = response.context["counts"]
    assert (counts.total, counts.awaiting) == (4, 1)
    assert {row.status: row.count for row in counts.rows} == {
        Status.NOMINEE: 1,
        Status.ENROLLED: 2,
        Status.TRAINING: 0,
        Status.READY: 0,
        Status.APPOINTED: 0,
        Status.REMOVED: 1,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "enrolled"}, ["Candidate Тест", "Хубиев Марат Азаматович"]),
        ({"awaiting": "on"}, ["Петрова Анна Сергеевна"]),
        ({"q": "хуби"}, ["Хубиев Марат Азаматович"]),
        ({"q": "анна петрова"}, ["Петрова Анна Сергеевна"]),
    ],
)
def test_the_list_filters(login, official, district, query, expected):
    response = login(official).get(reverse("reserve:candidate_list"), query)
    assert sorted(names(response)) == expected


def test_filter_by_organisation_and_period(login, official, district, org_b, period):
    client = login(official)
    response = client.get(reverse("reserve:candidate_list"), {"organization": org_b.pk})
    assert names(response) == ["Хубиев Марат Азаматович"]
    response = client.get(
        reverse("reserve:candidate_list"), {"period": period.pk, "status": "removed"}
    )
    assert names(response) == ["Абаева Зарема"]
    # The counts follow every filter but the status, so that each count is a click away.
    assert response.context["counts"].total == 4


def test_a_head_sees_his_or_her_staff_only(login, principal_a, district):
    response = login(principal_a).get(reverse("reserve:candidate_list"))
    assert sorted(names(response)) == [
        "Candidate Тест",
        "Абаева Зарема",
        "Петрова Анна Сергеевна",
    ]
    assert "organization" not in response.context["form"].fields
    assert response.context["counts"].total == 3


def test_the_excel_export_is_the_filtered_list(login, official, district):
    response = login(official).get(reverse("reserve:candidate_export"), {"status": "enrolled"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == _("Person") and rows[0][12] == _("Enrolment order No.")
    assert [row[0] for row in rows[1:]] == ["Candidate Тест", "Хубиев Марат Азаматович"]
    first = rows[1]
    assert first[5] == Status.ENROLLED.label and first[12] == "15-к"
    assert first[13].date() == ENROLLED


def test_the_export_disarms_formulas(login, official, org_a, period):
    person = new_person("=HYPERLINK(1)", "Ольга")
    nominate_in(person, org_a, official, reason="+7 900 000 00 00")
    sheet = load_workbook(
        io.BytesIO(login(official).get(reverse("reserve:candidate_export")).content)
    ).active
    row = list(sheet.iter_rows(values_only=True))[1]
    assert row[0].startswith("'=") and row[9].startswith("'+")


def _candidates(official, organization, count, start=0):
    for n in range(start, start + count):
        person = new_person(f"Кандидатов{n}", "Иван", birth_date=date(1985, 1, 1))
        candidacy = enrol_in(person, organization, official, target_organization=organization)
        domain.add_training(
            candidacy,
            programme="Курс",
            provider="ИПК",
            hours=16,
            start_date=date(2024, 11, 1),
            end_date=date(2024, 11, 2),
            by=official,
        )


@pytest.mark.parametrize("who", ["official", "principal_a"])
@pytest.mark.parametrize("name", ["candidate_list", "candidate_export"])
def test_the_list_keeps_its_query_count(request_fixture, login, official, org_a, period, who, name):
    client = login(request_fixture(who))
    _candidates(official, org_a, 3)
    few = count_queries(client, reverse(f"reserve:{name}"))
    _candidates(official, org_a, 12, start=3)
    assert Candidacy.objects.count() == 15
    assert count_queries(client, reverse(f"reserve:{name}")) == few


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


# --- Nomination ----------------------------------------------------------------------------------


def nomination(**changes):
    data = {
        "position": "заместитель директора по УВР",
        "reason": "Успешно реализовала программу развития школы",
        "target_position": "директор",
        "on": "2024-10-01",
    }
    data.update(changes)
    return data


def test_an_official_nominates_a_person_from_the_registry(login, official, org_a, org_b, period):
    person = make_person("ivanova", Role.CANDIDATE, org_a, last_name="Иванова")
    response = login(official).post(
        reverse("reserve:nominate"),
        nomination(person=person.pk, organization=org_a.pk, target_organization=org_b.pk),
    )
    candidacy = Candidacy.objects.get(person=person)
    assert response.status_code == 302 and response.url == detail(candidacy)
    assert (candidacy.organization, candidacy.target_organization) == (org_a, org_b)
    assert candidacy.approved_by == official


def test_an_official_nominates_a_new_person(login, official, org_a, period):
    response = login(official).post(
        reverse("reserve:nominate"),
        nomination(
            organization=org_a.pk,
            last_name="Байрамукова",
            first_name="Фатима",
            patronymic="Руслановна",
            birth_date="1987-06-21",
        ),
    )
    person = User.objects.get(last_name="Байрамукова")
    assert response.url == detail(person.candidacies.get())
    assert person.username == "bayramukova.fr" and not person.has_usable_password()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"last_name": "Байрамукова", "first_name": "Фатима", "person": "own"},
            "Either choose a person from the registry or enter a new person's name, not both.",
        ),
        ({}, "Choose a person from the registry or enter the new person's name."),
    ],
)
def test_both_or_neither_person_is_explained(login, official, org_a, period, extra, message):
    if extra.get("person") == "own":
        extra["person"] = make_person("ivanova", Role.CANDIDATE, org_a).pk
    people = User.objects.count()
    response = login(official).post(
        reverse("reserve:nominate"), nomination(organization=org_a.pk, **extra)
    )
    assert response.status_code == 200 and has(response, _(message))
    assert not Candidacy.objects.exists() and User.objects.count() == people


def test_nominating_a_person_twice_in_a_period_is_explained(login, official, candidacy, org_a):
    response = login(official).post(
        reverse("reserve:nominate"),
        nomination(person=candidacy.person_id, organization=org_a.pk, on="2025-02-01"),
    )
    message = _("%(person)s has already been nominated to the reserve in %(period)s.") % {
        "person": "Candidate Тест",
        "period": "2024/2025",
    }
    assert response.status_code == 200 and has(response, message)
    assert response.context["form"].errors["person"] == [message]
    assert Candidacy.objects.count() == 1


def test_a_head_s_nomination_is_approved_by_an_official(
    login, principal_a, official, org_a, org_b, period
):
    client = login(principal_a)
    form = client.get(reverse("reserve:nominate")).context["form"]
    assert form.fields["organization"].disabled
    # A head cannot nominate into another school, whatever the browser sends.
    response = client.post(
        reverse("reserve:nominate"),
        nomination(organization=org_b.pk, last_name="Петрова", first_name="Анна"),
    )
    candidacy = Candidacy.objects.get()
    assert candidacy.organization == org_a and candidacy.awaits_approval
    assert response.url == detail(candidacy)
    page = client.get(detail(candidacy))
    assert "forms" not in page.context  # a head has no actions on the page

    client = login(official)
    listing = client.get(reverse("reserve:candidate_list"), {"awaiting": "on"})
    assert [c.pk for c in listing.context["page"]] == [candidacy.pk]
    page = client.get(detail(candidacy))
    assert set(page.context["forms"]) == {"reject"} and page.context["moves"] == []
    client.post(action("candidate_approve", candidacy))
    candidacy.refresh_from_db()
    assert candidacy.approved_by == official and not candidacy.awaits_approval
    assert set(client.get(detail(candidacy)).context["forms"]) == {"enrol"}


def test_rejecting_a_head_s_nomination(login, official, staff_nomination):
    client = login(official)
    response = client.post(action("candidate_reject", staff_nomination), {"reason": ""})
    assert response.status_code == 200
    assert staff_nomination.changes.count() == 1
    client.post(action("candidate_reject", staff_nomination), {"reason": "Недостаточно опыта"})
    staff_nomination.refresh_from_db()
    assert (staff_nomination.status, staff_nomination.removal_reason) == (
        Status.REMOVED,
        "Недостаточно опыта",
    )


# --- The candidate's page ------------------------------------------------------------------------


def test_the_page_shows_the_candidacy(login, official, candidacy, training, contest):
    response = login(official).get(detail(candidacy))
    page = response.context["page"]
    assert [e.status for e in page.history] == [Status.NOMINEE, Status.ENROLLED]
    assert [c.key for c in page.readiness.components] == ["plan", "training", "internship", "trend"]
    content = text(response)
    for fragment in ("15-к", "Лидер в образовании", "Управление образовательной организацией"):
        assert fragment in content
    assert reverse("reserve:training_document", args=[training.pk]) in content
    assert [form.status for form in response.context["moves"]] == [
        Status.TRAINING,
        Status.READY,
        Status.APPOINTED,
        Status.REMOVED,
    ]
    assert set(response.context["forms"]) == {"readiness"}


def test_the_candidate_sees_his_page_without_actions(login, candidate, candidacy, training):
    response = login(candidate).get(detail(candidacy))
    assert response.status_code == 200
    assert "forms" not in response.context and "moves" not in response.context
    assert reverse("reserve:training_edit", args=[training.pk]) not in text(response)


def test_enrolment_before_the_nomination_is_explained(login, official, org_a, period):
    candidacy = nominate_in(new_person("Иванова", "Ольга"), org_a, official)
    response = login(official).post(
        action("candidate_enrol", candidacy), {"order": "12-к", "on": "2024-09-20"}
    )
    message = _("The enrolment date %(date)s is before the nomination date %(nominated)s.") % {
        "date": "20.09.2024",
        "nominated": "01.10.2024",
    }
    assert response.status_code == 200 and has(response, message)
    assert response.context["refused"] == "enrol"
    assert response.context["forms"]["enrol"].errors["on"] == [message]
    candidacy.refresh_from_db()
    assert candidacy.status == Status.NOMINEE and candidacy.enrolled_on is None
    response = login(official).post(
        action("candidate_enrol", candidacy), {"order": "12-к", "on": "2024-10-20"}
    )
    assert response.status_code == 302
    candidacy.refresh_from_db()
    assert (candidacy.status, candidacy.enrolment_order) == (Status.ENROLLED, "12-к")


def test_appointing_someone_not_ready_without_a_comment_is_explained(
    login, official, candidacy, org_b
):
    data = {
        "status": "appointed",
        "on": "2025-06-01",
        "position": "директор",
        "organization": org_b.pk,
    }
    response = login(official).post(action("candidate_move", candidacy), data)
    assert response.status_code == 200 and response.context["refused"] == "appointed"
    message = _(
        "%(person)s is not marked ready for appointment: confirm the decision to appoint him or "
        "her with a comment."
    ) % {"person": "Candidate Т."}
    assert has(response, message)
    candidacy.refresh_from_db()
    assert candidacy.status == Status.ENROLLED and candidacy.left_on is None
    response = login(official).post(
        action("candidate_move", candidacy), {**data, "comment": "Решение аттестационной комиссии"}
    )
    assert response.status_code == 302
    candidacy.refresh_from_db()
    assert (candidacy.status, candidacy.appointed_organization) == (Status.APPOINTED, org_b)


def test_a_move_the_flow_does_not_allow_is_explained(login, official, candidacy):
    response = login(official).post(action("candidate_move", candidacy), {"status": "nominee"})
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        _("A candidate who is «%(current)s» cannot become «%(new)s».")
        % {"current": Status.ENROLLED.label, "new": Status.NOMINEE.label}
    ]
    assert candidacy.changes.count() == 2


def test_the_readiness_decision(login, official, candidacy):
    client = login(official)
    response = client.post(action("readiness_confirm", candidacy), {"ready": "1", "comment": ""})
    assert response.status_code == 200 and response.context["refused"] == "readiness"
    assert not ReadinessReview.objects.exists()
    client.post(action("readiness_confirm", candidacy), {"ready": "1", "comment": "Готова"})
    candidacy.refresh_from_db()
    assert candidacy.status == Status.READY
    review = ReadinessReview.objects.get()
    assert review.overrides and review.comment == "Готова"
    assert "Готова" in text(client.get(detail(candidacy)))


def test_editing_the_nomination(login, official, candidacy, org_b):
    url = action("candidate_edit", candidacy)
    client = login(official)
    assert client.get(url).status_code == 200
    data = {"position": "заместитель директора", "reason": "", "target_organization": org_b.pk}
    response = client.post(url, data)
    assert response.status_code == 200
    candidacy.refresh_from_db()
    assert candidacy.position == "заместитель директора по УВР"
    client.post(url, {**data, "reason": "Новое основание", "management_since": "2018-09-01"})
    candidacy.refresh_from_db()
    assert (candidacy.reason, candidacy.management_since) == ("Новое основание", date(2018, 9, 1))


# --- Training and contests -----------------------------------------------------------------------


def training_data(**changes):
    data = {
        "programme": "Управление изменениями",
        "provider": "КЧРИПКРО",
        "hours": "72",
        "start_date": "2025-01-10",
        "end_date": "2025-02-10",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"hours": "-8"},
            "hours",
            _("The number of hours must be a positive whole number; %(hours)s is not.")
            % {"hours": -8},
        ),
        (
            {"hours": "0"},
            "hours",
            _("The number of hours must be a positive whole number; %(hours)s is not.")
            % {"hours": 0},
        ),
        (
            {"end_date": "2025-01-09"},
            "end_date",
            _("The training ends (%(end)s) before it starts (%(start)s).")
            % {"end": "09.01.2025", "start": "10.01.2025"},
        ),
    ],
)
def test_bad_training_is_explained_next_to_its_field(
    login, official, candidacy, changes, field, message
):
    response = login(official).post(action("training_add", candidacy), training_data(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert has(response, message)
    assert not Training.objects.exists()


def test_training_with_a_document_is_added_edited_and_removed(login, official, candidacy):
    client = login(official)
    upload = pdf_upload("Удостоверение о повышении квалификации.pdf")
    response = client.post(
        action("training_add", candidacy), {**training_data(), "document": upload}
    )
    assert response.status_code == 302
    training = Training.objects.get()
    download = client.get(reverse("reserve:training_document", args=[training.pk]))
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    edit = reverse("reserve:training_edit", args=[training.pk])
    assert client.get(edit).context["form"].initial["hours"] == 72
    client.post(edit, training_data(hours="80"))
    training.refresh_from_db()
    assert training.hours == 80 and training.document_name.startswith("Удостоверение")
    client.post(reverse("reserve:training_delete", args=[training.pk]))
    assert not Training.objects.exists()


def test_a_training_without_a_document_has_nothing_to_download(login, official, candidacy):
    training = domain.add_training(
        candidacy,
        by=official,
        **{
            "programme": "Курс",
            "provider": "ИПК",
            "hours": 8,
            "start_date": date(2025, 1, 1),
            "end_date": date(2025, 1, 2),
        },
    )
    response = login(official).get(reverse("reserve:training_document", args=[training.pk]))
    assert response.status_code == 302 and response.url == detail(candidacy)


def test_contests_are_added_and_removed(login, official, candidacy):
    client = login(official)
    url = action("contest_add", candidacy)
    response = client.post(
        url, {"name": "", "level": "regional", "result": "winner", "held_on": "2025-03-01"}
    )
    assert response.status_code == 200 and not Contest.objects.exists()
    client.post(
        url,
        {"name": "Учитель года", "level": "regional", "result": "winner", "held_on": "2025-03-01"},
    )
    contest = Contest.objects.get()
    assert contest.get_level_display() == _("regional")
    client.post(reverse("reserve:contest_delete", args=[contest.pk]))
    assert not Contest.objects.exists()


# --- The candidate's own page --------------------------------------------------------------------


def test_my_reserve_shows_the_candidate_s_own_candidacy(login, candidate, candidacy, candidacy_b):
    response = login(candidate).get(reverse("reserve:my_reserve"))
    assert response.context["page"].candidacy == candidacy
    assert "Хубиев" not in text(response)
    assert "forms" not in response.context


def test_my_reserve_explains_when_there_is_no_candidacy(login, principal_a, candidacy):
    response = login(principal_a).get(reverse("reserve:my_reserve"))
    assert response.context["page"] is None
    assert has(response, _("You are not in the district's personnel reserve."))


def test_a_candidate_lands_on_my_reserve(client, candidate):
    client.force_login(candidate)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("reserve:my_reserve")


def test_the_history_names_who_changed_what(login, official, candidacy):
    domain.change_status(
        candidacy, Status.TRAINING, on=date(2024, 11, 1), by=official, comment="Курсы"
    )
    response = login(official).get(detail(candidacy))
    history = response.context["page"].history
    assert [(e.status, e.on, e.by) for e in history] == [
        (Status.NOMINEE, date(2024, 10, 1), official),
        (Status.ENROLLED, ENROLLED, official),
        (Status.TRAINING, date(2024, 11, 1), official),
    ]
    assert StatusChange.objects.filter(candidacy=candidacy).count() == 3
    assert "Курсы" in text(response)


def test_the_nav_leads_each_role_to_the_reserve(login, official, principal_a, candidate):
    assert reverse("reserve:candidate_list") in text(login(official).get(reverse("my_account")))
    assert reverse("reserve:candidate_list") in text(login(principal_a).get(reverse("my_account")))
    page = text(login(candidate).get(reverse("my_account")))
    assert 'href="/reserve/my/"' in page and 'href="/reserve/"' not in page


def test_a_closed_school_is_not_offered(login, official, period):
    make_org("Z09", is_active=False, short_name="Закрытая школа")
    response = login(official).get(reverse("reserve:nominate"))
    assert "Закрытая школа" not in text(response)
