"""Assigning trainees: every bad input is refused with a message naming the field, and nothing
is written; a good one creates the internship with its trainees and competencies."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mentoring.assignment import add_trainee, create_internship, trainee_organization
from mentoring.models import Form, Internship, Stage, Trainee
from tests.conftest import make_org, make_person
from tests.mentoring.site_helpers import (
    TODAY,
    give_role,
    make_agreement,
    make_internship,
    make_site,
)
from trajectories.models import Competency
from zelenchuk_portal.models import Role

START, END = date(2025, 3, 10), date(2025, 4, 30)


@pytest.fixture
def site(mentor):
    return make_site(mentor.memberships.get().organization, capacity=2)


@pytest.fixture
def good(site, mentor, principal_a, official):
    """The arguments of a valid individual internship for principal A."""
    return {
        "theme": "Внутренняя система оценки качества образования",
        "form": Form.INDIVIDUAL,
        "start_date": START,
        "end_date": END,
        "base_site": site,
        "mentor": mentor,
        "trainees": [principal_a],
        "by": official,
        "today": TODAY,
    }


def refused(arguments) -> dict[str, list[str]]:
    """The errors of a refused call, with nothing written."""
    before = (Internship.objects.count(), Trainee.objects.count())
    with pytest.raises(ValidationError) as caught:
        create_internship(**arguments)
    assert (Internship.objects.count(), Trainee.objects.count()) == before
    return caught.value.message_dict


@pytest.mark.django_db
def test_a_good_assignment_creates_the_internship_with_its_trainee(good, org_a, principal_a):
    competencies = list(Competency.objects.filter(code__in=("2.3", "4.1")))
    internship = create_internship(**good, competencies=competencies)
    assert internship.stage == Stage.PRELIMINARY
    assert internship.created_by == good["by"]
    assert set(internship.competencies.values_list("code", flat=True)) == {"2.3", "4.1"}
    trainee = internship.trainees.get()
    assert (trainee.person, trainee.organization) == (principal_a, org_a)


@pytest.mark.django_db
def test_a_trainee_from_the_mentors_own_organisation_is_refused(good, site):
    colleague = make_person("deputy", Role.CANDIDATE, site.organization)
    errors = refused({**good, "trainees": [colleague]})
    assert errors == {
        "trainees": [
            _(
                "%(person)s works in %(organization)s, the mentor's own organisation: "
                "choose a mentor from another organisation."
            )
            % {"person": colleague.short_name, "organization": site.organization}
        ]
    }


@pytest.mark.django_db
def test_a_mentor_who_also_works_in_the_trainees_organisation_is_refused(good, mentor, org_a):
    give_role(mentor, Role.CANDIDATE, org_a)
    assert list(refused(good)) == ["trainees"]


@pytest.mark.django_db
def test_a_person_without_the_mentor_role_at_the_site_is_refused(good, principal_b):
    errors = refused({**good, "mentor": principal_b})
    assert errors["mentor"] == [
        _("%(person)s does not hold the mentor role at %(site)s.")
        % {"person": principal_b.short_name, "site": good["base_site"]}
    ]


@pytest.mark.django_db
def test_an_inactive_base_site_is_refused(good, site):
    site.is_active = False
    site.save()
    assert list(refused(good)) == ["base_site"]


@pytest.mark.django_db
def test_the_capacity_counts_open_overlapping_internships(good, site, mentor, official, org_b):
    others = [(make_person(f"t{n}", Role.CANDIDATE, org_b), org_b) for n in range(2)]
    make_internship(site, mentor, others, by=official, start=date(2025, 4, 1), end=date(2025, 6, 1))
    errors = refused(good)
    assert errors["base_site"] == [
        _(
            "The capacity of %(site)s is %(capacity)s; for these dates %(busy)s places are "
            "taken and %(free)s free, while %(count)s trainees are chosen."
        )
        % {"site": site, "capacity": 2, "busy": 2, "free": 0, "count": 1}
    ]
    # Before those dates the places are free, and a completed internship frees its places.
    assert create_internship(**{**good, "end_date": date(2025, 3, 31)})
    Internship.objects.filter(start_date=date(2025, 4, 1)).update(stage=Stage.COMPLETED)
    assert create_internship(**{**good, "start_date": date(2025, 4, 1)})


@pytest.mark.django_db
def test_a_group_larger_than_the_free_places_is_refused(good, principal_b, candidate):
    errors = refused(
        {**good, "form": Form.GROUP, "trainees": [principal_b, candidate, good["trainees"][0]]}
    )
    assert list(errors) == ["base_site"]


@pytest.mark.django_db
def test_an_expired_agreement_is_refused(good, site, org_a):
    agreement = make_agreement(site, org_a, start=date(2024, 1, 1), end=date(2025, 2, 28))
    errors = refused({**good, "agreement": agreement})
    assert errors == {
        "agreement": [
            _("The agreement %(agreement)s expired on %(day)s.")
            % {"agreement": agreement, "day": "28.02.2025"}
        ]
    }


@pytest.mark.django_db
def test_an_agreement_not_covering_the_dates_or_of_another_site_is_refused(
    good, site, org_a, org_b
):
    short = make_agreement(site, org_a, start=date(2024, 9, 1), end=date(2025, 3, 31))
    assert list(refused({**good, "agreement": short})) == ["agreement"]
    other = make_agreement(make_site(org_b), org_a)
    errors = refused({**good, "agreement": other})
    assert errors["agreement"] == [
        _("The agreement %(agreement)s belongs to another base site.") % {"agreement": other}
    ]
    valid = make_agreement(site, org_a)
    assert create_internship(**{**good, "agreement": valid}).agreement == valid


@pytest.mark.django_db
@pytest.mark.parametrize("form", [Form.INDIVIDUAL, Form.IN_PERSON, Form.REMOTE])
def test_single_trainee_forms_take_exactly_one(good, principal_b, form):
    errors = refused({**good, "form": form, "trainees": [good["trainees"][0], principal_b]})
    assert errors["trainees"] == [
        _("The form «%(form)s» takes one trainee; %(count)s are chosen.")
        % {"form": Form(form).label, "count": 2}
    ]


@pytest.mark.django_db
def test_a_group_takes_at_least_two_and_nobody_is_refused(good, principal_b, org_b, org_a):
    errors = refused({**good, "form": Form.GROUP})
    assert errors["trainees"] == [
        _("A group internship takes at least two trainees; only one is chosen.")
    ]
    assert refused({**good, "trainees": []})["trainees"] == [_("Choose the trainees.")]
    internship = create_internship(
        **{**good, "form": Form.GROUP, "trainees": [*good["trainees"], principal_b]}
    )
    assert dict(internship.trainees.values_list("person__username", "organization")) == {
        "principal_a": org_a.pk,
        "principal_b": org_b.pk,
    }


@pytest.mark.django_db
def test_every_problem_is_reported_at_once(good, expert):
    errors = refused(
        {
            **good,
            "theme": "  ",
            "form": "lecture",
            "start_date": date(2025, 4, 1),
            "end_date": date(2025, 3, 1),
            "mentor": expert,
            "trainees": [expert],
        }
    )
    assert set(errors) == {"theme", "form", "end_date", "mentor", "trainees"}
    assert errors["end_date"] == [
        _("The end of the internship (%(end)s) is before its start (%(start)s).")
        % {"end": "01.03.2025", "start": "01.04.2025"}
    ]
    assert errors["trainees"] == [
        _("%(person)s: the registry has no current place of work.") % {"person": expert.short_name}
    ]


@pytest.mark.django_db
def test_the_trainees_organisation_is_where_he_or_she_is_head_first(org_a, org_b):
    person = make_person("both", Role.CANDIDATE, org_a)
    assert trainee_organization(person) == org_a
    give_role(person, Role.PRINCIPAL, org_b)
    assert trainee_organization(person) == org_b
    give_role(person, Role.PRINCIPAL, org_a, end_date=date(2020, 1, 1))
    assert trainee_organization(person) == org_b
    assert trainee_organization(make_person("nobody", None)) is None


# --- Adding a trainee ----------------------------------------------------------------------------


def add_refused(internship, person, official) -> list[str]:
    before = Trainee.objects.count()
    with pytest.raises(ValidationError) as caught:
        add_trainee(internship, person, by=official, today=TODAY)
    assert Trainee.objects.count() == before
    return (
        caught.value.message_dict["trainees"]
        if "trainees" in caught.value.message_dict
        else list(caught.value.message_dict)
    )


@pytest.mark.django_db
def test_a_trainee_is_added_to_a_group(good, principal_b, candidate, org_a, official, site):
    site.capacity = 3
    site.save()
    internship = create_internship(
        **{**good, "form": Form.GROUP, "trainees": [good["trainees"][0], principal_b]}
    )
    trainee = add_trainee(internship, candidate, by=official, today=TODAY)
    assert (trainee.person, trainee.organization) == (candidate, org_a)
    assert add_refused(internship, candidate, official) == [
        _("%(person)s is a trainee of this internship already.") % {"person": candidate.short_name}
    ]
    assert add_refused(internship, make_person("x", Role.CANDIDATE, make_org("X1")), official) == [
        "base_site"
    ]


@pytest.mark.django_db
def test_adding_follows_the_form_the_mentor_and_the_stage(good, principal_b, official, site):
    internship = create_internship(**good)
    assert add_refused(internship, principal_b, official) == [
        _("The form «%(form)s» takes one trainee, and the internship has one already.")
        % {"form": Form.INDIVIDUAL.label}
    ]
    Internship.objects.filter(pk=internship.pk).update(form=Form.GROUP, stage=Stage.COMPLETED)
    internship.refresh_from_db()
    assert _("The internship is completed: no trainee can be added.") in add_refused(
        internship, principal_b, official
    )
    Internship.objects.filter(pk=internship.pk).update(stage=Stage.MAIN)
    internship.refresh_from_db()
    colleague = make_person("deputy", Role.CANDIDATE, site.organization)
    assert len(add_refused(internship, colleague, official)) == 1
