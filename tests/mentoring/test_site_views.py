"""Pages of base sites, agreements, matching, internship creation and analytics: who reaches
what, the official's journey, files, Excel and query counts.

Every view of `mentoring/site_urls.py` that takes an id is listed in ID_PAGES;
`test_every_view_with_an_id_is_covered` fails when one is added without an access case.
"""

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from mentoring import site_urls
from mentoring.models import Agreement, BaseSite, Form, Internship, Stage
from tests.conftest import count_queries, make_org, make_person
from tests.mentoring.site_helpers import (
    assess,
    confirm,
    make_agreement,
    make_internship,
    make_period,
    make_score,
    make_site,
    write_entry,
)
from zelenchuk_portal.excel import XLSX_CONTENT_TYPE
from zelenchuk_portal.models import Membership, Role

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roleless(db):
    return make_person("nobody", None)


@pytest.fixture
def other_mentor(db):
    """A mentor at another base site: outside the scope of the first one."""
    school = make_org("M04", short_name="МКОУ «СОШ № 4»")
    make_site(school)
    return make_person("other_mentor", Role.MENTOR, school)


@pytest.fixture
def world(mentor, org_a):
    site = make_site(mentor.memberships.get().organization)
    today = timezone.localdate()
    agreement = make_agreement(site, org_a, start=today, end=today + timedelta(days=365))
    agreement.file.save("x.pdf", ContentFile(PDF))
    agreement.file_name = "Договор 5.pdf"
    agreement.save()
    return {"site": site, "agreement": agreement}


# (name, method, object, who may: read | edit)
ID_PAGES = [
    ("site_detail", "get", "site", "read"),
    ("site_edit", "get", "site", "edit"),
    ("site_edit", "post", "site", "edit"),
    ("site_deactivate", "post", "site", "edit"),
    ("agreement_detail", "get", "agreement", "read"),
    ("agreement_edit", "get", "agreement", "edit"),
    ("agreement_edit", "post", "agreement", "edit"),
    ("agreement_file", "get", "agreement", "read"),
]
LIST_PAGES = [
    "site_list",
    "site_create",
    "agreement_list",
    "agreement_create",
    "match",
    "internship_create",
    "analytics",
]
MAY = {"official": {"read", "edit"}, "mentor": {"read"}}


def url_of(world, name, kind):
    return reverse(f"mentoring:{name}", args=[world[kind].pk])


def call(client, method, url):
    return client.get(url) if method == "get" else client.post(url, {"number": "1"})


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


def test_every_view_with_an_id_is_covered():
    with_id = {p.name for p in site_urls.urlpatterns if p.pattern.converters}
    without = {p.name for p in site_urls.urlpatterns if not p.pattern.converters}
    assert with_id == {name for name, *_rest in ID_PAGES}
    assert without == set(LIST_PAGES)


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_anonymous_goes_to_the_login_page(client, world, name, method, kind, needs):
    url = url_of(world, name, kind)
    response = call(client, method, url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(url)}"


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["official", "mentor"])
def test_who_may_open_the_sites_pages(
    request_fixture, login, world, name, method, kind, needs, who
):
    response = call(login(request_fixture(who)), method, url_of(world, name, kind))
    if needs in MAY[who]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_a_mentor_of_another_site_gets_404_or_403(
    login, world, other_mentor, name, method, kind, needs
):
    response = call(login(other_mentor), method, url_of(world, name, kind))
    assert response.status_code == (404 if needs == "read" else 403)


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
def test_an_official_gets_404_for_what_does_not_exist(
    login, official, world, name, method, kind, needs
):
    assert (
        call(login(official), method, reverse(f"mentoring:{name}", args=[9999])).status_code == 404
    )


@pytest.mark.parametrize(("name", "method", "kind", "needs"), ID_PAGES)
@pytest.mark.parametrize("who", ["principal_a", "principal_b", "candidate", "expert", "roleless"])
def test_other_roles_get_403(request_fixture, login, world, name, method, kind, needs, who):
    assert call(login(request_fixture(who)), method, url_of(world, name, kind)).status_code == 403


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("who", ["mentor", "principal_a", "candidate", "expert", "roleless"])
def test_list_pages_are_for_officials(request_fixture, login, period, name, who):
    if (name, who) == ("site_list", "mentor"):
        return  # a mentor's own base site: see the next test
    assert login(request_fixture(who)).get(reverse(f"mentoring:{name}")).status_code == 403


