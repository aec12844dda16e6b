"""The reserve report (page, Excel, PDF) and the succession view (page, Excel): officials only.

The period is chosen by `?period=<id>` (the current period by default; an unknown one is 404).
"""

from django.shortcuts import get_object_or_404, render

from zelenchuk_portal.access import official_required
from zelenchuk_portal.excel import excel_response, table_workbook
from zelenchuk_portal.models import Period
from zelenchuk_portal.pdf import pdf_response

from .reports import (
    build_reserve_report,
    render_report_pdf,
    report_filename,
    report_workbook,
)
from .succession import build_succession, succession_sheet


def _period(request) -> Period | None:
    chosen = request.GET.get("period", "")
    return get_object_or_404(Period, pk=chosen) if chosen.isdigit() else Period.objects.current()


@official_required
def report(request):
    period = _period(request)
    if period is None:
        return render(request, "analysis/no_periods.html")
    context = {
        "report": build_reserve_report(period),
        "periods": Period.objects.all(),
    }
    return render(request, "reserve/report.html", context)


@official_required
def report_xlsx(request):
    period = _period(request)
    if period is None:
        return render(request, "analysis/no_periods.html")
    report = build_reserve_report(period)
    return excel_response(report_workbook(report), report_filename(report, "xlsx"))


@official_required
def report_pdf(request):
    period = _period(request)
    if period is None:
        return render(request, "analysis/no_periods.html")
    report = build_reserve_report(period)
    data = render_report_pdf(report, request=request)
    return pdf_response(data, report_filename(report, "pdf"))


@official_required
def succession(request):
    data = build_succession(only_at_risk=request.GET.get("at_risk") == "1")
    return render(request, "reserve/succession.html", {"succession": data})


@official_required
def succession_xlsx(request):
    data = build_succession(only_at_risk=request.GET.get("at_risk") == "1")
    sheet = succession_sheet(data)
    name = f"Преемственность {data.today:%d.%m.%Y}.xlsx"
    return excel_response(table_workbook([sheet], title=sheet.title), name)
