"""The rule library's logic without a database: matching, reasons, validation, deadlines."""

from datetime import date
from types import SimpleNamespace

import pytest

from monitoring.catalogue import default_catalogue
from monitoring.recommendation_rules import RULES, rule_rows
from monitoring.recommendations import (
    LATE,
    NO_DEADLINE,
    ON_TIME,
    OVERDUE,
    PENDING,
    ScoreFacts,
    deadline_error,
    due_date,
    format_number,
    matching_rules,
    normalized_condition,
    points_word,
    rule_errors,
    salutation,
    timeliness,
)

CATALOGUE = default_catalogue()


def rule(condition, **fields):
    """A rule as `matching_rules` reads it (any object with the model's fields)."""
    defaults = {
        "pk": fields.pop("pk", 1),
        "condition": condition,
        "indicator_code": "",
        "subgroup": "",
        "threshold": None,
        "level": "",
        "risk_kind": "",
        "deficit_code": "",
        "periods_running": 1,
    }
    return SimpleNamespace(**{**defaults, **fields})


def value(points, *, gated=False, value=1.0):
    return [value, "значение", points, gated, False]


def reasons(rules, facts):
    return [reason for _rule, reason in matching_rules(rules, facts)]


# --- indicator at ≤ N points ---------------------------------------------------------------------


def test_an_indicator_at_zero_points_matches_with_its_reason():
    facts = ScoreFacts(results={"B1.3": value(0.0)})
    assert reasons([rule("indicator_points", indicator_code="B1.3", threshold=0)], facts) == [
        "B1.3: 0 баллов из 2"
    ]


@pytest.mark.parametrize(
    ("points", "threshold", "expected"),
    [(0.0, 0, True), (1.0, 0, False), (1.0, 1, True), (0.0, 1, True), (2.0, 1, False)],
)
def test_the_threshold_is_at_most_n_points(points, threshold, expected):
    facts = ScoreFacts(results={"A1.2": value(points)})
    found = matching_rules(
        [rule("indicator_points", indicator_code="A1.2", threshold=threshold)], facts
    )
    assert bool(found) is expected


def test_one_point_is_said_in_russian():
    facts = ScoreFacts(results={"A1.2": value(1.0)})
    found = reasons([rule("indicator_points", indicator_code="A1.2", threshold=1)], facts)
    assert found == ["A1.2: 1 балл из 2"]


@pytest.mark.parametrize("status", ["н/о", "н/п", "нет данных"])
def test_an_indicator_without_a_value_never_matches(status):
    facts = ScoreFacts(
        results={"B1.3": [None, status, 0.0 if status == "нет данных" else None, False, False]}
    )
    assert (
        matching_rules([rule("indicator_points", indicator_code="B1.3", threshold=1)], facts) == []
    )


def test_an_info_indicator_has_no_points_and_never_matches():
    facts = ScoreFacts(results={"A2.6": [70.0, "значение", None, False, True]})
    assert (
        matching_rules([rule("indicator_points", indicator_code="A2.6", threshold=1)], facts) == []
    )


def test_a_zero_from_the_objectivity_gate_is_left_to_the_objectivity_rule():
    facts = ScoreFacts(results={"B1.3": value(0.0, gated=True)})
    assert (
        matching_rules([rule("indicator_points", indicator_code="B1.3", threshold=0)], facts) == []
    )


def test_an_indicator_missing_from_the_results_does_not_match():
    assert (
        matching_rules([rule("indicator_points", indicator_code="B1.3", threshold=0)], ScoreFacts())
        == []
    )


# --- subgroup below a threshold ------------------------------------------------------------------


def test_a_subgroup_below_its_threshold_matches():
    facts = ScoreFacts(subgroups={"B4": 45.45, "B1": 80.0})
    found = reasons([rule("subgroup_below", subgroup="B4", threshold=50)], facts)
    assert found == ["B4: 45,5 % (порог 50 %)"]


@pytest.mark.parametrize("score", [50.0, 72.0, None])
def test_a_subgroup_at_or_above_the_threshold_or_unscored_does_not(score):
    facts = ScoreFacts(subgroups={"B4": score})
    assert matching_rules([rule("subgroup_below", subgroup="B4", threshold=50)], facts) == []


