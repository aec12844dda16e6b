"""Scoring on small hand-computed tables (no database, no Django)."""

import math

import numpy as np
import pandas as pd
import pytest

from monitoring.catalogue import (
    STATUS_NO_DATA,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_ASSESSED,
    STATUS_VALUE,
    STATUSES,
    Catalogue,
    IndicatorDef,
    InputDef,
    default_catalogue,
)
from monitoring.formulas import parse_formula, parse_min_n
from monitoring.scoring import (
    compute_scores,
    find_outliers,
    round_half_up,
    scores_to_export_rows,
)

NAN = np.nan
ALL = ("school", "kindergarten", "additional")
VALUE, NOT_ASSESSED, NOT_APPLICABLE, NO_DATA = (
    STATUS_VALUE,
    STATUS_NOT_ASSESSED,
    STATUS_NOT_APPLICABLE,
    STATUS_NO_DATA,
)


# --- Helpers -------------------------------------------------------------------------------------


def ind(code, formula, rule="thresholds", params="", **extra) -> IndicatorDef:
    fields = {
        "subgroup": code.split(".")[0],
        "name": f"Показатель {code}",
        "unit": "",
        "direction": "higher",
        "applies_to": ALL,
        "ref_input": "",
        "min_n": "",
        "if_zero_den": None,
        "critical": False,
        "gate": "",
        "sources": (),
    }
    fields.update(extra)
    return IndicatorDef(code=code, formula=formula, rule=rule, params=params, **fields)


def catalogue(*indicators, **extra) -> Catalogue:
    """A catalogue whose inputs are those the indicators read; `*_region` ones are period-scope."""
    codes: list[str] = []
    for i in indicators:
        codes += sorted(parse_formula(i.formula).inputs)
        if i.min_n:
            codes.append(parse_min_n(i.min_n)[0])
        if i.ref_input:
            codes.append(i.ref_input)
    inputs = tuple(
        InputDef(
            code=c,
            label=c,
            type="decimal",
            min=None,
            max=None,
            scope="period" if c.endswith("_region") else "org",
            source="test",
            provided_by="import",
        )
        for c in dict.fromkeys(codes)
    )
    return Catalogue(inputs=inputs, indicators=tuple(indicators), **extra)


def score(cat, table, period=None, previous=None):
    """table: org code → (org type, {input: value}); an absent input is missing."""
    orgs = pd.DataFrame({"org_type": {code: t for code, (t, _) in table.items()}})
    values = pd.DataFrame.from_dict(
        {code: inputs for code, (_, inputs) in table.items()}, orient="index", dtype=float
    ).reindex(orgs.index)
    return compute_scores(cat, orgs, values, period or {}, previous)


def cell(result, org, code) -> dict:
    rows = result.indicators
    row = rows[(rows["org_code"] == org) & (rows["indicator"] == code)]
    assert len(row) == 1
    return row.iloc[0].to_dict()


def outcome(result, org, code):
    """(value, status, points, max_points) of one indicator of one organisation."""
    row = cell(result, org, code)
    return (row["value"], row["status"], row["points"], row["max_points"])


def assert_outcome(result, org, code, value, status, points, max_points):
    got_value, got_status, got_points, got_max = outcome(result, org, code)
    assert got_status == status, (org, code, got_status)
    assert got_max == max_points, (org, code, got_max)
    for got, expected in ((got_value, value), (got_points, points)):
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            assert math.isnan(got), (org, code, got)
        else:
            assert got == pytest.approx(expected, abs=1e-9), (org, code, got, expected)


def points_of(result, code) -> dict:
    rows = result.indicators[result.indicators["indicator"] == code]
    return dict(zip(rows["org_code"].astype(str), rows["points"].tolist(), strict=True))


# --- Rules ---------------------------------------------------------------------------------------


def test_binary():
    cat = catalogue(ind("A1.1", "edu", rule="binary"))
    result = score(cat, {"s1": ("school", {"edu": 1}), "s2": ("school", {"edu": 0})})
    assert_outcome(result, "s1", "A1.1", 1.0, VALUE, 2.0, 2)
    assert_outcome(result, "s2", "A1.1", 0.0, VALUE, 0.0, 2)
    assert result.orgs.loc["s1", "A1"] == 100.0
    assert result.orgs.loc["s2", "A1"] == 0.0


def test_levels_and_an_unmapped_level():
    cat = catalogue(
        ind("A1.3", "diag", rule="levels", params="4:2|3:2|2:1|1:0|0:0"),
        ind("A1.7", "program", rule="levels", params="2:2|1:1"),
    )
    table = {f"o{v}": ("school", {"diag": v, "program": v}) for v in (4, 3, 2, 1, 0)}
    result = score(cat, table)
    assert points_of(result, "A1.3") == {"o4": 2, "o3": 2, "o2": 1, "o1": 0, "o0": 0}
    # Levels 4, 3 and 0 are not in "2:2|1:1": 0 points.
    assert points_of(result, "A1.7") == {"o4": 0, "o3": 0, "o2": 2, "o1": 1, "o0": 0}


def test_thresholds_with_numbers():
    cat = catalogue(ind("A1.2", "hours", params="2:72|1:16"))
    table = {f"h{h}": ("school", {"hours": h}) for h in (500, 72, 71.5, 16, 15.99, 0)}
    result = score(cat, table)
    assert points_of(result, "A1.2") == {
        "h500": 2,
        "h72": 2,
        "h71.5": 1,
        "h16": 1,
        "h15.99": 0,
        "h0": 0,
    }


def test_float_noise_never_costs_a_point():
    assert 57 / 100 * 100 < 57  # 56.99999999999999: what a naive comparison would see
    cat = catalogue(ind("B4.1", "done / total * 100", params="2:57|1:50"))
    result = score(cat, {"s": ("school", {"done": 57, "total": 100})})
    assert_outcome(result, "s", "B4.1", 57.0, VALUE, 2.0, 2)
    assert cell(result, "s", "B4.1")["value"] == 57.0  # stored rounded to 6 decimals


