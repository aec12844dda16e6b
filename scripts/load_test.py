"""Load test: the demo district under 50 simulated officials and heads for 60 s (`make load`).

    python scripts/load_test.py [--users 50] [--duration 60] [--spawn-rate 10] [--workers N]
                                [--think 5-15]

In a scratch database — with DATABASE_URL pointing at a PostgreSQL server, a database of its
own that it creates and drops on that server (never the configured one); otherwise a temporary
SQLite file — it migrates, seeds the demo district, collects static files, starts gunicorn on
127.0.0.1 with DEBUG off, and runs locust headless (loadtest/locustfile.py): every user signs
in, then all browse for --duration seconds. Then it stops gunicorn, drops the scratch database,
prints p50/p95/p99 per kind of page for both phases with the error count, and exits non-zero
if any response was wrong or the server logged an error.

It only ever talks to 127.0.0.1, stops by itself (the browsing's end, locust's --run-time, a
timeout around locust and another around gunicorn), and its options are bounded
(loadtest/safety.py).
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from loadtest.safety import (  # noqa: E402  (after the path set-up above)
    MAX_DURATION_S,
    MAX_SPAWN_RATE,
    MAX_USERS,
    MAX_WORKERS,
    MIN_DURATION_S,
    SIGN_IN_LIMIT_S,
    Unbounded,
    UnsafeTarget,
    bounded,
    require_loopback,
    think_range,
)

# Database servers the scratch database may be created on: this machine only, like the load.
LOCAL_DB_HOSTS = frozenset({"", "127.0.0.1", "localhost", "::1"})
# What gunicorn's log shows when a request failed on the server side: Django logs a 500 as
# "Internal Server Error: /path" (its traceback follows), gunicorn kills a worker stuck past
# its --timeout, and a worker that dies is reported as such.
SERVER_ERROR_MARKS = (
    "Internal Server Error",
    "WORKER TIMEOUT",
    "was sent SIGKILL",
    "exited with code",
)
# Seconds, beyond the run itself, before the runner kills a locust that does not stop.
GRACE_S = 120


def _option(name, low, high):
    def parse(text):
        try:
            return bounded(name, int(text), low, high)
        except (ValueError, Unbounded) as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    """The runner's options, each bounded: an unbounded run only ties up a shared machine."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users", type=_option("--users", 1, MAX_USERS), default=50, help="simulated people"
    )
    parser.add_argument(
        "--duration",
        type=_option("--duration", MIN_DURATION_S, MAX_DURATION_S),
        default=60,
        help="seconds of load",
    )
    parser.add_argument(
        "--spawn-rate",
        type=_option("--spawn-rate", 1, MAX_SPAWN_RATE),
        default=10,
        help="people starting per second",
    )
    parser.add_argument(
        "--workers",
        type=_option("--workers", 1, MAX_WORKERS),
        default=min(MAX_WORKERS, 2 * (os.cpu_count() or 1) + 1),
        help="gunicorn workers (default: 2 x cores + 1)",
    )
    parser.add_argument(
        "--think",
        type=_think,
        default="5-15",
        help="seconds a person spends on a page, MIN-MAX (default 5-15)",
    )
    return parser.parse_args(argv)


def _think(text):
    try:
        think_range(text)
    except Unbounded as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def scratch_database_url(configured: str | None, name: str) -> str | None:
    """The URL of a scratch PostgreSQL database `name` on the configured server, or None.

    None when DATABASE_URL is unset or not PostgreSQL (the run then uses SQLite). Refuses a
    server that is not on this machine, and a name equal to the configured database's.
    """
    if not configured or urlsplit(configured).scheme not in ("postgres", "postgresql", "pgsql"):
        return None
    parts = urlsplit(configured)
    if (parts.hostname or "") not in LOCAL_DB_HOSTS:
        raise UnsafeTarget(f"The scratch database goes on this machine only, not {parts.hostname}")
    if parts.path.lstrip("/") == name:
        raise UnsafeTarget("The scratch database must not be the configured one")
    return urlunsplit(parts._replace(path=f"/{name}", query=""))