def test_a_mentor_opens_his_or_her_own_site_from_the_list(login, world, mentor, other_mentor):
    response = login(mentor).get(reverse("mentoring:site_list"))
    assert response.url == reverse("mentoring:site_detail", args=[world["site"].pk])
    BaseSite.objects.filter(pk=world["site"].pk).update(is_active=False)
    page = login(mentor).get(reverse("mentoring:site_list"))
    assert page.status_code == 302  # an inactive site is still his or her own to read
    lone = make_person("lone", Role.MENTOR, make_org("L1"))
    page = login(lone).get(reverse("mentoring:site_list")).content.decode()
    assert escape(_("You are not a mentor of any base site.")) in page
    assert reverse("mentoring:site_create") not in page


@pytest.mark.parametrize("name", LIST_PAGES)
def test_officials_open_the_list_pages(login, official, period, name):
    assert login(official).get(reverse(f"mentoring:{name}")).status_code == 200


def test_nothing_changes_when_access_is_refused(login, world, mentor, other_mentor, principal_b):
    for who in (mentor, other_mentor, principal_b):
        client = login(who)
        for name, method, kind, _needs in ID_PAGES:
            if method == "post":
                call(client, method, url_of(world, name, kind))
    assert BaseSite.objects.get(pk=world["site"].pk).is_active
    assert Agreement.objects.get().number == "5/2024"


# --- Base sites ----------------------------------------------------------------------------------


def test_the_site_list_shows_load_and_suggestions_in_constant_queries(
    login, official, period, mentor, org_a
):
    earlier = make_period()
    strong = make_org("H1", short_name="МКОУ «Гимназия № 7»")
    make_score(earlier, strong)
    make_score(period, strong)
    site = make_site(mentor.memberships.get().organization, capacity=4)
    make_internship(site, mentor, [(make_person("t", Role.CANDIDATE, org_a), org_a)], by=official)
    client = login(official)
    url = reverse("mentoring:site_list")
    page = client.get(url).content.decode()
    assert "1 / 4" in page and mentor.short_name in page
    assert f"{reverse('mentoring:site_create')}?organization={strong.pk}" in page
    few = count_queries(client, url)
    for n in range(5):
        school = make_org(f"N{n}", short_name=f"МКОУ «СОШ № {30 + n}»")
        more = make_site(school)
        person = make_person(f"mm{n}", Role.MENTOR, school)
        make_internship(
            more, person, [(make_person(f"tt{n}", Role.CANDIDATE, org_a), org_a)], by=official
        )
    assert count_queries(client, url) == few


def test_an_official_designates_a_site_in_two_steps(
    login, official, org_a, principal_a, principal_b
):
    client = login(official)
    choose = client.get(reverse("mentoring:site_create")).content.decode()
    assert org_a.short_name in choose
    url = f"{reverse('mentoring:site_create')}?organization={org_a.pk}"
    form = client.get(url).content.decode()
    assert principal_a.full_name in form and principal_b.full_name not in form
    values = {
        "designated_on": "2025-01-15",
        "order": "15-о",
        "themes": "Управление качеством",
        "capacity": "2",
        "mentors": [principal_a.pk],
    }
    response = client.post(url, values)
    site = BaseSite.objects.get(organization=org_a)
    assert response.url == reverse("mentoring:site_detail", args=[site.pk])
    role = Membership.objects.get(user=principal_a, role=Role.MENTOR)
    assert (role.organization, role.start_date) == (org_a, timezone.localdate())


def test_designating_with_someone_from_elsewhere_shows_the_error(
    login, official, org_a, principal_b
):
    url = f"{reverse('mentoring:site_create')}?organization={org_a.pk}"
    values = {
        "designated_on": "2025-01-15",
        "themes": "Т",
        "capacity": "2",
        "mentors": [principal_b.pk],
    }
    response = login(official).post(url, values)
    assert response.status_code == 200
    assert not BaseSite.objects.exists()
    assert "mentors" in response.context["form"].errors


def test_editing_and_deactivating_a_site(login, official, world, mentor, principal_a, org_a):
    site = world["site"]
    client = login(official)
    url = reverse("mentoring:site_edit", args=[site.pk])
    assert mentor.full_name in client.get(url).content.decode()
    values = {
        "designated_on": "2024-09-01",
        "themes": "Новая тема",
        "capacity": "6",
        "mentors": [mentor.pk],
    }
    assert client.post(url, values).status_code == 302
    site.refresh_from_db()
    assert (site.capacity, site.themes) == (6, "Новая тема")
    internship = make_internship(site, mentor, [(principal_a, org_a)], by=official)
    response = client.post(reverse("mentoring:site_deactivate", args=[site.pk]), follow=True)
    site.refresh_from_db()
    assert site.is_active
    expected = _("The site hosts %(count)s open internship: complete it first.") % {"count": 1}
    assert escape(expected) in response.content.decode()
    Internship.objects.filter(pk=internship.pk).update(stage=Stage.COMPLETED)
    client.post(reverse("mentoring:site_deactivate", args=[site.pk]))
    site.refresh_from_db()
    assert not site.is_active


