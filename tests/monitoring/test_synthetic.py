"""The synthetic data generator: bounds, consistency, determinism, type relevance, corruption.

Pure numpy/pandas (no database). Where `monitoring.consistency` and `monitoring.scoring` are
importable and work, their checks and scoring are used; otherwise the rules are checked here and
the scoring tests are skipped.
"""

import re

import numpy as np
import pandas as pd
import pytest

from monitoring.catalogue import default_catalogue
from monitoring.synthetic import (
    CORRUPTIONS,
    NOT_A_NUMBER,
    TYPE_MIX,
    corrupt_rows,
    generate_derived_values,
    generate_period_values,
    generate_values,
    org_codes,
    org_types_for,
)

CATALOGUE = default_catalogue()
INPUTS = CATALOGUE.inputs_by_code
TYPES = ("school", "kindergarten", "additional")

# SCORING.md «Consistency rules», copied here so that the generator is checked against the
# method, not against its own list. A chain stands for its adjacent pairs.
RULE_TEXTS = (
    "grad9_certificate ≤ grad9_total",
    "grad11_certificate ≤ grad11_total",
    "honors ≤ grad9_total + grad11_total",
    "graduates_placed ≤ grad9_total + grad11_total",
    "oge_fail ≤ oge_participants",
    "ege_below_min ≤ ege_participants",
    "ege_80plus ≤ ege_participants",
    "vpr_confirmed ≤ vpr_participants",
    "ovz_adapted ≤ pmpk_students",
    "ovz_in_additional ≤ ovz_students",
    "ovz_grad9_certified ≤ ovz_grad9_total",
    "ovz_grad9_total ≤ grad9_total",
    "teacher_vacancies ≤ teacher_positions",
    "teachers_categorized ≤ teachers_total",
    "teachers_trained_3y ≤ teachers_total",
    "mgmt_staff_60plus ≤ mgmt_staff_total",
    "mgmt_appointments_from_reserve_3y ≤ mgmt_appointments_3y",
    "students_profile ≤ students_10_11",
    "students_10_11 ≤ students_9_11 ≤ students_7_11 ≤ students_6_11 ≤ students_total",
    "profmin_covered ≤ students_6_11",
    "bvb_participants ≤ students_6_11",
    "olymp_municipal ≤ students_7_11",
    "students_in_additional ≤ students_total",
    "ovz_students ≤ students_total",
    "pmpk_students ≤ students_total",
    "contest_participants ≤ students_total",
)


def _pairs(text):
    sides = [[c.strip() for c in part.split("+")] for part in text.split("≤")]
    return [(left[0], tuple(right)) for left, right in zip(sides, sides[1:], strict=False)]


RULES = [pair for text in RULE_TEXTS for pair in _pairs(text)]


def local_violations(values: pd.DataFrame) -> list[tuple[str, str]]:
    """(org code, rule) for every rule broken; a rule with a missing input is not checked."""
    found = []
    for left, right in RULES:
        lhs = values[left].to_numpy(float)
        rhs = values[list(right)].to_numpy(float).sum(axis=1)
        with np.errstate(invalid="ignore"):
            broken = lhs > rhs + 1e-9
        found += [
            (values.index[i], f"{left} ≤ {' + '.join(right)}") for i in np.flatnonzero(broken)
        ]
    return found


def _project_checker():
    """`monitoring.consistency.check_consistency`, if it exists and catches a planted break."""
    try:
        from monitoring.consistency import check_consistency

        probe = pd.DataFrame(
            {"grad9_certificate": [5.0, 3.0], "grad9_total": [4.0, 4.0]}, index=["a", "b"]
        )
        found = check_consistency(probe, CATALOGUE)
        assert [v.org_code for v in found] == ["a"]
    except Exception:  # absent or broken: the local check alone is used
        return None
    return check_consistency


def violations(values: pd.DataFrame) -> list:
    found = local_violations(values)
    checker = _project_checker()
    if checker is not None:
        found += [(v.org_code, v.rule.text) for v in checker(values, CATALOGUE)]
    return found


