"""Background jobs on a real Redis and a real Celery worker.

A worker is started as a subprocess (`celery -A zelenchuk_portal worker --pool=solo`) on a queue
of its own, against the database this test writes to: the PostgreSQL test database when
DATABASE_URL is PostgreSQL (the test is transactional, so the worker sees committed rows), else a
file SQLite database, since a worker cannot see the in-memory one. The pages start the jobs as a
person would, and the test polls the status view the progress bar polls.

In CI (CI=true) a missing Redis fails these tests; elsewhere they are skipped.
"""

import io
import os
import subprocess
import sys
import time
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils.translation import gettext

from monitoring.imports import preview_upload
from monitoring.jobs import IMPORT, LETTERS_ZIP
from monitoring.models import ImportRecord, Recommendation, Score, ScoringRun, Value
from monitoring.values import PeriodClosedError
from tests.conftest import make_org, make_person
from tests.monitoring.test_recommendations_drafting import make_rule
from tests.monitoring.test_views_pages import synthetic, workbook
from zelenchuk_portal.celery import app as celery_app
from zelenchuk_portal.jobs import run_job_task
from zelenchuk_portal.models import Job, JobStatus, Period, PeriodStatus, Role

REDIS_URL = os.environ.get("JOBS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
# A queue of this test run's own: other runs on the same Redis must not take its tasks.
QUEUE = f"jobs-test-{uuid.uuid4().hex[:12]}"
WAIT_SECONDS = 240

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        message = f"Redis does not answer at {REDIS_URL} ({error})"
        if IN_CI:
            pytest.fail(f"{message}: CI runs the job tests against a real Redis.")
        pytest.skip(message)
    return REDIS_URL


# SQLite lets one writer at a time, and the pages write (each request saves its session): with
# the default deferred transactions a page and the worker's job can each hold a read lock and ask
# to write, and SQLite refuses one at once. Immediate transactions queue for the lock instead.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 60}


@contextmanager
def _sqlite_file(path: Path):
    """Point the default connection at a migrated file database for the test's duration, and
    put the in-memory test database back afterwards (its connection is kept open meanwhile:
    closing the last one would destroy it)."""
    connection = connections["default"]
    settings_dict = connection.settings_dict
    saved = settings_dict["NAME"], settings_dict["OPTIONS"], connection.connection
    connection.connection = None
    settings_dict["NAME"], settings_dict["OPTIONS"] = str(path), SQLITE_OPTIONS
    try:
        call_command("migrate", verbosity=0)
        yield f"sqlite:///{path}?" + "&".join(f"{k}={v}" for k, v in SQLITE_OPTIONS.items())
    finally:
        connection.close()
        settings_dict["NAME"], settings_dict["OPTIONS"], connection.connection = saved


def _postgres_url(db: dict) -> str:
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_database(tmp_path):
    connection = connections["default"]
    if connection.vendor == "postgresql":
        yield _postgres_url(connection.settings_dict)
    elif connection.vendor == "sqlite":
        with _sqlite_file(tmp_path / "jobs.sqlite3") as url:
            yield url
    else:
        pytest.fail(f"No worker database for {connection.vendor}")


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def worker(redis_url, worker_database, settings, tmp_path):
    """A real worker on QUEUE, with this test's database and media folder; stopped afterwards."""
    media = tmp_path / "media"
    settings.CELERY_BROKER_URL = redis_url
    settings.MEDIA_ROOT = media
    names = ("broker_url", "result_backend", "task_default_queue")
    saved = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(broker_url=redis_url, result_backend=redis_url, task_default_queue=QUEUE)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "MEDIA_ROOT": str(media),
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "zelenchuk_portal", "worker"]
    command += ["--pool=solo", "-Q", QUEUE, "-n", f"{QUEUE}@%h", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield Worker(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        celery_app.conf.update(saved)


def wait_for(client, job: Job, worker: Worker) -> dict:
    """Poll the job's status view, as the progress bar does, until the job has ended."""
    url = reverse("jobs:status", args=[job.pk])
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        payload = client.get(url).json()
        if payload["finished"]:
            return payload
        if worker.process.poll() is not None:
            pytest.fail(f"The worker stopped ({worker.process.returncode}):\n{worker.output()}")
        time.sleep(0.3)
    pytest.fail(f"Job {job.pk} did not end in {WAIT_SECONDS} s: {payload}\n{worker.output()}")


def district(count=3):
    official = make_person("official", Role.OFFICIAL)
    organizations = [make_org(f"S{n:02d}") for n in range(1, count + 1)]
    period = Period.objects.create(
        label="2024/2025",
        start_date="2024-09-01",
        end_date="2025-08-31",
        status=PeriodStatus.OPEN,
    )
    return official, organizations, period


def test_an_import_and_the_zip_of_letters_run_on_the_worker(worker, client, settings):
    official, organizations, period = district()
    for level in ("high", "optimal", "acceptable", "critical"):  # every scored school gets a draft
        make_rule("level", f"level {level}", level=level, days=10)
    settings.JOBS_INLINE_BELOW_ROWS = 1  # three rows count as a large import here
    data = workbook(period, synthetic(period, organizations))
    record = preview_upload(period, "данные.xlsx", data, official)
    assert record.status == ImportRecord.Status.PREVIEW
    client.force_login(official)

    response = client.post(reverse("monitoring:import_confirm", args=[record.pk]))
    assert response.url == reverse("monitoring:import_detail", args=[record.pk])
    job = Job.objects.get(kind=IMPORT)
    assert job.task_id and job.started_by == official and job.target_id == record.pk
    payload = wait_for(client, job, worker)
    assert payload["status"] == "done", payload
    assert payload["progress"] == 100
    assert payload["result_url"] == reverse("monitoring:import_detail", args=[record.pk])
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.APPLIED
    assert Value.objects.filter(period=period).count() == record.values_new > 0
    assert Score.objects.filter(period=period).count() == len(organizations)
    assert ScoringRun.objects.get(period=period).trigger == "import"
    page = client.get(reverse("monitoring:import_detail", args=[record.pk])).content.decode()
    assert reverse("jobs:status", args=[job.pk]) in page  # the finished bar stays on the page

    letters = Recommendation.objects.filter(period=period).count()
    assert letters == len(organizations)
    response = client.get(reverse("recommendations:letters_zip", args=[period.pk]), {"drafts": "1"})
    assert response.url == reverse("recommendations:period_overview", args=[period.pk])
    job = Job.objects.get(kind=LETTERS_ZIP)
    payload = wait_for(client, job, worker)
    assert payload["status"] == "done", payload
    download = client.get(payload["result_url"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len(archive.namelist()) == letters
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    # The worker reported its progress through Redis, letter by letter, up to the last one.
    reported = run_job_task.AsyncResult(job.task_id)
    assert reported.state == "PROGRESS"
    assert reported.info["progress"] == 100
    last = gettext("Letter %(done)s of %(total)s") % {"done": letters, "total": letters}
    assert reported.info["message"] == last


def test_a_period_closed_while_the_import_waited_stays_read_only(worker, client, settings):
    official, organizations, period = district(2)
    settings.JOBS_INLINE_BELOW_ROWS = 1
    data = workbook(period, synthetic(period, organizations))
    record = preview_upload(period, "данные.xlsx", data, official)
    period.status = PeriodStatus.CLOSED
    period.save()
    client.force_login(official)

    client.post(reverse("monitoring:import_confirm", args=[record.pk]))
    job = Job.objects.get(kind=IMPORT)
    payload = wait_for(client, job, worker)
    assert payload["status"] == JobStatus.FAILED
    assert payload["error"] == PeriodClosedError(period).messages[0]
    assert not Value.objects.exists()
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.PREVIEW
