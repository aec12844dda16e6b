"""Scope and roles: outside scope is 404, wrong role is 403."""

import pytest
from django.urls import reverse

from zelenchuk_portal.models import Organization


@pytest.mark.django_db
class TestOrganizationCard:
    def test_principal_sees_own_card(self, login, principal_a, org_a):
        response = login(principal_a).get(reverse("organization_detail", args=[org_a.pk]))
        assert response.status_code == 200
        assert "МКОУ «СОШ № 1»" in response.content.decode()

    def test_principal_gets_404_for_another_organisation(self, login, principal_a, org_b):
        response = login(principal_a).get(reverse("organization_detail", args=[org_b.pk]))
        assert response.status_code == 404

    def test_principal_b_gets_404_for_a(self, login, principal_b, org_a):
        assert (
            login(principal_b).get(reverse("organization_detail", args=[org_a.pk])).status_code
            == 404
        )

    def test_official_sees_every_card(self, login, official, org_a, org_b):
        client = login(official)
        for org in (org_a, org_b):
            assert client.get(reverse("organization_detail", args=[org.pk])).status_code == 200

    @pytest.mark.parametrize("who", ["candidate", "expert", "mentor"])
    def test_other_roles_get_403(self, request, login, org_a, who):
        user = request.getfixturevalue(who)
        assert login(user).get(reverse("organization_detail", args=[org_a.pk])).status_code == 403

    def test_principal_cannot_edit_own_card(self, login, principal_a, org_a):
        response = login(principal_a).get(reverse("organization_edit", args=[org_a.pk]))
        assert response.status_code == 403

    def test_principal_cannot_delete(self, login, principal_a, org_a):
        response = login(principal_a).post(reverse("organization_delete", args=[org_a.pk]))
        assert response.status_code == 403
        assert Organization.objects.filter(pk=org_a.pk).exists()

    def test_unknown_id_is_404_for_official(self, login, official):
        assert login(official).get(reverse("organization_detail", args=[999999])).status_code == 404


@pytest.mark.django_db
class TestOfficialOnlyPages:
    URLS = [
        "organization_list",
        "organization_create",
        "person_list",
        "person_create",
        "period_list",
        "period_create",
    ]

    @pytest.mark.parametrize("name", URLS)
    @pytest.mark.parametrize("who", ["principal_a", "mentor", "candidate", "expert"])
    def test_wrong_role_gets_403(self, request, login, name, who):
        user = request.getfixturevalue(who)
        assert login(user).get(reverse(name)).status_code == 403

    @pytest.mark.parametrize("name", URLS)
    def test_official_gets_page(self, login, official, name):
        assert login(official).get(reverse(name)).status_code == 200

    def test_person_page_is_officials_only(self, login, principal_a, principal_b):
        response = login(principal_a).get(reverse("person_detail", args=[principal_b.pk]))
        assert response.status_code == 403

    def test_anonymous_is_sent_to_login(self, client, org_a):
        response = client.get(reverse("organization_detail", args=[org_a.pk]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_visible_to_scopes_queryset(official, principal_a, org_a, org_b, candidate):
    assert set(Organization.objects.visible_to(official)) == {org_a, org_b}
    assert list(Organization.objects.visible_to(principal_a)) == [org_a]
    assert list(Organization.objects.visible_to(candidate)) == []
