"""A closed period is read-only in every path that writes its data: the pages (upload, confirm
an earlier preview, rescore, methodology, a correction, the self-report and its review,
evidence), the commands (import, its dry run, a restore, rescore) and the admin
(tests/portal/test_admin_guards.py). Each path is tried on a closed period holding values,
scores, a submitted self-report and a preview, and must leave all of it as it was.

Self-assessments of a closed period: tests/trajectories (they are read-only there too).
"""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from monitoring.exports import template_bytes
from monitoring.imports import preview_upload
from monitoring.models import (
    Evidence,
    ImportRecord,
    MethodologyVersion,
    PeriodMethodology,
    Score,
    ScoringRun,
    SelfReport,
    Value,
    ValueChange,
)
from monitoring.selfreports import start_report, submit
from tests.monitoring.test_views_pages import fill_district
from zelenchuk_portal.models import PeriodStatus

REPORT = {
    "development_program_status": "2",
    "internal_reserve_order": "1",
    "teachers_trained_3y": "18",
    "vsoko_items_done": "5",
    "profmin_covered": "150",
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _fill(period, official, principal_a, org_a, org_b):
    """Values, scores, a submitted self-report and a preview."""
    fill_district(period, [org_a, org_b], user=official, principal=False)
    submit(start_report(period, org_a), {k: Decimal(v) for k, v in REPORT.items()}, principal_a)
    preview = preview_upload(period, "data.xlsx", template_bytes(period), official)
    assert preview.status == ImportRecord.Status.PREVIEW
    return period


@pytest.fixture
def closed(period, official, principal_a, org_a, org_b):
    """The filled period, closed."""
    _fill(period, official, principal_a, org_a, org_b)
    period.status = PeriodStatus.CLOSED
    period.save()
    return period


def snapshot(period) -> dict:
    """Everything a closed period holds that no path may change."""
    report = SelfReport.objects.get(period=period)
    return {
        "values": list(
            Value.objects.filter(period=period)
            .order_by("organization_id", "input_code")
            .values_list("organization_id", "input_code", "value", "source")
        ),
        "changes": ValueChange.objects.filter(period=period).count(),
        "scores": list(
            Score.objects.filter(period=period).order_by("pk").values_list("pk", "index", "run")
        ),
        "runs": ScoringRun.objects.filter(period=period).count(),
        "report": (report.status, report.values, report.revision),
        "evidence": Evidence.objects.count(),
        "imports": list(
            ImportRecord.objects.filter(period=period)
            .order_by("pk")
            .values_list("pk", "status", "applied_at")
        ),
        "methodology": (
            MethodologyVersion.objects.count(),
            PeriodMethodology.objects.get(period=period).version_id,
        ),
    }


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(period, official, principal_a, org_a):
    data = template_bytes(period)
    file = SimpleUploadedFile("data.xlsx", data)
    return browser(official).post(
        reverse("monitoring:import_upload", args=[period.pk]), {"file": file}
    )


def _confirm(period, official, principal_a, org_a):
    record = ImportRecord.objects.get(period=period, status=ImportRecord.Status.PREVIEW)
    return browser(official).post(reverse("monitoring:import_confirm", args=[record.pk]))


def _rescore(period, official, principal_a, org_a):
    return browser(official).post(reverse("monitoring:period_rescore", args=[period.pk]))


def _methodology(period, official, principal_a, org_a):
    url = reverse("monitoring:methodology_edit", args=[period.pk])
    form = browser(official).get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data.update(form.initial)
    data.update({"weight_a": "0,5", "weight_b": "0,5", "comment": "попытка"})
    return browser(official).post(url, {k: str(v) for k, v in data.items()})


def _correction(period, official, principal_a, org_a):
    url = reverse("monitoring:value_edit", args=[period.pk, org_a.pk, "unresolved_violations"])
    return browser(official).post(url, {"value": "7", "reason": "ошибка"})


def _self_report(period, official, principal_a, org_a):
    url = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    return browser(principal_a).post(url, {**REPORT, "save_draft": "1"})


def _autosave(period, official, principal_a, org_a):
    url = reverse("monitoring:self_report", args=[period.pk, org_a.pk])
    return browser(principal_a).post(url, REPORT, HTTP_X_AUTOSAVE="1")


def _review(period, official, principal_a, org_a):
    report = SelfReport.objects.get(period=period)
    url = reverse("monitoring:self_report_review", args=[report.pk])
    return browser(official).post(url, {"accept": "1", "comment": ""})


def _return(period, official, principal_a, org_a):
    report = SelfReport.objects.get(period=period)
    url = reverse("monitoring:self_report_review", args=[report.pk])
    return browser(official).post(url, {"return": "1", "comment": "Исправьте"})


def _evidence(period, official, principal_a, org_a):
    report = SelfReport.objects.get(period=period)
    url = reverse("monitoring:evidence_upload", args=[report.pk])
    file = SimpleUploadedFile("act.pdf", PDF, content_type="application/pdf")
    return browser(principal_a).post(url, {"file": file, "input_code": ""})


PAGES = [
    _upload,
    _confirm,
    _rescore,
    _methodology,
    _correction,
    _self_report,
    _autosave,
    _review,
    _return,
    _evidence,
]


@pytest.mark.parametrize("path", PAGES, ids=[p.__name__.strip("_") for p in PAGES])
def test_no_page_writes_into_a_closed_period(closed, official, principal_a, org_a, path):
    before = snapshot(closed)
    response = path(closed, official, principal_a, org_a)
    assert response.status_code in (200, 302, 403, 409)
    assert snapshot(closed) == before


# The head's paths need a report he or she may change: in the open control it is returned.
HEAD_PATHS = {_self_report, _autosave, _evidence}


@pytest.mark.parametrize("path", PAGES, ids=[p.__name__.strip("_") for p in PAGES])
def test_the_same_requests_do_write_into_an_open_period(
    period, official, principal_a, org_a, org_b, path
):
    """The control: each path above is a real write, refused only because the period is
    closed."""
    _fill(period, official, principal_a, org_a, org_b)
    if path in HEAD_PATHS:
        report = SelfReport.objects.get(period=period)
        report.status = SelfReport.Status.RETURNED
        report.save()
    before = snapshot(period)
    path(period, official, principal_a, org_a)
    assert snapshot(period) != before


def _export(period, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(template_bytes(period, with_derived=True))
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ("import_monitoring", "{file}", "--period", "{period}"),
        ("import_monitoring", "{file}", "--period", "{period}", "--dry-run"),
        ("import_monitoring", "{file}", "--period", "{period}", "--with-derived"),
        ("rescore", "--period", "{period}"),
    ],
    ids=["import", "dry-run", "restore", "rescore"],
)
def test_no_command_writes_into_a_closed_period(closed, tmp_path, args):
    before = snapshot(closed)
    file = _export(closed, tmp_path)
    args = [a.format(file=file, period=closed.label) for a in args]
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert closed.label in str(caught.value)
    assert snapshot(closed) == before


def test_the_read_only_commands_still_read_a_closed_period(closed, tmp_path):
    for command, name in (("export_template", "t.xlsx"), ("export_scores", "s.csv")):
        out = tmp_path / name
        call_command(command, "--period", closed.label, "--out", str(out), stdout=io.StringIO())
        assert out.stat().st_size > 0
