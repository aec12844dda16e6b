"""Scoring: from input values to indicator points, subgroup and group scores, the index, the level.

Everything above the database marker is pure: pandas and numpy over all organisations of a period
at once, one vectorised pass per indicator, so a district-sized (or region-sized) period scores in
well under a second. The rules are those of `SCORING.md`; where it is silent, the choices are
written down in `docs/scoring-decisions.md`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring.catalogue import (
    GROUP_A,
    GROUP_B,
    LEVEL_LABELS,
    STATUS_NO_DATA,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_ASSESSED,
    STATUS_VALUE,
    STATUSES,
    SUBGROUPS,
    Catalogue,
    IndicatorDef,
)
from monitoring.formulas import (
    GATE_OBJECTIVITY,
    OBJECTIVITY_INDICATOR,
    RISK_OPERATORS,
    parse_formula,
    parse_levels,
    parse_min_n,
    parse_risk,
    parse_thresholds,
)

# Status codes inside the computation; they index `STATUSES`.
_VALUE = STATUSES.index(STATUS_VALUE)
_NOT_ASSESSED = STATUSES.index(STATUS_NOT_ASSESSED)
_NOT_APPLICABLE = STATUSES.index(STATUS_NOT_APPLICABLE)
_NO_DATA = STATUSES.index(STATUS_NO_DATA)

# Values are rounded to this many decimals before any comparison, so that float noise
# (97.99999999 for 98) never costs a point.
VALUE_DECIMALS = 6

RISK_CRITICAL = "critical"
RISK_INFO = "info_risk"
RISK_OBJECTIVITY = "objectivity"
OBJECTIVITY_TEXT = "Объективность результатов не подтверждена"

SUBGROUP_COLUMNS = list(SUBGROUPS)
ORG_COLUMNS = [
    "org_type",
    *SUBGROUP_COLUMNS,
    "group_a",
    "group_b",
    "index",
    "level",
    "preliminary",
    "risk_flags",
    "index_change",
]
INDICATOR_COLUMNS = [
    "org_code",
    "indicator",
    "value",
    "status",
    "points",
    "max_points",
    "gated",
    "risk",
]


@dataclass
class ScoreResult:
    """The scores of one period.

    indicators: one row per (organisation, indicator), organisations in input order and indicators
        in catalogue order: org_code, indicator, value, status (a `STATUS_*` string; categorical),
        points, max_points, gated, risk.
    orgs: indexed by org code: org_type, A1…B5 (subgroup %, unrounded), group_a, group_b
        (unrounded), index (rounded to 1 decimal; read it as `orgs["index"]`), level (a `LEVELS`
        code or None), preliminary, risk_flags (a list of {"kind", "indicator", "text"}),
        index_change.
    medians: indicator code → org type → median of the values with status «значение».
    """

    indicators: pd.DataFrame
    orgs: pd.DataFrame
    medians: dict[str, dict[str, float]]


def round_half_up(values, decimals: int) -> np.ndarray:
    """Round half away from zero, as by hand (64.65 → 64.7), ignoring float noise."""
    values = np.asarray(values, dtype=float)
    scale = 10.0**decimals
    scaled = np.round(np.abs(values) * scale, 6)
    return np.copysign(np.floor(scaled + 0.5) / scale, values) + 0.0  # + 0.0 turns -0.0 into 0.0


def compute_scores(
    catalogue: Catalogue,
    orgs: pd.DataFrame,
    values: pd.DataFrame,
    period_values: Mapping[str, float | None],
    previous_index: pd.Series | Mapping[str, float] | None = None,
) -> ScoreResult:
    """Score every organisation of a period.

    orgs: indexed by org code, with a column `org_type`. values: indexed by org code, one column
    per org-scope input (NaN or an absent column means missing). period_values: the period-scope
    inputs (None or absent means missing). previous_index: org code → last period's index (a
    Series or a dict).
    """
    org_index = pd.Index(orgs.index.astype(str), name="org_code")
    if org_index.has_duplicates:
        duplicated = sorted(set(org_index[org_index.duplicated()]))
        raise ValueError(f"Duplicate organisation codes: {', '.join(duplicated[:5])}")
    n = len(org_index)
    org_type = orgs["org_type"].to_numpy(dtype=object)
    types, type_codes = np.unique(org_type.astype(str), return_inverse=True)
    org_types = _OrgTypes(types, type_codes.ravel())
    values = pd.DataFrame(index=org_index) if values is None else values.copy(deep=False)
    values.index = values.index.astype(str)
    values = values.reindex(org_index)
    columns = _Columns(catalogue, values, period_values or {}, n)

    indicators = catalogue.indicators
    k = len(indicators)
    # Matrices are indicator × organisation, so that each indicator's row is contiguous.
    value_m = np.full((k, n), np.nan)
    status_m = np.full((k, n), _NOT_APPLICABLE, dtype=np.int8)
    zero_den_m = np.zeros((k, n), dtype=bool)  # division by zero scored by `if_zero_den`

    # Pass 1: values and statuses (medians need every organisation's value first).
    for j, ind in enumerate(indicators):
        value_m[j], status_m[j], zero_den_m[j] = _value_and_status(ind, org_types, columns)

    medians, median_m = _medians(indicators, org_types, value_m, status_m)

    gate = np.zeros(n, dtype=bool)
    codes = [ind.code for ind in indicators]
    if OBJECTIVITY_INDICATOR in codes:
        j = codes.index(OBJECTIVITY_INDICATOR)
        gate = (status_m[j] == _VALUE) & (value_m[j] == 0)

    # Pass 2: points, gate and risk flags.
    points_m = np.full((k, n), np.nan)
    max_m = np.zeros((k, n), dtype=np.int64)
    gated_m = np.zeros((k, n), dtype=bool)
    risk_m = np.zeros((k, n), dtype=bool)
    flag_events: list[tuple[np.ndarray, dict]] = []
    for j, ind in enumerate(indicators):
        status = status_m[j]
        is_value = status == _VALUE
        if ind.rule == "info":
            condition = parse_risk(ind.params)
            if condition is not None:
                op, number = condition
                risk_m[j] = is_value & RISK_OPERATORS[op](value_m[j], number)
                flag_events.append((risk_m[j], _info_flag(ind, op, number)))
        else:
            points = np.where(is_value, _points(ind, value_m[j], median_m[j], columns), 0.0)
            if ind.if_zero_den is not None:
                points[zero_den_m[j]] = ind.if_zero_den
            if ind.gate == GATE_OBJECTIVITY:
                gated_m[j] = is_value & gate
                points[gated_m[j]] = 0.0
            scored = is_value | (status == _NO_DATA)
            points_m[j] = np.where(scored, points, np.nan)
            max_m[j] = np.where(scored, ind.max_points, 0)
            if ind.critical:
                risk_m[j] = is_value & (points == 0)
                flag_events.append((risk_m[j], _critical_flag(ind)))
        if ind.code == OBJECTIVITY_INDICATOR:
            flag_events.append(
                (gate, {"kind": RISK_OBJECTIVITY, "indicator": ind.code, "text": OBJECTIVITY_TEXT})
            )

    org_frame = _org_scores(catalogue, org_index, org_type, points_m, max_m, status_m)
    org_frame["risk_flags"] = _risk_flags(n, flag_events, org_index)
    org_frame["index_change"] = _index_change(org_frame["index"], previous_index, org_index)
    org_frame = org_frame[ORG_COLUMNS]

    indicator_frame = pd.DataFrame(
        {
            "org_code": pd.Categorical.from_codes(np.repeat(np.arange(n), k), categories=org_index),
            "indicator": pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=codes),
            "value": value_m.T.ravel(),
            "status": pd.Categorical.from_codes(status_m.T.ravel(), categories=list(STATUSES)),
            "points": points_m.T.ravel(),
            "max_points": max_m.T.ravel(),
            "gated": gated_m.T.ravel(),
            "risk": risk_m.T.ravel(),
        },
        copy=False,  # fresh arrays; not consolidating them saves a 2-million-row copy
    )
    return ScoreResult(indicators=indicator_frame, orgs=org_frame, medians=medians)


def frames_from_rows(
    org_types: Mapping[str, str], values: Mapping[str, Mapping[str, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`compute_scores`' `orgs` and `values` from plain dicts: org code → org type, and org code →
    {input code: value} (an absent input is missing)."""
    index = pd.Index([str(code) for code in org_types], name="org_code")
    orgs = pd.DataFrame({"org_type": list(org_types.values())}, index=index)
    rows = {str(code): dict(values.get(code, {})) for code in org_types}
    frame = pd.DataFrame.from_dict(rows, orient="index", dtype=float).reindex(index)
    return orgs, frame