def test_strictly_greater_than_zero():
    cat = catalogue(
        ind("A2.5", "from_reserve / appointed * 100", params="2:50|1:>0"),
        ind("B4.6", "x", params="2:0|1:>0", direction="lower"),
    )
    result = score(
        cat,
        {
            "half": ("school", {"from_reserve": 1, "appointed": 2, "x": 0}),  # 50 %
            "quarter": ("school", {"from_reserve": 1, "appointed": 4, "x": 3}),  # 25 %
            "none": ("school", {"from_reserve": 0, "appointed": 3, "x": -1}),  # 0 %
        },
    )
    assert points_of(result, "A2.5") == {"half": 2, "quarter": 1, "none": 0}
    # Lower direction: 0 ≤ 0 → 2; 3 is not ≤ 0 but > 0 → 1; −1 ≤ 0 → 2.
    assert points_of(result, "B4.6") == {"half": 2, "quarter": 1, "none": 2}


def test_lower_direction_with_numbers():
    cat = catalogue(
        ind("B1.8", "dropouts", params="2:0|1:1", direction="lower", critical=True),
    )
    table = {f"d{d}": ("school", {"dropouts": d}) for d in (0, 1, 2)}
    result = score(cat, table)
    assert points_of(result, "B1.8") == {"d0": 2, "d1": 1, "d2": 0}
    assert result.indicators["risk"].tolist() == [False, False, True]


def median_catalogue():
    applies = ("school", "kindergarten")
    return catalogue(
        ind("B2.3", "x", params="2:median+5|1:median", applies_to=applies, min_n="n>=5"),
        ind(
            "B2.4",
            "x",
            params="2:median-5|1:median",
            direction="lower",
            applies_to=applies,
            min_n="n>=5",
        ),
        ind("B5.5", "y", params="2:median"),
    )


def test_median_thresholds_per_org_type():
    table = {
        "s1": ("school", {"x": 10, "n": 10, "y": 1}),
        "s2": ("school", {"x": 20, "n": 10, "y": 1}),
        "s3": ("school", {"x": 30, "n": 10, "y": 1}),
        "s4": ("school", {"x": 100, "n": 1, "y": 1}),  # н/о: left out of the median
        "s5": ("school", {"n": 10, "y": 1}),  # нет данных: left out of the median
        "k1": ("kindergarten", {"x": 4, "n": 10}),
        "k2": ("kindergarten", {"x": 9, "n": 10}),
        "a1": ("additional", {"x": 1000, "n": 10}),  # н/п: left out of the median
    }
    result = score(median_catalogue(), table)
    # Schools: median(10, 20, 30) = 20; kindergartens: median(4, 9) = 6.5.
    assert result.medians["B2.3"] == {"school": 20.0, "kindergarten": 6.5}
    # B5.5: only schools have a y value; kindergartens and the ОДО have none, so no entry.
    assert result.medians["B5.5"] == {"school": 1.0}
    # higher, median+5: 30 ≥ 25 → 2; 20 ≥ 20 → 1; 10 → 0. Kindergartens: 9 ≥ 6.5 → 1; 4 → 0.
    b23 = points_of(result, "B2.3")
    assert {k: b23[k] for k in ("s1", "s2", "s3", "k1", "k2")} == {
        "s1": 0,
        "s2": 1,
        "s3": 2,
        "k1": 0,
        "k2": 1,
    }
    # lower, median-5: 10 ≤ 15 → 2; 20 ≤ 20 → 1; 30 → 0. Kindergartens: 4 ≤ 1.5? no, ≤ 6.5 → 1.
    b24 = points_of(result, "B2.4")
    assert {k: b24[k] for k in ("s1", "s2", "s3", "k1", "k2")} == {
        "s1": 2,
        "s2": 1,
        "s3": 0,
        "k1": 1,
        "k2": 0,
    }
    assert_outcome(result, "s4", "B2.3", 100.0, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "s5", "B2.3", NAN, NO_DATA, 0.0, 2)
    assert_outcome(result, "a1", "B2.3", NAN, NOT_APPLICABLE, NAN, 0)


def ref_catalogue():
    return catalogue(
        ind(
            "B1.3",
            "fail / part * 100",
            params="2:ref|1:median",
            direction="lower",
            ref_input="fail_region",
            min_n="part>=5",
            applies_to=("school",),
        ),
    )


REF_TABLE = {
    "s1": ("school", {"fail": 1, "part": 20}),  # 5 %
    "s2": ("school", {"fail": 3, "part": 20}),  # 15 %
    "s3": ("school", {"fail": 6, "part": 20}),  # 30 %
    "s4": ("school", {"fail": 1, "part": 4}),  # н/о: 4 participants < 5
    "k1": ("kindergarten", {}),
}


def test_ref_and_median_in_the_lower_direction():
    result = score(ref_catalogue(), REF_TABLE, period={"fail_region": 10.0})
    # 5 ≤ ref 10 → 2; 15 ≤ median(5, 15, 30) = 15 → 1; 30 → 0.
    assert_outcome(result, "s1", "B1.3", 5.0, VALUE, 2.0, 2)
    assert_outcome(result, "s2", "B1.3", 15.0, VALUE, 1.0, 2)
    assert_outcome(result, "s3", "B1.3", 30.0, VALUE, 0.0, 2)
    assert_outcome(result, "s4", "B1.3", 25.0, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "k1", "B1.3", NAN, NOT_APPLICABLE, NAN, 0)


