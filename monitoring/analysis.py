"""One indicator across the district: values of every organisation, median, reference, history."""

from dataclasses import dataclass
from statistics import median

from django.db.models.fields.json import KeyTransform
from django.http import Http404

from zelenchuk_portal.models import Period

from .catalogue import STATUS_NOT_APPLICABLE, STATUS_NOT_ASSESSED, STATUS_VALUE, IndicatorDef
from .dashboard import Filters
from .methodology import version_for
from .models import Score
from .scoring import STATUSES
from .values import period_scope_values


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
