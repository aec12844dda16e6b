"""The district overview of professional development (officials only)."""

from django.shortcuts import get_object_or_404, redirect, render

from zelenchuk_portal.access import official_required
from zelenchuk_portal.excel import excel_response, table_workbook
from zelenchuk_portal.models import Period

from .district import blocks_chart, build_district_overview, district_sheets, items_chart


@official_required
def district(request):
    chosen = request.GET.get("period", "")
    period = get_object_or_404(Period, pk=chosen) if chosen.isdigit() else Period.objects.current()
    if period is None:
        return render(request, "analysis/no_periods.html")
    overview = build_district_overview(period)
    table = request.GET.get("table")
    if table:
        sheet = district_sheets(overview).get(table)
        if sheet is None:
            return redirect(f"{request.path}?period={period.pk}")
        name = f"razvitie_{table}_{period.label.replace('/', '-')}.xlsx"
        return excel_response(table_workbook([sheet], title=sheet.title), name)
    context = {
        "overview": overview,
        "periods": Period.objects.all(),
        "filter_query": f"period={period.pk}",
        "blocks_svg": blocks_chart(overview),
        "items_svg": items_chart(overview),
    }
    return render(request, "trajectories/district.html", context)
