"""Authentication and transport: lockout, sessions, password rules, CSRF, CSP, HTTPS settings.

What docs/SECURITY.md promises the office's information-security officer, checked.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.utils import reset
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from zelenchuk_portal.demo import DEMO_PASSWORD
from zelenchuk_portal.models import User

BASE = Path(__file__).resolve().parents[2]
APPS = ("zelenchuk_portal", "monitoring", "trajectories", "mentoring", "reserve", "scripts")
LOCKED = "заблокирован на 30 минут"
OTHER_ADDRESS = "127.0.0.2"


def sign_in(client, username, password, address="127.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail_times(client, username, times, address="127.0.0.1"):
    return [sign_in(client, username, "not-the-password", address) for _ in range(times)]


def signed_in(client) -> bool:
    return client.get(reverse("my_account")).status_code == 200


# --- lockout (django-axes) ------------------------------------------------------------------------


@pytest.mark.django_db
def test_fifth_failure_locks_and_sixth_attempt_is_refused_even_with_the_right_password(
    client, principal_a
):
    responses = fail_times(client, "principal_a", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert LOCKED not in responses[3].content.decode()
    assert LOCKED in responses[4].content.decode()

    response = sign_in(client, "principal_a", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in page and "«principal_a»" in page
    assert not signed_in(client)
    # The officer sees every failure, not only the count.
    assert AccessFailureLog.objects.filter(username="principal_a").count() == 5


@pytest.mark.django_db
def test_lockout_touches_neither_another_person_nor_another_computer(
    client, principal_a, principal_b
):
    fail_times(client, "principal_a", 5)
    assert sign_in(client, "principal_a", PASSWORD).status_code == 429

    assert sign_in(Client(), "principal_b", PASSWORD).url == reverse("home")
    colleague = Client()
    assert sign_in(colleague, "principal_a", PASSWORD, OTHER_ADDRESS).url == reverse("home")
    assert signed_in(colleague)


@pytest.mark.django_db
def test_lockout_lasts_thirty_minutes_and_later_tries_do_not_extend_it(client, principal_a):
    fail_times(client, "principal_a", 5)
    attempts = AccessAttempt.objects.filter(username="principal_a", ip_address="127.0.0.1")
    attempts.update(attempt_time=timezone.now() - timedelta(minutes=29))
    assert sign_in(client, "principal_a", "still-wrong").status_code == 429
    assert sign_in(client, "principal_a", PASSWORD).status_code == 429

    attempts.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert sign_in(client, "principal_a", PASSWORD).url == reverse("home")
    assert signed_in(client)


@pytest.mark.django_db
def test_behind_a_proxy_the_named_header_tells_computers_apart(settings, principal_a):
    def attempt(password, real_ip):
        return Client().post(
            reverse("login"),
            {"username": "principal_a", "password": password},
            REMOTE_ADDR="127.0.0.1",  # the proxy
            HTTP_X_REAL_IP=real_ip,
        )

    for _ in range(5):
        attempt("not-the-password", "127.0.0.5")
    # Not named: the header is ignored, every request is the proxy's — a forged one dodges nothing.
    assert attempt(PASSWORD, "127.0.0.6").status_code == 429

    settings.CLIENT_IP_HEADER = "X-Real-IP"
    AccessAttempt.objects.all().delete()
    for _ in range(5):
        attempt("not-the-password", "127.0.0.5")
    assert attempt(PASSWORD, "127.0.0.5").status_code == 429
    assert attempt(PASSWORD, "127.0.0.6").url == reverse("home")


@pytest.mark.django_db
def test_office_can_lift_a_lockout_at_once(client, principal_a):
    fail_times(client, "principal_a", 5)
    assert reset(username="principal_a") == 1  # what `manage.py axes_reset_username` calls
    assert sign_in(client, "principal_a", PASSWORD).url == reverse("home")


@pytest.mark.django_db
def test_successful_login_resets_the_count(client, principal_a):
    fail_times(client, "principal_a", 4)
    assert sign_in(client, "principal_a", PASSWORD).url == reverse("home")
    client.post(reverse("logout"))
    responses = fail_times(client, "principal_a", 4)
    assert {r.status_code for r in responses} == {200}
    assert sign_in(client, "principal_a", PASSWORD).url == reverse("home")


# --- sessions -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_ends_after_inactivity_and_each_request_renews_it(client, official):
    assert sign_in(client, "official", PASSWORD).status_code == 302
    cookie = client.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # gone when the browser closes
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + timedelta(hours=7, minutes=59)

    # Nearly expired, then one request: the clock starts again from that request.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert signed_in(client)
    assert Session.objects.get().expire_date > timezone.now() + timedelta(hours=7, minutes=59)

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("my_account"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- password rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "Ab-3cd-9ef",  # 10 characters: the shortest allowed
        "zelenchuk-demo",
        "Novyi-parol-2026",
    ],
)
def test_good_passwords_pass(password):
    validate_password(password, User(username="principal_a", last_name="Иванов"))


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ab-3cd-9e", "слишком короткий"),  # 9 characters
        ("password123", "слишком широко распространён"),
        ("2718281828459", "состоит только из цифр"),
        ("principal_a1", "слишком похож"),
    ],
)
def test_weak_passwords_are_refused_in_russian(password, reason):
    with pytest.raises(ValidationError) as error:
        validate_password(password, User(username="principal_a", last_name="Иванов"))
    assert reason in " ".join(error.value.messages)


@pytest.mark.django_db
def test_password_change_refuses_a_short_password(login, principal_a):
    response = login(principal_a).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Kr-2026-x", "new_password2": "Kr-2026-x"},
    )
    assert response.status_code == 200
    assert "как минимум 10" in response.content.decode()
    principal_a.refresh_from_db()
    assert principal_a.check_password(PASSWORD)


@pytest.mark.django_db
def test_validators_judge_new_passwords_not_stored_ones(client):
    """A stored hash is only compared at login; the rules apply when a password is set."""
    User.objects.create(username="old_account", password=make_password("12345"))
    demo = User.objects.create(username="official", password=make_password(DEMO_PASSWORD))
    assert sign_in(client, "old_account", "12345").url == reverse("home")
    assert sign_in(Client(), "official", DEMO_PASSWORD).url == reverse("home")
    validate_password(DEMO_PASSWORD, demo)  # and the demo password meets the rules anyway


# --- CSRF -----------------------------------------------------------------------------------------


def _project_files(pattern):
    for app in APPS:
        yield from (BASE / app).rglob(pattern)
    yield BASE / "manage.py"


def test_no_view_is_exempt_from_csrf():
    offenders = [
        str(path.relative_to(BASE))
        for path in _project_files("*.py")
        if "csrf_exempt" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_every_post_form_in_templates_carries_a_csrf_token():
    missing = []
    for path in (BASE / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>", text, re.IGNORECASE):
            if not re.search(r"method\s*=\s*[\"']?post", match.group(0), re.IGNORECASE):
                continue
            end = text.find("</form>", match.end())
            body = text[match.end() : end if end != -1 else len(text)]
            if "{% csrf_token %}" not in body:
                missing.append(f"{path.relative_to(BASE)}: {match.group(0)}")
    assert missing == []


@pytest.mark.django_db
def test_post_without_a_csrf_token_is_refused(principal_a):
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, "principal_a", PASSWORD)
    assert response.status_code == 403
    client.force_login(principal_a)
    assert client.post(reverse("logout")).status_code == 403


# --- Content-Security-Policy ----------------------------------------------------------------------

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


def policy_of(response) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts if part[0]}


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client, login, official, org_a):
    assert policy_of(client.get(reverse("login"))) == EXPECTED_POLICY
    response = login(official).get(reverse("organization_detail", args=[org_a.pk]))
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy == EXPECTED_POLICY
    assert "unsafe" not in policy["script-src"] and "unsafe" not in policy["default-src"]


def test_templates_have_no_inline_scripts_or_handlers():
    """The CSP would refuse them in the browser; this says which template, before anyone clicks."""
    problems = []
    for path in (BASE / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(BASE))
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            if not re.search(r"\ssrc\s*=", tag, re.IGNORECASE):
                problems.append(f"{name}: inline {tag}")
        for tag in re.findall(r"<[a-zA-Z][^>]*>", text):
            # Drop quoted values first: «data-confirm="… onclick …"» is text, not a handler.
            bare = re.sub(r"\"[^\"]*\"|'[^']*'", '""', tag)
            if re.search(r"\son[a-z]+\s*=", bare, re.IGNORECASE):
                problems.append(f"{name}: event handler in {tag[:80]}")
        if re.search(r"javascript:", text, re.IGNORECASE):
            problems.append(f"{name}: javascript: URL")
        # PDF templates are read by WeasyPrint on the server, never served under the CSP.
        is_pdf = name.startswith("templates/pdf/") or '"pdf/base.html"' in text
        if not is_pdf and re.search(r"<style\b", text, re.IGNORECASE):
            problems.append(f"{name}: <style> element")
    assert problems == []


# --- HTTPS, headers, check --deploy ---------------------------------------------------------------

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="portal.example.org")
plain = client.get("/login/")
secure = client.get("/login/", secure=True)
proxied = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "secure_status": secure.status_code,
    "proxied_status": proxied.status_code,
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csrf_cookie_secure": bool(secure.cookies["csrftoken"]["secure"]),
    "headers": {k: secure.get(k, "") for k in
                ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")},
}))
"""