@pytest.mark.parametrize("period", [{}, {"fail_region": None}, {"fail_region": NAN}])
def test_a_missing_ref_makes_the_indicator_no_data_for_everyone(period):
    result = score(ref_catalogue(), REF_TABLE, period=period)
    for org in ("s1", "s2", "s3", "s4"):
        assert_outcome(result, org, "B1.3", NAN, NO_DATA, 0.0, 2)
    assert_outcome(result, "k1", "B1.3", NAN, NOT_APPLICABLE, NAN, 0)
    assert result.orgs["preliminary"].tolist() == [True, True, True, True, False]


def test_ref_minus_and_plus_k():
    cat = catalogue(
        ind("B1.6", "conf / part * 100", params="2:ref|1:ref-10", ref_input="conf_region"),
        ind("B2.1", "conf / part * 100", params="2:ref+5|1:ref", ref_input="conf_region"),
    )
    table = {
        "p85": ("school", {"conf": 850, "part": 1000}),
        "p80": ("school", {"conf": 800, "part": 1000}),
        "p70": ("school", {"conf": 700, "part": 1000}),
        "p69.9": ("school", {"conf": 699, "part": 1000}),
    }
    result = score(cat, table, period={"conf_region": 80.0})
    # ref 80, ref-10 = 70: 85 → 2, 80 → 2, 70 → 1, 69.9 → 0.
    assert points_of(result, "B1.6") == {"p85": 2, "p80": 2, "p70": 1, "p69.9": 0}
    # ref+5 = 85, ref = 80: 85 → 2, 80 → 1, 70 → 0, 69.9 → 0.
    assert points_of(result, "B2.1") == {"p85": 2, "p80": 1, "p70": 0, "p69.9": 0}


def test_info_with_a_risk_condition():
    cat = catalogue(
        ind("A2.1", "order", rule="binary"),
        ind("A2.6", "old / total * 100", rule="info", params="risk:>=50", min_n="total>=1"),
    )
    result = score(
        cat,
        {
            "s1": ("school", {"order": 1, "old": 3, "total": 5}),  # 60 % → risk
            "s2": ("school", {"order": 1, "old": 2, "total": 5}),  # 40 %
            "s3": ("school", {"order": 1, "old": 0, "total": 0}),  # н/о
            "s4": ("school", {"order": 1, "total": 5}),  # нет данных
        },
    )
    assert_outcome(result, "s1", "A2.6", 60.0, VALUE, NAN, 0)
    assert_outcome(result, "s2", "A2.6", 40.0, VALUE, NAN, 0)
    assert_outcome(result, "s3", "A2.6", NAN, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "s4", "A2.6", NAN, NO_DATA, NAN, 0)
    assert all(math.isnan(p) for p in points_of(result, "A2.6").values())
    risk = result.indicators[result.indicators["indicator"] == "A2.6"]["risk"].tolist()
    assert risk == [True, False, False, False]
    assert result.orgs.loc["s1", "risk_flags"] == [
        {"kind": "info_risk", "indicator": "A2.6", "text": "A2.6 Показатель A2.6: значение ≥ 50"}
    ]
    assert result.orgs.loc["s2", "risk_flags"] == []
    # Never summed: A2 is A2.1 alone (2 of 2), and an info нет данных is not incompleteness.
    assert result.orgs["A2"].tolist() == [100.0] * 4
    assert result.orgs["preliminary"].tolist() == [False] * 4


# --- Statuses ------------------------------------------------------------------------------------


def test_min_n_not_met_is_not_assessed():
    cat = catalogue(
        ind("A2.3", "trained / members * 100", params="2:80|1:50", min_n="members>=1"),
        ind("B1.3", "fail / part * 100", params="2:10", direction="lower", min_n="part>=5"),
    )
    result = score(
        cat,
        {
            "s1": ("school", {"trained": 0, "members": 0, "fail": 1, "part": 3}),
            "s2": ("school", {"trained": 1, "members": 2, "fail": 0, "part": 5}),
        },
    )
    assert_outcome(result, "s1", "A2.3", NAN, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "s1", "B1.3", 33.333333, NOT_ASSESSED, NAN, 0)  # value still shown
    assert_outcome(result, "s2", "A2.3", 50.0, VALUE, 1.0, 2)
    assert_outcome(result, "s2", "B1.3", 0.0, VALUE, 2.0, 2)
    # н/о is left out: s1 has no A2 and no B1 score at all, and is not preliminary.
    assert math.isnan(result.orgs.loc["s1", "A2"]) and math.isnan(result.orgs.loc["s1", "B1"])
    assert math.isnan(result.orgs.loc["s1", "index"])
    assert result.orgs.loc["s1", "level"] is None
    assert not result.orgs.loc["s1", "preliminary"]


def test_zero_denominator_with_if_zero_den_scores_full_points():
    cat = default_catalogue()
    result = compute_scores(
        cat,
        pd.DataFrame({"org_type": ["school", "school"]}, index=["none", "some"]),
        pd.DataFrame(
            {"deficits_identified": [0.0, 4.0], "deficits_closed": [0.0, 3.0]},
            index=["none", "some"],
        ),
        {},
    )
    # No deficits found: value NaN, status значение, if_zero_den = 2 points.
    assert_outcome(result, "none", "A1.5", NAN, VALUE, 2.0, 2)
    # 3 of 4 closed = 75 % ≥ 50 → 1 point.
    assert_outcome(result, "some", "A1.5", 75.0, VALUE, 1.0, 2)


def test_zero_denominator_without_if_zero_den_is_not_assessed():
    cat = catalogue(ind("B4.5", "speed / norm * 100", params="2:100|1:50"))
    result = score(cat, {"s": ("school", {"speed": 50, "norm": 0})})
    assert_outcome(result, "s", "B4.5", NAN, NOT_ASSESSED, NAN, 0)


