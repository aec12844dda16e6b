"""Login, logout, password change; Russian error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_login_with_wrong_password_says_so_in_russian(client, principal_a):
    response = client.post(reverse("login"), {"username": "principal_a", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Пожалуйста, введите правильные имя пользователя и пароль" in page


@pytest.mark.django_db
def test_login_then_logout(client, principal_a, org_a):
    response = client.post(reverse("login"), {"username": "principal_a", "password": PASSWORD})
    assert response.url == reverse("home")
    assert client.get(reverse("my_organization")).url == org_a.get_absolute_url()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_password_change(login, principal_a):
    client = login(principal_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Novyi-parol-2026",
            "new_password2": "Novyi-parol-2026",
        },
    )
    assert response.url == reverse("password_change_done")
    principal_a.refresh_from_db()
    assert principal_a.check_password("Novyi-parol-2026")


@pytest.mark.django_db
def test_unknown_url_gets_russian_404_in_layout(login, official):
    response = login(official).get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Страница не найдена" in page
    assert "Эффективный руководитель" in page


@pytest.mark.django_db
def test_server_error_page_is_russian(official, settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("boom/", broken)]})
    client = Client(raise_request_exception=False)
    client.force_login(official)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Ошибка на сервере" in response.content.decode()
