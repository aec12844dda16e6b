"""The district dashboard for a period: levels, distribution, heat map, trends, risk groups.

One builder feeds the page and its Excel downloads. The number of SQL queries is fixed whatever
the number of organisations and periods. A district's dashboard works on its scores as plain rows
in Python, with the heat map paginated. A large one (`summaries.LARGE` organisations in scope)
reads the period's `ScoreSummary` instead — counts, distribution, trend and the risk groups were
computed with the scores — and fetches only the rows it shows: a page of the heat map and the
first `SHOWN` organisations of each list, whose full counts it gives (the Excel downloads have
every row). Filters by settlement or area, which summaries do not cover, read the scores.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.db.models.fields.json import KeyTransform

from zelenchuk_portal.models import Organization, Period

from .catalogue import LEVEL_LABELS, LEVELS, SUBGROUPS
from .completeness import CompletenessSummary, completeness_summary
from .models import Score, ScoreSummary, ScoringRun
from .summaries import is_large, summary_for

# How many organisations a large district's dashboard lists in each group (the rest are counted).
SHOWN = 20

SCORE_FIELDS = (
    "organization_id",
    "organization__code",
    "organization__short_name",
    "organization__org_type",
    "organization__settlement",
    "index",
    "level",
    "index_change",
    "preliminary",
    "risk_flags",
    *(sg.lower() for sg in SUBGROUPS),
)


@dataclass
class Filters:
    """The dashboard's filters (empty means all)."""

    org_type: str = ""
    settlement: str = ""
    area: str = ""

    def organizations(self):
        organizations = Organization.objects.active()
        for name in ("org_type", "settlement", "area"):
            if getattr(self, name):
                organizations = organizations.filter(**{name: getattr(self, name)})
        return organizations

    def scores(self, period):
        return Score.objects.filter(period=period, organization__in=self.organizations())

    def as_query(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v]
        return "&".join(parts)


@dataclass
class OrgRow:
    """One organisation's result, as the dashboard's tables show it."""

    organization_id: int
    code: str
    name: str
    org_type: str
    settlement: str
    index: float | None
    level: str
    index_change: float | None
    preliminary: bool
    risk_flags: list
    subgroups: list[float | None]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, "")

    @classmethod
    def from_values(cls, row: dict) -> "OrgRow":
        return cls(
            organization_id=row["organization_id"],
            code=row["organization__code"],
            name=row["organization__short_name"],
            org_type=row["organization__org_type"],
            settlement=row["organization__settlement"],
            index=row["index"],
            level=row["level"],
            index_change=row["index_change"],
            preliminary=row["preliminary"],
            risk_flags=row["risk_flags"],
            subgroups=[row[sg.lower()] for sg in SUBGROUPS],
        )


@dataclass
class RiskGroups:
    critical: list[OrgRow] = field(default_factory=list)
    falling: list[OrgRow] = field(default_factory=list)  # index fell two periods running
    objectivity: list[OrgRow] = field(default_factory=list)
    critical_indicators: list[tuple[OrgRow, list[str]]] = field(default_factory=list)
    # A large district's lists are cut to their first organisations: the full sizes, by group.
    counts: dict[str, int] = field(default_factory=dict)
    counted_total: int | None = None

    @property
    def total(self) -> int:
        if self.counted_total is not None:
            return self.counted_total
        ids = {r.organization_id for r in self.critical + self.falling + self.objectivity}
        ids |= {r.organization_id for r, _codes in self.critical_indicators}
        return len(ids)

    @property
    def hidden(self) -> dict[str, int]:
        """Per group, how many organisations are not listed (0 unless the list was cut)."""
        found = {}
        for group in ("critical", "falling", "objectivity", "critical_indicators"):
            shown = len(getattr(self, group))
            found[group] = max(0, self.counts.get(group, shown) - shown)
        return found


