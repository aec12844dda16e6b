"""Monitoring's long work as background jobs (see `zelenchuk_portal/jobs.py`).

Three kinds, registered in `MonitoringConfig.ready()`: applying a large import, the ZIP of a
period's letters, and rescoring after a methodology change. Each job re-reads what it works on
when it starts — a period closed while the job waited in the queue stays read-only.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zelenchuk_portal.jobs import Outcome, register_job
from zelenchuk_portal.models import Period

IMPORT = "monitoring.import"
LETTERS_ZIP = "monitoring.letters_zip"
RESCORE = "monitoring.rescore"


def import_in_background(record) -> bool:
    """Large imports are applied as a job; smaller ones in the request, as they always were."""
    return record.rows >= settings.JOBS_INLINE_BELOW_ROWS


def import_applied_message(summary) -> str:
    return _("Import applied: %(new)s new and %(changed)s changed values; scores recomputed.") % {
        "new": summary.new,
        "changed": summary.changed,
    }


def import_job(progress, *, user, record_id: int) -> Outcome:
    """Apply a previewed import (validated again), then rescore its period, in one transaction."""
    from .imports import apply_import
    from .models import ImportRecord
    from .scoring import score_period

    record = ImportRecord.objects.select_related("period").get(pk=record_id)
    url = reverse("monitoring:import_detail", args=[record.pk])
    progress(5, _("Checking the file again and storing the values…"))
    summary = apply_import(record, user, rescore=False)  # scored below, after saying so
    if summary is None:
        record.refresh_from_db(fields=["status"])
        if record.status == ImportRecord.Status.APPLIED:
            return Outcome(message=_("The import had already been applied."), url=url)
        # Kept, not rolled back: the record now lists what the second check found.
        return Outcome(error=_("The import was not applied: see the errors below."), url=url)
    if summary.written:
        progress(70, _("Values stored; computing the scores…"))
        score_period(record.period, trigger="import", user=user)
    return Outcome(message=import_applied_message(summary), url=url)


def letters_zip_job(progress, *, user, period_id: int, include_drafts: bool = False) -> Outcome:
    """The ZIP of a period's letters (one PDF each), as a file for the person who asked."""
    from .recommendations import letters_zip

    period = Period.objects.get(pk=period_id)
    progress(2, _("Collecting the letters…"))

    def letter_done(done: int, total: int) -> None:
        message = _("Letter %(done)s of %(total)s") % {"done": done, "total": total}
        progress(5 + 95 * done // total, message)

    data, count = letters_zip(period, include_drafts=include_drafts, progress=letter_done)
    if count == 0:
        raise ValidationError(_("No letters to download for this period yet."))
    return Outcome(
        message=ngettext(
            "%(count)s letter is in the archive.", "%(count)s letters are in the archive.", count
        )
        % {"count": count},
        content=data,
        filename=f"рекомендации_{period.label.replace('/', '-')}.zip",
    )


def periods_to_rescore(period) -> list[int]:
    """A period and every later open one: a later period's «change since the previous period»
    reads this period's index, so new scores here change the scores there."""
    later = Period.objects.open().filter(start_date__gt=period.start_date).order_by("start_date")
    return [period.pk, *later.values_list("pk", flat=True)]


def rescore_job(progress, *, user, period_ids: list[int], trigger: str = "methodology") -> Outcome:
    """Rescore the periods in order. The first is the one whose methodology changed: if it was
    closed in the meantime the job fails (its scores stay read-only); later closed ones are
    left as they are."""
    from .scoring import score_period

    periods = {p.pk: p for p in Period.objects.filter(pk__in=period_ids)}
    ordered = [periods[pk] for pk in period_ids if pk in periods]
    if not ordered or ordered[0].pk != period_ids[0]:
        raise ValidationError(_("The period no longer exists."))
    scored = []
    for n, period in enumerate(ordered):
        if period.is_closed and n > 0:
            continue
        progress(100 * n // len(ordered), _("Scoring period %s…") % period)
        score_period(period, trigger=trigger, user=user)  # refuses a closed period
        scored.append(period.label)
    url = reverse("monitoring:period_detail", args=[ordered[0].pk])
    return Outcome(message=_("Scores recomputed: %s.") % ", ".join(scored), url=url)


def register() -> None:
    register_job(IMPORT, import_job, gettext_lazy("Applying the import"))
    register_job(LETTERS_ZIP, letters_zip_job, gettext_lazy("ZIP of the letters"), atomic=False)
    register_job(RESCORE, rescore_job, gettext_lazy("Rescoring after the methodology change"))