def _compute_scores():
    """`monitoring.scoring.compute_scores`, if it exists and scores a tiny table."""
    try:
        from monitoring.scoring import compute_scores

        types = pd.Series(["school", "kindergarten"], index=["x", "y"])
        result = compute_scores(
            CATALOGUE,
            types.to_frame("org_type"),
            generate_values(CATALOGUE, types, 0),
            generate_period_values(CATALOGUE, 0),
        )
        assert len(result.orgs) == 2 and "level" in result.orgs.columns
    except Exception:
        return None
    return compute_scores


def needs_scoring():
    compute = _compute_scores()
    if compute is None:
        pytest.skip("monitoring.scoring.compute_scores is not importable or does not work")
    return compute


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def indicator_inputs(indicator) -> set[str]:
    return set(_TOKEN.findall(f"{indicator.formula} {indicator.min_n}")) & set(INPUTS)


def needed_inputs(org_type: str) -> set[str]:
    """Org-scope, non-derived inputs read by the indicators that apply to `org_type`."""
    needed = set()
    for indicator in CATALOGUE.indicators:
        if org_type in indicator.applies_to:
            needed |= indicator_inputs(indicator)
    return {c for c in needed if INPUTS[c].scope == "org" and INPUTS[c].provided_by != "derived"}


def demo_district() -> pd.Series:
    """20 schools, 12 kindergartens, 3 ОДО, as the demo seed."""
    codes = (
        [f"S{i:03d}" for i in range(1, 21)]
        + [f"D{i:03d}" for i in range(1, 13)]
        + [f"U{i:03d}" for i in range(1, 4)]
    )
    kinds = ["school"] * 20 + ["kindergarten"] * 12 + ["additional"] * 3
    return pd.Series(kinds, index=codes)


@pytest.fixture(scope="module")
def big():
    """2,000 random organisations × 3 periods."""
    types = org_types_for(2000, seed=5)
    return types, {p: generate_values(CATALOGUE, types, p) for p in (0, 1, 2)}


# --- Shape ----------------------------------------------------------------------------------------


def test_one_float_column_per_org_scope_non_derived_input(big):
    types, frames = big
    expected = [i.code for i in CATALOGUE.org_inputs() if i.provided_by != "derived"]
    frame = frames[0]
    assert list(frame.columns) == expected
    assert list(frame.index) == list(types.index)
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert not any(c.endswith("_region") for c in frame.columns)


def test_derived_values_cover_the_derived_inputs_only():
    types = demo_district()
    derived = generate_derived_values(CATALOGUE, types, 0)
    expected = [i.code for i in CATALOGUE.org_inputs() if i.provided_by == "derived"]
    assert list(derived.columns) == expected
    assert derived.loc[:, ["deficits_identified", "reserve_members"]].notna().all().all()
    assert (derived["deficits_closed"] <= derived["deficits_identified"]).all()
    assert (derived["reserve_trained"] <= derived["reserve_members"]).all()
    assert (derived["reserve_idp_done"] <= derived["reserve_trained"]).all()
    assert set(derived["internet_norm_mbps"]) <= {50.0, 100.0}


# --- Bounds and consistency -----------------------------------------------------------------------


def bound_problems(frame: pd.DataFrame) -> list[str]:
    problems = []
    for code in frame.columns:
        definition = INPUTS[code]
        values = frame[code].dropna().to_numpy(float)
        if definition.min is not None and (values < definition.min).any():
            problems.append(f"{code} below {definition.min}")
        if definition.max is not None and (values > definition.max).any():
            problems.append(f"{code} above {definition.max}")
        if definition.is_integer and (values != np.round(values)).any():
            problems.append(f"{code} not integral")
        if definition.type == "bool" and not set(values) <= {0.0, 1.0}:
            problems.append(f"{code} not 0/1")
        if definition.type == "percent" and definition.max is None and (values > 100).any():
            problems.append(f"{code} over 100 %")
    return problems


