"""Monitoring's long work as jobs: a large import, the ZIP of letters, rescoring after a
methodology change — inline without a broker, queued (a stand-in queue) with one.

A real worker on a real Redis runs them in tests/portal/test_jobs_celery.py.
"""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from monitoring import recommendations as domain
from monitoring.imports import preview_upload
from monitoring.jobs import IMPORT, LETTERS_ZIP, RESCORE, periods_to_rescore, rescore_job
from monitoring.models import ImportRecord, Recommendation, Score, ScoringRun, Value
from monitoring.values import PeriodClosedError
from tests.monitoring.test_methodology import _form_data, _hours
from tests.monitoring.test_recommendations_drafting import make_rule, make_score
from tests.monitoring.test_views_pages import messages_of, synthetic, url, workbook
from zelenchuk_portal import jobs
from zelenchuk_portal.models import Job, JobStatus, Period, PeriodStatus


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = ""


@pytest.fixture
def queue(settings, monkeypatch):
    """A broker is configured; the tasks that would go to it are collected instead."""
    settings.CELERY_BROKER_URL = "redis://queue.invalid:6379/0"
    sent = []
    monkeypatch.setattr(jobs.run_job_task, "apply_async", lambda args, task_id: sent.append(args))
    return sent


@pytest.fixture
def previewed(period, org_a, org_b, official):
    data = workbook(period, synthetic(period, [org_a, org_b]))
    record = preview_upload(period, "данные.xlsx", data, official)
    assert record.status == ImportRecord.Status.PREVIEW and record.rows == 2
    return record


def _later(label, year, status=PeriodStatus.OPEN):
    return Period.objects.create(
        label=label, start_date=date(year, 9, 1), end_date=date(year + 1, 8, 31), status=status
    )


# --- the import --------------------------------------------------------------------------------


def test_a_small_import_stays_in_the_request_even_with_a_broker(
    login, official, previewed, queue, settings
):
    settings.JOBS_INLINE_BELOW_ROWS = 3
    login(official).post(url("import_confirm", previewed.pk))
    previewed.refresh_from_db()
    assert previewed.status == ImportRecord.Status.APPLIED
    assert not Job.objects.exists() and queue == []


def test_a_large_import_without_a_broker_runs_as_a_job_in_the_request(
    login, official, previewed, settings
):
    settings.JOBS_INLINE_BELOW_ROWS = 2
    response = login(official).post(url("import_confirm", previewed.pk))
    assert response.url == url("import_detail", previewed.pk)
    job = Job.objects.get()
    assert (job.kind, job.status, job.target_id) == (IMPORT, JobStatus.DONE, previewed.pk)
    previewed.refresh_from_db()
    assert previewed.status == ImportRecord.Status.APPLIED
    assert Value.objects.count() == previewed.values_new
    assert ScoringRun.objects.get().trigger == "import"
    assert Score.objects.count() == 2
    assert messages_of(response) == [
        gettext("Import applied: %(new)s new and %(changed)s changed values; scores recomputed.")
        % {"new": previewed.values_new, "changed": 0}
    ]
    page = login(official).get(response.url).content.decode()
    assert "data-job-status-url" not in page  # told as a message already


