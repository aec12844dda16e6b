"""The shared cast: an official, heads of two schools, a mentor, a candidate and an expert."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zelenchuk_portal.models import Membership, Organization, Period, PeriodStatus, Role, User

PASSWORD = "zelenchuk-test-pass"


def pytest_configure(config):
    """Run the suite with production settings, except the redirect to HTTPS.

    The test client and the live server the browser tests drive speak plain http; redirecting
    them would test nothing but the redirect. That is turned off here, once, before any server
    starts (SecurityMiddleware reads it when built); secure cookies, HSTS and the CSP stay on.
    tests/portal/test_auth_security.py checks the redirect itself and `check --deploy`.
    """
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False


def make_org(code, org_type="school", **extra):
    defaults = {
        "short_name": f"Школа {code}",
        "full_name": f"Муниципальное казённое общеобразовательное учреждение {code}",
        "org_type": org_type,
        "settlement": "ст. Зеленчукская",
        "area": "urban",
    }
    defaults.update(extra)
    return Organization.objects.create(code=code, **defaults)


def make_person(username, role, organization=None, **extra):
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        last_name=extra.pop("last_name", username.capitalize()),
        first_name=extra.pop("first_name", "Тест"),
        **extra,
    )
    if role:
        Membership.objects.create(user=user, role=role, organization=organization)
    return user


def count_queries(client, url, **params) -> int:
    """SQL queries one GET of `url` runs (to assert that pages do not grow with the data)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(captured.captured_queries)


@pytest.fixture
def org_a(db):
    return make_org("A01", short_name="МКОУ «СОШ № 1»", settlement="ст. Зеленчукская")


@pytest.fixture
def org_b(db):
    return make_org("B02", short_name="МКОУ «СОШ с. Даусуз»", settlement="с. Даусуз", area="rural")


@pytest.fixture
def official(db):
    return make_person("official", Role.OFFICIAL)


@pytest.fixture
def principal_a(org_a):
    return make_person("principal_a", Role.PRINCIPAL, org_a)


@pytest.fixture
def principal_b(org_b):
    return make_person("principal_b", Role.PRINCIPAL, org_b)


@pytest.fixture
def mentor(db):
    school = make_org("M03", short_name="МКОУ «Гимназия № 3»")
    return make_person("mentor", Role.MENTOR, school)


@pytest.fixture
def candidate(org_a):
    return make_person("candidate", Role.CANDIDATE, org_a)


@pytest.fixture
def expert(db):
    return make_person("expert", Role.EXPERT)


@pytest.fixture
def period(db):
    return Period.objects.create(
        label="2024/2025",
        start_date=date(2024, 9, 1),
        end_date=date(2025, 8, 31),
        status=PeriodStatus.OPEN,
    )


@pytest.fixture
def login(client):
    """Sign a person in on the test client and return the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing passwords properly is slow by design; tests need the logic, not the cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