def test_min_n_comes_before_the_zero_denominator():
    cat = catalogue(ind("A1.5", "a / b * 100", params="2:80", if_zero_den=2.0, min_n="m>=1"))
    result = score(cat, {"s": ("school", {"a": 0, "b": 0, "m": 0})})
    assert_outcome(result, "s", "A1.5", NAN, NOT_ASSESSED, NAN, 0)


def test_not_applicable_by_type_wins_over_everything():
    cat = catalogue(
        ind("B1.1", "cert / total * 100", params="2:100|1:median", applies_to=("school",)),
        ind("B1.9", "mkdo", rule="levels", params="3:2|2:2|1:1|0:0", applies_to=("kindergarten",)),
    )
    result = score(
        cat,
        {
            "k": ("kindergarten", {"cert": 5, "total": 5, "mkdo": 2}),
            "s": ("school", {"cert": 5, "total": 5}),  # mkdo missing but н/п first
        },
    )
    assert_outcome(result, "k", "B1.1", NAN, NOT_APPLICABLE, NAN, 0)
    assert_outcome(result, "k", "B1.9", 2.0, VALUE, 2.0, 2)
    assert_outcome(result, "s", "B1.1", 100.0, VALUE, 2.0, 2)
    assert_outcome(result, "s", "B1.9", NAN, NOT_APPLICABLE, NAN, 0)
    assert not result.orgs.loc["s", "preliminary"]


def test_no_data_by_a_missing_input_column_or_min_n_input():
    cat = catalogue(
        ind("B4.2", "cat / total * 100", params="2:50", min_n="total>=1"),
        ind("B4.3", "trained / teachers * 100", params="2:100", min_n="teachers2>=1"),
        ind("B4.4", "young / total * 100", params="2:10", min_n="total>=100"),
    )
    # No "young" column at all, and "teachers2" (the min_n input) missing.
    values = pd.DataFrame({"cat": [NAN], "total": [10.0], "trained": [5.0], "teachers": [5.0]})
    values.index = ["s"]
    orgs = pd.DataFrame({"org_type": ["school"]}, index=["s"])
    result = compute_scores(cat, orgs, values, {})
    assert_outcome(result, "s", "B4.2", NAN, NO_DATA, 0.0, 2)
    assert_outcome(result, "s", "B4.3", NAN, NO_DATA, 0.0, 2)
    # Missing data comes before min_n: 10 < 100 would be н/о, but "young" is missing.
    assert_outcome(result, "s", "B4.4", NAN, NO_DATA, 0.0, 2)
    assert result.orgs.loc["s", "B4"] == 0.0
    assert result.orgs.loc["s", "preliminary"]


def test_an_organisation_without_any_values_row_has_no_data():
    cat = catalogue(ind("A1.1", "edu", rule="binary"))
    orgs = pd.DataFrame({"org_type": ["school", "school"]}, index=["s1", "s2"])
    values = pd.DataFrame({"edu": [1.0, 1.0]}, index=["s1", "elsewhere"])
    result = compute_scores(cat, orgs, values, {})
    assert_outcome(result, "s1", "A1.1", 1.0, VALUE, 2.0, 2)
    assert_outcome(result, "s2", "A1.1", NAN, NO_DATA, 0.0, 2)
    assert result.orgs.index.tolist() == ["s1", "s2"]


# --- Gate and risk flags -------------------------------------------------------------------------


def gate_catalogue():
    school = ("school",)
    return catalogue(
        ind("B1.7", "objective", rule="binary", critical=True, applies_to=school),
        ind(
            "B1.3",
            "x",
            params="2:10|1:20",
            direction="lower",
            gate="objectivity",
            applies_to=school,
        ),
        ind("B2.2", "y", params="2:median", gate="objectivity", applies_to=school),
    )


def test_objectivity_gate():
    result = score(
        gate_catalogue(),
        {
            "s1": ("school", {"objective": 0, "x": 5, "y": 10}),
            "s2": ("school", {"objective": 1, "x": 5, "y": 20}),
            "s3": ("school", {"x": 5, "y": 30}),  # B1.7 нет данных: no gate
            "s4": ("school", {"objective": 0, "y": 12}),  # B1.3 нет данных: not gated
        },
    )
    # The median counts gated organisations too: median(10, 20, 30, 12) = 16.
    assert result.medians["B2.2"] == {"school": 16.0}
    assert_outcome(result, "s1", "B1.3", 5.0, VALUE, 0.0, 2)  # would be 2
    assert_outcome(result, "s1", "B2.2", 10.0, VALUE, 0.0, 2)
    assert_outcome(result, "s2", "B1.3", 5.0, VALUE, 2.0, 2)
    assert_outcome(result, "s2", "B2.2", 20.0, VALUE, 2.0, 2)  # 20 ≥ 16
    assert_outcome(result, "s3", "B1.3", 5.0, VALUE, 2.0, 2)
    assert_outcome(result, "s4", "B1.3", NAN, NO_DATA, 0.0, 2)
    gated = result.indicators.set_index(["org_code", "indicator"])["gated"]
    assert gated[gated].index.tolist() == [("s1", "B1.3"), ("s1", "B2.2"), ("s4", "B2.2")]

    critical = {"kind": "critical", "indicator": "B1.7"}
    critical["text"] = "B1.7 Показатель B1.7: 0 баллов по критическому показателю"
    objectivity = {
        "kind": "objectivity",
        "indicator": "B1.7",
        "text": "Объективность результатов не подтверждена",
    }
    flags = result.orgs["risk_flags"]
    assert flags["s1"] == [critical, objectivity]
    assert flags["s2"] == []
    assert flags["s3"] == []
    assert flags["s4"] == [critical, objectivity]
    # s1: B1 = (0 + 0) / 4 = 0 %; B2 = 0 %. s2: B1 = (2 + 2) / 4 = 100 %.
    assert result.orgs.loc["s1", "B1"] == 0.0
    assert result.orgs.loc["s2", "B1"] == 100.0