class _Columns:
    """Input columns as float arrays (org scope) or floats (period scope); missing is NaN."""

    def __init__(self, catalogue: Catalogue, values: pd.DataFrame, period_values, n: int):
        self.inputs = catalogue.inputs_by_code
        self.values = values
        self.period_values = period_values
        self.n = n
        self.cache: dict[str, np.ndarray | float] = {}

    def __getitem__(self, code: str) -> np.ndarray | float:
        if code not in self.cache:
            self.cache[code] = self._read(code)
        return self.cache[code]

    def _read(self, code: str) -> np.ndarray | float:
        definition = self.inputs.get(code)
        is_period = definition is not None and definition.scope == "period"
        if not is_period and code in self.values.columns:
            return pd.to_numeric(self.values[code], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        if is_period or code in self.period_values:
            value = self.period_values.get(code)
            return np.nan if value is None else float(value)
        return np.full(self.n, np.nan)

    def missing(self, code: str) -> np.ndarray:
        return np.broadcast_to(np.isnan(self[code]), (self.n,))


@dataclass(frozen=True)
class _OrgTypes:
    names: np.ndarray  # the distinct org types, sorted
    codes: np.ndarray  # per organisation, its position in `names`

    def among(self, allowed) -> np.ndarray:
        return np.isin(self.names, list(allowed))[self.codes]


def _value_and_status(ind: IndicatorDef, org_types: _OrgTypes, columns: _Columns):
    n = columns.n
    applicable = org_types.among(ind.applies_to)
    formula = parse_formula(ind.formula)
    raw, zero_den = formula.evaluate({code: columns[code] for code in formula.inputs}, size=n)

    missing = np.zeros(n, dtype=bool)
    for code in formula.inputs:
        missing |= columns.missing(code)
    small = np.zeros(n, dtype=bool)
    min_n = parse_min_n(ind.min_n)
    if min_n is not None:
        code, minimum = min_n
        missing |= columns.missing(code)
        small = np.broadcast_to(columns[code] < minimum, (n,))
    if _uses_ref(ind):
        missing |= columns.missing(ind.ref_input)

    # Assigned from the lowest precedence up, so each later line overrides the earlier ones:
    # н/п → нет данных → н/о (min_n) → division by zero → значение.
    status = np.full(n, _VALUE, dtype=np.int8)
    if ind.if_zero_den is None:
        status[zero_den] = _NOT_ASSESSED
    status[small] = _NOT_ASSESSED
    status[missing] = _NO_DATA
    status[~applicable] = _NOT_APPLICABLE

    keep = (status == _VALUE) | (status == _NOT_ASSESSED)
    value = np.where(keep, np.round(raw, VALUE_DECIMALS), np.nan)
    scored_zero_den = zero_den & (status == _VALUE)
    return value, status, scored_zero_den


def _uses_ref(ind: IndicatorDef) -> bool:
    return ind.rule == "thresholds" and any(
        t.kind == "ref" for _, t in parse_thresholds(ind.params)
    )


def _medians(indicators, org_types: _OrgTypes, value_m, status_m):
    """Per indicator and org type: the median of the values of status «значение», gate or not."""
    k, n = value_m.shape
    medians: dict[str, dict[str, float]] = {ind.code: {} for ind in indicators}
    if n == 0 or k == 0:
        return medians, np.full((k, n), np.nan)
    counted = np.where(status_m == _VALUE, value_m, np.nan)
    # org types × indicators
    table = pd.DataFrame(counted.T).groupby(org_types.codes).median().to_numpy()
    table = table.reshape(len(org_types.names), k)
    median_m = table.T[:, org_types.codes]
    for j, ind in enumerate(indicators):
        for t, org_t in enumerate(org_types.names):
            if not np.isnan(table[t, j]):
                medians[ind.code][str(org_t)] = float(table[t, j])
    return medians, median_m


def _points(ind: IndicatorDef, value: np.ndarray, median: np.ndarray, columns: _Columns):
    """Points for every organisation as if its status were «значение»."""
    top = float(ind.max_points)
    if ind.rule == "binary":
        return np.where(value == 1, top, 0.0)
    if ind.rule == "levels":
        points = np.zeros_like(value)
        for level, level_points in parse_levels(ind.params).items():
            points[value == level] = level_points
        return points
    points = np.full_like(value, np.nan)
    for threshold_points, threshold in parse_thresholds(ind.params):
        if threshold.kind == "positive":
            met = value > 0
        else:
            if threshold.kind == "number":
                limit = threshold.offset
            elif threshold.kind == "median":
                limit = median + threshold.offset
            else:
                limit = columns[ind.ref_input] + threshold.offset
            limit = np.round(limit, VALUE_DECIMALS)
            # A NaN limit (no median for this type) compares False: the threshold is not met.
            met = value >= limit if ind.direction == "higher" else value <= limit
        points = np.where(np.isnan(points) & met, float(threshold_points), points)
    return np.where(np.isnan(points), 0.0, points)


def _critical_flag(ind: IndicatorDef) -> dict:
    return {
        "kind": RISK_CRITICAL,
        "indicator": ind.code,
        "text": f"{ind.code} {ind.name}: 0 баллов по критическому показателю",
    }


def _info_flag(ind: IndicatorDef, op: str, number: float) -> dict:
    sign = {">=": "≥", "<=": "≤"}.get(op, op)
    return {
        "kind": RISK_INFO,
        "indicator": ind.code,
        "text": f"{ind.code} {ind.name}: значение {sign} {number:g}",
    }


def _risk_flags(n: int, events: list[tuple[np.ndarray, dict]], org_index: pd.Index) -> pd.Series:
    # One Python step per raised flag (not per organisation): the flags are dicts for templates.
    flags: list[list[dict]] = [[] for _ in range(n)]
    for mask, template in events:
        copy = template.copy
        for position in np.flatnonzero(mask).tolist():
            flags[position].append(copy())
    return pd.Series(flags, index=org_index, dtype=object)


def _org_scores(catalogue, org_index, org_type, points_m, max_m, status_m) -> pd.DataFrame:
    k = points_m.shape[0]
    membership = np.zeros((len(SUBGROUPS), k))
    scored_kinds = np.zeros(k, dtype=bool)
    for j, ind in enumerate(catalogue.indicators):
        if ind.subgroup in SUBGROUPS:
            membership[SUBGROUPS.index(ind.subgroup), j] = 1.0
        scored_kinds[j] = ind.rule != "info"

    counted = max_m > 0  # value or no data, non-info
    earned = (membership @ np.where(counted, points_m, 0.0)).T  # organisations × subgroups
    possible = (membership @ max_m.astype(float)).T
    with np.errstate(divide="ignore", invalid="ignore"):
        subgroup = np.where(possible > 0, 100.0 * earned / possible, np.nan)

    frame = pd.DataFrame(subgroup, index=org_index, columns=SUBGROUP_COLUMNS)
    frame.insert(0, "org_type", org_type)
    group_a = _mean_of_present(subgroup[:, [SUBGROUPS.index(s) for s in GROUP_A]])
    group_b = _mean_of_present(subgroup[:, [SUBGROUPS.index(s) for s in GROUP_B]])
    both = ~np.isnan(group_a) & ~np.isnan(group_b)
    raw_index = np.where(
        both,
        catalogue.weight_a * group_a + catalogue.weight_b * group_b,
        np.where(np.isnan(group_a), group_b, group_a),
    )
    index = round_half_up(raw_index, 1)
    frame["group_a"] = group_a
    frame["group_b"] = group_b
    frame["index"] = index
    # object dtype keeps None for "no level" (pandas would otherwise infer str and use NaN)
    frame["level"] = pd.Series(_levels(catalogue, index), index=org_index, dtype=object)
    frame["preliminary"] = ((status_m == _NO_DATA) & scored_kinds[:, None]).any(axis=0)
    return frame


def _mean_of_present(table: np.ndarray) -> np.ndarray:
    present = ~np.isnan(table)
    count = present.sum(axis=1)
    total = np.where(present, table, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _levels(catalogue: Catalogue, index: np.ndarray) -> np.ndarray:
    # An index has at most ~1,000 distinct values: ask the catalogue once per value.
    levels = np.full(len(index), None, dtype=object)
    present = ~np.isnan(index)
    distinct, inverse = np.unique(index[present], return_inverse=True)
    by_value = np.array([catalogue.level_for(float(v)) for v in distinct] + [None], dtype=object)
    levels[present] = by_value[inverse.ravel()]
    return levels


def _index_change(index: pd.Series, previous: pd.Series | None, org_index: pd.Index) -> np.ndarray:
    if previous is None:
        return np.full(len(org_index), np.nan)
    previous = pd.Series(previous, dtype=float) if isinstance(previous, Mapping) else previous
    previous = previous.copy(deep=False)
    previous.index = previous.index.astype(str)
    before = pd.to_numeric(previous, errors="coerce").reindex(org_index).to_numpy(dtype=float)
    return round_half_up(index.to_numpy(dtype=float) - before, 1)


# --- CSV export ----------------------------------------------------------------------------------


def _format_number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _format_column(values: np.ndarray, decimals: int) -> list[str]:
    rounded = round_half_up(values, decimals)
    cache: dict[float, str] = {}
    out = []
    for v in rounded.tolist():
        if v != v:  # NaN
            out.append("")
            continue
        text = cache.get(v)
        if text is None:
            text = cache[v] = _format_number(v, decimals)
        out.append(text)
    return out


def scores_to_export_rows(result: ScoreResult, catalogue: Catalogue) -> list[list[str]]:
    """The CSV export: a header row, then one row per organisation, in the order of `result.orgs`.

    Index, groups and subgroups to 1 decimal, indicator values to 2 decimals, trailing zeros
    trimmed; empty where there is no value or no points.
    """
    codes = [ind.code for ind in catalogue.indicators]
    header = ["org_code", "index", "level", "group_a", "group_b", *SUBGROUP_COLUMNS]
    for code in codes:
        header += [f"{code}_value", f"{code}_status", f"{code}_points"]

    orgs = result.orgs
    n, k = len(orgs), len(codes)
    long = result.indicators
    rows_at = orgs.index.get_indexer(long["org_code"].astype(str))
    cols_at = pd.Index(codes).get_indexer(long["indicator"].astype(str))
    keep = (rows_at >= 0) & (cols_at >= 0)
    value_m = np.full((n, k), np.nan)
    points_m = np.full((n, k), np.nan)
    status_m = np.full((n, k), "", dtype=object)
    value_m[rows_at[keep], cols_at[keep]] = long["value"].to_numpy(dtype=float)[keep]
    points_m[rows_at[keep], cols_at[keep]] = long["points"].to_numpy(dtype=float)[keep]
    status_m[rows_at[keep], cols_at[keep]] = long["status"].astype(object).to_numpy()[keep]

    columns: list[list[str]] = [orgs.index.astype(str).tolist()]
    columns.append(_format_column(orgs["index"].to_numpy(dtype=float), 1))
    columns.append([LEVEL_LABELS.get(level, "") if level else "" for level in orgs["level"]])
    for name in ["group_a", "group_b", *SUBGROUP_COLUMNS]:
        columns.append(_format_column(orgs[name].to_numpy(dtype=float), 1))
    for j in range(k):
        columns.append(_format_column(value_m[:, j], 2))
        columns.append(status_m[:, j].tolist())
        columns.append(_format_column(points_m[:, j], 2))
    return [header, *(list(row) for row in zip(*columns, strict=True))] if n else [header]


def find_outliers(
    catalogue: Catalogue, orgs: pd.DataFrame, values: pd.DataFrame, *, k: float = 3.0
) -> dict[str, list[dict]]:
    """Values far from their peers, to be reviewed (never rejected).

    SCORING.md: within organisations of the same type in the same period, a value below
    Q1 − 3·IQR or above Q3 + 3·IQR. Yes/no and level inputs have no meaningful spread and are
    skipped; a type needs at least 4 values of an input, and some spread among them, before
    anything is called unusual.
    """
    codes = [
        i.code
        for i in catalogue.inputs
        if i.scope == "org" and i.type not in ("bool", "level") and i.code in values.columns
    ]
    if not codes or values.empty:
        return {}
    table = values[codes].astype(float)
    types = orgs["org_type"].reindex(table.index)
    grouped = table.groupby(types)
    q1 = grouped.transform(lambda c: c.quantile(0.25) if c.count() >= 4 else np.nan)
    q3 = grouped.transform(lambda c: c.quantile(0.75) if c.count() >= 4 else np.nan)
    iqr = q3 - q1
    low, high = q1 - k * iqr, q3 + k * iqr
    # Where most peers share one value (no pupils with ОВЗ, no vacancies) the IQR is 0 and every
    # other value would look extreme: without a spread there is nothing to compare against.
    mask = ((table < low) | (table > high)) & (iqr > 0)
    found: dict[str, list[dict]] = {}
    for org_code, code in zip(*np.nonzero(mask.to_numpy()), strict=True):
        org = str(table.index[org_code])
        found.setdefault(org, []).append(
            {
                "input": codes[code],
                "value": float(table.iat[org_code, code]),
                "low": round(float(low.iat[org_code, code]), 2),
                "high": round(float(high.iat[org_code, code]), 2),
            }
        )
    return found


# How a period's indicator results are stored (`Score.indicators`): per organisation, one list per
# field, in the catalogue's indicator order — {"value": [...], "status": [...], "points": [...],
# "gated": [...], "risk": [...]}, status as its position in STATUSES. Lists keep 40,000 × 49
# results compact and are built with numpy, not a Python loop per indicator.
PAYLOAD_FIELDS = ("value", "status", "points", "gated", "risk")


def _rows_with_none(matrix: np.ndarray) -> list[list]:
    """Rows of a float matrix as lists, NaN as None (JSON has no NaN)."""
    rows = matrix.astype(object)
    rows[np.isnan(matrix)] = None
    return rows.tolist()


def indicator_payloads(result: ScoreResult, catalogue: Catalogue) -> list[dict]:
    """Per organisation, its indicator results in the stored layout (see PAYLOAD_FIELDS)."""
    frame = result.indicators
    k = len(catalogue.indicators)
    n = len(frame) // k if k else 0
    # Four decimals are more than any page or export shows, and keep the stored JSON small.
    value = _rows_with_none(np.round(frame["value"].to_numpy(dtype=float), 4).reshape(n, k))
    status = frame["status"].cat.codes.to_numpy().reshape(n, k).tolist()
    points = _rows_with_none(frame["points"].to_numpy(dtype=float).reshape(n, k))
    gated = frame["gated"].to_numpy().astype(int).reshape(n, k).tolist()
    risk = frame["risk"].to_numpy().astype(int).reshape(n, k).tolist()
    return [
        {"value": v, "status": st, "points": p, "gated": g, "risk": r}
        for v, st, p, g, r in zip(value, status, points, gated, risk, strict=True)
    ]


def unpack_payload(payload: dict, codes: list[str]) -> dict[str, list]:
    """The stored layout back as {code: [value, status, points, gated, risk]}."""
    if not payload:
        return {}
    return {
        code: [
            payload["value"][j],
            STATUSES[payload["status"][j]],
            payload["points"][j],
            bool(payload["gated"][j]),
            bool(payload["risk"][j]),
        ]
        for j, code in enumerate(codes)
    }


# --- Reading and storing (database) ---
# Kept at the bottom and importing Django lazily, so that everything above stays a pure module
# that tests and benchmarks can use without a database.


@dataclass
class PeriodFrames:
    """A period's data as `compute_scores` takes it, plus the organisations' database ids.

    `previous_change` (org code → last period's index change) and `previous_clean_high` (codes
    whose last level was high with no risk flag) feed the period's summaries.
    """

    orgs: pd.DataFrame
    values: pd.DataFrame
    period_values: dict
    previous_index: pd.Series | None
    org_ids: dict[str, int]
    previous_change: pd.Series | None = None
    previous_clean_high: frozenset = frozenset()


def _value_matrix(
    org_ids: np.ndarray, parts: list[tuple[np.ndarray, pd.Categorical, np.ndarray]]
) -> tuple[np.ndarray, list[str]]:
    """Organisations × input codes from (organisation id, input code, value) columns; a later
    part overwrites an earlier one. A vectorised pivot: a region's 1.8 million values are placed
    in one assignment per part instead of a pandas pivot with its sorting and de-duplication."""
    codes = sorted({str(c) for _ids, found, _values in parts for c in found.categories})
    lookup = pd.Index(codes, dtype=object)
    matrix = np.full((len(org_ids), len(codes)), np.nan)
    order = np.argsort(org_ids, kind="stable")
    for ids, found, values in parts:
        if not len(ids):
            continue
        slot = np.searchsorted(org_ids, ids, sorter=order)
        slot = np.minimum(slot, len(org_ids) - 1)
        rows = order[slot]
        known = org_ids[rows] == ids  # values of organisations not being scored are left out
        # Input codes are few: each category is looked up once, each value by its code.
        columns = lookup.get_indexer([str(c) for c in found.categories])[found.codes]
        matrix[rows[known], columns[known]] = values[known]
    return matrix, codes


def load_period_frames(period, organizations=None) -> PeriodFrames:
    """The inputs of `compute_scores` for a period, read from the database in a few queries."""
    from zelenchuk_portal.bulk import copy_out
    from zelenchuk_portal.models import Organization

    from .models import Score, Value
    from .providers import derived_values

    if organizations is None:
        organizations = list(Organization.objects.active().order_by("code"))
    codes = [org.code for org in organizations]
    org_ids = np.array([org.pk for org in organizations], dtype=np.int64)
    orgs = pd.DataFrame(
        {"org_type": [org.org_type for org in organizations]},
        index=pd.Index(codes, name="org_code"),
    )
    # Only the three columns scoring needs, streamed by COPY where the database has it.
    rows = Value.objects.filter(period=period, organization__isnull=False).values_list(
        "organization_id", "input_code", "value"
    )
    columns = ["organization_id", "input_code", "value"]
    text = copy_out(rows)
    stored = (
        pd.read_csv(
            text,
            names=columns,
            dtype={"organization_id": np.int64, "input_code": "category", "value": float},
        )
        if text is not None
        else pd.DataFrame(list(rows), columns=columns)
    )
    derived = [
        (org_id, code, float(v))
        for org_id, found in derived_values(period, organizations).items()
        for code, v in found.items()
        if v is not None
    ]
    derived_ids, derived_codes, derived_values_ = (
        (np.array(c) for c in zip(*derived, strict=True)) if derived else ([], [], [])
    )
    # Stored rows come last and win: a derived input is stored only by a restore from an export
    # (`restore.restore_derived`), whose records the providers cannot see in this database.
    matrix, input_codes = _value_matrix(
        org_ids,
        [
            (np.asarray(derived_ids, dtype=np.int64), pd.Categorical(list(derived_codes)),
             np.asarray(derived_values_, dtype=float)),
            (stored["organization_id"].to_numpy(dtype=np.int64),
             pd.Categorical(stored["input_code"]),
             stored["value"].to_numpy(dtype=float)),
        ],
    )  # fmt: skip
    values = pd.DataFrame(matrix, index=orgs.index, columns=input_codes)
    period_values = {
        code: float(v)
        for code, v in Value.objects.filter(period=period, organization__isnull=True).values_list(
            "input_code", "value"
        )
    }
    previous = period.previous()
    previous_index = previous_change = None
    clean_high = frozenset()
    if previous is not None:
        before = list(
            Score.objects.filter(period=previous).values_list(
                "organization__code", "index", "index_change"
            )
        )
        previous_index = pd.Series(
            {code: index for code, index, _change in before if index is not None}, dtype=float
        )
        previous_change = pd.Series(
            {code: change for code, _index, change in before if change is not None}, dtype=float
        )
        clean_high = frozenset(
            Score.objects.filter(period=previous, level="high", risk_flags=[]).values_list(
                "organization__code", flat=True
            )
        )
    org_ids_by_code = dict(zip(codes, org_ids.tolist(), strict=True))
    return PeriodFrames(
        orgs, values, period_values, previous_index, org_ids_by_code, previous_change, clean_high
    )


SCORE_COLUMNS = (
    "period_id",
    "version_id",
    "run_id",
    "organization_id",
    "index",
    "level",
    "group_a",
    "group_b",
    "a1",
    "a2",
    "b1",
    "b2",
    "b3",
    "b4",
    "b5",
    "preliminary",
    "index_change",
    "risk_flags",
    "indicators",
    "outliers",
)


def _nullable(values) -> list:
    """A float column as a list, NaN as None (NULL)."""
    column = np.asarray(values, dtype=float).astype(object)
    column[pd.isna(column)] = None
    return column.tolist()


def _json_lists(matrix: np.ndarray, integers: bool = False) -> list[str]:
    """Each row of a matrix as the text `json.dumps` gives its list (NaN as null), built with one
    pass over all the cells instead of a `json.dumps` per organisation."""
    n, k = matrix.shape
    if integers:
        words = [str(i) for i in range(int(matrix.max(initial=0)) + 1)]
        cells = [words[v] for v in matrix.ravel().tolist()]
    else:
        # A period has few distinct values (points are small whole numbers): each is written
        # once and looked up, rather than formatted two million times.
        flat = matrix.ravel()
        distinct, inverse = np.unique(flat, return_inverse=True)
        words = ["null" if v != v else float.__repr__(v) for v in distinct.tolist()]
        cells = np.asarray(words, dtype=object)[inverse.ravel()]
        cells[(flat == 0) & np.signbit(flat)] = "-0.0"  # np.unique takes -0.0 for 0.0
        cells = cells.tolist()
    return ["[" + ", ".join(cells[i * k : (i + 1) * k]) + "]" for i in range(n)]


def payload_texts(result: ScoreResult, catalogue: Catalogue) -> list[str]:
    """`indicator_payloads` as JSON texts (the same text `json.dumps` writes), for storing."""
    frame = result.indicators
    k = len(catalogue.indicators)
    n = len(frame) // k if k else 0
    shape = (n, k)
    value = _json_lists(np.round(frame["value"].to_numpy(dtype=float), 4).reshape(shape))
    status = _json_lists(frame["status"].cat.codes.to_numpy().reshape(shape), integers=True)
    points = _json_lists(frame["points"].to_numpy(dtype=float).reshape(shape))
    gated = _json_lists(frame["gated"].to_numpy().astype(np.int8).reshape(shape), integers=True)
    risk = _json_lists(frame["risk"].to_numpy().astype(np.int8).reshape(shape), integers=True)
    return [
        f'{{"value": {v}, "status": {st}, "points": {p}, "gated": {g}, "risk": {r}}}'
        for v, st, p, g, r in zip(value, status, points, gated, risk, strict=True)
    ]


def _score_rows(ids: tuple, org_ids: list[int], table: pd.DataFrame, payloads, outliers) -> list:
    """The rows of `Score` in SCORE_COLUMNS order, built column by column."""
    flags = [json.dumps(f) if f else "[]" for f in table["risk_flags"]]
    found = [json.dumps(outliers[code]) if code in outliers else "[]" for code in table.index]
    columns = [
        org_ids,
        _nullable(table["index"]),
        [level or "" for level in table["level"]],
        _nullable(table["group_a"]),
        _nullable(table["group_b"]),
        *(_nullable(table[sg]) for sg in SUBGROUP_COLUMNS),
        table["preliminary"].astype(bool).tolist(),
        _nullable(table["index_change"]),
        flags,
        payloads,
        found,
    ]
    return [(*ids, *row) for row in zip(*columns, strict=True)]


def _summaries(frames: PeriodFrames, result: ScoreResult, catalogue: Catalogue) -> dict:
    """`summaries.summarize` of a period's fresh scores (see `summaries.py`)."""
    from zelenchuk_portal.models import Organization

    from .summaries import PeriodScores, summarize

    table = result.orgs
    codes = table.index
    ids = np.array([frames.org_ids[code] for code in codes], dtype=np.int64)
    # The pages' orders, as the database sorts names (its collation, not Python's).
    active = Organization.objects.active()
    ranks = []
    for fields in (("org_type", "short_name", "pk"), ("short_name", "pk")):
        rank = {pk: n for n, pk in enumerate(active.order_by(*fields).values_list("pk", flat=True))}
        ranks.append(np.array([rank.get(pk, len(rank)) for pk in ids.tolist()], dtype=np.int64))
    k = len(catalogue.indicators)
    n = len(codes)
    frame = result.indicators
    previous_change = (
        frames.previous_change.reindex(codes).to_numpy(dtype=float)
        if frames.previous_change is not None
        else np.full(n, np.nan)
    )
    scores = PeriodScores(
        ids=ids,
        types=table["org_type"].astype(str).to_numpy(dtype=object),
        order=ranks[0],
        name_order=ranks[1],
        index=table["index"].to_numpy(dtype=float),
        subgroups=table[SUBGROUP_COLUMNS].to_numpy(dtype=float),
        index_change=table["index_change"].to_numpy(dtype=float),
        levels=table["level"].tolist(),
        preliminary=table["preliminary"].to_numpy(dtype=bool),
        risk_flags=table["risk_flags"].tolist(),
        previous_change=previous_change,
        previous_clean_high=np.array([c in frames.previous_clean_high for c in codes], dtype=bool),
        indicator_codes=[ind.code for ind in catalogue.indicators],
        higher_is_better=[ind.direction == "higher" for ind in catalogue.indicators],
        values=np.round(frame["value"].to_numpy(dtype=float), 4).reshape(n, k),
        statuses=frame["status"].cat.codes.to_numpy().reshape(n, k),
    )
    return summarize(scores)


# Work that follows every scoring of a period (drafting recommendations…), registered by the
# modules that own it so that scoring does not depend on them.
_AFTER_SCORING: list = []


def register_after_scoring(func) -> None:
    """func(period, user) runs after each `score_period` (unless asked not to)."""
    _AFTER_SCORING.append(func)


def score_period(period, *, trigger: str, user=None, follow_up: bool = True):
    """Recompute and store the scores of every active organisation for an open period.

    `follow_up=False` skips the registered follow-up work (the benchmark times scoring alone).
    """
    import time

    from django.db import transaction

    from zelenchuk_portal.bulk import bulk_insert

    from .methodology import version_for
    from .models import Score, ScoreSummary, ScoringRun
    from .values import ensure_open

    ensure_open(period)
    started = time.perf_counter()
    version = version_for(period)
    catalogue = version.catalogue
    frames = load_period_frames(period)
    orgs, org_ids = frames.orgs, frames.org_ids
    result = compute_scores(
        catalogue, orgs, frames.values, frames.period_values, frames.previous_index
    )
    outliers = find_outliers(catalogue, orgs, frames.values)
    table = result.orgs
    rows = _score_rows(
        (period.pk, version.pk, None),
        [org_ids[code] for code in table.index],
        table,
        payload_texts(result, catalogue),
        outliers,
    )
    summaries = _summaries(frames, result, catalogue)
    del frames, outliers
    with transaction.atomic():
        run = ScoringRun.objects.create(
            period=period, version=version, trigger=trigger, organizations=len(orgs), by=user
        )
        Score.objects.filter(period=period).delete()
        bulk_insert(Score, SCORE_COLUMNS, ((*row[:2], run.pk, *row[3:]) for row in rows), text=True)
        ScoreSummary.objects.filter(period=period).delete()
        ScoreSummary.objects.bulk_create(
            ScoreSummary(period=period, run=run, org_type=scope, data=data)
            for scope, data in summaries.items()
        )
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
        if follow_up:
            for func in _AFTER_SCORING:
                func(period, user)
    return run


def stored_result(period, catalogue: Catalogue) -> ScoreResult:
    """A period's stored scores as a `ScoreResult` (for exports: what was computed, not a rerun)."""
    from .models import Score

    rows = list(
        Score.objects.filter(period=period)
        .order_by("organization__code")
        .values("organization__code", "organization__org_type", *SCORE_COLUMNS[4:-1])
    )
    codes = [ind.code for ind in catalogue.indicators]
    index = pd.Index([r["organization__code"] for r in rows], name="org_code")
    orgs = pd.DataFrame(
        {
            "org_type": [r["organization__org_type"] for r in rows],
            **{sg: [r[sg.lower()] for r in rows] for sg in SUBGROUP_COLUMNS},
            "group_a": [r["group_a"] for r in rows],
            "group_b": [r["group_b"] for r in rows],
            "index": [r["index"] for r in rows],
            "level": [r["level"] or None for r in rows],
            "preliminary": [r["preliminary"] for r in rows],
            "risk_flags": [r["risk_flags"] for r in rows],
            "index_change": [r["index_change"] for r in rows],
        },
        index=index,
    )
    for column in ["group_a", "group_b", "index", "index_change", *SUBGROUP_COLUMNS]:
        orgs[column] = orgs[column].astype(float)
    empty = [None, STATUS_NO_DATA, None, False, False]
    unpacked = [unpack_payload(r["indicators"], codes) for r in rows]
    results = [[u.get(code, empty) for code in codes] for u in unpacked]
    flat = [item for row in results for item in row]
    indicators = pd.DataFrame(
        {
            "org_code": np.repeat(index.to_numpy(), len(codes)),
            "indicator": codes * len(rows),
            "value": pd.array([f[0] for f in flat], dtype=float),
            "status": [f[1] for f in flat],
            "points": pd.array([f[2] for f in flat], dtype=float),
            "max_points": 0,
            "gated": [f[3] for f in flat],
            "risk": [f[4] for f in flat],
        }
    )
    return ScoreResult(indicators=indicators, orgs=orgs, medians={})
