"""The job layer without a broker (inline, as `make run` and the tests run) and with a stand-in
queue: what a job records, the status view and the result download, and who reaches them.

The real Redis and worker are in test_jobs_celery.py.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from tests.conftest import make_org, make_person
from zelenchuk_portal import jobs
from zelenchuk_portal.models import Job, JobStatus, Organization

ran_for = []


def _count(progress, *, user, upto: int):
    """A job that counts, reports each step and returns a text file."""
    ran_for.append(user)
    for n in range(1, upto + 1):
        progress(100 * n // upto, f"step {n}")
    return jobs.Outcome(message="counted", content=b"1 2 3", filename="счёт/../итог.txt")


def _refuse(progress, *, user, code: str):
    make_org(code)  # written first: must not survive the failure
    raise ValidationError("Нельзя: период закрыт.")


def _crash(progress, *, user, code: str):
    make_org(code)
    raise ZeroDivisionError


def _link(progress, *, user):
    return jobs.Outcome(message="see there", url="/monitoring/")


@pytest.fixture(autouse=True)
def kinds(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = ""
    ran_for.clear()
    jobs.register_job("test.count", _count, "Counting")
    jobs.register_job("test.refuse", _refuse)
    jobs.register_job("test.crash", _crash)
    jobs.register_job("test.link", _link)
    yield
    for kind in ("test.count", "test.refuse", "test.crash", "test.link"):
        jobs._REGISTRY.pop(kind)


@pytest.fixture
def queue(settings, monkeypatch):
    """A broker is configured; what would be sent to it is collected instead."""
    settings.CELERY_BROKER_URL = "redis://queue.invalid:6379/0"
    sent = []

    def apply_async(args, task_id):
        sent.append((args, task_id))

    monkeypatch.setattr(jobs.run_job_task, "apply_async", apply_async)
    return sent


# --- inline: no broker -------------------------------------------------------------------------


def test_without_a_broker_the_job_runs_in_the_request(official, org_a):
    job = jobs.run_job("test.count", user=official, target=org_a, upto=4)
    assert job.status == JobStatus.DONE and job.is_done and job.is_finished
    assert (job.progress, job.message) == (100, "counted")
    assert ran_for == [official]
    assert job.started_by == official and job.target_id == org_a.pk and not job.task_id
    assert job.params == {"upto": 4}
    assert job.result_name == "итог.txt"  # no path from the name the function gave
    assert job.result_file.read() == b"1 2 3"
    assert job.result_file.name.startswith("jobs/") and "итог" not in job.result_file.name
    assert job.started_at <= job.finished_at
    assert job.label == "Counting"


def test_a_refusal_is_kept_in_russian_and_its_writes_are_undone(official):
    job = jobs.run_job("test.refuse", user=official, code="X1")
    assert job.status == JobStatus.FAILED
    assert job.error == "Нельзя: период закрыт."
    assert not Organization.objects.filter(code="X1").exists()
    assert Job.objects.get().status == JobStatus.FAILED  # the record itself survives


@pytest.mark.django_db(transaction=True)
def test_on_a_worker_a_job_that_only_reads_holds_no_transaction(settings):
    """Outside a request (a worker) a job runs in its own transaction, or none if registered so
    — seen here by what a failing job leaves behind."""
    user = make_person("worker_user", None)
    jobs.register_job("test.refuse_loose", _refuse, atomic=False)
    try:
        for kind, code in (("test.refuse", "T1"), ("test.refuse_loose", "T2")):
            job = Job.objects.create(kind=kind, started_by=user, params={"code": code})
            assert jobs.execute(job.pk).status == JobStatus.FAILED
    finally:
        jobs._REGISTRY.pop("test.refuse_loose")
    assert list(Organization.objects.values_list("code", flat=True)) == ["T2"]


def test_an_unexpected_error_is_logged_and_told_without_details(official, caplog):
    job = jobs.run_job("test.crash", user=official, code="X2")
    assert job.status == JobStatus.FAILED
    assert job.error == gettext(
        "The work stopped on an unexpected error. Nothing was changed; the portal's "
        "administrator will find the details in the server log."
    )
    assert "ZeroDivisionError" in caplog.text
    assert not Organization.objects.filter(code="X2").exists()


def test_unknown_kinds_and_parameters_a_worker_could_not_receive_are_refused(official, org_a):
    with pytest.raises(LookupError):
        jobs.run_job("test.nothing", user=official)
    with pytest.raises(TypeError):
        jobs.run_job("test.count", user=official, upto=org_a)
    assert not Job.objects.exists()


def test_a_job_whose_kind_is_gone_fails_with_a_message(official):
    job = Job.objects.create(kind="test.gone", started_by=official)
    job = jobs.execute(job.pk)
    assert job.status == JobStatus.FAILED
    assert "test.gone" in job.error


# --- with a broker -----------------------------------------------------------------------------


def test_with_a_broker_the_job_is_queued_once_the_request_commits(
    official, org_a, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = jobs.run_job("test.count", user=official, target=org_a, upto=2)
        assert queue == []  # not before the row is committed
        again = jobs.run_job("test.count", user=official, target=org_a, upto=2)
    assert len(callbacks) == 1
    assert again == job  # a double click gets the queued job back
    assert job.status == JobStatus.QUEUED and job.task_id
    assert queue == [([job.pk], job.task_id)]
    assert ran_for == []

    ran = jobs.execute(job.pk)
    assert ran.status == JobStatus.DONE and ran_for == [official]
    assert jobs.execute(job.pk).status == JobStatus.DONE  # delivered twice: run once
    assert ran_for == [official]
    other = jobs.run_job("test.count", user=official, target=org_a, upto=3)
    assert other != job  # other parameters: another job


def test_a_broker_that_cannot_be_reached_fails_the_job_with_a_message(
    official, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = "redis://queue.invalid:6379/0"

    def apply_async(args, task_id):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(jobs.run_job_task, "apply_async", apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.run_job("test.count", user=official, upto=1)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(gettext("The job queue is not reachable"))


def test_the_status_reads_a_running_jobs_progress_from_the_result_backend(
    official, queue, monkeypatch
):
    job = jobs.run_job("test.count", user=official, upto=2)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job.refresh_from_db()
    reported = SimpleNamespace(state="PROGRESS", info={"progress": 40, "message": "step 2"})
    monkeypatch.setattr(jobs.run_job_task, "AsyncResult", lambda task_id: reported)
    payload = jobs.status_payload(job)
    assert (payload["progress"], payload["message"], payload["finished"]) == (40, "step 2", False)

    def unreachable(task_id):
        raise ConnectionError

    monkeypatch.setattr(jobs.run_job_task, "AsyncResult", unreachable)
    assert jobs.status_payload(job)["progress"] == 0  # the page keeps polling, no error


# --- the views ---------------------------------------------------------------------------------


def test_the_starter_and_officials_see_the_status_others_get_404(
    login, official, principal_a, principal_b, org_a
):
    job = jobs.run_job("test.count", user=principal_a, target=org_a, upto=2)
    url = reverse("jobs:status", args=[job.pk])
    for person in (principal_a, official):
        response = login(person).get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        data = response.json()
        assert data["status"] == "done" and data["finished"] is True
        assert data["progress"] == 100
        assert data["result_url"] == reverse("jobs:result", args=[job.pk])
        assert data["result_label"] == gettext("Download «%s»") % "итог.txt"
    assert login(principal_b).get(url).status_code == 404
    assert login(principal_b).get(reverse("jobs:status", args=[job.pk + 99])).status_code == 404


def test_anonymous_goes_to_the_login_page(client, official):
    job = jobs.run_job("test.count", user=official, upto=1)
    for name in ("jobs:status", "jobs:result"):
        response = client.get(reverse(name, args=[job.pk]))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_result_is_downloaded_through_the_access_check(
    login, official, principal_a, principal_b
):
    job = jobs.run_job("test.count", user=principal_a, upto=1)
    url = reverse("jobs:result", args=[job.pk])
    response = login(principal_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"1 2 3"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(official).get(url).status_code == 200
    assert login(principal_b).get(url).status_code == 404


def test_there_is_no_result_before_the_end_or_without_a_file(login, official, queue):
    running = jobs.run_job("test.count", user=official, upto=1)
    assert login(official).get(reverse("jobs:result", args=[running.pk])).status_code == 404
    linked = jobs.execute(jobs.run_job("test.link", user=official).pk)
    response = login(official).get(reverse("jobs:status", args=[linked.pk]))
    assert response.json()["result_url"] == "/monitoring/"
    assert login(official).get(reverse("jobs:result", args=[linked.pk])).status_code == 404


def test_a_failed_jobs_status_carries_its_error(login, official):
    job = jobs.run_job("test.refuse", user=official, code="X3")
    data = login(official).get(reverse("jobs:status", args=[job.pk])).json()
    assert (data["status"], data["finished"]) == ("failed", True)
    assert data["error"] == "Нельзя: период закрыт."
    assert data["result_url"] == ""


# --- on the page that started it ---------------------------------------------------------------


def test_the_page_shows_a_running_job_and_a_recent_background_one(
    official, principal_a, org_a, queue
):
    job = jobs.run_job("test.count", user=official, target=org_a, upto=2)
    assert jobs.latest_job(org_a, "test.count", official) == job
    assert jobs.latest_job(org_a, "test.count", principal_a) is None  # not his job
    jobs.execute(job.pk)
    assert jobs.latest_job(org_a, "test.count", official) == job  # finished, with its link
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=1))
    assert jobs.latest_job(org_a, "test.count", official) is None


def test_a_job_run_inline_is_reported_as_a_message_not_on_the_page(official, org_a):
    jobs.run_job("test.count", user=official, target=org_a, upto=2)
    assert jobs.latest_job(org_a, "test.count", official) is None


def test_the_progress_bar_has_no_inline_script_or_style(official, org_a, queue):
    job = jobs.run_job("test.count", user=official, target=org_a, upto=2)
    html = render_to_string("portal/_job_progress.html", {"job": job})
    assert f'data-job-status-url="{reverse("jobs:status", args=[job.pk])}"' in html
    assert 'data-job-finished="0"' in html and 'role="progressbar"' in html
    assert "<script" not in html and "style=" not in html
    jobs.execute(job.pk)
    job.refresh_from_db()
    html = render_to_string("portal/_job_progress.html", {"job": job})
    assert 'data-job-finished="1"' in html
    assert reverse("jobs:result", args=[job.pk]) in html
    assert render_to_string("portal/_job_progress.html", {"job": None}).strip() == ""


def test_purging_removes_old_finished_jobs_and_their_files(official, queue):
    old = jobs.execute(jobs.run_job("test.count", user=official, upto=1).pk)
    recent = jobs.execute(jobs.run_job("test.count", user=official, upto=2).pk)
    waiting = jobs.run_job("test.count", user=official, upto=3)
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=10))
    storage, name = old.result_file.storage, old.result_file.name
    assert storage.exists(name)
    call_command("purge_jobs", "--days", "7")
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not storage.exists(name)