def test_default_catalogue_gates_the_exam_indicators():
    cat = default_catalogue()
    result = compute_scores(
        cat,
        pd.DataFrame({"org_type": ["school"]}, index=["s"]),
        pd.DataFrame({"objectivity_confirmed": [0.0], "ege_participants": [10.0]}, index=["s"]),
        {},
    )
    rows = result.indicators
    assert rows[rows["gated"]]["indicator"].tolist() == []  # nothing gated has a value
    result = compute_scores(
        cat,
        pd.DataFrame({"org_type": ["school"]}, index=["s"]),
        pd.DataFrame(
            {
                "objectivity_confirmed": [0.0],
                "ege_participants": [10.0],
                "ege_80plus": [10.0],
                "ege_below_min": [0.0],
                "honors": [5.0],
                "grad9_total": [10.0],
                "grad11_total": [10.0],
            },
            index=["s"],
        ),
        {"ege_80plus_region": 10.0, "ege_below_min_region": 5.0},
    )
    rows = result.indicators
    assert rows[rows["gated"]]["indicator"].tolist() == ["B1.4", "B2.1", "B2.2"]
    assert rows[rows["gated"]]["points"].tolist() == [0.0, 0.0, 0.0]


def test_critical_flag_only_for_a_scored_zero():
    cat = catalogue(
        ind("A1.6", "valid", rule="binary", critical=True),
        ind("B4.6", "violations", params="2:0|1:1", direction="lower", critical=True),
    )
    result = score(
        cat,
        {
            "zero": ("school", {"valid": 0, "violations": 1}),  # A1.6: 0 points; B4.6: 1 point
            "missing": ("school", {"violations": 5}),  # A1.6 нет данных; B4.6: 0 points
        },
    )
    flags = result.orgs["risk_flags"]
    assert [f["indicator"] for f in flags["zero"]] == ["A1.6"]
    assert [f["indicator"] for f in flags["missing"]] == ["B4.6"]
    assert [f["kind"] for f in flags["missing"]] == ["critical"]
    risk = result.indicators["risk"].tolist()
    assert risk == [True, False, False, True]


# --- Subgroups, groups, index, level -------------------------------------------------------------


def index_catalogue():
    def pts(code, **extra):  # value = points: 2 → 2, 1 → 1, 0 → 0
        return ind(code, "p_" + code.lower().replace(".", "_"), params="2:2|1:1", **extra)

    return catalogue(
        pts("A1.1"),
        pts("A1.2"),
        pts("A1.3"),
        pts("A2.1"),
        pts("A2.2"),
        ind("A2.9", "info_input", rule="info"),
        pts("B1.1"),
        pts("B1.2"),
        pts("B1.3"),
        pts("B2.1", applies_to=("school",)),
        pts("B3.1", applies_to=("kindergarten",)),
    )


def index_values(a1, a2, b1, b2=(), b3=()):
    keys = ["p_a1_1", "p_a1_2", "p_a1_3", "p_a2_1", "p_a2_2", "p_b1_1", "p_b1_2", "p_b1_3"]
    values = dict(zip(keys, [*a1, *a2, *b1], strict=True))
    values.update(zip(["p_b2_1"], b2, strict=False))
    values.update(zip(["p_b3_1"], b3, strict=False))
    values["info_input"] = 99
    return values


def test_subgroups_groups_index_and_level():
    result = score(
        index_catalogue(),
        {
            "s1": ("school", index_values((1, 0, 0), (2, 1), (2, 1, 0), b2=(2,))),
            "k1": ("kindergarten", index_values((2, 2, 2), (2, 2), (0, 0, 0), b3=(1,))),
        },
    )
    orgs = result.orgs
    # s1: A1 = 1/6 = 16.667 %; A2 = 3/4 = 75 %; A = (16.667 + 75) / 2 = 45.833
    #     B1 = 3/6 = 50 %; B2 = 2/2 = 100 %; B3 н/п → no score; B = (50 + 100) / 2 = 75
    #     index = 0.3 · 45.8333 + 0.7 · 75 = 13.75 + 52.5 = 66.25 → 66.3 (half up)
    #     (from groups rounded first: 0.3 · 45.8 + 52.5 = 66.24 → 66.2, which is wrong)
    s1 = orgs.loc["s1"]
    assert s1["A1"] == pytest.approx(100 / 6)
    assert s1["A2"] == 75.0
    assert s1["group_a"] == pytest.approx(45.833333333)
    assert s1["B1"] == 50.0 and s1["B2"] == 100.0
    assert math.isnan(s1["B3"]) and math.isnan(s1["B4"]) and math.isnan(s1["B5"])
    assert s1["group_b"] == 75.0
    assert s1["index"] == 66.3
    assert s1["level"] == "optimal"
    # k1: A = (100 + 100) / 2 = 100; B1 = 0 %; B2 н/п; B3 = 1/2 = 50 %; B = 25
    #     index = 0.3 · 100 + 0.7 · 25 = 30 + 17.5 = 47.5 → критический
    k1 = orgs.loc["k1"]
    assert (k1["A1"], k1["A2"], k1["group_a"]) == (100.0, 100.0, 100.0)
    assert (k1["B1"], k1["B3"], k1["group_b"]) == (0.0, 50.0, 25.0)
    assert math.isnan(k1["B2"])
    assert k1["index"] == 47.5
    assert k1["level"] == "critical"
    assert list(orgs.columns) == [
        "org_type",
        "A1",
        "A2",
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "group_a",
        "group_b",
        "index",
        "level",
        "preliminary",
        "risk_flags",
        "index_change",
    ]