def test_every_value_is_within_its_bounds(big):
    _, frames = big
    for period, frame in frames.items():
        assert bound_problems(frame) == [], period


def test_bound_check_catches_a_planted_error(big):
    _, frames = big
    frame = frames[0].copy()
    school = frame["grad9_total"].first_valid_index()
    frame.loc[school, "grad9_total"] = 12.5
    frame.loc[school, "vpr_share_2"] = 101.0
    assert bound_problems(frame) == ["grad9_total not integral", "vpr_share_2 above 100.0"]


def test_decimals_look_like_staff_rates(big):
    _, frames = big
    positions = frames[0]["teacher_positions"].dropna()
    assert ((positions * 4) == np.round(positions * 4)).all()  # quarter rates
    assert (positions != np.round(positions)).any()  # and not only whole ones


def test_every_consistency_rule_holds(big):
    _, frames = big
    for period, frame in frames.items():
        assert violations(frame) == [], period


def test_every_rule_is_exercised_and_some_are_tight(big):
    """The rules are not satisfied vacuously: each has rows with all its inputs, and the typical
    "all of them" cases (every graduate certified, no vacancy left) reach equality."""
    _, frames = big
    frame = frames[0]
    for left, right in RULES:
        present = frame[[left, *right]].notna().all(axis=1)
        assert present.sum() >= 100, (left, right)
    for left, right in [("grad9_certificate", "grad9_total"), ("ovz_adapted", "pmpk_students")]:
        assert (frame[left] == frame[right]).sum() > 100
    assert (frame["grad9_certificate"] < frame["grad9_total"]).any()


def test_consistency_check_catches_a_planted_break(big):
    _, frames = big
    frame = frames[0].copy()
    school = frame["grad9_total"].first_valid_index()
    frame.loc[school, "students_10_11"] = frame.loc[school, "students_9_11"] + 1
    found = local_violations(frame)
    assert found == [(school, "students_10_11 ≤ students_9_11")]
    checker = _project_checker()
    if checker is not None:
        assert [v.org_code for v in checker(frame, CATALOGUE)] == [school]


# --- Determinism and stability --------------------------------------------------------------------


def test_same_seed_same_frame_and_another_seed_another():
    types = org_types_for(300)
    first = generate_values(CATALOGUE, types, 2, seed=11, missing_rate=0.05)
    again = generate_values(CATALOGUE, types, 2, seed=11, missing_rate=0.05)
    pd.testing.assert_frame_equal(first, again)
    other = generate_values(CATALOGUE, types, 2, seed=12, missing_rate=0.05)
    assert not first.equals(other)
    later = generate_values(CATALOGUE, types, 3, seed=11, missing_rate=0.05)
    assert not first.equals(later)


def test_an_organisation_keeps_its_profile_whatever_else_is_generated():
    everyone = org_types_for(1000)
    some = everyone.iloc[::3]
    others = pd.Series("school", index=[f"X{i}" for i in range(50)])
    mixed = pd.concat([others, some.iloc[::-1]])  # other organisations, another order
    for period in (0, 3):
        full = generate_values(CATALOGUE, everyone, period, missing_rate=0.1)
        part = generate_values(CATALOGUE, mixed, period, missing_rate=0.1)
        pd.testing.assert_frame_equal(part.loc[some.index], full.loc[some.index])
    # The frames above are not trivially equal: organisations differ from each other.
    assert full["students_total"].nunique() > 100


def test_size_is_stable_and_quality_moves_with_the_period():
    types = org_types_for(2000)
    first = generate_values(CATALOGUE, types, 0)
    later = generate_values(CATALOGUE, types, 4)
    change = (later["students_total"] / first["students_total"] - 1).abs()
    assert change.median() < 0.05  # the same schools, give or take a few pupils
    assert (first["nokuod_score"] != later["nokuod_score"]).mean() > 0.5
    assert np.corrcoef(first["nokuod_score"], later["nokuod_score"])[0, 1] > 0.5