def production_env(tmp_path, **extra):
    """The environment of a deployment: DEBUG unset, a long random key, hosts named."""
    # Only this process's own variables go along, none that tune Django or these settings: the
    # browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses.
    tuned = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CLIENT_IP_HEADER"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in tuned and not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "AXES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zelenchuk_portal.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="portal.example.org",
        # Nothing here reads the database; an empty file keeps a developer's one out of reach.
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )
    env.update(extra)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )


def probe(env) -> dict:
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_passes_with_debug_off_a_long_key_and_hosts(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_fails_with_the_development_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_redirects_to_https_and_sends_the_security_headers(tmp_path):
    facts = probe(production_env(tmp_path))
    assert facts["plain_status"] == 301
    assert facts["plain_location"] == "https://portal.example.org/login/"
    assert facts["proxied_status"] == 301  # no proxy named: a forged header changes nothing
    assert facts["secure_status"] == 200
    assert facts["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert facts["csrf_cookie_secure"]
    assert facts["headers"] == {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def test_plain_http_intranet_can_opt_out_of_https(tmp_path):
    facts = probe(production_env(tmp_path, SECURE_SSL_REDIRECT="0"))
    assert facts["plain_status"] == 200
    assert facts["hsts"] == ""
    assert not facts["csrf_cookie_secure"]  # a browser would drop a Secure cookie over http


def test_local_development_with_debug_works_over_http(tmp_path):
    facts = probe(production_env(tmp_path, DEBUG="1"))
    assert facts["plain_status"] == 200
    assert facts["hsts"] == ""
    assert not facts["csrf_cookie_secure"]


def test_proxy_header_is_trusted_only_when_named(tmp_path):
    facts = probe(production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"))
    assert facts["proxied_status"] == 200  # the proxy ended TLS: no redirect loop
    assert facts["plain_status"] == 301


@pytest.mark.django_db
def test_redirect_to_https_in_process(settings, official):
    """The suite turns the redirect off (tests/conftest.py); here it is on again."""
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response.url.startswith("https://")
    assert client.get(reverse("login"), secure=True).status_code == 200