def test_weights_come_from_the_catalogue():
    cat = index_catalogue()
    cat = Catalogue(inputs=cat.inputs, indicators=cat.indicators, weight_a=0.5, weight_b=0.5)
    result = score(cat, {"s1": ("school", index_values((1, 0, 0), (2, 1), (2, 1, 0), b2=(2,)))})
    # 0.5 · 45.8333 + 0.5 · 75 = 60.4167 → 60.4 → допустимый
    assert result.orgs.loc["s1", "index"] == 60.4
    assert result.orgs.loc["s1", "level"] == "acceptable"


def test_one_group_missing_gives_the_other_groups_score():
    cat = catalogue(
        ind("A1.1", "a", params="2:2|1:1", min_n="n>=1"),
        ind("B1.1", "b", params="2:2|1:1", applies_to=("school", "additional")),
    )
    result = score(
        cat,
        {
            "no_a": ("school", {"a": 2, "n": 0, "b": 1}),  # A1.1 н/о → A missing; B = 50
            "no_b": ("kindergarten", {"a": 2, "n": 1}),  # B1.1 н/п → B missing; A = 100
            "b_only": ("additional", {"a": 2, "n": 0, "b": 2}),
        },
    )
    orgs = result.orgs
    assert math.isnan(orgs.loc["no_a", "group_a"]) and orgs.loc["no_a", "index"] == 50.0
    assert orgs.loc["no_a", "level"] == "acceptable"
    assert math.isnan(orgs.loc["no_b", "group_b"]) and orgs.loc["no_b", "index"] == 100.0
    assert orgs.loc["no_b", "level"] == "high"
    assert orgs.loc["b_only", "index"] == 100.0  # A missing, B = 2/2 = 100 %
    neither = score(cat, {"x": ("kindergarten", {"a": 2, "n": 0})}).orgs.loc["x"]  # н/о, н/п
    assert math.isnan(neither["index"]) and neither["level"] is None


@pytest.mark.parametrize(
    ("level_value", "points", "index", "level"),
    [
        (0, 1.6, 80.0, "high"),  # 1.6 of 2 = 80 %
        (1, 1.598, 79.9, "optimal"),
        (2, 1.5999, 80.0, "high"),  # 79.995 → 80.0
        (3, 1.3, 65.0, "optimal"),
        (4, 1.299, 65.0, "optimal"),  # 64.95 → 65.0 (half up)
        (5, 1.298, 64.9, "acceptable"),
        (6, 1.0, 50.0, "acceptable"),
        (7, 0.998, 49.9, "critical"),
        (8, 0.0, 0.0, "critical"),
        (9, 2.0, 100.0, "high"),
    ],
)
def test_level_boundaries(level_value, points, index, level):
    params = "|".join(
        f"{lv}:{p}"
        for lv, p in enumerate([1.6, 1.598, 1.5999, 1.3, 1.299, 1.298, 1.0, 0.998, 0.0, 2.0])
    )
    cat = catalogue(ind("B1.1", "lvl", rule="levels", params=params))
    result = score(cat, {"s": ("school", {"lvl": level_value})})
    assert cell(result, "s", "B1.1")["points"] == points
    assert result.orgs.loc["s", "index"] == index
    assert result.orgs.loc["s", "level"] == level


def test_preliminary_flag():
    cat = catalogue(
        ind("A1.1", "a", rule="binary"),
        ind("A1.4", "i", rule="info"),
        ind("A2.3", "t / m * 100", params="2:80", min_n="m>=1"),
    )
    result = score(
        cat,
        {
            "complete": ("school", {"a": 1, "i": 50, "t": 1, "m": 1}),
            "missing": ("school", {"i": 50, "t": 1, "m": 1}),  # a scored indicator missing
            "info_missing": ("school", {"a": 1, "t": 1, "m": 1}),  # only an info one missing
            "small": ("school", {"a": 1, "i": 50, "t": 0, "m": 0}),  # н/о is not missing data
        },
    )
    assert result.orgs["preliminary"].to_dict() == {
        "complete": False,
        "missing": True,
        "info_missing": False,
        "small": False,
    }
    # Missing data scores 0 of 2: "missing" has A1 = 0 %, "small" has no A2 score.
    assert result.orgs.loc["missing", "A1"] == 0.0
    assert math.isnan(result.orgs.loc["small", "A2"])


def test_index_change():
    table = {  # index 100 · 1.326 / 2 = 66.3 for level 0, 50 for level 1
        "up": ("school", {"lvl": 0}),
        "down": ("school", {"lvl": 0}),
        "no_prev": ("school", {"lvl": 0}),
        "absent": ("school", {"lvl": 1}),
        "no_index": ("kindergarten", {}),
    }
    cat = catalogue(
        ind("B1.1", "lvl", rule="levels", params="0:1.326|1:1.0", applies_to=("school",))
    )
    previous = pd.Series({"up": 60.0, "down": 66.35, "no_prev": NAN, "no_index": 40.0})
    result = score(cat, table, previous=previous)
    change = result.orgs["index_change"]
    assert result.orgs.loc["up", "index"] == 66.3
    assert change["up"] == 6.3  # 66.3 − 60 = 6.2999999999999972 → 6.3
    assert change["down"] == -0.1  # 66.3 − 66.35 = −0.05 → −0.1 (half away from zero)
    assert math.isnan(change["no_prev"])
    assert math.isnan(change["absent"])
    assert math.isnan(change["no_index"])
    without = score(cat, table).orgs["index_change"]
    assert without.isna().all()


def test_round_half_up():
    values = [66.25, 64.95, 79.95, -0.05, 0.04, -0.04, 2.675, NAN, 57 / 100 * 100]
    rounded = round_half_up(values, 1).tolist()
    assert rounded[:7] == [66.3, 65.0, 80.0, -0.1, 0.0, 0.0, 2.7]
    assert math.isnan(rounded[7])
    assert rounded[8] == 57.0
    assert str(round_half_up(-0.04, 1)) == "0.0"  # never "-0.0"
    assert round_half_up(2.675, 2) == 2.68  # float 2.67499999… is 2.675 to a person