# --- Types and magnitudes -------------------------------------------------------------------------


def test_each_type_gets_exactly_the_inputs_of_its_indicators(big):
    types, frames = big
    frame = frames[1]
    for org_type in TYPES:
        rows = frame[types == org_type]
        needed = needed_inputs(org_type)
        present = set(rows.columns[rows.notna().all()])
        absent = set(rows.columns[rows.isna().all()])
        assert present == needed, org_type
        assert absent == set(rows.columns) - needed, org_type


def test_type_relevance_examples(big):
    types, frames = big
    frame = frames[0]
    kindergartens = frame[types == "kindergarten"]
    schools = frame[types == "school"]
    additional = frame[types == "additional"]
    assert kindergartens["grad9_total"].isna().all()
    assert kindergartens[["attendance_days", "planned_days", "mkdo_level"]].notna().all().all()
    assert schools["attendance_days"].isna().all()
    school_chain = ["students_6_11", "students_7_11", "students_9_11", "students_10_11"]
    assert (
        schools[["grad9_total", "oge_participants", "vpr_share_2", *school_chain]]
        .notna()
        .all()
        .all()
    )
    assert (
        additional[["students_start_year", "students_end_year", "contest_winners"]]
        .notna()
        .all()
        .all()
    )
    assert additional[["grad9_total", "mkdo_level", "students_in_additional"]].isna().all().all()
    for rows in (schools, kindergartens, additional):
        assert rows[["mgmt_education", "teacher_positions", "internet_mbps"]].notna().all().all()


def test_magnitudes_of_a_rural_district(big):
    types, frames = big
    frame = frames[0]
    size = frame["students_total"]
    for org_type, low, high in [
        ("school", 40, 1200),
        ("kindergarten", 20, 250),
        ("additional", 150, 1500),
    ]:
        sizes = size[types == org_type]
        assert sizes.between(low, high).all(), org_type
        assert sizes.median() < (low + high) / 2, org_type  # skewed to small
    schools = frame[types == "school"]
    n = len(schools)
    assert 0.05 * n < (schools["oge_participants"] < 5).sum() < 0.35 * n  # ОГЭ: н/о
    assert 0.05 * n < (schools["grad11_total"] == 0).sum() < 0.35 * n  # no 11th grade
    assert 0.02 * n < (schools["objectivity_confirmed"] == 0).sum() < 0.10 * n
    assert 0.01 * n < (schools["dropouts"] > 0).sum() < 0.10 * n
    every = len(frame)
    assert 0.01 * every < (frame["unresolved_violations"] > 0).sum() < 0.12 * every
    assert 0.01 * every < (frame["attestation_valid"] == 0).sum() < 0.10 * every
    assert (frame["teacher_vacancies"] > 0).mean() > 0.05


def test_quality_drives_the_indicators(big):
    """Organisations that do well on one quality-driven input do well on others."""
    types, frames = big
    schools = frames[0][types == "school"]
    categorized = schools["teachers_categorized"] / schools["teachers_total"]
    vacancy = schools["teacher_vacancies"] / schools["teacher_positions"]
    assert np.corrcoef(schools["nokuod_score"], categorized)[0, 1] > 0.15
    assert np.corrcoef(schools["nokuod_score"], schools["vpr_share_2"])[0, 1] < -0.15
    assert np.corrcoef(schools["nokuod_score"], vacancy)[0, 1] < -0.05


# --- Missing values and self-reports --------------------------------------------------------------


def test_missing_rate_is_roughly_respected(big):
    types, frames = big
    complete = frames[0]
    generated = complete.notna()
    assert generated.sum().sum() > 50_000
    blanked = generate_values(CATALOGUE, types, 0, missing_rate=0.02)
    gone = generated & blanked.isna()
    share = gone.sum().sum() / generated.sum().sum()
    assert 0.015 < share < 0.025
    assert gone.any().sum() > 40  # spread over the columns
    kept = generated & blanked.notna()
    pd.testing.assert_frame_equal(blanked[kept], complete[kept])
    assert blanked[~generated].isna().all().all()


