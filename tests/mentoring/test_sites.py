"""Base sites: suggestions from monitoring, designating with mentors, editing, deactivating,
load."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mentoring.models import BaseSite, Stage
from mentoring.sites import (
    SiteData,
    deactivate_site,
    designate_site,
    site_load,
    site_mentors,
    suggested_sites,
    trainees_during,
    update_site,
    with_load,
)
from tests.conftest import make_org, make_person
from tests.mentoring.site_helpers import (
    give_role,
    make_internship,
    make_period,
    make_score,
    make_site,
)
from zelenchuk_portal.models import Membership, Role, User

TODAY = date(2025, 3, 3)


def data(mentors, **changes) -> SiteData:
    values = {
        "designated_on": date(2025, 1, 15),
        "order": " 12-о ",
        "themes": "Управление качеством\n\n  Работа с кадровым резервом  \n",
        "capacity": 3,
        "mentors": list(mentors),
        "note": "",
    }
    values.update(changes)
    return SiteData(**values)


def mentor_roles(person, organization):
    return Membership.objects.filter(user=person, role=Role.MENTOR, organization=organization)


# --- Suggestions ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_suggestions_are_the_dashboards_high_effectiveness_list_minus_active_sites(period):
    earlier = make_period("2023/2024", 2023)
    steady, flagged, newcomer, sited, paused = (
        make_org(code, short_name=f"МКОУ «{code}»") for code in ("H1", "H2", "H3", "H4", "H5")
    )
    for org in (steady, flagged, sited, paused):
        make_score(earlier, org)
    for org in (steady, newcomer, sited, paused):
        make_score(period, org)
    make_score(period, flagged, risk_flags=[{"kind": "critical", "indicator": "B1.1"}])
    make_site(sited)
    make_site(paused, active=False)
    suggested = suggested_sites()
    assert [row.organization_id for row in suggested] == [steady.pk, paused.pk]
    assert suggested[0].level_label == "высокий"
    assert suggested_sites(earlier) == []  # no period before it to run two periods


@pytest.mark.django_db
def test_no_scores_no_suggestions(period):
    assert suggested_sites() == []


# --- Designating ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_designating_grants_the_chosen_staff_the_mentor_role_from_today(
    org_a, principal_a, candidate, official
):
    site = designate_site(org_a, data([principal_a, candidate]), by=official, today=TODAY)
    assert (site.order, site.capacity, site.is_active) == ("12-о", 3, True)
    assert site.theme_list == ["Управление качеством", "Работа с кадровым резервом"]
    role = mentor_roles(principal_a, org_a).get()
    assert (role.start_date, role.end_date) == (TODAY, None)
    assert mentor_roles(candidate, org_a).count() == 1


@pytest.mark.django_db
def test_a_mentor_role_already_held_is_not_duplicated(org_a, principal_a, official):
    give_role(principal_a, Role.MENTOR, org_a, start_date=date(2023, 1, 1))
    designate_site(org_a, data([principal_a]), by=official, today=TODAY)
    assert mentor_roles(principal_a, org_a).get().start_date == date(2023, 1, 1)


def refused(call) -> dict:
    counts = (BaseSite.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert (BaseSite.objects.count(), Membership.objects.count()) == counts
    return caught.value.message_dict


@pytest.mark.django_db
def test_only_people_working_there_can_be_its_mentors(org_a, principal_b, official):
    errors = refused(lambda: designate_site(org_a, data([principal_b]), by=official))
    assert errors == {
        "mentors": [
            _("%(person)s does not work in %(name)s.")
            % {"person": principal_b.short_name, "name": org_a}
        ]
    }


@pytest.mark.django_db
def test_every_missing_detail_is_reported_at_once(org_a, official):
    errors = refused(lambda: designate_site(org_a, data([], themes=" \n", capacity=0), by=official))
    assert errors == {
        "themes": [_("Name at least one theme the site can host.")],
        "capacity": [_("The capacity must be at least one trainee.")],
        "mentors": [_("Choose at least one mentor.")],
    }


@pytest.mark.django_db
def test_an_active_site_is_not_designated_twice_an_inactive_one_is_revived(
    org_a, principal_a, official
):
    site = make_site(org_a)
    give_role(principal_a, Role.MENTOR, org_a)
    errors = refused(lambda: designate_site(org_a, data([principal_a]), by=official))
    assert errors == {"organization": [_("%(name)s is a base site already.") % {"name": org_a}]}
    BaseSite.objects.filter(pk=site.pk).update(is_active=False)
    revived = designate_site(org_a, data([principal_a], capacity=5), by=official)
    assert (revived.pk, revived.is_active, revived.capacity) == (site.pk, True, 5)


@pytest.mark.django_db
def test_a_closed_organisation_is_not_designated(official):
    closed = make_org("Z9", is_active=False)
    person = make_person("z", Role.PRINCIPAL, closed)
    assert list(refused(lambda: designate_site(closed, data([person]), by=official))) == [
        "organization"
    ]


# --- Editing and deactivating --------------------------------------------------------------------


@pytest.fixture
def site(mentor, official):
    """The mentor's school as a base site, with a second mentor appointed today."""
    school = mentor.memberships.get().organization
    deputy = make_person("deputy", Role.CANDIDATE, school)
    return designate_site(school, data([mentor, deputy]), by=official, today=TODAY)