# --- level ---------------------------------------------------------------------------------------


def test_the_level_matches_exactly():
    critical = rule("level", level="critical")
    high = rule("level", level="high", pk=2)
    facts = ScoreFacts(index=42.35, level="critical")
    assert reasons([critical, high], facts) == ["уровень эффективности «критический» (индекс 42,4)"]
    assert matching_rules([critical], ScoreFacts()) == []  # not scored: no level


# --- falling index -------------------------------------------------------------------------------


def test_a_falling_index_matches():
    facts = ScoreFacts(index=60, index_change=-3.5)
    found = reasons([rule("falling")], facts)
    assert found == ["индекс снизился на 3,5 по сравнению с прошлым периодом"]


@pytest.mark.parametrize("change", [0.0, 2.0, None])
def test_a_steady_rising_or_first_index_is_not_falling(change):
    assert matching_rules([rule("falling")], ScoreFacts(index_change=change)) == []


def test_a_least_fall_can_be_required():
    strict = rule("falling", threshold=5)
    assert matching_rules([strict], ScoreFacts(index_change=-4.9)) == []
    assert matching_rules([strict], ScoreFacts(index_change=-5.0))


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [(-2.0, -1.0, True), (1.0, -1.0, False), (None, -1.0, False), (-2.0, 0.5, False)],
)
def test_two_periods_running(before, now, expected):
    facts = ScoreFacts(index_change=now, previous_change=before)
    found = reasons([rule("falling", periods_running=2)], facts)
    assert bool(found) is expected
    if expected:
        assert found == ["индекс снижается два периода подряд: на 2 и на 1"]


# --- risk flags ----------------------------------------------------------------------------------

FLAGS = [
    {
        "kind": "critical",
        "indicator": "A1.6",
        "text": "A1.6 …: 0 баллов по критическому показателю",
    },
    {
        "kind": "critical",
        "indicator": "B4.6",
        "text": "B4.6 …: 0 баллов по критическому показателю",
    },
    {
        "kind": "info_risk",
        "indicator": "A2.6",
        "text": "A2.6 Доля руководящих работников…: значение ≥ 50",
    },
    {
        "kind": "objectivity",
        "indicator": "B1.7",
        "text": "Объективность результатов не подтверждена",
    },
]


def test_a_critical_flag_names_every_critical_indicator():
    found = reasons([rule("risk_flag", risk_kind="critical")], ScoreFacts(risk_flags=FLAGS))
    assert found == ["0 баллов по критическим показателям: A1.6, B4.6"]


def test_a_flag_can_be_limited_to_one_indicator():
    only_b46 = rule("risk_flag", risk_kind="critical", indicator_code="B4.6")
    only_b11 = rule("risk_flag", risk_kind="critical", indicator_code="B1.1", pk=2)
    found = matching_rules([only_b46, only_b11], ScoreFacts(risk_flags=FLAGS))
    assert [(r.pk, reason) for r, reason in found] == [
        (1, "0 баллов по критическим показателям: B4.6")
    ]


def test_info_and_objectivity_flags_give_their_own_text():
    rules = [
        rule("risk_flag", risk_kind="info_risk"),
        rule("risk_flag", risk_kind="objectivity", pk=2),
    ]
    assert reasons(rules, ScoreFacts(risk_flags=FLAGS)) == [
        "A2.6 Доля руководящих работников…: значение ≥ 50",
        "Объективность результатов не подтверждена",
    ]
    assert matching_rules(rules, ScoreFacts(risk_flags=[])) == []


# --- deficits ------------------------------------------------------------------------------------


def test_a_block_rule_matches_its_items_and_the_block_itself():
    facts = ScoreFacts(deficits=frozenset({"2.3", "2.1", "3.1"}))
    assert reasons([rule("deficit", deficit_code="2")], facts) == [
        "подтверждён профессиональный дефицит: 2.1, 2.3"
    ]
    assert matching_rules(
        [rule("deficit", deficit_code="2")], ScoreFacts(deficits=frozenset({"2"}))
    )