@dataclass
class Trend:
    periods: list[str]
    index: list[float | None]
    subgroups: dict[str, list[float | None]]


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    scored: int
    level_counts: list[tuple[str, str, int]]  # (code, label, count)
    level_rows: dict[str, list[OrgRow]]
    indexes: list[float]
    heat_page: object  # a Paginator page of OrgRow
    trend: Trend
    risks: RiskGroups
    completeness: CompletenessSummary
    most_improved: list[OrgRow]  # per organisation type, the largest rise of the index
    high_effectiveness: list[OrgRow]
    cutoffs: dict = field(default_factory=dict)
    # A large district: the index distribution as counts per `summaries.INDEX_EDGES` bin (and
    # the count outside them), `indexes` being empty; and the size of the cut high list.
    index_bins: tuple[list[int], int] | None = None
    high_count: int | None = None

    @property
    def high_more(self) -> int:
        if self.high_count is None:
            return 0
        return max(0, self.high_count - len(self.high_effectiveness))


def _rows(queryset) -> list[OrgRow]:
    return [OrgRow.from_values(r) for r in queryset.values(*SCORE_FIELDS)]


def district_trend(filters: Filters) -> Trend:
    """The district's mean index and mean subgroup scores over every period (one query)."""
    aggregates = {"index": Avg("index"), **{sg: Avg(sg.lower()) for sg in SUBGROUPS}}
    rows = (
        Score.objects.filter(organization__in=filters.organizations())
        .values("period__label", "period__start_date")
        .annotate(**aggregates)
        .order_by("period__start_date")
    )
    rows = list(rows)
    return Trend(
        periods=[r["period__label"] for r in rows],
        index=[r["index"] for r in rows],
        subgroups={sg: [r[sg] for r in rows] for sg in SUBGROUPS},
    )


def risk_groups(rows: list[OrgRow], previous_changes: dict[int, float | None]) -> RiskGroups:
    """Risk groups from this period's rows and last period's index changes (pure)."""
    groups = RiskGroups()
    for row in rows:
        kinds = Counter(flag["kind"] for flag in row.risk_flags)
        if row.level == "critical":
            groups.critical.append(row)
        previous = previous_changes.get(row.organization_id)
        if (row.index_change or 0) < 0 and (previous or 0) < 0:
            groups.falling.append(row)
        if kinds["objectivity"]:
            groups.objectivity.append(row)
        codes = [f["indicator"] for f in row.risk_flags if f["kind"] == "critical"]
        if codes:
            groups.critical_indicators.append((row, codes))
    return groups


def most_improved(rows: list[OrgRow]) -> list[OrgRow]:
    """For each type of organisation, the one whose index rose most (if any rose)."""
    best: dict[str, OrgRow] = {}
    for row in rows:
        if row.index_change is None or row.index_change <= 0:
            continue
        current = best.get(row.org_type)
        if current is None or row.index_change > current.index_change:
            best[row.org_type] = row
    return [best[t] for t in sorted(best)]


def high_effectiveness(period: Period, filters: Filters) -> list[OrgRow]:
    """Level «высокий» with no risk flags in this period and the previous one.

    These are the candidates for base sites and mentors (DOMAIN.md).
    """
    previous = period.previous()
    if previous is None:
        return []
    clean = Q(level="high", risk_flags=[])
    earlier = set(filters.scores(previous).filter(clean).values_list("organization_id", flat=True))
    rows = _rows(filters.scores(period).filter(clean).order_by("organization__short_name"))
    return [row for row in rows if row.organization_id in earlier]


def build_dashboard(
    period: Period, filters: Filters, page_number=None, per_page=50, *, full: bool = False
) -> Dashboard:
    """The dashboard of `period` for the organisations `filters` select. `full` lists every
    organisation (the Excel downloads) whatever the size of the district."""
    summary = None
    if not (full or filters.settlement or filters.area):
        summary = summary_for(period, filters.org_type)
    if is_large(summary):
        return _summarized(period, filters, summary, page_number, per_page)
    rows = _rows(
        filters.scores(period).order_by("organization__org_type", "organization__short_name")
    )
    previous = period.previous()
    previous_changes = (
        dict(filters.scores(previous).values_list("organization_id", "index_change"))
        if previous
        else {}
    )
    counts = dict(
        filters.scores(period).values("level").annotate(n=Count("id")).values_list("level", "n")
    )
    level_rows = {level: [r for r in rows if r.level == level] for level in LEVELS}
    summary = completeness_summary(period)
    return Dashboard(
        period=period,
        filters=filters,
        scored=len(rows),
        level_counts=[(lv, LEVEL_LABELS[lv], counts.get(lv, 0)) for lv in LEVELS],
        level_rows=level_rows,
        indexes=[r.index for r in rows if r.index is not None],
        heat_page=Paginator(rows, per_page).get_page(page_number),
        trend=district_trend(filters),
        risks=risk_groups(rows, previous_changes),
        completeness=summary,
        most_improved=most_improved(rows),
        high_effectiveness=high_effectiveness(period, filters),
    )


