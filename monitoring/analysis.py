"""One indicator across the district: values of every organisation, median, reference, history.

A large district (`summaries.LARGE` organisations in scope) is read from the periods' summaries:
the counts, the median, the distribution and the history were computed with the scores, and the
page lists the organisations with the highest and the lowest values (`SHOWN` of each) and the
first of those not assessed or without data, instead of all 40,000.
"""

from dataclasses import dataclass
from statistics import median

from django.db.models.fields.json import KeyTransform
from django.http import Http404

from zelenchuk_portal.models import Period

from .catalogue import STATUS_NOT_APPLICABLE, STATUS_NOT_ASSESSED, STATUS_VALUE, IndicatorDef
from .dashboard import Filters
from .methodology import version_for
from .models import Score, ScoreSummary, ScoringRun
from .scoring import STATUSES
from .summaries import is_large, summary_for
from .values import period_scope_values

SHOWN = 50


@dataclass
class IndicatorValue:
    organization_id: int
    name: str
    org_type: str
    value: float | None
    status: str
    points: float | None


@dataclass
class IndicatorHistory:
    label: str
    median: float | None
    count: int


@dataclass
class IndicatorView:
    period: Period
    indicator: IndicatorDef
    values: list[IndicatorValue]  # status «значение», sorted by value (the chart's order)
    not_assessed: list[IndicatorValue]
    missing: list[IndicatorValue]
    median: float | None
    reference: float | None
    reference_label: str
    history: list[IndicatorHistory]
    # A large district: the full counts (the lists are cut), the lowest values, and the
    # distribution as counts per bin between `edges`.
    counts: dict[str, int] | None = None
    lowest: list[IndicatorValue] | None = None
    edges: list[float] | None = None
    bins: list[int] | None = None

    @property
    def value_count(self) -> int:
        return self.counts["value"] if self.counts else len(self.values)

    @property
    def not_assessed_count(self) -> int:
        return self.counts["not_assessed"] if self.counts else len(self.not_assessed)

    @property
    def missing_count(self) -> int:
        return self.counts["no_data"] if self.counts else len(self.missing)


def _results(scores, position: int):
    """(organisation, value, status code, points) of one indicator, extracted in SQL."""

    def element(field):
        return KeyTransform(position, KeyTransform(field, "indicators"))

    return scores.annotate(
        v=element("value"), s=element("status"), p=element("points")
    ).values_list(
        "organization_id",
        "organization__short_name",
        "organization__org_type",
        "v",
        "s",
        "p",
        "period__label",
        "period__start_date",
    )


def _median(values) -> float | None:
    return round(median(values), 2) if values else None


def build_indicator_view(period: Period, code: str, filters: Filters) -> IndicatorView:
    """The indicator page, in a fixed number of queries (results are read out of the JSON)."""
    version = version_for(period)
    catalogue = version.catalogue
    indicator = catalogue.indicators_by_code.get(code)
    if indicator is None:
        raise Http404
    position = version.indicator_codes.index(code)
    summary = None if filters.settlement or filters.area else summary_for(period, filters.org_type)
    if is_large(summary) and code in summary["indicators"]:
        return _summarized(
            period, catalogue, indicator, position, filters, summary["indicators"][code]
        )
    # Versions edited in the portal change thresholds and weights, never the list or order of
    # indicators, so one position reads the indicator in every period's stored results.
    scores = Score.objects.filter(organization__in=filters.organizations())
    rows = list(_results(scores.filter(period=period), position))
    values, not_assessed, missing = [], [], []
    for org_id, name, org_type, value, status, points, _label, _start in rows:
        item = IndicatorValue(org_id, name, org_type, value, STATUSES[status], points)
        if item.status == STATUS_VALUE and value is not None:
            values.append(item)
        elif item.status == STATUS_NOT_ASSESSED:
            not_assessed.append(item)
        elif item.status != STATUS_NOT_APPLICABLE:
            missing.append(item)
    values.sort(key=lambda i: (i.value, i.name), reverse=indicator.direction == "higher")
    reference = None
    if indicator.ref_input:
        reference = period_scope_values(period).get(indicator.ref_input)
    history_rows: dict[str, list] = {}
    for _org, _name, _type, value, status, _p, label, start in _results(
        scores.filter(period__start_date__lte=period.start_date), position
    ):
        bucket = history_rows.setdefault((start, label), [])
        if status == STATUSES.index(STATUS_VALUE) and value is not None:
            bucket.append(value)
    history = [
        IndicatorHistory(label, _median(found), len(found))
        for (_start, label), found in sorted(history_rows.items())
    ]
    ref_item = catalogue.inputs_by_code.get(indicator.ref_input)
    return IndicatorView(
        period=period,
        indicator=indicator,
        values=values,
        not_assessed=not_assessed,
        missing=missing,
        median=_median([v.value for v in values]),
        reference=reference,
        reference_label=ref_item.label if ref_item else "",
        history=history,
    )


