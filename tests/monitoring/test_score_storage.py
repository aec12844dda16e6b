"""`score_period` and `stored_result`: what is stored is exactly what `compute_scores` computes."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from monitoring.exports import scores_csv
from monitoring.methodology import version_for
from monitoring.models import Score, ScoringRun, Source
from monitoring.scoring import (
    compute_scores,
    load_period_frames,
    score_period,
    scores_to_export_rows,
    stored_result,
)
from monitoring.synthetic import generate_period_values, generate_values
from monitoring.values import ValueWrite, write_values
from tests.conftest import make_org
from zelenchuk_portal.models import Period, PeriodStatus

TYPES = {"A01": "school", "B02": "school", "K03": "kindergarten", "D04": "additional"}
NORM = {"A01": 100.0, "B02": 50.0, "K03": 100.0, "D04": 100.0}  # urban 100, rural 50 Mbit/s
# What the reserve provider derives with nobody in the reserve: 0 (a real value, not missing).
NO_RESERVE = {"reserve_members": 0.0, "reserve_trained": 0.0, "reserve_idp_done": 0.0}


@pytest.fixture
def district(org_a, org_b):
    return {
        "A01": org_a,
        "B02": org_b,
        "K03": make_org("K03", "kindergarten"),
        "D04": make_org("D04", "additional"),
    }


def store(period, district, period_index=0, missing_rate=0.0):
    catalogue = version_for(period).catalogue
    types = pd.Series({code: TYPES[code] for code in district})
    frame = generate_values(catalogue, types, period_index, missing_rate=missing_rate)
    ids = {code: org.pk for code, org in district.items()}
    writes = [ValueWrite(ids[o], c, v) for (o, c), v in frame.stack().dropna().items()]
    refs = generate_period_values(catalogue, period_index)
    writes += [ValueWrite(None, c, v) for c, v in refs.items()]
    write_values(period, writes, source=Source.IMPORT)
    return frame, refs


def pure(catalogue, frame, refs, previous=None):
    frame = frame.sort_index()  # the portal scores (and exports) organisations by code
    orgs = pd.DataFrame({"org_type": pd.Series(TYPES)}).loc[frame.index]
    orgs.index.name = "org_code"
    values = frame.copy()
    values["internet_norm_mbps"] = pd.Series(NORM)
    values = values.assign(**NO_RESERVE)
    return compute_scores(catalogue, orgs, values, refs, previous)


def test_stored_scores_equal_the_pure_computation(period, district, official):
    frame, refs = store(period, district, missing_rate=0.1)
    run = score_period(period, trigger="test", user=official)
    assert (run.organizations, run.trigger, run.by) == (4, "test", official)
    catalogue = version_for(period).catalogue
    expected = pure(catalogue, frame, refs)
    assert scores_to_export_rows(stored_result(period, catalogue), catalogue) == (
        scores_to_export_rows(expected, catalogue)
    )
    for code in TYPES:
        score = Score.objects.get(organization__code=code)
        row = expected.orgs.loc[code]
        assert score.index == pytest.approx(row["index"])
        assert score.level == row["level"]
        assert score.preliminary == bool(row["preliminary"])
        assert score.risk_flags == row["risk_flags"]
        assert score.index_change is None  # no previous period


def test_the_csv_is_what_was_computed(period, district):
    frame, refs = store(period, district)
    score_period(period, trigger="test")
    catalogue = version_for(period).catalogue
    rows = scores_to_export_rows(pure(catalogue, frame, refs), catalogue)
    assert scores_csv(period) == "".join(",".join(row) + "\n" for row in rows)


def test_rescoring_replaces_the_scores(period, district):
    store(period, district)
    first = score_period(period, trigger="a")
    second = score_period(period, trigger="b")
    assert Score.objects.count() == 4
    assert set(Score.objects.values_list("run", flat=True)) == {second.pk}
    assert ScoringRun.objects.filter(pk=first.pk).exists()


def test_inactive_organisations_are_not_scored(period, district):
    store(period, district)
    district["D04"].is_active = False
    district["D04"].save()
    run = score_period(period, trigger="test")
    assert run.organizations == 3
    assert sorted(Score.objects.values_list("organization__code", flat=True)) == [
        "A01",
        "B02",
        "K03",
    ]


def test_an_organisation_without_data_is_preliminary_not_zero(period, org_a, org_b):
    write_values(
        period,
        [ValueWrite(org_a.pk, "mgmt_education", Decimal("1"))],
        source=Source.OFFICIAL,
    )
    score_period(period, trigger="test")
    empty = Score.objects.get(organization=org_b)
    assert empty.preliminary
    assert empty.results["A1.1"][:3] == [None, "нет данных", 0.0]
    assert empty.results["B4.5"][1] == "нет данных"  # the registry's norm alone is not enough
    some = Score.objects.get(organization=org_a)
    assert some.results["A1.1"][:3] == [1.0, "значение", 2.0]


def test_dynamics_against_the_previous_period(period, district):
    last_year = Period.objects.create(
        label="2023/2024",
        start_date=date(2023, 9, 1),
        end_date=date(2024, 8, 31),
        status=PeriodStatus.OPEN,
    )
    store(last_year, district, period_index=0)
    score_period(last_year, trigger="test")
    before = dict(Score.objects.filter(period=last_year).values_list("organization__code", "index"))
    last_year.status = PeriodStatus.CLOSED
    last_year.save()

    frame, refs = store(period, district, period_index=1)
    score_period(period, trigger="test")
    catalogue = version_for(period).catalogue
    expected = pure(catalogue, frame, refs, pd.Series(before, dtype=float))
    for code, previous in before.items():
        score = Score.objects.get(period=period, organization__code=code)
        assert score.index_change == pytest.approx(expected.orgs.loc[code, "index_change"])
        assert score.index_change == pytest.approx(score.index - previous, abs=0.051)


def test_load_period_frames_reads_values_and_derived_inputs(period, district):
    frame, refs = store(period, district)
    frames = load_period_frames(period)
    assert list(frames.orgs.index) == ["A01", "B02", "D04", "K03"]
    assert frames.period_values == refs
    assert frames.values.loc["B02", "internet_norm_mbps"] == 50.0
    assert frames.values.loc["A01", "grad9_total"] == frame.loc["A01", "grad9_total"]
    assert frames.org_ids == {code: org.pk for code, org in district.items()}
    assert frames.previous_index is None


def test_stored_result_of_an_unscored_period(period):
    catalogue = version_for(period).catalogue
    rows = scores_to_export_rows(stored_result(period, catalogue), catalogue)
    assert len(rows) == 1
    assert rows[0][:3] == ["org_code", "index", "level"]