# --- A large district: from the period's summaries ---------------------------------------------


def _fetch(period: Period, ids) -> dict[int, OrgRow]:
    """The rows of the given organisations (one query)."""
    scores = Score.objects.filter(period=period, organization_id__in=list(ids))
    return {row.organization_id: row for row in _rows(scores)}


def _summarized_trend(filters: Filters) -> Trend:
    """The trend from every period's summary; a period scored before summaries existed is
    averaged from its scores (one more query, only for such periods)."""
    found = {
        start: (label, means)
        for label, start, means in ScoreSummary.objects.filter(org_type=filters.org_type)
        .annotate(means=KeyTransform("means", "data"))
        .values_list("period__label", "period__start_date", "means")
    }
    scored = set(ScoringRun.objects.order_by().values_list("period_id", flat=True).distinct())
    summarized = set(
        ScoreSummary.objects.filter(org_type=filters.org_type).values_list("period_id", flat=True)
    )
    if scored - summarized:
        aggregates = {"index": Avg("index"), **{sg: Avg(sg.lower()) for sg in SUBGROUPS}}
        rows = (
            Score.objects.filter(
                period_id__in=scored - summarized, organization__in=filters.organizations()
            )
            .values("period__label", "period__start_date")
            .annotate(**aggregates)
        )
        for row in rows:
            found[row["period__start_date"]] = (row["period__label"], row)
    ordered = [found[start] for start in sorted(found)]
    return Trend(
        periods=[label for label, _means in ordered],
        index=[means["index"] for _label, means in ordered],
        subgroups={sg: [means[sg] for _label, means in ordered] for sg in SUBGROUPS},
    )


def _summarized(period: Period, filters: Filters, summary: dict, page_number, per_page):
    groups = summary["groups"]
    shown = {name: group["ids"][:SHOWN] for name, group in groups.items()}
    heat_page = Paginator(summary["order"], per_page).get_page(page_number)
    wanted = set(heat_page.object_list) | set(summary["improved"])
    for ids in shown.values():
        wanted.update(ids)
    rows = _fetch(period, wanted)

    def listed(ids):
        return [rows[pk] for pk in ids if pk in rows]

    heat_page.object_list = listed(heat_page.object_list)
    critical_indicators = [
        (row, [f["indicator"] for f in row.risk_flags if f["kind"] == "critical"])
        for row in listed(shown["critical_indicators"])
    ]
    risks = RiskGroups(
        critical=listed(shown["critical"]),
        falling=listed(shown["falling"]),
        objectivity=listed(shown["objectivity"]),
        critical_indicators=critical_indicators,
        counts={name: group["count"] for name, group in groups.items()},
        counted_total=summary["risk_total"],
    )
    levels = summary["levels"]
    has_previous = period.previous() is not None
    return Dashboard(
        period=period,
        filters=filters,
        scored=summary["scored"],
        level_counts=[(lv, LEVEL_LABELS[lv], levels.get(lv, 0)) for lv in LEVELS],
        level_rows={},
        indexes=[],
        heat_page=heat_page,
        trend=_summarized_trend(filters),
        risks=risks,
        completeness=completeness_summary(period, complete=summary["complete"]),
        most_improved=listed(summary["improved"]),
        high_effectiveness=listed(shown["high"]) if has_previous else [],
        index_bins=(summary["index_bins"], summary["index_outside"]),
        high_count=groups["high"]["count"] if has_previous else 0,
    )