@contextmanager
def postgres_database(url: str):
    """Create the database of `url`, yield, then drop it (with its connections)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = {
        "host": parts.hostname or None,
        "port": parts.port,
        "user": parts.username,
        "password": parts.password,
        "dbname": "postgres",
    }

    def run(statement):
        connection = psycopg2.connect(**server)
        connection.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        print(f"Dropped the scratch database {name}.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int, workers: int, log: Path, lifetime: int) -> list[str]:
    """gunicorn serving the portal on 127.0.0.1:`port` only, for `lifetime` seconds at most.

    The runner stops it when the load ends; coreutils' `timeout` ends it anyway should the
    runner itself be killed, so that no server is left behind.
    """
    return [
        *("timeout", "--kill-after=10", str(lifetime)),
        *(sys.executable, "-m", "gunicorn", "zelenchuk_portal.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--chdir", str(BASE_DIR), "--error-logfile", str(log), "--capture-output"),
    ]


def locust_command(host: str, args: argparse.Namespace) -> list[str]:
    """locust, headless, for a bounded time, against a loopback `host` only."""
    require_loopback(host)
    return [
        *(sys.executable, "-m", "locust", "-f", str(BASE_DIR / "loadtest" / "locustfile.py")),
        *("--headless", "--host", host, "--users", str(args.users)),
        *("--spawn-rate", str(args.spawn_rate)),
        # The hard stop; the browsing itself ends after --duration (LOAD_BROWSE_S).
        *("--run-time", f"{args.duration + SIGN_IN_LIMIT_S}s"),
        *("--stop-timeout", "10", "--only-summary"),
        # Python's default logging: locust's warnings and errors, not its tables, which show
        # only the last phase (the runner prints both: loadtest/locustfile.py, write_summary).
        "--skip-log-setup",
    ]


def portal_environment(database_url: str, scratch: Path) -> dict[str, str]:
    """The environment of every step: production-like settings, scratch storage, no broker."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "AXES_", "SECURE_", "SESSION_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain http on loopback: with the redirect on (the DEBUG-off default) every request
        # would bounce to https, and cookies marked Secure would never come back.
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(scratch / "static"),
        MEDIA_ROOT=str(scratch / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_until_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(require_loopback(url), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url} within {timeout} s")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (they share its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def summary(figures: dict, server_log: str) -> tuple[str, int, int, int]:
    """Markdown tables of the figures (loadtest/locustfile.py: write_summary), one per phase;
    counts of failed requests, of those that were server errors (5xx or no response), and of
    errors logged by the server."""
    sign_in, browsing = figures["sign_in"], figures["browsing"]
    phases = [(f"Browsing, every user signed in ({browsing['seconds']} s)", browsing)]
    if sign_in:
        phases.insert(0, (f"Sign-in of every user ({sign_in['seconds']} s)", sign_in))
    else:
        phases = [("The whole run (not every user signed in)", browsing)]
    lines, failures = [], []
    for title, phase in phases:
        lines += [
            f"\n{title}:\n",
            "| page | requests | failures | p50 ms | p95 ms | p99 ms | max ms | req/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in phase["pages"]:
            name = f"**{row['name']}**" if row["name"] == "Aggregated" else row["name"]
            lines.append(
                f"| {name} | {row['requests']} | {row['failures']} | {row['p50']} | "
                f"{row['p95']} | {row['p99']} | {row['max']} | {row['rps']:.1f} |"
            )
        failures += phase["failures"]
    failed = sum(row["occurrences"] for row in failures)
    server_errors = sum(row["occurrences"] for row in failures if "server error" in row["error"])
    logged = sum(server_log.count(mark) for mark in SERVER_ERROR_MARKS)
    for row in failures:
        lines.append(f"\nFAILED {row['occurrences']}× {row['name']}: {row['error']}")
    return "\n".join(lines), failed, server_errors, logged


def manage(env, *command):
    subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True)


def prepare(env: dict[str, str], scratch: Path) -> Path:
    """Migrate, seed and collect static files in the scratch environment; return the catalogue
    of URLs the simulated people browse (loadtest/catalogue.py)."""
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    catalogue = scratch / "catalogue.json"
    command = [sys.executable, "-m", "loadtest.catalogue", str(catalogue)]
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True)
    print(f"Scratch portal ready in {time.monotonic() - started:.0f} s.")
    return catalogue