# --- Result shape, speed, default catalogue ------------------------------------------------------


def test_indicator_frame_shape_and_order():
    cat = catalogue(ind("A1.1", "a", rule="binary"), ind("A1.2", "b", params="2:1"))
    result = score(cat, {"z": ("school", {"a": 1, "b": 0}), "y": ("school", {"a": 0, "b": 1})})
    rows = result.indicators
    assert list(rows.columns) == [
        "org_code",
        "indicator",
        "value",
        "status",
        "points",
        "max_points",
        "gated",
        "risk",
    ]
    assert rows["org_code"].astype(str).tolist() == ["z", "z", "y", "y"]
    assert rows["indicator"].astype(str).tolist() == ["A1.1", "A1.2", "A1.1", "A1.2"]
    assert rows["points"].tolist() == [2.0, 0.0, 0.0, 2.0]
    assert rows["status"].astype(str).tolist() == [VALUE] * 4


def test_duplicate_org_codes_are_refused():
    cat = catalogue(ind("A1.1", "a", rule="binary"))
    orgs = pd.DataFrame({"org_type": ["school", "school"]}, index=["s", "s"])
    with pytest.raises(ValueError, match="Duplicate organisation codes: s"):
        compute_scores(cat, orgs, pd.DataFrame(index=["s"]), {})


def test_default_catalogue_hand_computed_school():
    cat = default_catalogue()
    values = {
        "vpr_participants": 40,
        "vpr_share_2": 12.5,  # B1.5: 12.5 − 10 = 2.5 п.п. ≤ 5 → 1
        "vpr_confirmed": 30,  # B1.6: 75 % ≥ ref−10 = 70 → 1
        "vsoko_items_done": 4,  # B4.9: 66.67 % < 67 → 0
        "teacher_positions": 50,
        "teacher_vacancies": 1,  # B4.1: 98 % → 2
        "reserve_members": 0,  # A2.3, A2.4: н/о
        "reserve_trained": 0,
        "reserve_idp_done": 0,
    }
    result = compute_scores(
        cat,
        pd.DataFrame({"org_type": ["school", "kindergarten"]}, index=["s", "k"]),
        pd.DataFrame([values, values], index=["s", "k"], dtype=float),
        {"vpr_share_2_region": 10.0, "vpr_confirmed_region": 80.0},
    )
    assert_outcome(result, "s", "B1.5", 2.5, VALUE, 1.0, 2)
    assert_outcome(result, "s", "B1.6", 75.0, VALUE, 1.0, 2)
    assert_outcome(result, "s", "B4.9", 66.666667, VALUE, 0.0, 2)
    assert_outcome(result, "s", "B4.1", 98.0, VALUE, 2.0, 2)
    assert_outcome(result, "s", "A2.3", NAN, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "s", "A2.4", NAN, NOT_ASSESSED, NAN, 0)
    assert_outcome(result, "k", "B1.5", NAN, NOT_APPLICABLE, NAN, 0)
    assert_outcome(result, "k", "B4.1", 98.0, VALUE, 2.0, 2)
    # B4 for the school: B4.1 2/2, B4.9 0/2, the other 7 B4 indicators нет данных 0/2:
    # 100 · 2 / 18 = 11.11 %; the kindergarten has no B4.9: 100 · 2 / 16 = 12.5 %.
    assert result.orgs.loc["s", "B4"] == pytest.approx(100 * 2 / 18)
    assert result.orgs.loc["k", "B4"] == 12.5
    statuses = result.indicators[result.indicators["org_code"] == "k"]
    not_applicable = statuses[statuses["status"] == NOT_APPLICABLE]["indicator"].astype(str)
    assert not_applicable.tolist() == [
        "B1.1", "B1.2", "B1.3", "B1.4", "B1.5", "B1.6", "B1.7", "B1.8", "B1.11",
        "B2.1", "B2.2", "B2.3", "B2.4", "B2.5", "B2.6", "B3.5", "B4.9", "B5.1", "B5.2", "B5.4",
    ]  # fmt: skip
    # The region's ВПР share missing: B1.5 is нет данных for every school.
    result = compute_scores(
        cat,
        pd.DataFrame({"org_type": ["school", "kindergarten"]}, index=["s", "k"]),
        pd.DataFrame([values, values], index=["s", "k"], dtype=float),
        {"vpr_confirmed_region": 80.0},
    )
    assert_outcome(result, "s", "B1.5", NAN, NO_DATA, 0.0, 2)
    assert_outcome(result, "k", "B1.5", NAN, NOT_APPLICABLE, NAN, 0)


def random_period(n, seed=7):
    cat = default_catalogue()
    rng = np.random.default_rng(seed)
    codes = [f"{i:05d}" for i in range(n)]
    orgs = pd.DataFrame(
        {"org_type": rng.choice(["school", "kindergarten", "additional"], n)}, index=codes
    )
    columns = {}
    for spec in cat.org_inputs():
        low, high = spec.min or 0, min(spec.max or 100, 200)
        column = rng.integers(low, high + 1, n).astype(float)
        column[rng.random(n) < 0.05] = NAN
        columns[spec.code] = column
    values = pd.DataFrame(columns, index=codes)
    period = {spec.code: 20.0 for spec in cat.period_inputs()}
    previous = pd.Series(rng.uniform(0, 100, n), index=codes)
    return cat, orgs, values, period, previous


