"""The progress bar of a background job, in a real browser: portal.js polls the job's status and
moves the bar, then shows the result link or the error. The job's row is advanced by the test,
as a worker would (a real worker runs in tests/portal/test_jobs_celery.py)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.jobs import RESCORE
from tests.conftest import PASSWORD
from zelenchuk_portal.models import Job, JobStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _running(official, period) -> Job:
    return Job.objects.create(
        kind=RESCORE,
        status=JobStatus.RUNNING,
        progress=30,
        message="Период 2024/2025…",
        task_id="task-1",
        started_by=official,
        target_type=ContentType.objects.get_for_model(period),
        target_id=period.pk,
        params={"period_ids": [period.pk]},
    )


def _bar_width(page) -> str:
    return page.eval_on_selector("[data-job-bar]", "bar => bar.style.width")


def test_the_bar_follows_the_job_to_its_result(sign_in, official, period, live_server):
    job = _running(official, period)
    page = sign_in("official", PASSWORD)
    page.goto(f"{live_server.url}/monitoring/periods/{period.pk}/")
    box = page.locator("[data-job-status-url]")
    assert box.locator("[data-job-percent]").inner_text() == "30"
    assert _bar_width(page) == "30%"

    Job.objects.filter(pk=job.pk).update(progress=60, message="Ещё немного")
    expect(box.locator("[data-job-percent]")).to_have_text("60")
    assert box.locator("[data-job-message]").inner_text() == "Ещё немного"
    assert _bar_width(page) == "60%"

    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        progress=100,
        message="Баллы пересчитаны: 2024/2025.",
        result_url=f"/monitoring/periods/{period.pk}/",
        finished_at=timezone.now(),
    )
    link = box.locator("[data-job-result] a")
    link.wait_for()
    assert link.get_attribute("href") == f"/monitoring/periods/{period.pk}/"
    assert _bar_width(page) == "100%"
    assert "bg-success" in box.locator("[data-job-bar]").get_attribute("class")
    assert "progress-bar-animated" not in box.locator("[data-job-bar]").get_attribute("class")


def test_a_failure_is_shown_in_russian(sign_in, official, period, live_server):
    job = _running(official, period)
    page = sign_in("official", PASSWORD)
    page.goto(f"{live_server.url}/monitoring/periods/{period.pk}/")
    error = "Период 2024/2025 закрыт: его данные и баллы доступны только для чтения."
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )
    shown = page.locator("[data-job-result] .text-danger")
    shown.wait_for()
    assert shown.inner_text() == error
    assert "bg-danger" in page.locator("[data-job-bar]").get_attribute("class")