def _summarized(period: Period, catalogue, indicator, position: int, filters: Filters, found: dict):
    """The page of a large district, from the period's summary (see the module docstring)."""
    wanted = {
        "best": found["best"][:SHOWN],
        "worst": found["worst"][:SHOWN],
        "not_assessed": found["not_assessed"][:SHOWN],
        "no_data": found["no_data"][:SHOWN],
    }
    ids = set().union(*wanted.values())
    rows = {
        org_id: IndicatorValue(org_id, name, org_type, value, STATUSES[status], points)
        for org_id, name, org_type, value, status, points, _label, _start in _results(
            Score.objects.filter(period=period, organization_id__in=list(ids)), position
        )
    }
    listed = {key: [rows[pk] for pk in pks if pk in rows] for key, pks in wanted.items()}
    reference = None
    if indicator.ref_input:
        reference = period_scope_values(period).get(indicator.ref_input)
    ref_item = catalogue.inputs_by_code.get(indicator.ref_input)
    return IndicatorView(
        period=period,
        indicator=indicator,
        values=listed["best"],
        not_assessed=listed["not_assessed"],
        missing=listed["no_data"],
        median=None if found["median"] is None else round(found["median"], 2),
        reference=reference,
        reference_label=ref_item.label if ref_item else "",
        history=_summarized_history(period, indicator.code, position, filters),
        counts=found["counts"],
        lowest=listed["worst"],
        edges=found["edges"],
        bins=found["bins"],
    )


def _summarized_history(period: Period, code: str, position: int, filters: Filters):
    """The median of each period up to `period` from its summary; a period scored before
    summaries existed is read from its scores (one more query, only for such periods)."""
    earlier = {"period__start_date__lte": period.start_date}
    found = ScoreSummary.objects.filter(org_type=filters.org_type, **earlier).annotate(
        found=KeyTransform(code, KeyTransform("indicators", "data"))
    )
    history: dict[tuple, IndicatorHistory] = {}
    for label, start, data in found.values_list("period__label", "period__start_date", "found"):
        median = (data or {}).get("median")
        count = (data or {}).get("counts", {}).get("value", 0)
        history[(start, label)] = IndicatorHistory(
            label, None if median is None else round(median, 2), count
        )
    scored = set(
        ScoringRun.objects.filter(**earlier)
        .order_by()
        .values_list("period_id", flat=True)
        .distinct()
    )
    summarized = set(found.values_list("period_id", flat=True))
    if scored - summarized:
        buckets: dict[tuple, list] = {}
        scores = Score.objects.filter(
            period_id__in=scored - summarized, organization__in=filters.organizations()
        )
        for _org, _name, _type, value, status, _p, label, start in _results(scores, position):
            bucket = buckets.setdefault((start, label), [])
            if status == STATUSES.index(STATUS_VALUE) and value is not None:
                bucket.append(value)
        for key, values in buckets.items():
            history[key] = IndicatorHistory(key[1], _median(values), len(values))
    return [history[key] for key in sorted(history)]
