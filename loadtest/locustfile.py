"""Simulated officials and heads browsing the portal (locust; run by scripts/load_test.py).

Each user signs in with a demo login and, once every user has (see Phases), opens with a think
time of several seconds the kinds of pages its role uses, weighted as in real use: officials
mostly dashboards and dossiers, sometimes the analytical report, a letter or a plan as PDF, the
reserve report or the mentoring analytics; heads mostly their own organisation's card, dossier
and monitoring page, now and then their plan and letter as PDF. Every response is checked: the
expected status (redirects are not followed, so a lost session shows as a 302, not as the login
page's 200), and for a PDF its type and signature. Heads also try the other head's dossier now
and then, which must stay a 404 under load: that is the only 4xx expected.

The URLs come from a JSON file (LOAD_CATALOGUE, written by `python -m loadtest.catalogue`), so
that this file needs neither Django nor the database. It refuses to run against anything but
127.0.0.1/localhost, and without a bounded --run-time in headless mode (loadtest/safety.py).
"""

import json
import os
import random
import sys
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust import HttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.safety import (  # noqa: E402  (after the path set-up above)
    MAX_DURATION_S,
    MAX_USERS,
    MIN_DURATION_S,
    SIGN_IN_LIMIT_S,
    Unbounded,
    bounded,
    require_loopback,
    require_path,
    think_range,
)

# Seconds a person spends on a page before opening the next (scripts/load_test.py --think): a
# head or an official reads a dashboard or a dossier for a while, not for a blink.
THINK_S = think_range(os.environ.get("LOAD_THINK_S", "5-15"))
# Seconds of browsing once everyone has signed in (scripts/load_test.py --duration); unset, the
# browsing lasts until --run-time ends the run.
BROWSE_S = (
    bounded("LOAD_BROWSE_S", int(os.environ["LOAD_BROWSE_S"]), MIN_DURATION_S, MAX_DURATION_S)
    if os.environ.get("LOAD_BROWSE_S")
    else None
)

# Relative weights of the kinds of page (names as in loadtest/catalogue.py).
OFFICIAL_PAGES = {
    "district dashboard": 4,
    "indicator page": 3,
    "dossier": 6,
    "analytical report": 2,
    "letter PDF": 1,
    "plan PDF": 1,
    "reserve report": 1,
    "mentoring analytics": 1,
}
HEAD_PAGES = {
    "organisation card": 3,
    "dossier": 4,
    "organisation monitoring": 3,
    "plan": 2,
    "plan PDF": 1,
    "letter PDF": 1,
    "other head's dossier (404)": 1,
}


def load_catalogue() -> dict:
    """Read the catalogue and check that every URL in it is a path on the target host."""
    catalogue = json.loads(Path(os.environ["LOAD_CATALOGUE"]).read_text())
    for pages in catalogue["pages"].values():
        for urls in pages.values():
            for url in urls:
                require_path(url)
    return catalogue


def problem_with(response, expected: int, pdf: bool) -> str | None:
    """What is wrong with `response`, or None. Server errors are named as such."""
    status = response.status_code
    if not status:
        return f"server error: no response ({type(response.error).__name__}: {response.error})"
    if status >= 500:
        return f"server error: HTTP {status}"
    if status != expected:
        location = response.headers.get("Location", "")
        return f"unexpected HTTP {status} (expected {expected}) {location}".rstrip()
    if pdf and not (
        response.headers.get("Content-Type", "").startswith("application/pdf")
        and response.content.startswith(b"%PDF")
    ):
        return "not a PDF"
    return None


@events.init.add_listener
def refuse_unsafe_runs(environment, **_kwargs):
    """Stop before the first request unless the run targets loopback and ends by itself.

    An exception raised here makes locust exit with status 1 (locust/main.py treats errors in
    init handlers as fatal).
    """
    options = environment.parsed_options
    require_loopback(environment.host or "")
    if options is None:
        return  # a library use of these classes (no command line): the users check the host
    if not options.headless or options.master or options.worker or options.processes:
        raise Unbounded("Run headless in one process (--headless), as scripts/load_test.py does.")
    if not options.run_time:
        raise Unbounded("A --run-time is required: the load test stops by itself.")
    bounded("--run-time (s)", options.run_time, MIN_DURATION_S, MAX_DURATION_S + SIGN_IN_LIMIT_S)
    bounded("--users", options.num_users or 0, 1, MAX_USERS)
    load_catalogue()


