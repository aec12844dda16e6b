"""The principal's dossier: one organisation and its head across every period.

Later apps (trajectories, reserve, mentoring) add their sections through `register_section`;
monitoring never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

from zelenchuk_portal.models import Organization, Period

from .catalogue import LEVEL_LABELS, STATUS_VALUE, SUBGROUPS
from .models import Score
from .profiles import SUBGROUP_NAMES
from .summaries import is_large, summary_for

# A section: (title, template name, function(organization, period, user) -> context or None).
Section = tuple[str, str, Callable]
_SECTIONS: list[Section] = []


def register_section(title: str, template: str, context: Callable) -> None:
    """Add a section to every dossier (called from an app's `AppConfig.ready()`)."""
    _SECTIONS.append((title, template, context))


@dataclass
class PeriodResult:
    period: Period
    index: float | None
    level: str
    level_label: str
    index_change: float | None
    preliminary: bool
    subgroups: list[float | None]


@dataclass
class IndicatorNote:
    code: str
    name: str
    value: float | None
    unit: str


@dataclass
class SubgroupPosition:
    code: str
    name: str
    own: float | None
    median: float | None

    @property
    def difference(self) -> float | None:
        if self.own is None or self.median is None:
            return None
        return round(self.own - self.median, 1)


@dataclass
class Dossier:
    organization: Organization
    head: object
    period: Period | None
    history: list[PeriodResult]
    current: PeriodResult | None
    strengths: list[IndicatorNote]
    weaknesses: list[IndicatorNote]
    risk_flags: list[dict]
    positions: list[SubgroupPosition]
    index_median: float | None
    sections: list[dict] = field(default_factory=list)


def _result(score: Score) -> PeriodResult:
    return PeriodResult(
        period=score.period,
        index=score.index,
        level=score.level,
        level_label=LEVEL_LABELS.get(score.level, ""),
        index_change=score.index_change,
        preliminary=score.preliminary,
        subgroups=[score.subgroup(sg) for sg in SUBGROUPS],
    )


def _median(values) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 1) if present else None


def _peer_medians(period: Period, org_type: str) -> dict[str, float | None]:
    """The medians of the index and subgroups over the organisations of a type: from the
    period's summary when there are many of them (a region's 20,000 schools), else from their
    scores."""
    summary = summary_for(period, org_type)
    if is_large(summary):
        found = summary["medians"]
        return {key: None if v is None else round(v, 1) for key, v in found.items()}
    peers = Score.objects.filter(
        period=period, organization__org_type=org_type, organization__is_active=True
    ).values_list("index", *(sg.lower() for sg in SUBGROUPS))
    columns = list(zip(*peers, strict=True)) if peers else [[] for _ in range(8)]
    return {
        key: _median(column) for key, column in zip(["index", *SUBGROUPS], columns, strict=True)
    }


def build_dossier(organization: Organization, user, period: Period | None = None) -> Dossier:
    """Everything the dossier shows, in a fixed number of queries.

    The position is given against the district median for organisations of the same type —
    never against named other organisations (SCORING.md).
    """
    scores = list(
        Score.objects.filter(organization=organization)
        .select_related("period", "version")
        .order_by("period__start_date")
    )
    history = [_result(s) for s in scores]
    chosen = next((s for s in scores if s.period == period), None) if period else None
    latest = chosen or (scores[-1] if scores else None)
    strengths, weaknesses, positions, index_median = [], [], [], None
    if latest is not None:
        catalogue = latest.version.catalogue
        for indicator in catalogue.indicators:
            value, status, points, _gated, _risk = latest.results.get(
                indicator.code, [None, "", None, False, False]
            )
            if status != STATUS_VALUE or indicator.max_points == 0 or points is None:
                continue
            note = IndicatorNote(indicator.code, indicator.name, value, indicator.unit)
            if points >= indicator.max_points:
                strengths.append(note)
            elif points == 0:
                weaknesses.append(note)
        medians = _peer_medians(latest.period, organization.org_type)
        index_median = medians["index"]
        positions = [
            SubgroupPosition(sg, SUBGROUP_NAMES[sg], latest.subgroup(sg), medians[sg])
            for sg in SUBGROUPS
        ]
    sections = []
    for title, template, context in _SECTIONS:
        data = context(organization, latest.period if latest else period, user)
        if data is not None:
            sections.append({"title": title, "template": template, "data": data})
    return Dossier(
        organization=organization,
        head=organization.head,
        period=latest.period if latest else period,
        history=history,
        current=_result(latest) if latest else None,
        strengths=strengths,
        weaknesses=weaknesses,
        risk_flags=latest.risk_flags if latest else [],
        positions=positions,
        index_median=index_median,
        sections=sections,
    )