def test_five_thousand_random_organisations():
    cat, orgs, values, period, previous = random_period(5000)
    result = compute_scores(cat, orgs, values, period, previous)
    rows = result.indicators
    assert len(rows) == 5000 * 49
    assert set(rows["status"].astype(str)) <= set(STATUSES)
    scored = rows["max_points"] == 2
    assert (rows.loc[scored, "points"].between(0, 2)).all()
    assert rows.loc[~scored, "points"].isna().all()
    assert rows.loc[rows["status"] == NO_DATA, "value"].isna().all()
    orgs_out = result.orgs
    assert len(orgs_out) == 5000
    assert orgs_out["index"].dropna().between(0, 100).all()
    assert (orgs_out["level"].isna() == orgs_out["index"].isna()).all()
    assert set(orgs_out["level"].dropna()) <= {"high", "optimal", "acceptable", "critical"}
    assert all(isinstance(flags, list) for flags in orgs_out["risk_flags"])
    assert set(result.medians["B1.1"]) == {"school"}


# --- Export --------------------------------------------------------------------------------------


def export_catalogue():
    return catalogue(
        ind("A1.1", "edu", rule="binary"),
        ind("A1.5", "closed / found * 100", params="2:80|1:50", if_zero_den=2.0),
        ind("A2.6", "old / total * 100", rule="info", params="risk:>=50"),
        ind("B1.1", "cert / grads * 100", params="2:100|1:50", min_n="grads>=1",
            applies_to=("school",)),
    )  # fmt: skip


def test_export_rows():
    result = score(
        export_catalogue(),
        {
            # A1 = (2 + 1) / 4 = 75 %; A2 only info → none; A = 75
            # B1 = 1 / 2 = 50 %; B = 50; index = 0.3 · 75 + 0.7 · 50 = 57.5
            "s1": ("school", {"edu": 1, "closed": 2, "found": 3, "old": 1, "total": 3,
                              "cert": 3, "grads": 4}),
            # A1 = (0 [нет данных] + 2 [zero denominator]) / 4 = 50 %; B н/п → index 50
            "k1": ("kindergarten", {"closed": 0, "found": 0}),
            "x1": ("college", {"edu": 1}),  # unknown type: everything н/п, no index
        },
    )  # fmt: skip
    rows = scores_to_export_rows(result, export_catalogue())
    assert rows[0] == [
        "org_code", "index", "level", "group_a", "group_b",
        "A1", "A2", "B1", "B2", "B3", "B4", "B5",
        "A1.1_value", "A1.1_status", "A1.1_points",
        "A1.5_value", "A1.5_status", "A1.5_points",
        "A2.6_value", "A2.6_status", "A2.6_points",
        "B1.1_value", "B1.1_status", "B1.1_points",
    ]  # fmt: skip
    assert rows[1] == [
        "s1", "57.5", "допустимый", "75", "50",
        "75", "", "50", "", "", "", "",
        "1", "значение", "2",
        "66.67", "значение", "1",
        "33.33", "значение", "",
        "75", "значение", "1",
    ]  # fmt: skip
    assert rows[2] == [
        "k1", "50", "допустимый", "50", "",
        "50", "", "", "", "", "", "",
        "", "нет данных", "0",
        "", "значение", "2",
        "", "нет данных", "",
        "", "н/п", "",
    ]  # fmt: skip
    assert rows[3] == [
        "x1", "", "", "", "",
        "", "", "", "", "", "", "",
        "", "н/п", "",
        "", "н/п", "",
        "", "н/п", "",
        "", "н/п", "",
    ]  # fmt: skip
    assert len(rows) == 4


def test_export_rounds_groups_to_one_decimal():
    result = score(
        index_catalogue(),
        {"s1": ("school", index_values((1, 0, 0), (2, 1), (2, 1, 0), b2=(2,)))},
    )
    header, row = scores_to_export_rows(result, index_catalogue())
    by_name = dict(zip(header, row, strict=True))
    assert (by_name["index"], by_name["level"]) == ("66.3", "оптимальный")
    assert (by_name["group_a"], by_name["group_b"]) == ("45.8", "75")
    assert (by_name["A1"], by_name["A2"], by_name["B3"]) == ("16.7", "75", "")
    assert (by_name["A2.9_value"], by_name["A2.9_points"]) == ("99", "")


def test_export_with_the_default_catalogue():
    cat, orgs, values, period, previous = random_period(20, seed=3)
    rows = scores_to_export_rows(compute_scores(cat, orgs, values, period, previous), cat)
    assert len(rows) == 21
    assert {len(r) for r in rows} == {12 + 49 * 3}
    assert rows[0][12:15] == ["A1.1_value", "A1.1_status", "A1.1_points"]
    assert rows[0][-1] == "B5.5_points"
    assert all(
        cell_text == cell_text.strip() and "," not in cell_text for r in rows for cell_text in r
    )


# --- Outliers ------------------------------------------------------------------------------------


def _outlier_frames(column, numbers, org_type="school"):
    codes = [f"o{i}" for i in range(len(numbers))]
    orgs = pd.DataFrame({"org_type": [org_type] * len(numbers)}, index=codes)
    return orgs, pd.DataFrame({column: numbers}, index=codes, dtype=float)


def test_outlier_is_flagged_beyond_three_iqr_within_the_type():
    # Q1 = 110, Q3 = 130, IQR = 20: the fence is 130 + 3 × 20 = 190 (and 110 − 60 = 50 below).
    orgs, values = _outlier_frames("students_total", [100, 110, 120, 130, 1000])
    found = find_outliers(default_catalogue(), orgs, values)
    assert found == {
        "o4": [{"input": "students_total", "value": 1000.0, "low": 50.0, "high": 190.0}]
    }


def test_no_outliers_without_spread_few_peers_or_for_yes_no_inputs():
    catalogue = default_catalogue()
    assert find_outliers(catalogue, *_outlier_frames("ovz_students", [0, 0, 0, 0, 0, 5])) == {}
    assert find_outliers(catalogue, *_outlier_frames("students_total", [100, 110, 5000])) == {}
    assert find_outliers(catalogue, *_outlier_frames("mgmt_education", [1, 1, 1, 0, 1, 1])) == {}
