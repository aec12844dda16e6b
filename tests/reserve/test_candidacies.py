"""The candidacy's way through the reserve, the domain: nomination (an official's, a head's with
approval, a new person's), enrolment, the status flow with its illegal moves, appointment and
removal, training and contests, the official's readiness decision and the dated history.

Every refusal is checked for its message and for leaving the data as it was. Messages are
compared through gettext under the Russian locale, so the test reads the catalogue's wording.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext as _

from reserve import candidacies as domain
from reserve.models import Candidacy, ReadinessReview, Status, StatusChange, Training
from tests.conftest import make_org, make_person
from tests.reserve.conftest import (
    ENROLLED,
    NOMINATED,
    enrol_in,
    new_person,
    nominate_in,
    pdf_upload,
)
from zelenchuk_portal.models import Membership, Period, PeriodStatus, Role, User


@pytest.fixture(autouse=True)
def _russian():
    with translation.override("ru"):
        yield


def refused(call, **kwargs) -> dict[str, list[str]] | list[str]:
    """The messages of the ValidationError `call` raises (by field when keyed)."""
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    exc = error.value
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def snapshot(candidacy: Candidacy) -> tuple:
    candidacy.refresh_from_db()
    return (
        candidacy.status,
        candidacy.enrolled_on,
        candidacy.enrolment_order,
        candidacy.left_on,
        candidacy.removal_reason,
        candidacy.appointed_position,
        StatusChange.objects.filter(candidacy=candidacy).count(),
        Membership.objects.filter(user=candidacy.person, end_date__isnull=True).count(),
    )


def next_period() -> Period:
    return Period.objects.create(
        label="2025/2026",
        start_date=date(2025, 9, 1),
        end_date=date(2026, 8, 31),
        status=PeriodStatus.OPEN,
    )


# --- Nomination ----------------------------------------------------------------------------------


def test_an_official_s_nomination_is_approved_at_once(official, org_a, org_b, period):
    person = new_person("Иванова", "Ольга", "Петровна")
    candidacy = nominate_in(
        person, org_a, official, target_position="директор", target_organization=org_b
    )
    assert candidacy.period == period
    assert (candidacy.approved_on, candidacy.approved_by) == (NOMINATED, official)
    assert candidacy.status == Status.NOMINEE and not candidacy.awaits_approval
    change = candidacy.changes.get()
    assert (change.status, change.on, change.by) == (Status.NOMINEE, NOMINATED, official)


def test_a_head_s_nomination_waits_for_an_official(staff_nomination, official, principal_a):
    candidacy = staff_nomination
    assert candidacy.awaits_approval and candidacy.nominated_by == principal_a
    message = refused(domain.enrol, candidacy=candidacy, order="1-к", on=ENROLLED, by=official)
    assert message == [_("The head's nomination awaits an official's approval: approve it first.")]
    assert refused(domain.approve, candidacy=candidacy, by=principal_a, on=ENROLLED) == [
        _("Only a district official decides on a head's nomination.")
    ]
    domain.approve(candidacy, by=official, on=date(2024, 10, 3))
    assert (candidacy.approved_on, candidacy.approved_by) == (date(2024, 10, 3), official)
    domain.enrol(candidacy, order="1-к", on=ENROLLED, by=official)
    entries = domain.history(candidacy)
    assert [(e.event, e.status, e.on) for e in entries] == [
        ("status", Status.NOMINEE, NOMINATED),
        ("approved", Status.NOMINEE, date(2024, 10, 3)),
        ("status", Status.ENROLLED, ENROLLED),
    ]
    assert [e.by for e in entries] == [principal_a, official, official]


def test_a_head_nominates_only_his_or_her_own_staff(principal_a, org_b, period):
    person = new_person("Петров", "Пётр")
    errors = refused(nominate_in, person=person, organization=org_b, by=principal_a)
    assert errors == {
        "organization": [_("A head nominates people of his or her own organisation.")]
    }
    assert not Candidacy.objects.exists()


def test_nominating_a_person_twice_in_the_same_period_is_refused(official, org_a, period):
    person = new_person("Иванова", "Ольга", "Петровна")
    first = nominate_in(person, org_a, official)
    domain.change_status(first, Status.REMOVED, on=date(2024, 11, 1), by=official, comment="Отказ")
    errors = refused(nominate_in, person=person, organization=org_a, by=official, on=ENROLLED)
    message = _("%(person)s has already been nominated to the reserve in %(period)s.")
    assert errors == {"person": [message % {"person": person.full_name, "period": "2024/2025"}]}
    assert Candidacy.objects.filter(person=person).count() == 1


def test_a_person_with_an_active_candidacy_cannot_be_nominated_again(official, org_a, period):
    person = new_person("Иванова", "Ольга", "Петровна")
    first = enrol_in(person, org_a, official)
    later = next_period()
    errors = refused(
        nominate_in, person=person, organization=org_a, by=official, on=date(2025, 9, 10)
    )
    message = _(
        "%(person)s is already a reserve candidate (nominated on %(date)s, status "
        "«%(status)s»): appoint or remove him or her first."
    )
    status = Status.ENROLLED.label
    assert errors["person"] == [
        message % {"person": person.full_name, "date": "01.10.2024", "status": status}
    ]
    domain.change_status(first, Status.REMOVED, on=date(2025, 6, 1), by=official, comment="Сам")
    again = nominate_in(person, org_a, official, on=date(2025, 9, 10))
    assert again.period == later


def test_nomination_needs_a_period_a_position_and_a_reason(official, org_a, period):
    person = new_person("Иванова", "Ольга")
    errors = refused(
        nominate_in,
        person=person,
        organization=org_a,
        by=official,
        on=date(2030, 1, 1),
        position=" ",
        reason="",
        management_since=date(2031, 1, 1),
    )
    assert errors == {
        "position": [_("State the person's current position.")],
        "reason": [_("State the reason for the nomination.")],
        "on": [
            _("No reporting period contains %(date)s: add the period first.")
            % {"date": "01.01.2030"}
        ],
        "management_since": [
            _("Managerial experience cannot start after the nomination date (%(date)s).")
            % {"date": "01.01.2030"}
        ],
    }
    assert not Candidacy.objects.exists()


def test_a_new_person_is_registered_with_a_unique_login_and_no_password(official, org_a, period):
    make_person("ivanova.op", None)
    candidacy = domain.nominate_new_person(
        last_name="Иванова",
        first_name="Ольга",
        patronymic="Петровна",
        birth_date=date(1988, 3, 2),
        organization=org_a,
        position="заместитель директора",
        reason="Инициатива",
        by=official,
        on=NOMINATED,
    )
    person = candidacy.person
    assert person.username == "ivanova.op2"
    assert not person.has_usable_password()
    assert (person.full_name, person.birth_date) == ("Иванова Ольга Петровна", date(1988, 3, 2))
    assert domain.username_for("Щёголев", "Юрий", "Ильич") == "shchegolev.yi"


def test_a_refused_nomination_registers_nobody(official, org_a, period):
    people = User.objects.count()
    errors = refused(
        domain.nominate_new_person,
        last_name="Иванова",
        first_name="Ольга",
        organization=org_a,
        position="заместитель директора",
        reason="",
        by=official,
        on=NOMINATED,
    )
    assert errors == {"reason": [_("State the reason for the nomination.")]}
    assert User.objects.count() == people


def test_rejecting_a_head_s_nomination_needs_the_reason(staff_nomination, official):
    candidacy = staff_nomination
    before = snapshot(candidacy)
    errors = refused(domain.reject, candidacy=candidacy, by=official, on=ENROLLED, reason=" ")
    assert errors == {"reason": [_("State why the nomination is rejected.")]}
    assert snapshot(candidacy) == before
    domain.reject(candidacy, by=official, on=ENROLLED, reason="Стаж менее года")
    assert (candidacy.status, candidacy.left_on) == (Status.REMOVED, ENROLLED)
    assert candidacy.removal_reason == "Стаж менее года"


def test_editing_the_nomination_keeps_the_rules(candidacy, official, org_b):
    errors = refused(
        domain.update_nomination,
        candidacy=candidacy,
        by=official,
        position="",
        reason="Новое основание",
    )
    assert errors == {"position": [_("State the person's current position.")]}
    candidacy.refresh_from_db()
    assert candidacy.position == "заместитель директора по УВР"
    domain.update_nomination(
        candidacy,
        by=official,
        position="заместитель директора по ВР",
        reason="Новое основание",
        target_organization=org_b,
    )
    candidacy.refresh_from_db()
    assert (candidacy.position, candidacy.target_organization) == (
        "заместитель директора по ВР",
        org_b,
    )


# --- Enrolment -----------------------------------------------------------------------------------


def test_enrolment_before_the_nomination_is_refused(official, org_a, period):
    person = new_person("Иванова", "Ольга")
    candidacy = nominate_in(person, org_a, official)
    before = snapshot(candidacy)
    errors = refused(domain.enrol, candidacy=candidacy, order="", on=date(2024, 9, 30), by=official)
    assert errors == {
        "order": [_("Enter the number of the enrolment order.")],
        "on": [
            _("The enrolment date %(date)s is before the nomination date %(nominated)s.")
            % {"date": "30.09.2024", "nominated": "01.10.2024"}
        ],
    }
    assert snapshot(candidacy) == before


def test_enrolment_grants_the_candidate_s_role_once(official, org_a, candidate, period):
    person = new_person("Иванова", "Ольга")
    candidacy = enrol_in(person, org_a, official, order=" Приказ № 15-к ")
    assert (candidacy.status, candidacy.enrolment_order, candidacy.enrolled_on) == (
        Status.ENROLLED,
        "15-к",
        ENROLLED,
    )
    role = Membership.objects.get(user=person)
    assert (role.role, role.organization, role.start_date) == (Role.CANDIDATE, org_a, ENROLLED)
    assert Membership.objects.filter(user=candidate).count() == 1
    enrol_in(candidate, org_a, official)  # already holds the role in school A
    assert Membership.objects.filter(user=candidate).count() == 1
    assert refused(domain.enrol, candidacy=candidacy, order="2", on=ENROLLED, by=official) == [
        _("Only a nominee can be enrolled; the candidate is «%(status)s».")
        % {"status": Status.ENROLLED.label}
    ]


# --- The status flow -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Status.TRAINING),
        ([], Status.APPOINTED),
        ([Status.ENROLLED, Status.REMOVED], Status.TRAINING),
        ([Status.ENROLLED, Status.TRAINING], Status.ENROLLED),
        ([Status.ENROLLED, Status.READY], Status.READY),
    ],
)
def test_illegal_moves_are_refused(official, org_a, period, path, illegal):
    candidacy = nominate_in(new_person("Иванова", "Ольга"), org_a, official)
    day = ENROLLED
    for status in path:
        if status == Status.ENROLLED:
            domain.enrol(candidacy, order="1", on=day, by=official)
        else:
            domain.change_status(candidacy, status, on=day, by=official, comment="причина")
    before = snapshot(candidacy)
    messages = refused(
        domain.change_status,
        candidacy=candidacy,
        status=illegal,
        on=day,
        by=official,
        comment="причина",
        position="директор",
        organization=org_a,
    )
    message = _("A candidate who is «%(current)s» cannot become «%(new)s».") % {
        "current": candidacy.get_status_display(),
        "new": dict(Status.choices)[illegal],
    }
    assert messages == {"__all__": [message]}
    assert snapshot(candidacy) == before


def test_appointing_someone_not_ready_needs_a_confirming_comment(candidacy, official, org_b):
    before = snapshot(candidacy)
    errors = refused(
        domain.change_status,
        candidacy=candidacy,
        status=Status.APPOINTED,
        on=date(2025, 6, 1),
        by=official,
        position="директор",
        organization=org_b,
    )
    message = _(
        "%(person)s is not marked ready for appointment: confirm the decision to appoint him or "
        "her with a comment."
    )
    assert errors == {"comment": [message % {"person": "Candidate Т."}]}
    assert snapshot(candidacy) == before
    domain.change_status(
        candidacy,
        Status.APPOINTED,
        on=date(2025, 6, 1),
        by=official,
        position="директор",
        organization=org_b,
        comment="Назначение по решению комиссии",
    )
    assert (candidacy.status, candidacy.left_on) == (Status.APPOINTED, date(2025, 6, 1))
    assert (candidacy.appointed_position, candidacy.appointed_organization) == ("директор", org_b)
    assert not Membership.objects.current(date(2025, 6, 2)).filter(
        user=candidacy.person, role=Role.CANDIDATE
    )


def test_appointing_a_ready_candidate_needs_the_post_only(candidacy, official, org_b):
    domain.change_status(candidacy, Status.READY, on=date(2025, 5, 1), by=official)
    errors = refused(
        domain.change_status,
        candidacy=candidacy,
        status=Status.APPOINTED,
        on=date(2025, 6, 1),
        by=official,
    )
    assert errors == {
        "position": [_("State the position the person is appointed to.")],
        "organization": [_("Choose the organisation the person is appointed to.")],
    }
    domain.change_status(
        candidacy,
        Status.APPOINTED,
        on=date(2025, 6, 1),
        by=official,
        position="директор",
        organization=org_b,
    )
    assert candidacy.status == Status.APPOINTED
    assert [c.status for c in candidacy.changes.all()] == [
        Status.NOMINEE,
        Status.ENROLLED,
        Status.READY,
        Status.APPOINTED,
    ]


def test_removal_needs_a_reason_and_ends_the_candidate_s_role(candidacy, official):
    before = snapshot(candidacy)
    errors = refused(
        domain.change_status,
        candidacy=candidacy,
        status=Status.REMOVED,
        on=date(2025, 2, 1),
        by=official,
    )
    assert errors == {"comment": [_("State the reason for the removal.")]}
    assert snapshot(candidacy) == before
    domain.change_status(
        candidacy,
        Status.REMOVED,
        on=date(2025, 2, 1),
        by=official,
        comment="По собственному желанию",
    )
    assert (candidacy.removal_reason, candidacy.left_on) == (
        "По собственному желанию",
        date(2025, 2, 1),
    )
    role = Membership.objects.get(user=candidacy.person, role=Role.CANDIDATE)
    assert role.end_date == date(2025, 2, 1)


def test_a_move_cannot_be_dated_before_the_last_change(candidacy, official):
    before = snapshot(candidacy)
    errors = refused(
        domain.change_status,
        candidacy=candidacy,
        status=Status.TRAINING,
        on=date(2024, 10, 14),
        by=official,
    )
    message = _("The date %(date)s is before the candidacy's last recorded change (%(last)s).")
    assert errors == {"on": [message % {"date": "14.10.2024", "last": "15.10.2024"}]}
    assert snapshot(candidacy) == before


# --- Training and contests -----------------------------------------------------------------------


HOURS = "The number of hours must be a positive whole number; %(hours)s is not."
ENDS_BEFORE = "The training ends (%(end)s) before it starts (%(start)s)."


def training_values(**changes):
    values = {
        "programme": "Управление школой",
        "provider": "КЧРИПКРО",
        "hours": 72,
        "start_date": date(2024, 11, 1),
        "end_date": date(2024, 11, 30),
    }
    values.update(changes)
    return values


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"hours": -8}, {"hours": [(HOURS, {"hours": -8})]}),
        ({"hours": 0}, {"hours": [(HOURS, {"hours": 0})]}),
        (
            {"end_date": date(2024, 10, 31)},
            {"end_date": [(ENDS_BEFORE, {"end": "31.10.2024", "start": "01.11.2024"})]},
        ),
        (
            {"programme": "", "provider": " ", "hours": None},
            {
                "programme": [("Enter the training programme.", {})],
                "provider": [("Enter who provided the training.", {})],
                "hours": [("Enter the number of hours.", {})],
            },
        ),
    ],
)
def test_bad_training_records_are_refused(candidacy, official, changes, errors):
    expected = {
        field: [_(msgid) % params if params else _(msgid) for msgid, params in messages]
        for field, messages in errors.items()
    }
    values = training_values(**changes)
    assert refused(domain.add_training, candidacy=candidacy, by=official, **values) == expected
    assert not Training.objects.exists()


def test_a_training_document_is_checked_by_its_content(candidacy, official):
    fake = SimpleUploadedFile(
        "certificate.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    errors = refused(
        domain.add_training, candidacy=candidacy, by=official, document=fake, **training_values()
    )
    assert list(errors) == ["document"] and "certificate.pdf" in errors["document"][0]
    assert not Training.objects.exists()
    training = domain.add_training(
        candidacy, by=official, document=pdf_upload("../Удостоверение №5.pdf"), **training_values()
    )
    assert training.document_name == "Удостоверение №5.pdf"
    assert training.document.name.endswith(".pdf") and "Удостоверение" not in training.document.name


def test_a_new_document_replaces_the_old_one(training, official):
    old = training.document.name
    storage = training.document.storage
    domain.update_training(
        training, by=official, document=pdf_upload("Диплом.pdf"), **training_values(hours=40)
    )
    training.refresh_from_db()
    assert (training.hours, training.document_name) == (40, "Диплом.pdf")
    assert not storage.exists(old) and storage.exists(training.document.name)
    errors = refused(
        domain.update_training, training=training, by=official, **training_values(hours=-1)
    )
    assert list(errors) == ["hours"]
    training.refresh_from_db()
    assert training.hours == 40
    current = training.document.name
    domain.delete_training(training, official)
    assert not storage.exists(current) and not Training.objects.exists()


def test_contests_need_a_name_a_level_a_result_and_a_date(candidacy, official):
    errors = refused(
        domain.add_contest,
        candidacy=candidacy,
        name="",
        level="world",
        result="",
        held_on=None,
        by=official,
    )
    assert errors == {
        "name": [_("Enter the name of the contest.")],
        "level": [_("Choose the contest's level.")],
        "result": [_("Choose the result.")],
        "held_on": [_("Enter the date of the contest.")],
    }
    assert not candidacy.contests.exists()


# --- Readiness decisions -------------------------------------------------------------------------


def test_overriding_the_evidence_needs_a_comment(candidacy, official):
    """No plan, no training, no scores: 0 % by the evidence, so «ready» is an override."""
    before = snapshot(candidacy)
    errors = refused(
        domain.confirm_readiness,
        candidacy=candidacy,
        ready=True,
        comment="",
        by=official,
        today=date(2025, 5, 1),
    )
    message = _(
        "Your decision differs from the evidence (readiness %(score)s): explain it in a comment."
    )
    assert errors == {"comment": [message % {"score": "0 %"}]}
    assert snapshot(candidacy) == before and not ReadinessReview.objects.exists()
    review = domain.confirm_readiness(
        candidacy,
        ready=True,
        comment="Успешно руководит школой в отпуске директора",
        by=official,
        today=date(2025, 5, 1),
    )
    assert candidacy.status == Status.READY
    assert (review.computed_score, review.computed_ready, review.ready) == (0, False, True)
    assert review.overrides and [c["key"] for c in review.breakdown] == [
        "plan",
        "training",
        "internship",
        "trend",
    ]
    change = candidacy.changes.last()
    assert (change.status, change.on, change.comment) == (
        Status.READY,
        date(2025, 5, 1),
        "Успешно руководит школой в отпуске директора",
    )


def test_not_ready_moves_a_ready_candidate_back_to_training(candidacy, official):
    domain.change_status(candidacy, Status.READY, on=date(2025, 4, 1), by=official)
    review = domain.confirm_readiness(
        candidacy, ready=False, comment="", by=official, today=date(2025, 5, 1)
    )
    assert not review.overrides and candidacy.status == Status.TRAINING
    # Confirming «not ready» of somebody in training changes no status.
    domain.confirm_readiness(
        candidacy, ready=False, comment="", by=official, today=date(2025, 5, 2)
    )
    assert candidacy.changes.count() == 4 and ReadinessReview.objects.count() == 2


def test_readiness_is_reviewed_only_in_the_reserve(staff_nomination, official):
    assert refused(
        domain.confirm_readiness, candidacy=staff_nomination, ready=False, comment="", by=official
    ) == [
        _("Readiness is reviewed for people in the reserve; the candidate is «%(status)s».")
        % {"status": Status.NOMINEE.label}
    ]


def test_allowed_moves_follow_the_flow(candidacy, official):
    assert domain.allowed_moves(candidacy) == (
        Status.TRAINING,
        Status.READY,
        Status.APPOINTED,
        Status.REMOVED,
    )
    domain.change_status(
        candidacy, Status.REMOVED, on=date(2025, 1, 1), by=official, comment="Переезд"
    )
    assert domain.allowed_moves(candidacy) == ()


def test_the_org_of_a_closed_school_cannot_receive_nominations(official, period):
    closed = make_org("Z09", is_active=False)
    errors = refused(
        nominate_in, person=new_person("Иванова", "Ольга"), organization=closed, by=official
    )
    assert errors == {"organization": [_("The organisation «%s» is closed.") % "Школа Z09"]}
