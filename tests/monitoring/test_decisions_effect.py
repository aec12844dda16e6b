"""The effect arithmetic of `decisions.compute_effect_lines`, by hand, with no database."""

import pytest

from monitoring.decisions import (
    PairReadings,
    PeerAverage,
    Reading,
    change,
    compute_effect_lines,
    peer_averages,
)


def pair(org, code, before, after, org_type="school"):
    return PairReadings(org, org_type, code, Reading(*before), Reading(*after))


# Five schools and a kindergarten, indicator B4.2 (higher is better), two periods:
#   org 1: 50 → 65 (1 → 2 points)   the decision's school
#   org 2: 60 → 62 (1 → 1)          a comparable school
#   org 3: 40 → 80 (0 → 2)          concerned by another decision on B4.2: not comparable
#   org 4: 70 → 66 (2 → 1)          a comparable school
#   org 5: 55 → no value            no change to count
#   org 9: 30 → 90 (0 → 2)          a kindergarten: another type
PEERS = [
    pair(1, "B4.2", (50, 1), (65, 2)),
    pair(2, "B4.2", (60, 1), (62, 1)),
    pair(3, "B4.2", (40, 0), (80, 2)),
    pair(4, "B4.2", (70, 2), (66, 1)),
    pair(5, "B4.2", (55, 1), (None, None)),
    pair(9, "B4.2", (30, 0), (90, 2), org_type="kindergarten"),
]


def test_change_is_after_minus_before_and_none_when_either_is_missing():
    assert change(50, 65) == 15
    assert change(65, 50) == -15
    assert change(None, 3) is None
    assert change(3, None) is None
    assert change(0.1, 0.3) == 0.2  # not 0.19999999999999998


def test_the_decision_s_line_and_its_comparison():
    concerned = [pair(1, "B4.2", (50, 1), (65, 2))]
    [line] = compute_effect_lines(concerned, PEERS, {"B4.2": {1, 3}})
    assert (line.value_change, line.points_change) == (15, 1)
    # Comparable: schools 2 (+2, 0) and 4 (−4, −1); school 5 has no value in the second period.
    assert line.peers == PeerAverage(value_change=-1.0, points_change=-0.5, count=2, points_count=2)
    assert line.versus_peers == 16.0
    assert line.trend == "better"


def test_an_organisation_concerned_by_another_decision_is_not_a_comparison():
    with_three = peer_averages(PEERS, {"B4.2": {1}})[("school", "B4.2")]
    # 2: +2, 3: +40, 4: −4 → 38 / 3
    assert with_three == PeerAverage(12.6667, 0.3333, 3, 3)
    # The exclusion is per indicator: excluded for B4.1, org 3 still counts for B4.2.
    assert peer_averages(PEERS, {"B4.1": {3}, "B4.2": {1}})[("school", "B4.2")].count == 3


def test_comparison_is_within_the_same_type():
    averages = peer_averages(PEERS, {})
    assert averages[("kindergarten", "B4.2")] == PeerAverage(60.0, 2.0, 1, 1)
    assert averages[("school", "B4.2")].count == 4


def test_no_comparable_organisations_means_no_average():
    concerned = [pair(9, "B4.2", (30, 0), (90, 2), org_type="kindergarten")]
    [line] = compute_effect_lines(concerned, PEERS, {"B4.2": {9}})
    assert line.peers == PeerAverage(None, None, 0, 0)
    assert line.versus_peers is None


def test_missing_baseline_or_next_value_gives_no_change_and_no_trend():
    concerned = [
        pair(1, "B4.2", (None, None), (65, 2)),
        pair(5, "B4.2", (55, 1), (None, None)),
    ]
    lines = compute_effect_lines(concerned, PEERS, {"B4.2": {1, 5}})
    assert [(line.value_change, line.points_change, line.trend) for line in lines] == [
        (None, None, None),
        (None, None, None),
    ]


def test_the_trend_follows_points_then_the_indicator_s_direction():
    concerned = [
        pair(1, "B4.6", (3, 1), (1, 2)),  # fewer violations, more points: better
        pair(2, "B4.6", (3, None), (1, None)),  # no points (info): by value, lower is better
        pair(3, "B4.2", (50, None), (45, None)),  # by value, higher is better: worse
        pair(4, "B4.2", (50, 1), (52, 1)),  # same points, though the value rose
    ]
    lines = compute_effect_lines(concerned, [], {}, {"B4.6": "lower", "B4.2": "higher"})
    assert [line.trend for line in lines] == ["better", "better", "worse", "same"]


def test_lines_keep_the_order_of_the_concerned_rows():
    concerned = [pair(4, "B4.2", (70, 2), (66, 1)), pair(1, "B4.2", (50, 1), (65, 2))]
    lines = compute_effect_lines(concerned, PEERS, {"B4.2": {1, 4}})
    assert [line.organization_id for line in lines] == [4, 1]
    # With both excluded, the comparison is schools 2 (+2) and 3 (+40).
    assert lines[0].peers.value_change == pytest.approx(21.0)
