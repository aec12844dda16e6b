"""Background jobs: long work on Celery workers when there is a broker, inline when there is not.

An app registers what a kind of job does — `register_job("monitoring.import", import_job, label)`
in its `AppConfig.ready()`, so this layer never imports the apps above it — and a view starts it
with `run_job(kind, user=…, target=obj, **params)`:

- `CELERY_BROKER_URL` set: a `Job` row is created, a Celery task is queued once the request's
  transaction commits, and the job comes back *queued*; the page shows a progress bar
  (`portal/_job_progress.html` + `static/js/portal.js`) that polls `jobs:status`.
- unset (a laptop, `make run`, the tests): the same function runs in the request and the job
  comes back *done* or *failed*, so the embedded default needs no server.

A job function is called as `function(progress, user=…, **params)`, reports with
`progress(percent, message)` and returns an `Outcome` (a message, and a file to download or a page
to open) or None. Its work runs in one transaction (unless it only reads: `atomic=False`): an
error leaves nothing half-written, and a `ValidationError` becomes the job's error text for the
person who started it, in Russian.
Inside that transaction progress written to the database would stay invisible until the end, so a
worker reports it through Celery's result backend instead, and `status_payload` reads it there.
"""

import json
import logging
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from auditlog.context import set_actor
from celery import shared_task
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .files import safe_name
from .models import UNFINISHED, Job, JobStatus

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

# A finished background job stays on the page that started it for a working day, so that a ZIP
# prepared while its author was away can still be downloaded from there.
SHOW_FINISHED_FOR = timedelta(hours=12)


@dataclass(frozen=True)
class Outcome:
    """What a job function returns: a message, and a file to download or a page to open.

    `error` ends the job as failed while keeping what it wrote (an import refused on its second
    check keeps its list of errors); raising a ValidationError undoes everything instead.
    """

    message: str = ""
    content: bytes | None = None
    filename: str = ""
    url: str = ""
    error: str = ""


@dataclass(frozen=True)
class _Kind:
    function: Callable[..., Outcome | None]
    label: str
    atomic: bool


_REGISTRY: dict[str, _Kind] = {}


def register_job(
    kind: str, function: Callable[..., Outcome | None], label: str = "", *, atomic: bool = True
) -> None:
    """Make `kind` runnable: `function(progress, user=…, **params)` does the work.

    A job that only reads (the ZIP of letters) passes `atomic=False`: on a worker it then holds
    no transaction for its whole length — on SQLite one would keep every page waiting.
    """
    _REGISTRY[kind] = _Kind(function, label, atomic)


def kind_label(kind: str) -> str:
    registered = _REGISTRY.get(kind)
    return str(registered.label) if registered and registered.label else kind


def in_background() -> bool:
    """Whether jobs go to Celery workers (a broker is configured) or run in the request."""
    return bool(settings.CELERY_BROKER_URL)


def run_job(kind: str, *, user, target=None, **params) -> Job:
    """Start a job of `kind` for `target` (a model instance, or None) with JSON-able `params`.

    Queued on a worker when there is a broker (and returned *queued*), otherwise run now (and
    returned finished). The same person starting the same job on the same object while it is
    still queued or running (a double click, a reload) gets the running job back.
    """
    if kind not in _REGISTRY:
        raise LookupError(f"No job of kind {kind!r} is registered.")
    json.dumps(params)  # a worker receives them as JSON: fail here, not there
    jobs = Job.objects.filter(kind=kind, started_by=user)
    if target is not None:
        jobs = jobs.for_object(target)
    for running in jobs.unfinished():
        if running.params == params:
            return running
    job = Job.objects.create(
        kind=kind,
        started_by=user,
        target_type=_content_type(target),
        target_id=getattr(target, "pk", None),
        params=params,
    )
    if not in_background():
        return execute(job.pk)
    job.task_id = str(uuid.uuid4())
    job.save(update_fields=["task_id"])
    # The worker must find the row: queue the task only once the row is committed.
    transaction.on_commit(partial(_enqueue, job.pk, job.task_id))
    return job


def _content_type(target):
    if target is None:
        return None
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(target)


def _enqueue(job_id: int, task_id: str) -> None:
    try:
        run_job_task.apply_async(args=[job_id], task_id=task_id)
    except Exception:
        logger.exception("Job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=_(
                "The job queue is not reachable, so the work was not started. Try again later "
                "or tell the portal's administrator."
            ),
        )


