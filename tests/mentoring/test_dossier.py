"""The dossier's «Internships» section: the staff's internships and those the site hosts."""

from datetime import date

import pytest
from django.urls import reverse

from mentoring.dossier import dossier_section
from mentoring.models import Stage
from monitoring.dossier import build_dossier
from tests.conftest import count_queries, make_org, make_person
from tests.mentoring.site_helpers import make_agreement, make_internship, make_site
from zelenchuk_portal.models import Role


@pytest.fixture
def hosted(mentor, official, principal_a, org_a, org_b, period):
    """Principal A's internship at the mentor's school (a base site), inside the period, with
    an agreement that has expired; and one of school B's staff, before the period."""
    site = make_site(mentor.memberships.get().organization)
    agreement = make_agreement(site, org_a, start=date(2024, 1, 1), end=date(2024, 12, 31))
    ours = make_internship(site, mentor, [(principal_a, org_a)], by=official, agreement=agreement)
    theirs = make_internship(
        site,
        mentor,
        [(make_person("b_deputy", Role.CANDIDATE, org_b), org_b)],
        by=official,
        start=date(2023, 1, 10),
        end=date(2023, 3, 1),
        stage=Stage.COMPLETED,
        theme="Работа с родителями",
    )
    return {"site": site, "ours": ours, "theirs": theirs}


@pytest.mark.django_db
def test_the_staff_section_lists_the_internships_of_its_people(hosted, org_a, official, period):
    section = dossier_section(org_a, period, official)
    [line] = section.staff
    assert line.internship == hosted["ours"]
    assert [t.person.username for t in line.trainees] == ["principal_a"]
    assert line.agreement_expired
    assert section.site is None and section.hosted == []


@pytest.mark.django_db
def test_a_base_site_also_lists_what_it_hosts_within_the_period(hosted, official, period):
    site_org = hosted["site"].organization
    section = dossier_section(site_org, period, official)
    assert section.staff == []
    assert [line.internship for line in section.hosted] == [hosted["ours"]]
    assert section.site_url == reverse("mentoring:site_detail", args=[hosted["site"].pk])
    everything = dossier_section(site_org, None, official)
    assert [line.internship for line in everything.hosted] == [hosted["ours"], hosted["theirs"]]


@pytest.mark.django_db
def test_a_head_sees_only_what_he_or_she_may_see(hosted, org_a, principal_a, principal_b, period):
    section = dossier_section(org_a, period, principal_a)
    assert [line.internship for line in section.staff] == [hosted["ours"]]
    assert dossier_section(make_org("Q1"), period, principal_a) is None
    site_section = dossier_section(hosted["site"].organization, None, principal_b)
    assert [line.internship for line in site_section.hosted] == [hosted["theirs"]]
    assert site_section.site_url is None


@pytest.mark.django_db
def test_the_section_is_on_the_dossier_page(login, hosted, org_a, official, period):
    dossier = build_dossier(org_a, official, period)
    assert [s["template"] for s in dossier.sections].count("mentoring/_dossier_section.html") == 1
    client = login(official)
    url = reverse("analysis:dossier", args=[org_a.pk])
    page = client.get(url).content.decode()
    assert hosted["ours"].theme in page
    assert reverse("mentoring:internship_detail", args=[hosted["ours"].pk]) in page
    few = count_queries(client, url)
    for n in range(3):
        make_internship(
            hosted["site"],
            hosted["ours"].mentor,
            [(make_person(f"a{n}", Role.CANDIDATE, org_a), org_a)],
            by=official,
        )
    assert count_queries(client, url) == few
