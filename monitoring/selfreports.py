"""Heads' self-reports: draft → submitted → accepted (values stored) or returned with a comment."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.models import Organization, Period

from . import values
from .catalogue import Catalogue, InputDef
from .formulas import inputs_for_type
from .models import SelfReport, Source
from .values import ValueWrite, ensure_open, write_values


def principal_inputs(catalogue: Catalogue, org_type: str) -> list[tuple[str, InputDef]]:
    """The inputs a head reports for this type of organisation, each with its subgroup.

    An input belongs in the form when an indicator that applies to the type uses it.
    """
    used = inputs_for_type(catalogue, org_type)
    return [
        (used[i.code], i)
        for i in catalogue.inputs
        if i.provided_by == "principal" and i.code in used
    ]


def report_for(period: Period, organization: Organization) -> SelfReport:
    """The organisation's report, or a new unsaved one: opening the page stores nothing, so
    «not started» stays true until the head saves something."""
    found = SelfReport.objects.filter(period=period, organization=organization).first()
    return found or SelfReport(period=period, organization=organization)


def start_report(period: Period, organization: Organization) -> SelfReport:
    """The organisation's report, stored (an empty draft if it had none)."""
    report, _created = SelfReport.objects.get_or_create(period=period, organization=organization)
    return report


def _ensure_editable(report: SelfReport) -> None:
    ensure_open(report.period)
    if not report.is_editable:
        raise ValidationError(
            _("The self-report is %s: it cannot be changed now.") % report.get_status_display()
        )


@transaction.atomic
def save_draft(
    report: SelfReport, raw: dict[str, str], *, user=None, revision: int | None = None
) -> None:
    """Keep what the head typed, exactly as typed: a draft is never refused for its content.

    It is refused (`ConflictError`) when the report was saved after `revision` — in another tab
    or by a colleague — so that an older page never overwrites a newer draft.
    """
    _ensure_editable(report)
    claim(report, revision, user)
    report.values = {code: str(value) for code, value in raw.items()}
    report.save()


def consistency_errors(report: SelfReport, cleaned: dict[str, Decimal | None]) -> list[str]:
    """Rule breaks between the reported numbers and the organisation's stored ones."""
    return values.consistency_errors(report.period, report.organization, cleaned)


@transaction.atomic
def submit(
    report: SelfReport, cleaned: dict[str, Decimal | None], user, revision: int | None = None
) -> None:
    """Submit a complete, consistent self-report for an official's review."""
    _ensure_editable(report)
    claim(report, revision, user)  # first: a stale page is told so, whatever else is wrong
    missing = [code for code, value in cleaned.items() if value is None]
    if missing:
        raise ValidationError(_("Fill in every field before submitting."))
    errors = consistency_errors(report, cleaned)
    if errors:
        raise ValidationError(errors)
    report.values = {code: str(value) for code, value in cleaned.items()}
    report.status = SelfReport.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = user
    _record(report, user, "")
    report.save()


@transaction.atomic
def accept(report: SelfReport, user, comment: str = "", revision: int | None = None) -> None:
    """Store the reported values as the organisation's values (the head as their author)."""
    ensure_open(report.period)
    claim(report, revision, user)
    if report.status != SelfReport.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted self-report can be accepted."))
    writes = [
        ValueWrite(report.organization_id, code, value)
        for code, value in report.decimal_values().items()
    ]
    write_values(
        report.period,
        writes,
        source=Source.PRINCIPAL,
        user=report.submitted_by,
        accepted_by=user,
        reason=_("Self-report accepted"),
    )
    _review(report, SelfReport.Status.ACCEPTED, user, comment)


@transaction.atomic
def return_for_correction(
    report: SelfReport, user, comment: str, revision: int | None = None
) -> None:
    ensure_open(report.period)
    claim(report, revision, user)
    if report.status != SelfReport.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted self-report can be returned."))
    if not comment.strip():
        raise ValidationError(_("Say what to correct: the comment goes to the head."))
    _review(report, SelfReport.Status.RETURNED, user, comment)


def _review(report: SelfReport, status: str, user, comment: str) -> None:
    report.status = status
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report.review_comment = comment.strip()
    _record(report, user, report.review_comment)
    report.save()


def _record(report: SelfReport, user, comment: str) -> None:
    report.history = [
        *report.history,
        {
            "at": timezone.now().isoformat(),
            "by": user.full_name or user.username,
            "status": str(report.get_status_display()),
            "comment": comment,
        },
    ]
