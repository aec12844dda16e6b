"""The district-wide audit log: every recorded change and dossier view, for officials."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import official_required
from .audit import EXPORT_HEADERS, audit_export_rows, audit_page
from .audit_forms import AuditFilterForm
from .excel import Sheet, excel_response, table_workbook


@official_required
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    page = audit_page(form.filters(), request.GET.get("page"))
    return render(request, "portal/audit_log.html", {"form": form, "page": page})


@official_required
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    sheet = Sheet(
        title=_("Audit log"),
        headers=[str(h) for h in EXPORT_HEADERS],
        rows=audit_export_rows(form.filters()),
        widths=[17, 28, 12, 28, 40, 28, 30, 30, 40, 16],
    )
    data = table_workbook([sheet], title=_("Audit log"))
    return excel_response(data, f"audit_{timezone.localdate():%Y-%m-%d}.xlsx")
