"""Monitoring pages: the period, imports, self-reports, an organisation's indicators."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zelenchuk_portal.access import require_role
from zelenchuk_portal.files import check_upload, safe_name, serve
from zelenchuk_portal.models import Organization, Period, Role

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
from .methodology import derive_version, version_for
from .models import Evidence, ImportRecord, SelfReport, Source, ValueChange
from .periods import close_period, reopen_period
from .profiles import SUBGROUP_NAMES, build_org_profile
from .scoring import score_period
from .values import ValueWrite, consistency_errors, ensure_open, org_values, write_values
from .workbook import build_errors_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content, filename, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
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
        record = preview_upload(period, upload.name, upload.read(), request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("monitoring:period_detail", period.pk)
    return redirect("monitoring:import_detail", record.pk)


def import_detail(request, pk):
    record = fetch_import(request.user, pk)
    return render(request, "monitoring/import_detail.html", {"record": record})


def import_errors(request, pk):
    record = fetch_import(request.user, pk)
    issues = [ImportIssue(**issue) for issue in record.issues]
    return _attachment(build_errors_workbook(issues), f"errors_{record.pk}.xlsx", XLSX)


@require_POST
def import_confirm(request, pk):
    record = fetch_import(request.user, pk)
    try:
        summary = apply_import(record, request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("monitoring:import_detail", record.pk)
    if summary is None:
        messages.error(request, _("The import was not applied: see the errors below."))
    else:
        messages.success(
            request,
            _("Import applied: %(new)s new and %(changed)s changed values; scores recomputed.")
            % {"new": summary.new, "changed": summary.changed},
        )
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
            score_period(period, trigger="methodology", user=request.user)
            messages.success(
                request, _("A new methodology version is in force; scores recomputed.")
            )
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
        request.POST or None, item=item, initial={"value": current.value if current else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = {code: form.cleaned_data["value"]}
            if broken := consistency_errors(period, organization, new):
                raise ValidationError(broken)  # a form breaking a rule is refused, as an upload
            write_values(
                period,
                [ValueWrite(organization.pk, code, form.cleaned_data["value"])],
                source=Source.OFFICIAL,
                user=request.user,
                reason=form.cleaned_data["reason"],
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
    form = SelfReportForm(data, items=items, initial=report.values)
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
        "review_form": ReviewForm(),
        "subgroups": SUBGROUP_NAMES,
    }
    return render(request, "monitoring/self_report.html", context)


def _save_self_report(request, report, form, items):
    autosave = request.headers.get("X-Autosave") == "1"
    try:
        if autosave or "save_draft" in request.POST:
            selfreports.save_draft(report, form.raw())
            if autosave:
                return JsonResponse({"saved": True})
            messages.success(request, _("Draft saved."))
        elif form.is_valid():
            selfreports.submit(report, form.cleaned_data, request.user)
            messages.success(request, _("Self-report submitted for review."))
        else:
            selfreports.save_draft(report, form.raw())
            messages.error(
                request, _("Draft saved, but some values need correcting before submission.")
            )
            return _render_self_report(request, report, form, items)
    except ValidationError as error:
        if autosave:
            return JsonResponse({"saved": False, "error": _errors(error)}, status=409)
        if report.is_editable and not report.period.is_closed:
            selfreports.save_draft(report, form.raw())  # a refused submission keeps the draft
        for message in error.messages:
            form.add_error(None, message)
        return _render_self_report(request, report, form, items)
    return redirect("monitoring:self_report", report.period_id, report.organization_id)


@require_POST
def self_report_review(request, pk):
    report = fetch_self_report(request.user, pk)
    require_role(request.user, Role.OFFICIAL)  # after the scope check: B gets 404 on A's report
    form = ReviewForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if "accept" in request.POST:
            selfreports.accept(report, request.user, comment)
            score_period(report.period, trigger="self-report", user=request.user)
            messages.success(request, _("Self-report accepted; scores recomputed."))
        else:
            selfreports.return_for_correction(report, request.user, comment)
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
            Evidence.objects.create(
                report=report,
                input_code=form.cleaned_data["input_code"],
                file=upload,
                file_name=safe_name(upload.name, kind),
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