def test_a_large_import_with_a_broker_is_queued_and_the_page_follows_it(
    login, official, previewed, queue, settings, django_capture_on_commit_callbacks
):
    settings.JOBS_INLINE_BELOW_ROWS = 2
    client = login(official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("import_confirm", previewed.pk))
    job = Job.objects.get()
    assert queue == [[job.pk]]
    assert job.status == JobStatus.QUEUED
    assert messages_of(response) == [
        gettext("«%s» runs in the background: this page shows how far it has got.")
        % gettext("Applying the import")
    ]
    page = client.get(response.url).content.decode()
    assert reverse("jobs:status", args=[job.pk]) in page
    assert url("import_confirm", previewed.pk) not in page  # no second confirmation meanwhile
    assert not Value.objects.exists()

    jobs.execute(job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result_url == url("import_detail", previewed.pk)
    previewed.refresh_from_db()
    assert previewed.status == ImportRecord.Status.APPLIED
    assert ScoringRun.objects.get().trigger == "import"


def test_an_import_whose_period_was_closed_meanwhile_stores_nothing(
    official, period, previewed, queue
):
    job = jobs.run_job(IMPORT, user=official, target=previewed, record_id=previewed.pk)
    period.status = PeriodStatus.CLOSED
    period.save()
    job = jobs.execute(job.pk)
    assert job.status == JobStatus.FAILED
    assert job.error == PeriodClosedError(period).messages[0]
    assert not Value.objects.exists() and not Score.objects.exists()


def test_an_import_that_no_longer_validates_stores_nothing(official, org_b, previewed, queue):
    job = jobs.run_job(IMPORT, user=official, target=previewed, record_id=previewed.pk)
    org_b.is_active = False  # its row is now an unknown organisation
    org_b.save()
    job = jobs.execute(job.pk)
    assert job.status == JobStatus.FAILED
    assert job.error == gettext("The import was not applied: see the errors below.")
    previewed.refresh_from_db()
    assert previewed.status == ImportRecord.Status.REJECTED and previewed.issues
    assert not Value.objects.exists()


def test_an_import_applied_twice_is_applied_once(official, principal_a, previewed):
    first = jobs.run_job(IMPORT, user=official, target=previewed, record_id=previewed.pk)
    second = jobs.run_job(IMPORT, user=official, target=previewed, record_id=previewed.pk)
    assert (first.status, second.status) == (JobStatus.DONE, JobStatus.DONE)
    assert second.message == gettext("The import had already been applied.")
    assert ScoringRun.objects.count() == 1


# --- the ZIP of letters ------------------------------------------------------------------------


@pytest.fixture
def letters(period, org_a, org_b, official):
    """Both schools scored with a draft letter; A's is issued."""
    make_rule("level", "every level", level="critical", days=10)
    for org in (org_a, org_b):
        make_score(period, org, index=40.0, level="critical")
    domain.draft_recommendations(period)
    letter = Recommendation.objects.get(organization=org_a)
    domain.issue_recommendation(letter, number="1", issued_on=timezone.localdate(), user=official)


def test_without_a_broker_the_zip_is_handed_over_at_once(login, official, period, letters):
    response = login(official).get(reverse("recommendations:letters_zip", args=[period.pk]))
    assert response["Content-Type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == 1
    job = Job.objects.get()
    assert (job.kind, job.status, job.params) == (
        LETTERS_ZIP,
        JobStatus.DONE,
        {"period_id": period.pk, "include_drafts": False},
    )


def test_with_a_broker_the_overview_shows_the_zip_coming_then_its_link(
    login, official, period, letters, queue
):
    client = login(official)
    response = client.get(reverse("recommendations:letters_zip", args=[period.pk]), {"drafts": "1"})
    assert response.url == reverse("recommendations:period_overview", args=[period.pk])
    job = Job.objects.get()
    overview = client.get(response.url).content.decode()
    assert reverse("jobs:status", args=[job.pk]) in overview

    progress = []
    job = jobs.execute(job.pk, report=lambda p, m: progress.append((p, m)))
    assert job.status == JobStatus.DONE
    assert progress[-1] == (100, gettext("Letter %(done)s of %(total)s") % {"done": 2, "total": 2})
    assert [p for p, _m in progress] == sorted(p for p, _m in progress)
    assert job.result_name.endswith(".zip")
    download = client.get(reverse("jobs:result", args=[job.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    assert len(names) == 2
    overview = client.get(response.url).content.decode()
    assert reverse("jobs:result", args=[job.pk]) in overview


def test_a_zip_with_no_letters_says_so(login, official, period):
    response = login(official).get(reverse("recommendations:letters_zip", args=[period.pk]))
    assert response.url == reverse("recommendations:period_overview", args=[period.pk])
    assert messages_of(response) == [gettext("No letters to download for this period yet.")]
    assert Job.objects.get().status == JobStatus.FAILED


# --- rescoring after a methodology change ------------------------------------------------------


def test_the_edited_period_and_every_later_open_one_are_rescored(official, period):
    earlier = _later("2023/2024", 2023)
    open_later = _later("2025/2026", 2025)
    _later("2026/2027", 2026, PeriodStatus.CLOSED)
    assert periods_to_rescore(period) == [period.pk, open_later.pk]
    assert earlier.pk not in periods_to_rescore(period)


def test_the_methodology_page_rescores_as_a_job(login, official, period, org_a):
    _hours(period, org_a, "20", official)
    later = _later("2025/2026", 2025)
    response = login(official).post(
        reverse("monitoring:methodology_edit", args=[period.pk]),
        _form_data(period, {"cutoff_high": "85"}),
    )
    assert response.url == url("period_detail", period.pk)
    job = Job.objects.get()
    assert (job.kind, job.status, job.target_id) == (RESCORE, JobStatus.DONE, period.pk)
    assert job.params == {"period_ids": [period.pk, later.pk]}
    assert set(ScoringRun.objects.values_list("period", "trigger")) == {
        (period.pk, "methodology"),
        (later.pk, "methodology"),
    }
    assert messages_of(response) == [
        gettext("A new methodology version is in force; scores recomputed.")
    ]


def test_with_a_broker_the_period_page_shows_the_rescoring(login, official, period, org_a, queue):
    _hours(period, org_a, "20", official)
    client = login(official)
    response = client.post(
        reverse("monitoring:methodology_edit", args=[period.pk]),
        _form_data(period, {"cutoff_high": "85"}),
    )
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED and not ScoringRun.objects.exists()
    page = client.get(response.url).content.decode()
    assert reverse("jobs:status", args=[job.pk]) in page
    jobs.execute(job.pk)
    assert Score.objects.get(organization=org_a).version.cutoff_high == Decimal("85")


def test_a_period_closed_before_rescoring_keeps_its_scores(official, period, org_a):
    later = _later("2025/2026", 2025, PeriodStatus.CLOSED)
    period.status = PeriodStatus.CLOSED
    period.save()
    job = jobs.run_job(RESCORE, user=official, target=period, period_ids=[period.pk, later.pk])
    assert job.status == JobStatus.FAILED
    assert job.error == PeriodClosedError(period).messages[0]
    assert not ScoringRun.objects.exists()


def test_later_closed_periods_are_left_as_they_are(official, period, org_a):
    later = _later("2025/2026", 2025, PeriodStatus.CLOSED)
    steps = []
    outcome = rescore_job(
        lambda p, m: steps.append(p), user=official, period_ids=[period.pk, later.pk]
    )
    assert list(ScoringRun.objects.values_list("period", flat=True)) == [period.pk]
    assert outcome.message == gettext("Scores recomputed: %s.") % "2024/2025"
    assert steps == [0]