def test_include_principal_inputs_false_blanks_exactly_the_principal_inputs(big):
    types, frames = big
    principal = [i.code for i in CATALOGUE.org_inputs() if i.provided_by == "principal"]
    assert principal
    without = generate_values(CATALOGUE, types, 0, include_principal_inputs=False)
    assert without[principal].isna().all().all()
    assert frames[0][principal].notna().any().all()
    others = [c for c in without.columns if c not in principal]
    pd.testing.assert_frame_equal(without[others], frames[0][others])


def test_period_values_are_plausible_regional_references():
    expected = {
        "oge_fail_region": (3, 8),
        "ege_below_min_region": (2, 6),
        "ege_80plus_region": (8, 15),
        "vpr_share_2_region": (10, 18),
        "vpr_confirmed_region": (55, 75),
    }
    seen = {code: set() for code in expected}
    for period in range(8):
        values = generate_period_values(CATALOGUE, period)
        assert set(values) == {i.code for i in CATALOGUE.period_inputs()}
        assert values == generate_period_values(CATALOGUE, period)
        for code, (low, high) in expected.items():
            assert low <= values[code] <= high, (code, values[code])
            seen[code].add(values[code])
    assert all(len(v) > 3 for v in seen.values())  # they move from year to year


# --- Codes and types ------------------------------------------------------------------------------


def test_org_codes_and_type_mix():
    codes = org_codes(40_000)
    assert codes[:2] == ["S000001", "S000002"] and codes[-1] == "S040000"
    assert len(set(codes)) == 40_000
    types = org_types_for(10_000, seed=3)
    assert list(types.index) == org_codes(10_000)
    shares = types.value_counts(normalize=True)
    for org_type, share in TYPE_MIX.items():
        assert abs(shares[org_type] - share) < 0.01
    pd.testing.assert_series_equal(types, org_types_for(10_000, seed=3))
    assert not types.equals(org_types_for(10_000, seed=4))


def test_unknown_types_are_refused_and_empty_input_is_fine():
    with pytest.raises(ValueError, match="лицей|lyceum"):
        generate_values(CATALOGUE, pd.Series(["lyceum"], index=["L1"]), 0)
    empty = generate_values(CATALOGUE, pd.Series([], dtype=object), 0)
    assert empty.empty and len(empty.columns) > 50


def test_forty_thousand_organisations_in_one_call():
    # Speed is measured by the benchmark command, never asserted here (shared, noisy machines).
    frame = generate_values(CATALOGUE, org_types_for(40_000), 0)
    assert frame.shape[0] == 40_000


# --- Corrupted rows -------------------------------------------------------------------------------


def row_problems(row: pd.Series) -> list[str]:
    """Every problem an upload check would find in one row (object values)."""
    problems, numbers = [], {}
    for code, value in row.items():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append(f"{code}: not a number")
            continue
        numbers[code] = number
        definition = INPUTS[code]
        if definition.min is not None and number < definition.min:
            problems.append(f"{code}: below min")
        if definition.max is not None and number > definition.max:
            problems.append(f"{code}: above max")
        if definition.is_integer and number != round(number):
            problems.append(f"{code}: not integral")
    for left, right in RULES:
        present = left in numbers and all(c in numbers for c in right)
        if present and numbers[left] > sum(numbers[c] for c in right) + 1e-9:
            problems.append(f"{left} ≤ {' + '.join(right)}")
    return problems


