"""The first journeys: an official and a head sign in and find their way."""

import pytest

from tests.conftest import PASSWORD, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_signs_in_and_filters_organisations(sign_in, official, org_a, live_server):
    make_org("K01", org_type="kindergarten", short_name="МКДОУ «Детский сад «Солнышко»")
    page = sign_in("official", PASSWORD)
    assert page.url.endswith("/analysis/")  # the dashboard; this district has no periods yet
    page.get_by_role("button", name="Реестр").click()
    page.get_by_role("link", name="Организации").click()
    assert page.get_by_role("heading", name="Организации района").is_visible()
    page.get_by_label("Тип").select_option("kindergarten")
    page.get_by_role("button", name="Применить").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="МКДОУ «Детский сад «Солнышко»").is_visible()
    assert page.get_by_role("link", name="МКОУ «СОШ № 1»").count() == 0


def test_principal_lands_on_own_card_and_cannot_open_another(
    sign_in, principal_a, org_a, org_b, live_server
):
    page = sign_in("principal_a", PASSWORD)
    assert page.get_by_role("heading", name="МКОУ «СОШ № 1»").is_visible()
    response = page.goto(f"{live_server.url}/organizations/{org_b.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Страница не найдена").is_visible()


def test_wrong_password_is_explained_in_russian(sign_in, principal_a, live_server):
    page = sign_in("principal_a", "не-тот-пароль")
    assert page.get_by_text("Пожалуйста, введите правильные имя пользователя и пароль").is_visible()


def test_sign_out(sign_in, principal_a, org_a, live_server):
    page = sign_in("principal_a", PASSWORD)
    page.get_by_role("button", name=principal_a.short_name).or_(
        page.get_by_role("link", name=principal_a.short_name)
    ).click()
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Вход на портал").is_visible()
