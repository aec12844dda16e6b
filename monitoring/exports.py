"""Files a period gives out: the Excel template (pre-filled) and the scores CSV."""

import csv
import io

from django.utils.translation import gettext as _

from zelenchuk_portal.excel import safe_csv_row
from zelenchuk_portal.models import Organization, Period

from .methodology import version_for
from .providers import derived_values
from .scoring import scores_to_export_rows, stored_result
from .values import period_scope_values, value_table
from .workbook import build_template, derived_inputs


def template_bytes(period: Period, *, with_derived: bool = False) -> bytes:
    """The period's workbook: every active organisation, pre-filled with the stored values.

    Filled, it is the import template; as downloaded, it is also the export of the period's
    data (re-importing it into an empty database restores the same values). `with_derived`
    makes the full export: it adds the inputs the portal computes from its own records
    (self-assessment, deficits, reserve, the internet norm), as the providers give them now,
    so that a restore into a database without those records scores the same
    (`import_monitoring --with-derived`, docs/security-recovery.md).
    """
    organizations = list(
        Organization.objects.active().order_by("code").values_list("code", "short_name")
    )
    return build_template(
        version_for(period).catalogue,
        organizations,
        period.label,
        value_table(period),
        period_scope_values(period),
        derived=derived_table(period) if with_derived else None,
    )


def derived_table(period: Period) -> dict[tuple[str, str], float]:
    """The derived inputs of the period's active organisations as {(org code, input code): value},
    as scoring sees them now: a restored figure (stored) where there is one, else the provider's."""
    organizations = list(Organization.objects.active().order_by("code"))
    codes = {org.pk: org.code for org in organizations}
    table = {
        (codes[org_id], code): float(value)
        for org_id, found in derived_values(period, organizations).items()
        for code, value in found.items()
        if value is not None and org_id in codes
    }
    derived = {i.code for i in derived_inputs(version_for(period).catalogue)}
    stored = value_table(period)
    table.update({key: value for key, value in stored.items() if key[1] in derived})
    return table


def scores_csv(period: Period) -> str:
    """The stored scores, one row per organisation (columns as `scores_to_export_rows`)."""
    catalogue = version_for(period).catalogue
    buffer = io.StringIO()
    rows = scores_to_export_rows(stored_result(period, catalogue), catalogue)
    csv.writer(buffer, lineterminator="\n").writerows(map(safe_csv_row, rows))
    return buffer.getvalue()


def dashboard_sheets(board) -> dict:
    """Each dashboard table as an Excel sheet, by the name its download link uses."""
    from zelenchuk_portal.excel import Sheet

    from .catalogue import SUBGROUPS

    def org_rows(rows):
        return [
            [r.code, r.name, r.settlement, r.index, r.level_label, r.index_change, *r.subgroups]
            for r in rows
        ]

    org_headers = [
        _("Organisation code"),
        _("Organisation"),
        _("Settlement"),
        _("Index"),
        _("Level"),
        _("Change over the year"),
        *SUBGROUPS,
    ]
    heat = [r for rows in board.level_rows.values() for r in rows]
    risks = board.risks
    risk_rows = (
        [[_("critical level"), r.code, r.name, ""] for r in risks.critical]
        + [[_("index falling two periods running"), r.code, r.name, ""] for r in risks.falling]
        + [[_("objectivity not confirmed"), r.code, r.name, ""] for r in risks.objectivity]
        + [
            [_("critical indicators at 0 points"), r.code, r.name, ", ".join(codes)]
            for r, codes in risks.critical_indicators
        ]
    )
    trend = board.trend
    return {
        "levels": Sheet(
            _("Levels"),
            [_("Level"), _("Organisations")],
            [[label, count] for _code, label, count in board.level_counts],
        ),
        "organizations": Sheet(_("Organisations"), org_headers, org_rows(heat)),
        "risks": Sheet(
            _("Risk groups"),
            [_("Group"), _("Organisation code"), _("Organisation"), _("Indicators")],
            risk_rows,
        ),
        "trend": Sheet(
            _("Trends"),
            [_("Period"), _("Index"), *SUBGROUPS],
            [
                [label, trend.index[n], *(trend.subgroups[sg][n] for sg in SUBGROUPS)]
                for n, label in enumerate(trend.periods)
            ],
        ),
        "improved": Sheet(_("Most improved"), org_headers, org_rows(board.most_improved)),
        "high": Sheet(_("High effectiveness"), org_headers, org_rows(board.high_effectiveness)),
    }
