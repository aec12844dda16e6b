"""A period's scores taken as a whole: what the pages of a large district show without reading
every organisation's score.

With 40,000 organisations, counting levels, drawing the distribution of the index, finding the
risk groups or the median of an indicator means reading 40,000 scores (and their JSON) on every
request. Scoring has all of that in memory already, so `summarize` computes it there, once per
scoring, for the whole district (scope "") and for each type of organisation; `score_period`
stores it as `ScoreSummary` rows with the scores. The dashboard, the indicator page, the dossier
and the letters read these rows when the district is large (`LARGE` organisations in scope or
more); a small district's pages keep reading the scores themselves, as they always did.

Lists of organisations are stored as ids — the first `LIST_LIMIT` in the pages' order, with the
full count — and the pages fetch the names of the ones they show, so a renamed organisation is
shown under its new name. Everything above the database marker is pure (numpy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .catalogue import (
    LEVELS,
    STATUS_NO_DATA,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_ASSESSED,
    STATUS_VALUE,
    STATUSES,
    SUBGROUPS,
)

# From this many scored organisations in scope, the pages read summaries (see the docstring).
LARGE = 500
# How many organisations a stored list keeps (the pages show fewer).
LIST_LIMIT = 100
# The bins of the distribution of the index (the dashboard's histogram).
INDEX_EDGES = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
INDICATOR_BINS = 10

_VALUE = STATUSES.index(STATUS_VALUE)
_NOT_ASSESSED = STATUSES.index(STATUS_NOT_ASSESSED)
_NOT_APPLICABLE = STATUSES.index(STATUS_NOT_APPLICABLE)
_NO_DATA = STATUSES.index(STATUS_NO_DATA)


@dataclass
class PeriodScores:
    """One period's scores as arrays, one entry per scored organisation (any order).

    `order` and `name_order` give each organisation's rank in the pages' orders (by type and
    name; by name), as the database sorts them. `previous_change` is last period's index change
    (NaN when none); `previous_clean_high` whether last period's level was high with no flags.
    `values` and `statuses` are organisations × indicators (status as its position in
    STATUSES).
    """

    ids: np.ndarray
    types: np.ndarray
    order: np.ndarray
    name_order: np.ndarray
    index: np.ndarray
    subgroups: np.ndarray  # organisations × SUBGROUPS
    index_change: np.ndarray
    levels: Sequence
    preliminary: np.ndarray
    risk_flags: Sequence[Sequence[dict]]
    previous_change: np.ndarray
    previous_clean_high: np.ndarray
    indicator_codes: Sequence[str]
    higher_is_better: Sequence[bool]
    values: np.ndarray
    statuses: np.ndarray


def _number(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _median(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if values.size else None


def _mean(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else None


def _bins(values: np.ndarray, edges: Sequence[float]) -> tuple[list[int], int]:
    """Counts per bin as `charts.histogram` counts them (a value on an edge goes to the bin
    above it, the last bin keeps its upper edge), and the count of values outside."""
    values = values[~np.isnan(values)]
    edges = np.asarray(edges, dtype=float)
    inside = (values >= edges[0]) & (values <= edges[-1])
    positions = np.searchsorted(edges, values[inside], side="right") - 1
    positions = np.minimum(positions, len(edges) - 2)
    counts = np.bincount(positions, minlength=len(edges) - 1)
    return counts.astype(int).tolist(), int((~inside).sum())


def nice_edges(low: float, high: float, bins: int = INDICATOR_BINS) -> list[float]:
    """About `bins` bins of a round width (1, 2 or 5 × 10ⁿ) covering [low, high]."""
    if high <= low:
        return [low, low + 1.0]
    raw = (high - low) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    count = max(1, math.ceil((high - start) / step - 1e-9))
    edges = [round(start + i * step, 10) for i in range(count + 1)]
    if edges[-1] < high:
        edges.append(round(edges[-1] + step, 10))
    return edges


class _Shared:
    """What every scope's summary reads, computed once for the whole period."""

    def __init__(self, s: PeriodScores):
        self.page = np.argsort(s.order, kind="stable")  # positions in the pages' order
        self.by_name = np.argsort(s.name_order, kind="stable")
        self.levels = np.array([level or "" for level in s.levels], dtype=object)
        kinds = [{flag["kind"] for flag in flags} for flags in s.risk_flags]
        self.has = {kind: np.array([kind in k for k in kinds], dtype=bool) for kind in KINDS}
        self.flagless = np.array([not flags for flags in s.risk_flags], dtype=bool)
        change = np.nan_to_num(s.index_change)
        self.falling = (change < 0) & (np.nan_to_num(s.previous_change) < 0)
        self.rising = change > 0
        # Per indicator: who has a value, best first (by value, then in the pages' order).
        self.with_value, self.ranked = [], []
        for j, higher in enumerate(s.higher_is_better):
            value = s.values[:, j]
            with_value = (s.statuses[:, j] == _VALUE) & ~np.isnan(value)
            chosen = self.page[with_value[self.page]]
            found = value[chosen]
            order = np.argsort(-found if higher else found, kind="stable")
            self.with_value.append(with_value)
            self.ranked.append(chosen[order])


