"""Monitoring pages: the period, imports, self-reports, an organisation's indicators."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import require_role
from zelenchuk_portal.concurrency import ConflictError
from zelenchuk_portal.files import check_upload, random_name, read_bounded, safe_name, serve
from zelenchuk_portal.jobs import announce, latest_job, run_job
from zelenchuk_portal.models import Organization, Period, Role
from zelenchuk_portal.pdf import content_disposition

from . import selfreports
from .access import (
    fetch_evidence,
    fetch_import,
    fetch_org_period,
    fetch_period,
    fetch_self_report,
    fetch_version,
)
from .completeness import completeness_rows, completeness_summary
from .corrections import correct_value, value_revision
from .explain import applies_to_text, explain_rule, sources_text
from .exports import scores_csv, template_bytes
from .forms import (
    CorrectionForm,
    EvidenceForm,
    MethodologyForm,
    ReasonForm,
    ReviewForm,
    SelfReportForm,
    UploadForm,
)
from .imports import ImportIssue, apply_import, preview_upload
from .jobs import (
    IMPORT,
    RESCORE,
    import_applied_message,
    import_in_background,
    periods_to_rescore,
)
from .methodology import derive_version, version_for
from .models import Evidence, ImportRecord, SelfReport, ValueChange
from .periods import close_period, reopen_period
from .profiles import SUBGROUP_NAMES, build_org_profile
from .scoring import score_period
from .values import ensure_open, org_values
from .workbook import build_errors_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content, filename, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def home(request):
    """Officials go to the current period; a head to his or her organisation's indicators."""
    period = Period.objects.current()
    if period is None:
        raise PermissionDenied
    if request.user.is_official:
        return redirect("monitoring:period_detail", period.pk)
    organization = request.user.organizations_as(Role.PRINCIPAL).first()
    if organization is None:
        raise PermissionDenied
    return redirect("monitoring:org_monitoring", period.pk, organization.pk)


def period_detail(request, pk):
    period = fetch_period(request.user, pk)
    context = {
        "period": period,
        "periods": Period.objects.all(),
        "version": version_for(period),
        "summary": completeness_summary(period),
        "imports": period.imports.select_related("uploaded_by")[:10],
        "to_review": period.self_reports.filter(status=SelfReport.Status.SUBMITTED).select_related(
            "organization"
        ),
        "last_run": period.scoring_runs.select_related("by").first(),
        "events": period.events.select_related("by")[:5],
        "upload_form": UploadForm(),
        "reason_form": ReasonForm(),
        "job": latest_job(period, RESCORE, request.user),
    }
    return render(request, "monitoring/period_detail.html", context)


def template_download(request, pk):
    period = fetch_period(request.user, pk)
    filename = f"monitoring_{period.label.replace('/', '-')}.xlsx"
    return _attachment(template_bytes(period), filename, XLSX)


