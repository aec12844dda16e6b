"""Analysis pages: the district dashboard, one indicator, the dossier, the analytical report."""

from django.shortcuts import get_object_or_404, redirect, render

from zelenchuk_portal.access import fetch_organization, official_required
from zelenchuk_portal.audit import record_view
from zelenchuk_portal.excel import excel_response, table_workbook
from zelenchuk_portal.models import Area, Organization, OrganizationType, Period, Role
from zelenchuk_portal.pdf import pdf_response, render_pdf

from . import figures
from .analysis import build_indicator_view
from .cycle import dashboard_panels
from .dashboard import Filters, build_dashboard
from .dossier import build_dossier
from .exports import dashboard_sheets
from .methodology import version_for
from .reports import LEGAL_BASIS, build_report


def _filters(request) -> Filters:
    get = request.GET
    return Filters(
        org_type=get.get("org_type", "") if get.get("org_type") in OrganizationType.values else "",
        settlement=get.get("settlement", "")[:120],
        area=get.get("area", "") if get.get("area") in Area.values else "",
    )


def _period(pk=None) -> Period:
    if pk is None:
        return Period.objects.current()
    return get_object_or_404(Period, pk=pk)


@official_required
def dashboard_current(request):
    period = _period()
    if period is None:
        return render(request, "analysis/no_periods.html")
    return redirect("analysis:dashboard", period.pk)


@official_required
def dashboard(request, pk):
    period = _period(pk)
    filters = _filters(request)
    table = request.GET.get("table")
    board = build_dashboard(period, filters, request.GET.get("page"), full=bool(table))
    if table:
        sheet = dashboard_sheets(board).get(table)
        if sheet is None:
            return redirect("analysis:dashboard", period.pk)
        name = f"{table}_{period.label.replace('/', '-')}.xlsx"
        return excel_response(table_workbook([sheet], title=sheet.title), name)
    cutoffs = version_for(period).catalogue.cutoffs
    context = {
        "board": board,
        "periods": Period.objects.all(),
        "filter_query": filters.as_query(),
        "settlements": Organization.objects.active()
        .order_by("settlement")
        .values_list("settlement", flat=True)
        .distinct(),
        "type_choices": OrganizationType.choices,
        "area_choices": Area.choices,
        "levels_svg": figures.levels_chart(board.level_counts),
        "distribution_svg": figures.distribution_chart(board.indexes, cutoffs, board.index_bins),
        "trend_svg": figures.trend_chart(board.trend),
        "extra_panels": dashboard_panels(period),
    }
    return render(request, "analysis/dashboard.html", context)


@official_required
def indicator(request, pk, code):
    period = _period(pk)
    view = build_indicator_view(period, code, _filters(request))
    context = {
        "view": view,
        "chart": figures.indicator_chart(view),
        "periods": Period.objects.all(),
    }
    return render(request, "analysis/indicator.html", context)


def dossier_home(request):
    """A head's own dossier; officials choose an organisation from the list."""
    if request.user.is_official:
        return redirect("organization_list")
    organization = request.user.organizations_as(Role.PRINCIPAL).first()
    if organization is None:
        return redirect("home")
    return redirect("analysis:dossier", organization.pk)


def dossier(request, org_pk):
    organization = fetch_organization(request.user, org_pk)
    chosen = request.GET.get("period", "")
    period = _period(chosen) if chosen.isdigit() else Period.objects.current()
    data = build_dossier(organization, request.user, period)
    record_view(request.user, organization, "dossier", period=period or "")
    context = {
        "dossier": data,
        "periods": Period.objects.filter(scores__organization=organization).distinct(),
        "trend_svg": figures.dossier_trend_chart(data) if data.history else "",
        "position_svg": figures.position_chart(data) if data.positions else "",
    }
    return render(request, "analysis/dossier.html", context)


def _report_context(period):
    report = build_report(period)
    return {
        "report": report,
        "legal_basis": LEGAL_BASIS,
        "levels_svg": figures.report_levels_chart(report.results),
        "subgroups_svg": figures.subgroup_means_chart(report.results),
    }


@official_required
def report(request, pk):
    period = _period(pk)
    context = _report_context(period) | {"periods": Period.objects.all()}
    return render(request, "analysis/report.html", context)


@official_required
def report_pdf(request, pk):
    period = _period(pk)
    data = render_pdf("pdf/analytical_report.html", _report_context(period), request=request)
    return pdf_response(data, f"analiticheskaya_spravka_{period.label.replace('/', '-')}.pdf")
