"""Registry pages as an official and a head use them."""

from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import count_queries, make_org
from zelenchuk_portal.models import Membership, Organization, Period, Role, User


@pytest.mark.django_db
class TestHome:
    def test_official_lands_on_the_dashboard(self, login, official):
        response = login(official).get(reverse("home"))
        assert response.url == reverse("analysis:dashboard_current")

    def test_principal_lands_on_own_dossier(self, login, principal_a, org_a):
        client = login(principal_a)
        assert client.get(reverse("home")).url == reverse("analysis:dossier_home")
        assert client.get(reverse("analysis:dossier_home")).url == reverse(
            "analysis:dossier", args=[org_a.pk]
        )

    def test_mentor_lands_on_his_or_her_internships(self, login, mentor):
        assert login(mentor).get(reverse("home")).url == reverse("mentoring:my_internships")

    def test_expert_lands_on_assessments_to_rate(self, login, expert):
        assert login(expert).get(reverse("home")).url == reverse("assessments:to_rate")

    def test_candidate_lands_on_his_or_her_reserve_page(self, login, candidate):
        assert login(candidate).get(reverse("home")).url == reverse("reserve:my_reserve")

    def test_account_lists_roles_in_russian(self, login, candidate):
        page = login(candidate).get(reverse("my_account")).content.decode()
        assert "Резервист" in page
        assert "Мои роли" in page


@pytest.mark.django_db
class TestOrganizationList:
    def test_filters_by_type_settlement_and_area(self, login, official, org_a, org_b):
        make_org("K01", org_type="kindergarten", short_name="МКДОУ «Солнышко»")
        client = login(official)
        page = client.get(
            reverse("organization_list"), {"org_type": "kindergarten"}
        ).content.decode()
        assert "Солнышко" in page and "СОШ № 1" not in page
        page = client.get(
            reverse("organization_list"), {"settlement": "с. Даусуз"}
        ).content.decode()
        assert "Даусуз" in page and "СОШ № 1" not in page
        page = client.get(reverse("organization_list"), {"area": "rural"}).content.decode()
        assert "Даусуз" in page and "Солнышко" not in page

    def test_inactive_hidden_unless_asked(self, login, official, org_a):
        org_a.is_active = False
        org_a.save()
        client = login(official)
        assert "СОШ № 1" not in client.get(reverse("organization_list")).content.decode()
        page = client.get(reverse("organization_list"), {"show_inactive": "on"}).content.decode()
        assert "СОШ № 1" in page

    def test_query_count_does_not_grow(self, login, official):
        client = login(official)

        def add_orgs(start, count):
            for i in range(start, start + count):
                Membership.objects.create(
                    user=User.objects.create_user(f"head{i}", last_name=f"Директор{i}"),
                    role=Role.PRINCIPAL,
                    organization=make_org(f"S{i}"),
                )

        add_orgs(0, 2)
        few = count_queries(client, reverse("organization_list"))
        add_orgs(2, 10)
        many = count_queries(client, reverse("organization_list"))
        assert few == many
        assert "Директор11" in client.get(reverse("organization_list")).content.decode()


@pytest.mark.django_db
class TestOrganizationEditing:
    def test_official_creates_organisation(self, login, official):
        response = login(official).post(
            reverse("organization_create"),
            {
                "code": "0150",
                "short_name": "МКОУ «СОШ с. Маруха»",
                "full_name": "МКОУ «Средняя общеобразовательная школа с. Маруха»",
                "org_type": "school",
                "settlement": "с. Маруха",
                "area": "rural",
                "is_active": "on",
            },
        )
        org = Organization.objects.get(code="0150")
        assert response.url == org.get_absolute_url()

    def test_duplicate_code_is_refused_in_russian(self, login, official, org_a):
        response = login(official).post(
            reverse("organization_create"),
            {
                "code": org_a.code,
                "short_name": "x",
                "full_name": "x",
                "org_type": "school",
                "settlement": "x",
                "area": "rural",
            },
        )
        assert response.status_code == 200
        assert "уже существует" in response.content.decode()

    def test_deleting_organisation_with_data_is_refused(self, login, official, principal_a, org_a):
        response = login(official).post(
            reverse("organization_delete", args=[org_a.pk]), follow=True
        )
        assert Organization.objects.filter(pk=org_a.pk).exists()
        assert "нельзя удалить" in response.content.decode()

    def test_empty_organisation_can_be_deleted(self, login, official):
        org = make_org("Z99")
        login(official).post(reverse("organization_delete", args=[org.pk]))
        assert not Organization.objects.filter(pk=org.pk).exists()


@pytest.mark.django_db
class TestPeopleAndRoles:
    def test_official_creates_person_with_role(self, login, official, org_a):
        client = login(official)
        client.post(
            reverse("person_create"),
            {
                "last_name": "Лайпанова",
                "first_name": "Зульфа",
                "username": "laypanova",
                "password": "Dlinnyi-parol-2025",
                "is_active": "on",
            },
        )
        person = User.objects.get(username="laypanova")
        assert person.check_password("Dlinnyi-parol-2025")
        client.post(
            reverse("membership_create", args=[person.pk]),
            {"role": "principal", "organization": org_a.pk, "position": "директор"},
        )
        assert person.has_role(Role.PRINCIPAL)

    def test_principal_role_needs_organisation(self, login, official, expert):
        response = login(official).post(
            reverse("membership_create", args=[expert.pk]), {"role": "principal"}
        )
        assert "выберите" in response.content.decode().lower()
        assert not expert.memberships.filter(role="principal").exists()

    def test_same_open_role_twice_is_refused(self, login, official, principal_a, org_a):
        response = login(official).post(
            reverse("membership_create", args=[principal_a.pk]),
            {"role": "principal", "organization": org_a.pk},
        )
        assert response.status_code == 200
        assert principal_a.memberships.count() == 1

    def test_ended_role_no_longer_counts(self, principal_a, org_a):
        membership = principal_a.memberships.get()
        membership.end_date = date(2020, 1, 1)
        membership.save()
        principal_a = User.objects.get(pk=principal_a.pk)
        assert not principal_a.has_role(Role.PRINCIPAL)


@pytest.mark.django_db
def test_official_creates_period(login, official):
    login(official).post(
        reverse("period_create"),
        {"label": "2026/2027", "start_date": "2026-09-01", "end_date": "2027-08-31"},
    )
    assert Period.objects.get(label="2026/2027").status == "open"


@pytest.mark.django_db
def test_period_ending_before_start_is_refused(login, official):
    response = login(official).post(
        reverse("period_create"),
        {"label": "2026/2027", "start_date": "2026-09-01", "end_date": "2026-08-31"},
    )
    assert "Период должен заканчиваться" in response.content.decode()
    assert not Period.objects.exists()
