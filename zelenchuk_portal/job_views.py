"""Background jobs seen from the browser: the status the progress bar polls, and the result."""

from django.http import Http404, JsonResponse

from . import jobs
from .access import fetch_job
from .files import serve


def job_status(request, pk):
    """The job's state as JSON; only its starter and officials reach it (others get 404)."""
    job = fetch_job(request.user, pk)
    response = JsonResponse(jobs.status_payload(job))
    response["Cache-Control"] = "no-store"
    return response


def job_result(request, pk):
    """The file a finished job produced (a ZIP of letters…), after the same access check."""
    job = fetch_job(request.user, pk)
    if not (job.is_done and job.result_file):
        raise Http404
    return serve(job.result_file, job.result_name)
