"""How the management cycle's records reach the dossier, the dashboard and the report.

The registries (`dossier.register_section`, `reports.register_cycle_source`) are filled here, once,
from `MonitoringConfig.ready()`.
"""

from django.utils.translation import gettext_lazy as _

from .decisions import (
    decision_effects,
    decisions_for,
    effect_summary,
    overdue_decisions,
    period_decisions,
)
from .dossier import register_section
from .measures import measures_for, period_measures
from .recommendations import (
    build_period_overview,
    dossier_section,
    draft_recommendations,
    overview_panel,
)
from .reports import register_cycle_source
from .scoring import register_after_scoring


def _dossier_decisions(organization, period, user):
    decisions = list(decisions_for(organization))
    # The effect is measured for the shown period's decisions and the previous cycle's, so the
    # dossier's queries stay bounded however many periods the organisation has.
    recent = {period.pk, getattr(period.previous(), "pk", None)} if period else set()
    effects = decision_effects([d for d in decisions if d.period_id in recent])
    for decision in decisions:
        decision.effect = effects.get(decision.pk)
    return {"decisions": decisions, "measures": list(measures_for(organization))}


def _report_decisions(period):
    found = {"decisions": list(period_decisions(period)), "measures": list(period_measures(period))}
    return found if found["decisions"] or found["measures"] else None


def _report_recommendations(period):
    overview = build_period_overview(period)
    return overview if overview.counts["issued"] or overview.counts["draft"] else None


def _draft_after_scoring(period, user):
    draft_recommendations(period, user=user)


def dashboard_panels(period) -> list[dict]:
    """Extra panels of the district dashboard."""
    return [
        {"template": "analysis/_panel_late.html", "data": overview_panel(period)},
        {"template": "analysis/_panel_overdue.html", "data": list(overdue_decisions(period))},
    ]


def connect() -> None:
    register_after_scoring(_draft_after_scoring)
    register_section(
        _("Targeted recommendations"), "recommendations/_dossier_section.html", dossier_section
    )
    register_cycle_source("recommendations", _report_recommendations)
    register_section(
        _("Management decisions and measures"),
        "analysis/_dossier_decisions.html",
        _dossier_decisions,
    )
    register_cycle_source("decisions", _report_decisions)
    register_cycle_source("effect", effect_summary)
