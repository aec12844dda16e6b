"""Measures and events: recording them, who sees them, the date rule, the list's filters."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from monitoring.measures import (
    measures_for,
    measures_visible_to,
    period_measures,
    save_measure,
)
from monitoring.models import Measure, MeasureKind
from tests.conftest import make_org, make_person
from zelenchuk_portal.models import OrganizationType, Role

END_BEFORE_START = _("The end date (%(end)s) cannot be before the start date (%(start)s).") % {
    "end": "13.10.2025",
    "start": "14.10.2025",
}


def measure_post(**extra):
    data = {
        "kind": MeasureKind.LANDING,
        "title": "«Педагогический десант» в СОШ с. Даусуз",
        "starts_on": "2025-10-14",
        "ends_on": "2025-10-15",
        "organiser": "Управление образования",
        "description": "Открытые уроки и разбор результатов ВПР",
    }
    data.update(extra)
    return data


def test_an_official_records_a_measure_with_participants(
    login, official, period, org_a, org_b, principal_a
):
    client = login(official)
    form = client.get(reverse("decisions:measure_create")).context["form"]
    assert form.initial["period"] == period  # the current period by default
    response = client.post(
        reverse("decisions:measure_create"),
        measure_post(period=period.pk, organizations=[org_a.pk, org_b.pk], people=[principal_a.pk]),
    )
    measure = Measure.objects.get()
    assert response.url == reverse("decisions:measure_detail", args=[measure.pk])
    assert (measure.created_by, measure.period, measure.ends_on) == (
        official,
        period,
        date(2025, 10, 15),
    )
    assert set(measure.organizations.all()) == {org_a, org_b}
    assert list(measure.people.all()) == [principal_a]
    page = client.get(response.url)
    assert org_b.short_name in page.text and principal_a.full_name in page.text


def test_the_select_names_people_with_their_roles(login, official, principal_a, org_a):
    form = login(official).get(reverse("decisions:measure_create")).context["form"]
    labels = dict(form.fields["people"].choices)
    assert labels[principal_a.pk] == (
        f"{principal_a.full_name} ({Role.PRINCIPAL.label} — {org_a.short_name})"
    )
    kindergarten = make_org("K01", "kindergarten")
    form = login(official).get(reverse("decisions:measure_create")).context["form"]
    groups = [(group, options) for group, options in form.fields["organizations"].choices]
    assert groups == [
        (OrganizationType.SCHOOL.label, [(org_a.pk, org_a.short_name)]),
        (OrganizationType.KINDERGARTEN.label, [(kindergarten.pk, kindergarten.short_name)]),
    ]


def test_the_end_cannot_be_before_the_start(login, official):
    response = login(official).post(
        reverse("decisions:measure_create"), measure_post(ends_on="2025-10-13")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == [END_BEFORE_START]
    assert END_BEFORE_START in response.text
    assert not Measure.objects.exists()
    with pytest.raises(ValidationError) as caught:
        save_measure(
            Measure(
                kind=MeasureKind.SEMINAR,
                title="x",
                organiser="y",
                starts_on=date(2025, 10, 14),
                ends_on=date(2025, 10, 13),
            ),
            organizations=[],
            people=[],
            user=official,
        )
    assert caught.value.message_dict == {"ends_on": [END_BEFORE_START]}


def test_editing_a_measure(login, official, org_a, org_b):
    measure = save_measure(
        Measure(kind=MeasureKind.SEMINAR, title="Семинар", organiser="УО", starts_on=date.today()),
        organizations=[org_a],
        people=[],
        user=official,
    )
    url = reverse("decisions:measure_edit", args=[measure.pk])
    client = login(official)
    assert client.get(url).context["form"].initial["organizations"] == [org_a]
    client.post(url, measure_post(organizations=[org_b.pk], ends_on=""))
    measure.refresh_from_db()
    assert (measure.kind, measure.ends_on) == (MeasureKind.LANDING, None)
    assert list(measure.organizations.all()) == [org_b]


@pytest.fixture
def three(official, period, org_a, org_b, principal_a, principal_b):
    def make(title, kind, organizations, people=(), with_period=True):
        measure = Measure.objects.create(
            kind=kind,
            title=title,
            organiser="УО",
            starts_on=date(2025, 10, 1),
            period=period if with_period else None,
        )
        measure.organizations.set(organizations)
        measure.people.set(people)
        return measure

    return {
        "a": make("Семинар для СОШ № 1", MeasureKind.SEMINAR, [org_a]),
        "both": make("Вебинар для всех", MeasureKind.WEBINAR, [org_a, org_b], with_period=False),
        "b_head": make("Курсы", MeasureKind.COURSE, [], [principal_b]),
    }


def test_who_sees_which_measures(three, official, principal_a, principal_b, mentor):
    def titles(user):
        return set(measures_visible_to(user).values_list("title", flat=True))

    assert titles(official) == {"Семинар для СОШ № 1", "Вебинар для всех", "Курсы"}
    assert titles(principal_a) == {"Семинар для СОШ № 1", "Вебинар для всех"}
    assert titles(principal_b) == {"Вебинар для всех", "Курсы"}  # by org, and in person
    assert titles(mentor) == set()


def test_measures_for_the_dossier_and_the_report(three, org_a, org_b, period):
    assert set(measures_for(org_a)) == {three["a"], three["both"]}
    assert list(measures_for(org_a, period)) == [three["a"]]
    assert list(measures_for(org_b)) == [three["both"]]
    [seminar] = period_measures(period).filter(title__startswith="Семинар")
    assert (seminar.organization_count, seminar.person_count) == (1, 0)
    assert period_measures(period).count() == 2


def test_the_list_filters(three, login, official, org_b, period):
    client = login(official)

    def found(**params):
        page = client.get(reverse("decisions:measure_list"), params).context["page"]
        return {m.title for m in page}

    assert found(kind=MeasureKind.WEBINAR) == {"Вебинар для всех"}
    assert found(period=period.pk) == {"Семинар для СОШ № 1", "Курсы"}
    assert found(organization=org_b.pk) == {"Вебинар для всех"}
    assert len(found()) == 3


def test_a_head_cannot_filter_into_other_organisations(three, login, principal_a, org_b):
    page = login(principal_a).get(reverse("decisions:measure_list"), {"organization": org_b.pk})
    assert not page.context["form"].is_valid()  # org B is not a choice for head A
    assert {m.title for m in page.context["page"]} == {"Семинар для СОШ № 1", "Вебинар для всех"}


def test_a_mentor_at_a_measure_still_gets_403(login, official, mentor, three):
    three["a"].people.add(mentor)
    url = reverse("decisions:measure_detail", args=[three["a"].pk])
    assert login(mentor).get(url).status_code == 403


def test_a_former_head_no_longer_sees_the_organisation_s_measures(login, org_a, three):
    former = make_person("former", Role.PRINCIPAL, org_a)
    former.memberships.update(start_date=date(2020, 1, 1), end_date=date(2021, 1, 1))
    response = login(former).get(reverse("decisions:measure_list"))
    assert response.status_code == 403
