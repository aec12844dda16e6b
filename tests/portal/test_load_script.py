"""The load test's safety rules (scripts/load_test.py, loadtest/), checked without any load.

It must only ever target this machine's loopback, and every run must be bounded and stop by
itself. The load itself is run by hand (`make load`; figures in docs/PERFORMANCE.md).
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.safety import (
    MAX_DURATION_S,
    MAX_USERS,
    SIGN_IN_LIMIT_S,
    Unbounded,
    UnsafeTarget,
    require_loopback,
    require_path,
    think_range,
)

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("load_test", BASE_DIR / "scripts/load_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://127.0.0.1:51234/login/", "http://localhost:8000/"]
)
def test_loopback_targets_are_accepted(url):
    assert require_loopback(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "https://zelenchuk-edu.ru/",
        "http://10.0.0.5:8000",
        "http://0.0.0.0:8000",
        "http://[::1]:8000",
        "http://127.0.0.1.example.org/",  # looks like loopback, resolves elsewhere
        "http://localhost@example.org/",  # user "localhost" on example.org
        "http://example.org/127.0.0.1",
        "ftp://127.0.0.1/",
        "127.0.0.1:8000",  # no scheme: no host either
        "http://127.0.0.1:99999/",
        "",
    ],
)
def test_other_targets_are_refused(url):
    with pytest.raises(UnsafeTarget):
        require_loopback(url)


@pytest.mark.parametrize("path", ["//example.org/x", "http://example.org/", "x/", "/\\example.org"])
def test_request_paths_stay_on_the_target_host(path):
    assert require_path("/analysis/dossier/1/") == "/analysis/dossier/1/"
    with pytest.raises(UnsafeTarget):
        require_path(path)


def test_defaults_match_the_issue(runner):
    args = runner.parse_args([])
    assert (args.users, args.duration, args.spawn_rate) == (50, 60, 10)
    assert think_range(args.think) == (5.0, 15.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--users", "0"],
        ["--users", str(MAX_USERS + 1)],
        ["--duration", "0"],
        ["--duration", str(MAX_DURATION_S + 1)],
        ["--duration", "forever"],
        ["--spawn-rate", "0"],
        ["--spawn-rate", "1000"],
        ["--workers", "0"],
        ["--workers", "100"],
        ["--think", "0-1"],
        ["--think", "15-5"],
        ["--think", "5-1000"],
        ["--think", "5"],
    ],
)
def test_unbounded_options_are_refused(runner, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        runner.parse_args(argv)
    assert exit_.value.code == 2
    assert f"argument {argv[0]}" in capsys.readouterr().err


def test_think_time_bounds():
    assert think_range("1-5") == (1.0, 5.0)
    for text in ("0-0", "abc", "3-", "-3", "200-300"):
        with pytest.raises(Unbounded):
            think_range(text)


def test_server_and_client_stay_on_loopback_and_stop_by_themselves(runner, tmp_path):
    server = runner.gunicorn_command(8123, 5, tmp_path / "log", lifetime=300)
    assert server[server.index("--bind") + 1] == "127.0.0.1:8123"
    assert server[:3] == ["timeout", "--kill-after=10", "300"]  # even if the runner is killed
    args = runner.parse_args(["--duration", "30"])
    command = runner.locust_command("http://127.0.0.1:8123", args)
    assert "--headless" in command
    # 30 s of browsing once everyone has signed in, and a hard stop after the sign-in allowance.
    assert command[command.index("--run-time") + 1] == f"{30 + SIGN_IN_LIMIT_S}s"
    with pytest.raises(UnsafeTarget):
        runner.locust_command("http://example.org", args)


def test_scratch_database_is_local_and_never_the_configured_one(runner):
    assert runner.scratch_database_url(None, "zelenchuk_load_1") is None
    assert runner.scratch_database_url("sqlite:///db.sqlite3", "zelenchuk_load_1") is None
    configured = "postgres://postgres:pw@127.0.0.1:5432/zelenchuk?sslmode=disable"
    scratch = runner.scratch_database_url(configured, "zelenchuk_load_1")
    assert scratch == "postgres://postgres:pw@127.0.0.1:5432/zelenchuk_load_1"
    with pytest.raises(UnsafeTarget):
        runner.scratch_database_url(configured, "zelenchuk")
    with pytest.raises(UnsafeTarget):
        runner.scratch_database_url("postgres://postgres@db.example.org/zelenchuk", "x")


def test_production_like_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SECURE_SSL_REDIRECT", "1")
    env = runner.portal_environment("sqlite:///x", tmp_path)
    assert env["DEBUG"] == "0" and env["SECURE_SSL_REDIRECT"] == "0"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert "CELERY_BROKER_URL" not in env
    assert env["STATIC_ROOT"].startswith(str(tmp_path))  # never the checkout's staticfiles/


def test_any_server_error_fails_the_run(runner):
    aggregated = {"name": "Aggregated", "requests": 10, "failures": 1, "p50": 80, "p95": 300,
                  "p99": 400, "max": 410, "rps": 2.5}  # fmt: skip
    figures = {
        "sign_in": {
            "seconds": 12,
            "pages": [aggregated],
            "failures": [
                {"name": "login", "error": "unexpected HTTP 403 (expected 302)", "occurrences": 1}
            ],
        },
        "browsing": {
            "seconds": 60,
            "pages": [aggregated],
            "failures": [
                {"name": "official · dossier", "error": "server error: HTTP 500", "occurrences": 1}
            ],
        },
    }
    log = "Internal Server Error: /analysis/dossier/3/\n[CRITICAL] WORKER TIMEOUT (pid:12)\n"
    table, failed, server_errors, logged = runner.summary(figures, log)
    assert (failed, server_errors, logged) == (2, 1, 2)  # both phases count
    assert "Sign-in of every user (12 s)" in table and "signed in (60 s)" in table
    assert "| **Aggregated** | 10 | 1 | 80 | 300 | 400 | 410 | 2.5 |" in table
    quiet = {"sign_in": None, "browsing": {"seconds": 60, "pages": [], "failures": []}}
    assert runner.summary(quiet, "[INFO] Booting worker")[1:] == (0, 0, 0)


@pytest.mark.parametrize(
    ("options", "browse", "refusal"),
    [
        (["--host", "http://192.0.2.1:8000", "--run-time", "10s"], "", "UnsafeTarget"),
        (["--host", "http://127.0.0.1:9"], "", "--run-time is required"),
        (["--host", "http://127.0.0.1:9", "--run-time", "1h"], "", "--run-time (s) must be"),
        (["--host", "http://127.0.0.1:9", "-t", "10s", "-u", "5000"], "", "--users must be"),
        (["--host", "http://127.0.0.1:9", "-t", "10s"], "86400", "LOAD_BROWSE_S must be"),
    ],
)
def test_the_locustfile_itself_refuses_unsafe_runs(options, browse, refusal, tmp_path):
    # Run directly, without the runner: it must stop before any request. 192.0.2.1 is a
    # documentation address (TEST-NET-1), so even a failing check would reach nobody.
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps({"password": "x", "pages": {"official": {"home": ["/"]}}}))
    result = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "loadtest/locustfile.py", "--headless", *options],
        cwd=BASE_DIR,
        env={"LOAD_CATALOGUE": str(catalogue), "LOAD_BROWSE_S": browse, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert refusal in result.stderr
    assert "Ramping to" not in result.stderr  # no user was started
