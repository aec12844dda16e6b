"""The district's analytical report («аналитическая справка») for a period.

Built only from the portal's records, in the eight sections SCORING.md lists. It is what the office
shows when its mechanism is audited, so a step of the management cycle that left no record is
reported as such, in plain words, instead of being skipped. One builder feeds the page and the
PDF.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import mean

from django.db.models import Count
from django.utils.translation import gettext as _

from zelenchuk_portal.models import Organization, OrganizationType, Period

from .catalogue import GROUP_A, GROUP_B, LEVEL_LABELS, LEVELS, SUBGROUPS
from .dashboard import SCORE_FIELDS, OrgRow, risk_groups
from .methodology import version_for
from .models import ImportRecord, Score, SelfReport, Value
from .profiles import SUBGROUP_NAMES

LEGAL_BASIS = [
    "Приказ управления образования администрации Зеленчукского муниципального района "
    "от 16.07.2021 № 110 «Об утверждении комплексного проекта»",
    "Письмо Рособрнадзора от 20.04.2021 № 08-70 «О направлении материалов по организации "
    "мониторинга системы управления качеством образования органов местного самоуправления»",
    "Постановление Правительства Российской Федерации от 05.08.2013 № 662 «Об осуществлении "
    "мониторинга системы образования»",
]
SOURCE_NAMES = {
    "oo1": "форма ФСН ОО-1",
    "oo2": "форма ФСН ОО-2",
    "gia": "результаты ГИА",
    "vpr": "результаты ВПР",
    "municipal": "муниципальные данные",
    "personnel": "кадровые данные",
    "regional": "региональная диагностика",
    "self_report": "самоотчёты руководителей",
    "portal": "данные портала (траектории, резерв)",
}
SMALL_SCHOOL = 100  # pupils: the district's «малокомплектная» schools, shown as context

# Providers registered by other apps (monitoring never imports them).
_DEFICIT_SUMMARY: list[Callable] = []
_CYCLE_SOURCES: dict[str, Callable] = {}


def register_deficit_summary(provider: Callable) -> None:
    """provider(period) -> list of (block name, confirmed deficits, people) for section 5, or
    None when it has no records for the period."""
    _DEFICIT_SUMMARY.append(provider)


def register_cycle_source(name: str, provider: Callable) -> None:
    """Recommendations, decisions and effect for sections 6–8 (registered by their modules)."""
    _CYCLE_SOURCES[name] = provider


@dataclass
class Coverage:
    by_type: list[tuple[str, int, int]]  # (type label, organisations, scored)
    organizations: int
    scored: int
    preliminary: int


@dataclass
class Method:
    version_name: str
    weights: tuple[float, float]
    cutoffs: dict
    indicators_by_subgroup: list[tuple[str, str, int]]
    sources: list[str]
    imports: int
    values: int
    reports: dict[str, int]


@dataclass
class Results:
    subgroups: list[tuple[str, str, float | None, float | None]]  # code, name, now, before
    group_a: float | None
    group_b: float | None
    index: float | None
    previous_index: float | None
    levels: list[tuple[str, str, int, int]]  # code, label, now, before


@dataclass
class Risks:
    critical: list[OrgRow]
    falling: list[OrgRow]
    objectivity: list[OrgRow]
    critical_indicators: list[tuple[OrgRow, list[str]]]
    small_rural: list[tuple[str, int]]


@dataclass
class AnalyticalReport:
    period: Period
    previous: Period | None
    coverage: Coverage
    method: Method
    results: Results
    risks: Risks
    deficits: list | None
    conclusions: list[str]
    cycle: dict = field(default_factory=dict)


def _avg(values) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 1) if present else None


def _rows(period) -> list[OrgRow]:
    if period is None:
        return []
    scores = Score.objects.filter(period=period, organization__is_active=True)
    return [OrgRow.from_values(r) for r in scores.values(*SCORE_FIELDS)]


def _coverage(period, rows) -> Coverage:
    counts = dict(
        Organization.objects.active()
        .values("org_type")
        .annotate(n=Count("id"))
        .values_list("org_type", "n")
    )
    scored = Counter(r.org_type for r in rows if r.index is not None)
    by_type = [
        (label, counts.get(code, 0), scored[code]) for code, label in OrganizationType.choices
    ]
    return Coverage(
        by_type=by_type,
        organizations=sum(counts.values()),
        scored=sum(scored.values()),
        preliminary=sum(1 for r in rows if r.preliminary),
    )


def _method(period) -> Method:
    version = version_for(period)
    catalogue = version.catalogue
    per_subgroup = Counter(i.subgroup for i in catalogue.indicators)
    sources = sorted({SOURCE_NAMES.get(s, s) for i in catalogue.indicators for s in i.sources})
    reports = dict(
        SelfReport.objects.filter(period=period)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Method(
        version_name=version.name,
        weights=(catalogue.weight_a, catalogue.weight_b),
        cutoffs=catalogue.cutoffs,
        indicators_by_subgroup=[(sg, SUBGROUP_NAMES[sg], per_subgroup[sg]) for sg in SUBGROUPS],
        sources=sources,
        imports=ImportRecord.objects.filter(
            period=period, status=ImportRecord.Status.APPLIED
        ).count(),
        values=Value.objects.filter(period=period).count(),
        reports=reports,
    )


def _results(rows, previous_rows) -> Results:
    subgroups = [
        (
            sg,
            SUBGROUP_NAMES[sg],
            _avg(r.subgroups[n] for r in rows),
            _avg(r.subgroups[n] for r in previous_rows),
        )
        for n, sg in enumerate(SUBGROUPS)
    ]
    now = Counter(r.level for r in rows)
    before = Counter(r.level for r in previous_rows)
    return Results(
        subgroups=subgroups,
        group_a=_avg(s[2] for s in subgroups if s[0] in GROUP_A),
        group_b=_avg(s[2] for s in subgroups if s[0] in GROUP_B),
        index=_avg(r.index for r in rows),
        previous_index=_avg(r.index for r in previous_rows),
        levels=[(lv, LEVEL_LABELS[lv], now[lv], before[lv]) for lv in LEVELS],
    )


def _small_rural(period) -> list[tuple[str, int]]:
    rows = Value.objects.filter(
        period=period,
        input_code="students_total",
        value__lt=SMALL_SCHOOL,
        organization__org_type=OrganizationType.SCHOOL,
        organization__area="rural",
        organization__is_active=True,
    ).values_list("organization__short_name", "value")
    return [(name, int(value)) for name, value in rows.order_by("organization__short_name")]


def _conclusions(report_rows, results: Results, risks: Risks, coverage: Coverage) -> list[str]:
    """Plain statements that follow from the numbers (the office adds its own judgement)."""
    lines = []
    if not coverage.scored:
        return [_("No organisation was scored in this period: there is nothing to conclude.")]
    levels = {code: now for code, _label, now, _before in results.levels}
    lines.append(
        _(
            "%(high)s of %(total)s organisations are at the high level and %(optimal)s at the "
            "optimal level; %(critical)s are at the critical level."
        )
        % {
            "high": levels["high"],
            "optimal": levels["optimal"],
            "critical": levels["critical"],
            "total": coverage.scored,
        }
    )
    if results.index is not None and results.previous_index is not None:
        change = round(results.index - results.previous_index, 1)
        lines.append(
            _(
                "The district's mean index is %(now)s against %(before)s a year earlier "
                "(%(change)+.1f)."
            )
            % {"now": results.index, "before": results.previous_index, "change": change}
        )
    ranked = sorted((s for s in results.subgroups if s[2] is not None), key=lambda s: s[2])
    if ranked:
        weakest = ranked[0]
        lines.append(
            _(
                "The weakest area in the district is %(code)s «%(name)s» (%(score)s %%): "
                "district measures should start there."
            )
            % {"code": weakest[0], "name": weakest[1], "score": weakest[2]}
        )
    if risks.objectivity:
        lines.append(
            _(
                "Objectivity of results is not confirmed in %s organisations: their exam-based "
                "indicators score 0 until it is restored."
            )
            % len(risks.objectivity)
        )
    if coverage.preliminary:
        lines.append(
            _(
                "%s results are preliminary because data are missing: the data must be "
                "completed before the results are used for decisions."
            )
            % coverage.preliminary
        )
    return lines


def build_report(period: Period) -> AnalyticalReport:
    previous = period.previous()
    rows, previous_rows = _rows(period), _rows(previous)
    previous_changes = {r.organization_id: r.index_change for r in previous_rows}
    groups = risk_groups(rows, previous_changes)
    risks = Risks(
        critical=groups.critical,
        falling=groups.falling,
        objectivity=groups.objectivity,
        critical_indicators=groups.critical_indicators,
        small_rural=_small_rural(period),
    )
    coverage = _coverage(period, rows)
    results = _results(rows, previous_rows)
    deficits = None  # None: no module keeps records of deficits for this period
    for provider in _DEFICIT_SUMMARY:
        rows = provider(period)
        if rows is not None:
            deficits = (deficits or []) + list(rows)
    return AnalyticalReport(
        period=period,
        previous=previous,
        coverage=coverage,
        method=_method(period),
        results=results,
        risks=risks,
        deficits=deficits,
        conclusions=_conclusions(rows, results, risks, coverage),
        cycle={name: provider(period) for name, provider in _CYCLE_SOURCES.items()},
    )