@require_POST
def import_upload(request, pk):
    period = fetch_period(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("monitoring:period_detail", period.pk)
    upload = form.cleaned_data["file"]
    try:
        record = preview_upload(period, upload.name, read_bounded(upload), request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("monitoring:period_detail", period.pk)
    return redirect("monitoring:import_detail", record.pk)


def import_detail(request, pk):
    record = fetch_import(request.user, pk)
    job = latest_job(record, IMPORT, request.user)
    return render(request, "monitoring/import_detail.html", {"record": record, "job": job})


def import_errors(request, pk):
    record = fetch_import(request.user, pk)
    issues = [ImportIssue(**issue) for issue in record.issues]
    return _attachment(build_errors_workbook(issues), f"errors_{record.pk}.xlsx", XLSX)


@require_POST
def import_confirm(request, pk):
    record = fetch_import(request.user, pk)
    if import_in_background(record):
        announce(request, run_job(IMPORT, user=request.user, target=record, record_id=record.pk))
        return redirect("monitoring:import_detail", record.pk)
    try:
        summary = apply_import(record, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("monitoring:import_detail", record.pk)
    if summary is None:
        messages.error(request, _("The import was not applied: see the errors below."))
    else:
        messages.success(request, import_applied_message(summary))
    return redirect("monitoring:import_detail", record.pk)


@require_POST
def import_discard(request, pk):
    record = fetch_import(request.user, pk)
    if record.status == ImportRecord.Status.PREVIEW:
        record.status = ImportRecord.Status.DISCARDED
        record.save(update_fields=["status"])
        messages.info(request, _("The upload was discarded; nothing was stored."))
    return redirect("monitoring:period_detail", record.period_id)


def completeness(request, pk):
    period = fetch_period(request.user, pk)
    organizations = Organization.objects.active().order_by("org_type", "short_name")
    page = Paginator(organizations, 100).get_page(request.GET.get("page"))
    context = {"period": period, "page": page, "rows": completeness_rows(period, page)}
    return render(request, "monitoring/completeness.html", context)


@require_POST
def period_close(request, pk):
    period = fetch_period(request.user, pk)
    try:
        close_period(period, request.user, request.POST.get("reason", ""))
        messages.success(
            request, _("Period %s is closed: its data and scores are now read-only.") % period
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("monitoring:period_detail", period.pk)


@require_POST
def period_reopen(request, pk):
    period = fetch_period(request.user, pk)
    try:
        reopen_period(period, request.user, request.POST.get("reason", ""))
        messages.success(request, _("Period %s is reopened.") % period)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("monitoring:period_detail", period.pk)


@require_POST
def period_rescore(request, pk):
    period = fetch_period(request.user, pk)
    try:
        run = score_period(period, trigger="manual", user=request.user)
        messages.success(request, _("Scores recomputed for %s organisations.") % run.organizations)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("monitoring:period_detail", period.pk)


def scores_export(request, pk):
    period = fetch_period(request.user, pk)
    filename = f"scores_{period.label.replace('/', '-')}.csv"
    return _attachment(scores_csv(period), filename, "text/csv; charset=utf-8")


def methodology_edit(request, pk):
    period = fetch_period(request.user, pk)
    version = version_for(period)
    catalogue = version.catalogue
    initial = {
        "weight_a": catalogue.weight_a,
        "weight_b": catalogue.weight_b,
        "cutoff_high": catalogue.cutoffs["high"],
        "cutoff_optimal": catalogue.cutoffs["optimal"],
        "cutoff_acceptable": catalogue.cutoffs["acceptable"],
    }
    form = MethodologyForm(request.POST or None, initial=initial, catalogue=catalogue)
    if not period.is_closed and form.is_valid():
        data = form.cleaned_data
        try:
            derive_version(
                period,
                params=form.params(),
                weight_a=float(data["weight_a"]),
                weight_b=float(data["weight_b"]),
                cutoffs={
                    "high": float(data["cutoff_high"]),
                    "optimal": float(data["cutoff_optimal"]),
                    "acceptable": float(data["cutoff_acceptable"]),
                },
                comment=data["comment"],
                user=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            ids = periods_to_rescore(period)
            job = run_job(RESCORE, user=request.user, target=period, period_ids=ids)
            if job.is_done:
                messages.success(
                    request, _("A new methodology version is in force; scores recomputed.")
                )
            else:
                announce(request, job)
            return redirect("monitoring:period_detail", period.pk)
    context = {"period": period, "version": version, "form": form}
    return render(request, "monitoring/methodology_edit.html", context)


def catalogue_detail(request, pk):
    version = fetch_version(request.user, pk)
    catalogue = version.catalogue
    rows = [
        {
            "indicator": ind,
            "rule": explain_rule(ind, catalogue),
            "applies_to": applies_to_text(ind),
            "sources": sources_text(ind),
        }
        for ind in catalogue.indicators
    ]
    context = {
        "version": version,
        "catalogue": catalogue,
        "rows": rows,
        "subgroups": SUBGROUP_NAMES,
    }
    return render(request, "monitoring/catalogue.html", context)


def org_monitoring(request, period_pk, org_pk):
    period, organization = fetch_org_period(request.user, period_pk, org_pk)
    profile = build_org_profile(period, organization)
    periods = Period.objects.filter(scores__organization=organization).distinct()
    return render(
        request, "monitoring/org_monitoring.html", {"profile": profile, "periods": periods}
    )


def value_edit(request, period_pk, org_pk, code):
    period, organization = fetch_org_period(request.user, period_pk, org_pk)
    require_role(request.user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's values
    catalogue = version_for(period).catalogue
    item = catalogue.inputs_by_code.get(code)
    if item is None or item.scope != "org" or item.provided_by == "derived":
        raise PermissionDenied
    current = org_values(period, organization).get(code)
    form = CorrectionForm(
        request.POST or None,
        item=item,
        initial={"value": current.value if current else None},
        revision=value_revision(period, organization, code),
    )
    if request.method == "POST" and form.is_valid():
        try:
            correct_value(
                period,
                organization,
                code,
                form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                user=request.user,
                revision=form.base_revision,
            )
            score_period(period, trigger="correction", user=request.user)
        except ValidationError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, _("Value saved; scores recomputed."))
            return redirect("monitoring:org_monitoring", period.pk, organization.pk)
    history = ValueChange.objects.filter(
        period=period, organization=organization, input_code=code
    ).select_related("changed_by", "import_record")
    context = {
        "period": period,
        "organization": organization,
        "item": item,
        "form": form,
        "history": history,
    }
    return render(request, "monitoring/value_edit.html", context)


def self_report(request, period_pk, org_pk):
    period, organization = fetch_org_period(request.user, period_pk, org_pk)
    report = selfreports.report_for(period, organization)
    items = selfreports.principal_inputs(version_for(period).catalogue, organization.org_type)
    data = request.POST if request.method == "POST" else None
    form = SelfReportForm(data, items=items, initial=report.values, record=report)
    if data is None:
        return _render_self_report(request, report, form, items)
    if request.user.is_official:
        raise PermissionDenied  # officials review; only the head writes the report
    return _save_self_report(request, report, form, items)


def _render_self_report(request, report, form, items):
    is_head = not request.user.is_official
    context = {
        "report": report,
        "evidence": report.evidence.all() if report.pk else [],
        "form": form,
        "is_head": is_head,
        "editable": is_head and report.is_editable and not report.period.is_closed,
        "evidence_form": EvidenceForm(items=items),
        "review_form": ReviewForm(record=report),
        "subgroups": SUBGROUP_NAMES,
    }
    return render(request, "monitoring/self_report.html", context)


def _save_self_report(request, report, form, items):
    autosave = request.headers.get("X-Autosave") == "1"
    valid = form.is_valid()
    revision = form.base_revision  # the report's revision this page was opened on
    try:
        if form.out_of_date:
            raise ConflictError.out_of_date()
        if autosave or "save_draft" in request.POST:
            selfreports.save_draft(report, form.raw(), user=request.user, revision=revision)
            if autosave:
                return JsonResponse({"saved": True, "revision": report.revision})
            messages.success(request, _("Draft saved."))
        elif valid:
            selfreports.submit(report, form.reported(), request.user, revision)
            messages.success(request, _("Self-report submitted for review."))
        else:
            selfreports.save_draft(report, form.raw(), user=request.user, revision=revision)
            form.renew(report.revision)
            messages.error(
                request, _("Draft saved, but some values need correcting before submission.")
            )
            return _render_self_report(request, report, form, items)
    except ConflictError as error:  # a newer save exists: store nothing, keep the input shown
        if autosave:
            body = {"saved": False, "conflict": True, "error": _errors(error)}
            return JsonResponse(body, status=409)
        form.refuse(error)
        return _render_self_report(request, report, form, items)
    except ValidationError as error:
        if autosave:
            return JsonResponse({"saved": False, "error": _errors(error)}, status=409)
        if report.is_editable and not report.period.is_closed:
            # A refused submission keeps the draft (the submission itself stored nothing).
            selfreports.save_draft(report, form.raw(), user=request.user, revision=revision)
            form.renew(report.revision)
        for message in error.messages:
            form.add_error(None, message)
        return _render_self_report(request, report, form, items)
    return redirect("monitoring:self_report", report.period_id, report.organization_id)


@require_POST
def self_report_review(request, pk):
    report = fetch_self_report(request.user, pk)
    require_role(request.user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's report
    form = ReviewForm(request.POST, record=report)
    form.is_valid()
    comment, revision = form.cleaned_data.get("comment", ""), form.base_revision
    try:
        if form.out_of_date:
            raise ConflictError.out_of_date()
        if "accept" in request.POST:
            selfreports.accept(report, request.user, comment, revision)
            score_period(report.period, trigger="self-report", user=request.user)
            messages.success(request, _("Self-report accepted; scores recomputed."))
        else:
            selfreports.return_for_correction(report, request.user, comment, revision)
            messages.info(request, _("Self-report returned to the head with your comment."))
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("monitoring:self_report", report.period_id, report.organization_id)


@require_POST
def evidence_upload(request, pk):
    report = fetch_self_report(request.user, pk)
    if request.user.is_official or not report.is_editable:
        raise PermissionDenied
    items = selfreports.principal_inputs(
        version_for(report.period).catalogue, report.organization.org_type
    )
    form = EvidenceForm(request.POST, request.FILES, items=items)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            ensure_open(report.period)
            kind = check_upload(upload)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            display, upload.name = safe_name(upload.name, kind), random_name(kind)
            Evidence.objects.create(
                report=report,
                input_code=form.cleaned_data["input_code"],
                file=upload,
                file_name=display,
                uploaded_by=request.user,
            )
            messages.success(request, _("File attached."))
    return redirect("monitoring:self_report", report.period_id, report.organization_id)


def evidence_download(request, pk):
    evidence = fetch_evidence(request.user, pk)
    return serve(evidence.file, evidence.file_name)


def self_report_list(request, pk):
    period = fetch_period(request.user, pk)
    reports = period.self_reports.select_related("organization").order_by(
        "status", "organization__short_name"
    )
    return render(
        request, "monitoring/self_report_list.html", {"period": period, "reports": reports}
    )