class Phases:
    """The sign-in phase, then the browsing, each with figures of its own.

    All users start within a few seconds, and each sign-in checks a password hash that is slow
    on purpose (PBKDF2, about half a second of CPU): while fifty people sign in, any page would
    wait behind them, and real mornings spread the sign-ins out. So a user who has signed in
    waits until everyone has (or failed to), and then all browse together for LOAD_BROWSE_S
    seconds. The sign-in phase is reported too, never dropped; a failed sign-in fails the run.
    """

    started = time.time()
    attempts = 0
    sign_in: dict | None = None
    everyone_in = Event()

    @classmethod
    def attempt_finished(cls, environment) -> None:
        cls.attempts += 1
        if cls.attempts == environment.runner.target_user_count:
            cls.sign_in = {**_phase(environment.stats), "seconds": round(time.time() - cls.started)}
            environment.stats.reset_all()
            cls.started = time.time()
            cls.everyone_in.set()
            if BROWSE_S:
                gevent.spawn_later(BROWSE_S, environment.runner.quit)


@events.test_start.add_listener
def start_sign_in_phase(**_kwargs):
    Phases.started = time.time()


@events.quitting.add_listener
def write_summary(environment, **_kwargs):
    """Write the final figures to LOAD_SUMMARY (JSON) for scripts/load_test.py.

    Taken when locust quits, from its own statistics (its CSV files are rewritten once a second
    and may lag the last requests): {"sign_in": phase or null if it never ended, "browsing":
    phase}, each phase {"pages": [figures per kind of page, then "Aggregated"], "failures",
    "seconds"}.
    """
    if not os.environ.get("LOAD_SUMMARY"):
        return
    browsing = {**_phase(environment.stats), "seconds": round(time.time() - Phases.started)}
    summary = {"sign_in": Phases.sign_in, "browsing": browsing}
    Path(os.environ["LOAD_SUMMARY"]).write_text(json.dumps(summary, ensure_ascii=False, indent=1))


def _phase(stats) -> dict:
    entries = sorted(stats.entries.values(), key=lambda entry: entry.name)
    return {
        "pages": [_figures(entry) for entry in [*entries, stats.total] if entry.num_requests],
        "failures": [
            {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
    }


def _figures(entry) -> dict:
    return {
        "name": entry.name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        **{f"p{p}": entry.get_response_time_percentile(p / 100) for p in (50, 95, 99)},
        "max": round(entry.max_response_time or 0),
        "rps": round(entry.total_rps, 2),
    }


class PortalUser(HttpUser):
    """A person who signs in once and then browses the pages of his or her role."""

    abstract = True
    wait_time = between(*THINK_S)
    pages: dict[str, int] = {}
    logins: tuple[str, ...] = ()

    def on_start(self):
        # Checked again per user: a User can be started with a host of its own.
        require_loopback(self.host or "")
        catalogue = load_catalogue()
        self.login = random.choice(self.logins)
        self.urls = catalogue["pages"][self.login]
        self.sign_in(catalogue["password"])

    def sign_in(self, password: str) -> None:
        self.fetch("login form", "/login/", 200)
        token = self.client.cookies.get("csrftoken", "")
        data = {"username": self.login, "password": password, "csrfmiddlewaretoken": token}
        with self.client.post(
            "/login/", data=data, name="login", allow_redirects=False, catch_response=True
        ) as response:
            problem = problem_with(response, 302, pdf=False)
            if problem is None and response.headers.get("Location") != "/":
                problem = f"login refused for {self.login}"
            self._report(response, problem)
        Phases.attempt_finished(self.environment)
        if problem:
            raise StopUser()  # the failure is counted; without a session there is nothing to browse
        Phases.everyone_in.wait()
        # Released together, fifty people would all click at the same instant; people do not.
        gevent.sleep(self.wait_time())

    @task
    def browse(self):
        page = random.choices(list(self.pages), weights=list(self.pages.values()))[0]
        expected = 404 if page.endswith("(404)") else 200
        self.fetch(page, random.choice(self.urls[page]), expected)

    def fetch(self, page: str, url: str, expected: int) -> None:
        with self.client.get(
            require_path(url),
            name=f"{self.role} · {page}",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self._report(response, problem_with(response, expected, pdf=page.endswith("PDF")))

    @staticmethod
    def _report(response, problem: str | None) -> None:
        if problem:
            response.failure(problem)
        else:
            response.success()


class Official(PortalUser):
    weight = 2
    role = "official"
    logins = ("official",)
    pages = OFFICIAL_PAGES


class Head(PortalUser):
    weight = 3
    role = "head"
    logins = ("principal", "principal2")
    pages = HEAD_PAGES