def test_a_mentor_reads_his_or_her_site_without_edit_buttons(login, world, mentor):
    page = (
        login(mentor)
        .get(reverse("mentoring:site_detail", args=[world["site"].pk]))
        .content.decode()
    )
    assert world["agreement"].number in page
    assert reverse("mentoring:site_edit", args=[world["site"].pk]) not in page


# --- Agreements ----------------------------------------------------------------------------------


def agreement_values(site, org, **changes):
    values = {
        "number": "21/2025",
        "signed_on": "2025-01-10",
        "valid_from": "2025-01-10",
        "valid_until": "2025-12-31",
        "base_site": site.pk,
        "host_organization": site.organization_id,
        "trainee_organization": org.pk,
    }
    values.update(changes)
    return values


def test_an_agreement_with_its_file_is_created_and_downloaded(login, official, world, org_b):
    client = login(official)
    values = agreement_values(world["site"], org_b, file=SimpleUploadedFile("Договор 21.pdf", PDF))
    response = client.post(reverse("mentoring:agreement_create"), values)
    agreement = Agreement.objects.get(number="21/2025")
    assert response.url == reverse("mentoring:agreement_detail", args=[agreement.pk])
    download = client.get(reverse("mentoring:agreement_file", args=[agreement.pk]))
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]


def test_a_term_ending_before_it_starts_is_shown_in_the_form(login, official, world, org_b):
    values = agreement_values(world["site"], org_b, valid_until="2024-12-31")
    response = login(official).post(reverse("mentoring:agreement_create"), values)
    assert response.status_code == 200
    expected = _("The term ends (%(end)s) before it starts (%(start)s).") % {
        "end": "31.12.2024",
        "start": "10.01.2025",
    }
    assert escape(expected) in response.content.decode()
    assert Agreement.objects.count() == 1