def test_an_item_rule_matches_that_item_only():
    item = rule("deficit", deficit_code="2.3")
    assert matching_rules([item], ScoreFacts(deficits=frozenset({"2.3"})))
    assert not matching_rules([item], ScoreFacts(deficits=frozenset({"2.1", "2", "12.3"})))
    assert not matching_rules(
        [rule("deficit", deficit_code="2")], ScoreFacts(deficits=frozenset({"12.3"}))
    )


def test_without_confirmed_deficits_nothing_matches():
    assert matching_rules([rule("deficit", deficit_code="2")], ScoreFacts()) == []


# --- several rules at once -----------------------------------------------------------------------


def test_rules_match_in_their_order_and_long_reasons_are_cut():
    long_flag = [{"kind": "info_risk", "indicator": "A2.6", "text": "х" * 500}]
    rules = [
        rule("level", level="critical", pk=3),
        rule("unknown-kind", pk=4),
        rule("risk_flag", risk_kind="info_risk", pk=5),
    ]
    found = matching_rules(rules, ScoreFacts(level="critical", index=40, risk_flags=long_flag))
    assert [r.pk for r, _ in found] == [3, 5]
    assert len(found[1][1]) == 300 and found[1][1].endswith("…")


# --- validation ----------------------------------------------------------------------------------


def data(condition, **fields):
    return {"condition": condition, "days": 90, **fields}


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        (
            data("indicator_points", indicator_code="Z9.9", threshold=0),
            "indicator_code",
            "нет в методике",
        ),
        (
            data("indicator_points", indicator_code="A2.6", threshold=0),
            "indicator_code",
            "информационный",
        ),
        (data("indicator_points", indicator_code="B1.3", threshold=2), "threshold", "0 или 1"),
        (data("indicator_points", indicator_code="B1.3"), "threshold", "Для этого условия укажите"),
        (data("indicator_points", threshold=0), "indicator_code", "укажите показатель"),
        (data("subgroup_below", subgroup="B4", threshold=120), "threshold", "от 0 до 100"),
        (data("subgroup_below", subgroup="C1", threshold=50), "subgroup", "Подгруппы «C1» нет"),
        (data("subgroup_below", threshold=50), "subgroup", "укажите подгруппу"),
        (data("level"), "level", "уровень"),
        (data("falling", threshold=-3), "threshold", "снижение"),
        (data("falling", periods_running=3), "periods_running", "1 или 2"),
        (data("risk_flag"), "risk_kind", "вид флага"),
        (data("risk_flag", risk_kind="panic"), "risk_kind", "Неизвестный"),
        (
            data("risk_flag", risk_kind="critical", indicator_code="B2.1"),
            "indicator_code",
            "критическим",
        ),
        (
            data("risk_flag", risk_kind="info_risk", indicator_code="B1.3"),
            "indicator_code",
            "условия риска",
        ),
        (
            data("risk_flag", risk_kind="objectivity", indicator_code="B1.3"),
            "indicator_code",
            "B1.7",
        ),
        (data("deficit"), "deficit_code", "блок"),
        (data("deficit", deficit_code="два"), "deficit_code", "не похож"),
        (data("level", level="high", days=0), "days", "от 1 до 730"),
        ({"condition": ""}, "condition", "Выберите условие"),
    ],
)
def test_rule_errors_say_what_is_wrong_in_russian(fields, field, fragment):
    errors = rule_errors(fields, CATALOGUE)
    assert field in errors, errors
    assert fragment in errors[field]


@pytest.mark.parametrize(
    "fields",
    [
        data("indicator_points", indicator_code="B1.3", threshold=0),
        data("indicator_points", indicator_code="A1.2", threshold=1),
        data("subgroup_below", subgroup="A2", threshold=40),
        data("level", level="critical"),
        data("falling", periods_running=2),
        data("falling", threshold=5),
        data("risk_flag", risk_kind="critical"),
        data("risk_flag", risk_kind="critical", indicator_code="A1.6"),
        data("risk_flag", risk_kind="info_risk", indicator_code="A2.6"),
        data("risk_flag", risk_kind="objectivity", indicator_code="B1.7"),
        data("deficit", deficit_code="2.3"),
        data("deficit", deficit_code="6"),
    ],
)
def test_good_rules_have_no_errors(fields):
    assert rule_errors(fields, CATALOGUE) == {}