@pytest.mark.parametrize("fraction", [0.1, 0.25])
def test_corrupt_rows_breaks_the_requested_fraction_once_each(fraction):
    types = org_types_for(400, seed=9)
    values = generate_values(CATALOGUE, types, 1)
    corrupted = corrupt_rows(values, fraction)
    assert (corrupted.dtypes == np.dtype(object)).all()
    assert values.dtypes.eq(np.float64).all()  # the original is untouched
    problems = {code: row_problems(row) for code, row in corrupted.iterrows()}
    bad = {code: p for code, p in problems.items() if p}
    assert len(bad) == round(fraction * len(values))
    assert all(len(p) == 1 for p in bad.values()), bad
    good = [code for code in values.index if code not in bad]
    pd.testing.assert_frame_equal(
        corrupted.loc[good].astype(float), values.loc[good], check_dtype=False
    )
    kinds = [kind for _, _, kind in corrupted.attrs["corruptions"]]
    assert set(kinds) == set(CORRUPTIONS)
    assert sorted(code for code, _, _ in corrupted.attrs["corruptions"]) == sorted(bad)
    texts = " ".join(" ".join(p) for p in bad.values())
    for expected in ("below min", "above max", "not a number", "≤", "not integral"):
        assert expected in texts
    assert (corrupted == NOT_A_NUMBER).any().any()
    again = corrupt_rows(values, fraction)
    assert again.equals(corrupted)


def test_corrupt_rows_of_nothing_changes_nothing():
    values = generate_values(CATALOGUE, org_types_for(50), 0)
    untouched = corrupt_rows(values, 0.0)
    assert all(not row_problems(row) for _, row in untouched.iterrows())


# --- With the project's scoring -------------------------------------------------------------------


def score(compute, types, period, *, derived=True, missing_rate=0.0):
    values = generate_values(CATALOGUE, types, period, missing_rate=missing_rate)
    if derived:
        values = pd.concat([values, generate_derived_values(CATALOGUE, types, period)], axis=1)
    return compute(
        CATALOGUE, types.to_frame("org_type"), values, generate_period_values(CATALOGUE, period)
    )


def test_demo_district_spans_the_levels_every_period():
    compute = needs_scoring()
    types = demo_district()
    for period in range(5):
        levels = score(compute, types, period).orgs["level"]
        assert levels.notna().all()
        assert levels.nunique() >= 3, (period, levels.value_counts().to_dict())


def test_no_indicator_lacks_data_when_nothing_is_missing():
    compute = needs_scoring()
    types = demo_district()
    for period in (0, 4):
        statuses = score(compute, types, period).indicators
        assert not (statuses["status"] == "нет данных").any()
        assert (statuses["status"] == "н/о").any()  # small schools, no 11th grade
    # Without the portal's derived inputs only the indicators that read them lack data.
    derived = {i.code for i in CATALOGUE.org_inputs() if i.provided_by == "derived"}
    reads_derived = {ind.code for ind in CATALOGUE.indicators if indicator_inputs(ind) & derived}
    indicators = score(compute, types, 0, derived=False).indicators
    lacking = set(indicators.loc[indicators["status"] == "нет данных", "indicator"].astype(str))
    assert lacking and lacking <= reads_derived
    # And a missing rate shows up as «нет данных».
    blanked = score(compute, types, 0, missing_rate=0.05).indicators
    assert (blanked["status"] == "нет данных").any()


def test_indices_mostly_stable_some_improving_some_falling_two_periods_running():
    compute = needs_scoring()
    types = org_types_for(1500, seed=21)
    index = pd.DataFrame({p: score(compute, types, p).orgs["index"] for p in range(4)})
    change = index.diff(axis=1).iloc[:, 1:]
    assert (change.abs() < 10).to_numpy().mean() > 0.8  # most move by a few points
    rising = (index[3] - index[0]) > 10
    falling_twice = ((change[1] < -5) & (change[2] < -5)) | ((change[2] < -5) & (change[3] < -5))
    assert 0.05 < rising.mean() < 0.5
    assert 0.03 < falling_twice.mean() < 0.25
    levels = score(compute, types, 0).orgs["level"].value_counts(normalize=True)
    assert set(levels.index) == {"high", "optimal", "acceptable", "critical"}
    assert levels.max() < 0.5