def test_a_missing_file_is_404(login, official, world):
    agreement = world["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(file="")
    assert (
        login(official).get(reverse("mentoring:agreement_file", args=[agreement.pk])).status_code
        == 404
    )


def test_an_expired_agreement_is_flagged_in_lists(
    login, official, world, org_b, mentor, principal_b
):
    expired = make_agreement(world["site"], org_b, start=date(2020, 1, 1), end=date(2020, 12, 31))
    internship = make_internship(
        world["site"], mentor, [(principal_b, org_b)], by=official, agreement=expired
    )
    flag = _("agreement expired")
    client = login(official)
    assert client.get(reverse("mentoring:agreement_list")).content.decode().count(flag) == 1
    assert (
        flag
        in client.get(reverse("mentoring:agreement_detail", args=[expired.pk])).content.decode()
    )
    detail = client.get(reverse("mentoring:site_detail", args=[world["site"].pk])).content.decode()
    assert detail.count(flag) == 2  # the agreement and the internship using it
    assert reverse("mentoring:internship_detail", args=[internship.pk]) in detail


def test_the_agreement_list_keeps_its_query_count(login, official, world, org_b):
    client = login(official)
    few = count_queries(client, reverse("mentoring:agreement_list"))
    for n in range(6):
        make_agreement(make_site(make_org(f"A{n}")), org_b)
    assert count_queries(client, reverse("mentoring:agreement_list")) == few


# --- Matching and creating an internship ---------------------------------------------------------


@pytest.fixture
def matched(world, period, principal_a, mentor):
    confirm(assess(principal_a, period, {}), codes=("2.3",), blocks=(4,))
    assess(mentor, period, {"2.3": 3, "4.1": 2})
    make_score(period, world["site"].organization, index=84.5, B4=90.0)
    return world


def test_the_match_page_ranks_mentors_with_the_reason_and_an_assign_link(
    login, official, matched, principal_a, mentor, period
):
    client = login(official)
    url = reverse("mentoring:match")
    page = client.get(url, {"person": principal_a.pk}).content.decode()
    assert mentor.full_name in page and "2.3" in page and "84,5" in page
    query = f"trainee={principal_a.pk}&amp;mentor={mentor.pk}&amp;base_site={matched['site'].pk}"
    link = f"{reverse('mentoring:internship_create')}?{query}"
    assert link in page
    few = count_queries(client, url, person=principal_a.pk)
    for n in range(4):
        school = make_org(f"K{n}", short_name=f"МКОУ «СОШ № {40 + n}»")
        make_site(school)
        assess(make_person(f"k{n}", Role.MENTOR, school), period, {"2.3": 2})
    assert count_queries(client, url, person=principal_a.pk) == few


def test_assign_opens_the_form_filled_in_and_creates_the_internship(
    login, official, matched, principal_a, mentor
):
    client = login(official)
    site = matched["site"]
    url = reverse("mentoring:internship_create")
    form = client.get(
        url, {"trainee": principal_a.pk, "mentor": mentor.pk, "base_site": site.pk}
    ).context["form"]
    assert form.initial["trainees"] == [principal_a.pk]
    assert (form.initial["mentor"], form.initial["base_site"]) == (mentor.pk, site.pk)
    assert form.initial["theme"] == "Управление качеством образования"
    assert form.fields["trainees"].queryset[0] == principal_a  # the chosen one heads the list
    codes = set(
        form.fields["competencies"]
        .queryset.filter(pk__in=form.initial["competencies"])
        .values_list("code", flat=True)
    )
    assert codes == {"2.3", "4.1", "4.2", "4.3", "4.4"}
    today = timezone.localdate()
    values = {
        "theme": "Внутренняя система оценки качества",
        "form": Form.INDIVIDUAL,
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
        "base_site": site.pk,
        "mentor": mentor.pk,
        "trainees": [principal_a.pk],
        "competencies": form.initial["competencies"],
    }
    response = client.post(url, values)
    internship = Internship.objects.get()
    assert response.url == reverse("mentoring:internship_detail", args=[internship.pk])
    assert internship.competencies.count() == 5


def test_a_refused_assignment_shows_why_and_writes_nothing(
    login, official, matched, mentor, principal_a, principal_b
):
    today = timezone.localdate()
    values = {
        "theme": "Тема",
        "form": Form.INDIVIDUAL,
        "start_date": today.isoformat(),
        "end_date": today.isoformat(),
        "base_site": matched["site"].pk,
        "mentor": mentor.pk,
        "trainees": [principal_a.pk, principal_b.pk],
    }
    response = login(official).post(reverse("mentoring:internship_create"), values)
    assert response.status_code == 200
    expected = _("The form «%(form)s» takes one trainee; %(count)s are chosen.") % {
        "form": Form.INDIVIDUAL.label,
        "count": 2,
    }
    assert escape(expected) in response.content.decode()
    assert not Internship.objects.exists()


# --- Analytics -----------------------------------------------------------------------------------


def test_the_analytics_page_its_excel_and_its_query_count(
    login, official, world, mentor, principal_a, org_a, period
):
    start = timezone.localdate() - timedelta(days=5)
    internship = make_internship(
        world["site"],
        mentor,
        [(principal_a, org_a)],
        by=official,
        start=start,
        end=start + timedelta(days=60),
    )
    write_entry(internship.trainees.get(), start)
    client = login(official)
    url = reverse("mentoring:analytics")
    params = {
        "date_from": (start - timedelta(days=1)).isoformat(),
        "date_to": (start + timedelta(days=9)).isoformat(),
    }
    page = client.get(url, params).content.decode()
    assert mentor.full_name in page and "<svg" in page
    workbook = client.get(url, {**params, "table": "all"})
    assert workbook["Content-Type"] == XLSX_CONTENT_TYPE
    sheets = load_workbook(BytesIO(workbook.content), read_only=True).sheetnames
    assert len(sheets) == 5
    one = load_workbook(BytesIO(client.get(url, {**params, "table": "mentors"}).content))
    assert [c.value for c in one.active[2]][:1] == [mentor.full_name]
    assert client.get(url, {"table": "nonsense"}).status_code == 302
    few = count_queries(client, url, **params)
    for n in range(4):
        school = make_org(f"J{n}")
        person = make_person(f"j{n}", Role.MENTOR, school)
        more = make_internship(
            make_site(school),
            person,
            [(make_person(f"jt{n}", Role.CANDIDATE, org_a), org_a)],
            by=official,
            start=start,
            end=start + timedelta(days=60),
        )
        write_entry(more.trainees.get(), start)
    assert count_queries(client, url, **params) == few


def test_a_reversed_span_is_refused_in_the_filter(login, official, period):
    response = login(official).get(
        reverse("mentoring:analytics"), {"date_from": "2025-05-01", "date_to": "2025-04-01"}
    )
    assert escape(_("The end of the span is before its start.")) in response.content.decode()


# --- Navigation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        (
            "official",
            ["mentoring:site_list", "mentoring:analytics", "mentoring:my_internships"],
            [],
        ),
        ("mentor", ["mentoring:my_internships", "mentoring:site_list"], ["mentoring:match"]),
        ("candidate", ["mentoring:my_internships"], ["mentoring:site_list"]),
        ("principal_a", ["mentoring:my_internships"], ["mentoring:match"]),
    ],
)
def test_the_menu_offers_mentoring_to_whom_it_concerns(
    request_fixture, login, period, who, shown, hidden
):
    page = login(request_fixture(who)).get(reverse("my_account")).content.decode()
    for name in shown:
        assert f'href="{reverse(name)}"' in page, name
    for name in hidden:
        assert f'href="{reverse(name)}"' not in page, name