def _ranked(ids: np.ndarray, ordered: np.ndarray, mask: np.ndarray, limit: int) -> dict:
    """The organisations of `mask` in the order `ordered` gives: their count and the first
    `limit` ids."""
    chosen = ordered[mask[ordered]]
    return {"count": int(chosen.size), "ids": ids[chosen[:limit]].tolist()}


def _scope(s: PeriodScores, shared: _Shared, mask: np.ndarray, limit: int) -> dict:
    ids, levels, has, page = s.ids, shared.levels, shared.has, shared.page
    change = s.index_change
    bins, outside = _bins(s.index[mask], INDEX_EDGES)
    improved = []
    for org_type in sorted(set(s.types[mask].tolist())):
        rising = mask & (s.types == org_type) & shared.rising
        if rising.any():
            chosen = page[rising[page]]  # the first of equal rises wins, as on the page
            improved.append(int(ids[chosen[np.argmax(change[chosen])]]))
    critical = levels == "critical"
    clean_high = (levels == "high") & shared.flagless & s.previous_clean_high
    data = {
        "scored": int(mask.sum()),
        "complete": int((mask & ~s.preliminary).sum()),
        "levels": {level: int((mask & (levels == level)).sum()) for level in LEVELS},
        "index_bins": bins,
        "index_outside": outside,
        "means": {"index": _mean(s.index[mask])}
        | {sg: _mean(s.subgroups[mask, j]) for j, sg in enumerate(SUBGROUPS)},
        "medians": {"index": _median(s.index[mask])}
        | {sg: _median(s.subgroups[mask, j]) for j, sg in enumerate(SUBGROUPS)},
        "order": ids[page[mask[page]]].tolist(),
        "groups": {
            "critical": _ranked(ids, page, mask & critical, limit),
            "falling": _ranked(ids, page, mask & shared.falling, limit),
            "objectivity": _ranked(ids, page, mask & has["objectivity"], limit),
            "critical_indicators": _ranked(ids, page, mask & has["critical"], limit),
            "high": _ranked(ids, shared.by_name, mask & clean_high, limit),
        },
        "risk_total": int(
            (mask & (critical | shared.falling | has["objectivity"] | has["critical"])).sum()
        ),
        "improved": improved,
        "indicators": {},
    }
    for j, code in enumerate(s.indicator_codes):
        data["indicators"][code] = _indicator(s, shared, mask, j, limit)
    return data


KINDS = ("critical", "objectivity")


def _indicator(s: PeriodScores, shared: _Shared, mask: np.ndarray, j: int, limit: int) -> dict:
    status = s.statuses[:, j]
    with_value = mask & shared.with_value[j]
    ranked = shared.ranked[j]
    ranked = ranked[mask[ranked]]
    found = s.values[ranked, j]
    low, high = (float(found.min()), float(found.max())) if found.size else (0.0, 0.0)
    edges = nice_edges(low, high)
    bins, _outside = _bins(found, edges)
    no_data = mask & ~with_value & (status != _NOT_ASSESSED) & (status != _NOT_APPLICABLE)
    return {
        "median": _median(found),
        "counts": {
            "value": int(ranked.size),
            "not_assessed": int((mask & (status == _NOT_ASSESSED)).sum()),
            "no_data": int(no_data.sum()),
        },
        "edges": edges,
        "bins": bins,
        "best": s.ids[ranked[:limit]].tolist(),
        "worst": s.ids[ranked[::-1][:limit]].tolist(),
        "not_assessed": _ranked(s.ids, shared.page, mask & (status == _NOT_ASSESSED), limit)["ids"],
        "no_data": _ranked(s.ids, shared.page, no_data, limit)["ids"],
    }


def summarize(scores: PeriodScores, limit: int = LIST_LIMIT) -> dict[str, dict]:
    """The summaries of a period: scope ("" for all organisations, else an org type) → data."""
    shared = _Shared(scores)
    everyone = np.ones(len(scores.ids), dtype=bool)
    found = {"": _scope(scores, shared, everyone, limit)}
    for org_type in sorted(set(scores.types.tolist())):
        found[org_type] = _scope(scores, shared, scores.types == org_type, limit)
    return found


# --- Reading (database) ---


def summary_for(period, org_type: str = "") -> dict | None:
    """The stored summary of `period` for all organisations ("") or one type, or None when the
    period was scored before summaries existed (or not at all)."""
    from .models import ScoreSummary

    return (
        ScoreSummary.objects.filter(period=period, org_type=org_type)
        .values_list("data", flat=True)
        .first()
    )


def is_large(summary: dict | None) -> bool:
    return summary is not None and summary.get("scored", 0) >= LARGE