def execute(job_id: int, report: Progress | None = None) -> Job:
    """Run a queued job here and now, record how it ended and return it.

    A job runs once: it is claimed by switching it from *queued* to *running* in one UPDATE, so a
    task delivered twice finds it taken. `report(percent, message)` also receives the progress
    (the worker passes it on to the result backend).
    """
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    job = Job.objects.select_related("started_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(percent: int, message: str = "") -> None:
        job.progress = max(0, min(100, int(percent)))
        job.message = str(message)[:500]
        if report is not None:
            report(job.progress, job.message)

    registered = _REGISTRY.get(job.kind)
    try:
        if registered is None:
            raise ValidationError(_("This portal does not know jobs of the kind «%s».") % job.kind)
        # Inline, inside the request's transaction, a savepoint always keeps a failure contained.
        atomic = registered.atomic or transaction.get_connection().in_atomic_block
        # The audit trail names the person who started the job, not «system», for its writes.
        with set_actor(job.started_by), transaction.atomic() if atomic else nullcontext():
            outcome = registered.function(progress, user=job.started_by, **job.params)
    except ValidationError as error:
        _finish(job, JobStatus.FAILED, error=" ".join(error.messages))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            JobStatus.FAILED,
            error=_(
                "The work stopped on an unexpected error. Nothing was changed; the portal's "
                "administrator will find the details in the server log."
            ),
        )
    else:
        outcome = outcome or Outcome()
        _finish(job, JobStatus.FAILED if outcome.error else JobStatus.DONE, outcome=outcome)
    return job


def _finish(job: Job, status: str, *, error: str = "", outcome: Outcome | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    if outcome is not None and outcome.error:
        job.error, job.result_url = outcome.error, outcome.url
    elif outcome is not None:
        job.progress = 100
        job.message = outcome.message[:500] or job.message
        job.result_url = outcome.url
        if outcome.content is not None:
            job.result_name = safe_name(outcome.filename or "result")
            extension = job.result_name.rsplit(".", 1)[-1] if "." in job.result_name else "bin"
            # A random storage name: result files are served only through `jobs:result`.
            job.result_file.save(
                f"{uuid.uuid4().hex}.{extension}", ContentFile(outcome.content), save=False
            )
    job.save()


@shared_task(name="zelenchuk_portal.run_job", bind=True, ignore_result=True)
def run_job_task(self, job_id: int) -> None:
    """The one Celery task: run the job `job_id` on this worker."""

    def report(percent: int, message: str) -> None:
        if self.request.id and self.app.conf.result_backend:
            self.update_state(state="PROGRESS", meta={"progress": percent, "message": message})

    execute(job_id, report)


def _reported_progress(job: Job) -> tuple[int, str] | None:
    """The progress a worker reported for a running job, from the result backend."""
    try:
        result = run_job_task.AsyncResult(job.task_id)
        if result.state == "PROGRESS" and isinstance(result.info, dict):
            return int(result.info.get("progress", 0)), str(result.info.get("message", ""))
    except Exception:  # the backend being away must not break the page that polls
        logger.warning("No progress for job %s from the result backend", job.pk, exc_info=True)
    return None


def status_payload(job: Job) -> dict:
    """The job as the progress bar sees it (the JSON of `jobs:status`)."""
    progress, message = job.progress, job.message
    if not job.is_finished and job.task_id and in_background():
        progress, message = _reported_progress(job) or (progress, message)
    result_url = result_label = ""
    if job.is_done and job.result_file:
        result_url = reverse("jobs:result", args=[job.pk])
        result_label = _("Download «%s»") % job.result_name
    elif job.is_done and job.result_url:
        result_url, result_label = job.result_url, _("Open the result")
    return {
        "id": job.pk,
        "kind": job.kind,
        "label": job.label,
        "status": job.status,
        "status_display": job.get_status_display(),
        "finished": job.is_finished,
        "progress": progress,
        "message": message,
        "error": job.error,
        "result_url": result_url,
        "result_label": result_label,
    }


def latest_job(target, kind: str, user) -> Job | None:
    """The job of `kind` on `target` to show on its page: one still running, or one that ran in
    the background and ended recently (an inline job was already reported as a message)."""
    job = Job.objects.visible_to(user).for_object(target).filter(kind=kind).first()
    if job is None:
        return None
    if not job.is_finished:
        return job
    recent = job.finished_at and job.finished_at >= timezone.now() - SHOW_FINISHED_FOR
    return job if job.task_id and recent else None


def announce(request, job: Job) -> None:
    """Say on the next page how a job that was just started stands."""
    if job.status == JobStatus.DONE:
        messages.success(request, job.message or _("Done."))
    elif job.status == JobStatus.FAILED:
        messages.error(request, job.error)
    else:
        messages.info(
            request,
            _("«%s» runs in the background: this page shows how far it has got.") % job.label,
        )


def purge_jobs(older_than: timedelta) -> int:
    """Delete finished jobs (and their result files) that ended more than `older_than` ago."""
    old = Job.objects.exclude(status__in=UNFINISHED).filter(
        finished_at__lt=timezone.now() - older_than
    )
    count = 0
    for job in old.iterator():
        if job.result_file:
            job.result_file.delete(save=False)
        job.delete()
        count += 1
    return count