def test_fields_a_condition_does_not_read_are_cleared():
    cleared = normalized_condition(
        {
            "condition": "level",
            "level": "high",
            "indicator_code": "B1.3",
            "threshold": 1,
            "periods_running": 2,
        }
    )
    assert cleared == {
        "indicator_code": "",
        "subgroup": "",
        "threshold": None,
        "level": "high",
        "risk_kind": "",
        "deficit_code": "",
        "periods_running": 1,
    }


# --- the seed library ----------------------------------------------------------------------------


def test_the_seed_library_is_valid_and_covers_every_subgroup():
    rows = rule_rows()
    assert 25 <= len(rows) <= 40
    for row in rows:
        assert rule_errors(row, CATALOGUE) == {}, row["title"]
        assert row["text"] and row["measures"] and row["owner"], row["title"]
        assert len(row["title"]) <= 200
    indicators = CATALOGUE.indicators_by_code
    covered = {
        indicators[r["indicator_code"]].subgroup if r["indicator_code"] else r["subgroup"]
        for r in rows
    }
    assert {"A1", "A2", "B1", "B2", "B3", "B4", "B5"} <= covered
    kinds = {r["condition"] for r in RULES}
    assert kinds == {
        "indicator_points",
        "subgroup_below",
        "level",
        "falling",
        "risk_flag",
        "deficit",
    }
    assert len({r["title"] for r in rows}) == len(rows)


def test_the_seed_library_speaks_to_known_cases():
    by_code = {r["indicator_code"]: r for r in RULES if r["condition"] == "indicator_points"}
    assert "72 час" in by_code["A1.2"]["text"]
    objectivity = [r for r in RULES if r.get("risk_kind") == "objectivity"]
    assert "объективности ВПР" in objectivity[0]["text"]
    critical_level = [r for r in RULES if r.get("level") == "critical"][0]
    assert "собеседование" in critical_level["text"]


# --- deadlines and the 10-day rule ---------------------------------------------------------------


def test_deadline_window():
    issued = date(2025, 6, 10)
    assert deadline_error(date(2025, 6, 10), issued) is None
    assert deadline_error(date(2027, 6, 10), issued) is None
    assert "раньше даты рекомендаций" in deadline_error(date(2025, 6, 9), issued)
    assert "два года" in deadline_error(date(2027, 6, 11), issued)
    assert "Укажите срок" in deadline_error(None, issued)


def test_due_date_and_timeliness():
    due = due_date(date(2025, 6, 1))
    assert due == date(2025, 6, 11)
    assert due_date(None) is None
    assert timeliness(date(2025, 6, 11), due, date(2025, 7, 1)) == ON_TIME
    assert timeliness(date(2025, 6, 12), due, date(2025, 7, 1)) == LATE
    assert timeliness(None, due, date(2025, 6, 11)) == PENDING
    assert timeliness(None, due, date(2025, 6, 12)) == OVERDUE
    assert timeliness(None, None, date(2025, 6, 12)) == NO_DEADLINE


# --- wording -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "word"),
    [(0, "баллов"), (1, "балл"), (2, "балла"), (5, "баллов"), (11, "баллов"), (0.5, "балла")],
)
def test_points_word(points, word):
    assert points_word(points) == word


def test_numbers_and_salutations():
    assert format_number(45.45) == "45,5"
    assert format_number(50.0) == "50"
    assert format_number(None) == "—"
    assert salutation("Ольга", "Петровна") == "Уважаемая Ольга Петровна!"
    assert salutation("Мурат", "Асланович") == "Уважаемый Мурат Асланович!"
    assert salutation("Тест", "") == "Уважаемый(ая) Тест!"
    assert salutation("", "") == ""
