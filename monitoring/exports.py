"""Files a period gives out: the Excel template (pre-filled) and the scores CSV."""

import csv
import io

from zelenchuk_portal.models import Organization, Period

from .methodology import version_for
from .scoring import scores_to_export_rows, stored_result
from .values import period_scope_values, value_table
from .workbook import build_template


def template_bytes(period: Period) -> bytes:
    """The period's workbook: every active organisation, pre-filled with the stored values.

    Filled, it is the import template; as downloaded, it is also the export of the period's
    data (re-importing it into an empty database restores the same values).
    """
    organizations = Organization.objects.active().order_by("code").values_list("code", "short_name")
    return build_template(
        version_for(period).catalogue,
        list(organizations),
        period.label,
        value_table(period),
        period_scope_values(period),
    )


def scores_csv(period: Period) -> str:
    """The stored scores, one row per organisation (columns as `scores_to_export_rows`)."""
    catalogue = version_for(period).catalogue
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        scores_to_export_rows(stored_result(period, catalogue), catalogue)
    )
    return buffer.getvalue()