def load(args: argparse.Namespace, env: dict[str, str], host: str, figures: Path) -> int:
    """Run locust against `host`; its exit code, or -1 if it had to be killed."""
    print(
        f"locust: {args.users} users, {args.spawn_rate}/s, {args.duration} s, "
        f"{args.think} s per page, against {host}."
    )
    try:
        return subprocess.run(
            locust_command(host, args),
            cwd=BASE_DIR,
            env=env
            | {
                "LOAD_SUMMARY": str(figures),
                "LOAD_THINK_S": args.think,
                "LOAD_BROWSE_S": str(args.duration),
            },
            timeout=args.duration + SIGN_IN_LIMIT_S + GRACE_S,
        ).returncode
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        print("locust did not stop in time and was killed.", file=sys.stderr)
        return -1


def run(args: argparse.Namespace, scratch: Path, database_url: str) -> int:
    """Prepare the scratch portal, serve it with gunicorn, load it, report; 0 if all was right."""
    env = portal_environment(database_url, scratch)
    env["LOAD_CATALOGUE"] = str(prepare(env, scratch))
    port = free_port()
    host = require_loopback(f"http://127.0.0.1:{port}")
    log, figures = scratch / "gunicorn.log", scratch / "figures.json"
    server = subprocess.Popen(
        gunicorn_command(
            port, args.workers, log, lifetime=args.duration + SIGN_IN_LIMIT_S + 2 * GRACE_S
        ),
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_ready(f"{host}/login/", server)
        print(f"gunicorn: {args.workers} workers.")
        # The machine may be shared: its load says how far the figures can be trusted.
        before = os.getloadavg()[0]
        locust_code = load(args, env, host, figures)
        after = os.getloadavg()[0]
        print(f"Load average (1 min) before the run: {before:.1f}, at its end: {after:.1f}")
    finally:
        stop(server)

    server_log = log.read_text(errors="replace") if log.exists() else ""
    if not figures.exists():
        print("locust wrote no figures.", file=sys.stderr)
        return 1
    table, failed, server_errors, logged = summary(json.loads(figures.read_text()), server_log)
    print(f"\n{table}\n")
    print(
        f"Failed requests: {failed} (server errors: {server_errors}); errors in the server log: "
        f"{logged}; locust exit code: {locust_code}"
    )
    if logged:
        print(f"\nServer log, last lines:\n{server_log[-5000:]}", file=sys.stderr)
    return 0 if (failed == 0 and logged == 0 and locust_code == 0) else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="zelenchuk-load-"))
    name = f"zelenchuk_load_{secrets.token_hex(4)}"
    try:
        postgres_url = scratch_database_url(os.environ.get("DATABASE_URL"), name)
        if postgres_url is None:
            # Several workers write at once (sessions, the dossier-view log). In SQLite's default
            # deferred mode a transaction that reads, then writes, fails at once with "database
            # is locked" when another one writes; IMMEDIATE takes the write lock at BEGIN and
            # waits up to `timeout` seconds for it instead (Django 5.1+).
            sqlite = f"sqlite:///{scratch / 'load.sqlite3'}?transaction_mode=IMMEDIATE&timeout=20"
            return run(args, scratch, sqlite)
        with postgres_database(postgres_url) as url:
            return run(args, scratch, url)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