@pytest.mark.django_db
def test_editing_adds_and_removes_mentors(site, mentor, official):
    school = site.organization
    deputy = User.objects.get(username="deputy")
    newcomer = make_person("newcomer", Role.PRINCIPAL, school)
    update_site(site, data([newcomer, deputy], capacity=4), by=official, today=TODAY)
    assert site_mentors(site) == sorted([newcomer, deputy], key=lambda u: u.last_name)
    # The original mentor's role (held since before today) ends yesterday: history is kept.
    assert mentor_roles(mentor, school).get().end_date == TODAY - timedelta(days=1)
    # A role granted today and taken back today leaves no trace.
    update_site(site, data([newcomer]), by=official, today=TODAY)
    assert not mentor_roles(deputy, school).exists()


@pytest.mark.django_db
def test_a_mentor_with_open_internships_is_not_removed(site, mentor, official, principal_a, org_a):
    make_internship(site, mentor, [(principal_a, org_a)], by=official)
    deputy = User.objects.get(username="deputy")
    errors = refused(lambda: update_site(site, data([deputy]), by=official, today=TODAY))
    assert errors == {
        "mentors": [
            _("%(person)s mentors open internships at this site and cannot be removed.")
            % {"person": mentor.short_name}
        ]
    }


@pytest.mark.django_db
def test_the_capacity_cannot_drop_below_the_trainees_hosted(site, mentor, official, org_b):
    people = [(make_person(f"t{n}", Role.CANDIDATE, org_b), org_b) for n in range(2)]
    make_internship(site, mentor, people, by=official)
    errors = refused(lambda: update_site(site, data([mentor], capacity=1), by=official))
    assert list(errors) == ["capacity"]
    update_site(site, data(site_mentors(site), capacity=2), by=official)
    assert BaseSite.objects.get(pk=site.pk).capacity == 2


@pytest.mark.django_db
def test_deactivating_waits_for_open_internships(site, mentor, official, principal_a, org_a):
    internship = make_internship(site, mentor, [(principal_a, org_a)], by=official)
    with pytest.raises(ValidationError):
        deactivate_site(site, by=official)
    assert BaseSite.objects.get(pk=site.pk).is_active
    internship.stage = Stage.COMPLETED
    internship.save()
    deactivate_site(site, by=official)
    assert not BaseSite.objects.get(pk=site.pk).is_active
    assert mentor_roles(mentor, site.organization).get().end_date is None  # the role stays
    with pytest.raises(ValidationError, match=_("The base site is inactive already.")):
        deactivate_site(site, by=official)


# --- Load ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_load_counts_trainees_of_open_internships(site, mentor, official, org_b):
    people = [(make_person(f"t{n}", Role.CANDIDATE, org_b), org_b) for n in range(3)]
    make_internship(
        site, mentor, people[:2], by=official, start=date(2025, 1, 1), end=date(2025, 2, 1)
    )
    make_internship(site, mentor, people[2:], by=official, stage=Stage.COMPLETED)
    assert site_load(site) == 2
    assert trainees_during(site, date(2025, 2, 2), date(2025, 3, 1)) == 0
    assert trainees_during(site, date(2025, 2, 1), date(2025, 3, 1)) == 2
    [row] = with_load(BaseSite.objects.filter(pk=site.pk))
    assert (row.load, row.internship_count) == (2, 2)
    assert {m.user for m in row.organization.mentor_rows} == set(site_mentors(site))
