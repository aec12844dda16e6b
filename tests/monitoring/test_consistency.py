"""The consistency rules of SCORING.md and their two checks (table and one organisation)."""

import numpy as np
import pandas as pd
import pytest

from monitoring.catalogue import default_catalogue
from monitoring.consistency import (
    RULE_TEXTS,
    RULES,
    Rule,
    check_consistency,
    check_consistency_one,
    format_number,
    parse_rule,
    short_label,
)

CATALOGUE = default_catalogue()
CHAIN = [
    Rule("students_10_11", ("students_9_11",)),
    Rule("students_9_11", ("students_7_11",)),
    Rule("students_7_11", ("students_6_11",)),
    Rule("students_6_11", ("students_total",)),
]


def frame(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", dtype=float)


def test_rule_list_is_the_scoring_table_with_the_chain_expanded():
    assert len(RULE_TEXTS) == 26
    assert len(RULES) == 25 + 4
    for rule in CHAIN:
        assert rule in RULES
    assert Rule("honors", ("grad9_total", "grad11_total")) in RULES
    assert Rule("graduates_placed", ("grad9_total", "grad11_total")) in RULES
    assert len(set(RULES)) == len(RULES)


def test_every_rule_names_org_inputs_of_the_catalogue():
    inputs = CATALOGUE.inputs_by_code
    for rule in RULES:
        for code in rule.codes:
            assert code in inputs, code
            assert inputs[code].scope == "org"


def test_parse_rule_forms():
    assert parse_rule("a ≤ b") == [Rule("a", ("b",))]
    assert parse_rule("a <= b + c") == [Rule("a", ("b", "c"))]
    assert parse_rule("a ≤ b ≤ c") == [Rule("a", ("b",)), Rule("b", ("c",))]
    assert Rule("a", ("b", "c")).text == "a ≤ b + c"
    for bad in ("a", "a ≤", "a + b ≤ c", "≤ b"):
        with pytest.raises(ValueError):
            parse_rule(bad)


def test_simple_rule_violation_and_message():
    values = frame({"101": {"grad9_certificate": 30, "grad9_total": 25}})
    [violation] = check_consistency(values, CATALOGUE)
    assert violation.org_code == "101"
    assert violation.rule == Rule("grad9_certificate", ("grad9_total",))
    assert (violation.left, violation.right) == ("grad9_certificate", ("grad9_total",))
    assert (violation.left_value, violation.right_value) == (30.0, 25.0)
    assert violation.message == (
        "Нарушено условие grad9_certificate ≤ grad9_total: "
        "«Из них получили аттестат об основном общем образовании» = 30, "
        "«Выпускников 9 классов» = 25"
    )


def test_equal_values_and_smaller_left_pass():
    values = frame(
        {
            "101": {"grad9_certificate": 25, "grad9_total": 25},
            "102": {"grad9_certificate": 0, "grad9_total": 25},
        }
    )
    assert check_consistency(values, CATALOGUE) == []


def test_rule_is_checked_only_where_all_inputs_are_present():
    values = frame(
        {
            "101": {"grad9_certificate": 30, "grad9_total": np.nan},
            "102": {"grad9_certificate": np.nan, "grad9_total": 1},
            "103": {"grad9_certificate": 30, "grad9_total": 1},
            # a sum with a missing term is not checked either
            "104": {"honors": 50, "grad9_total": 10, "grad11_total": np.nan},
        }
    )
    assert [v.org_code for v in check_consistency(values, CATALOGUE)] == ["103"]


def test_rule_whose_column_is_absent_is_skipped():
    values = frame({"101": {"honors": 50, "grad9_total": 10}})  # no grad11_total column
    assert check_consistency(values, CATALOGUE) == []


def test_sum_rule_names_each_term_and_the_total():
    values = frame(
        {
            "101": {"honors": 45, "grad9_total": 25, "grad11_total": 20},
            "102": {"honors": 46, "grad9_total": 25, "grad11_total": 20},
        }
    )
    [violation] = check_consistency(values, CATALOGUE)
    assert violation.org_code == "102"
    assert violation.right_values == (25.0, 20.0)
    assert violation.right_value == 45.0
    assert violation.message == (
        "Нарушено условие honors ≤ grad9_total + grad11_total: "
        "«Выпускников 9 и 11 классов с аттестатом с отличием» = 46, "
        "«Выпускников 9 классов» + «Выпускников 11 классов» = 25 + 20 = 45"
    )


def test_chain_is_checked_pair_by_pair():
    ok = {
        "students_10_11": 10,
        "students_9_11": 20,
        "students_7_11": 40,
        "students_6_11": 50,
        "students_total": 100,
    }
    broken = dict(ok, students_9_11=45, students_6_11=120)  # 45 > 40 and 120 > 100
    values = frame({"101": ok, "102": broken})
    found = [(v.org_code, v.rule) for v in check_consistency(values, CATALOGUE)]
    assert found == [("102", CHAIN[1]), ("102", CHAIN[3])]


def test_results_are_ordered_by_row_then_rule():
    values = frame(
        {
            "b": {"oge_fail": 5, "oge_participants": 1, "grad9_certificate": 3, "grad9_total": 1},
            "a": {"oge_fail": 5, "oge_participants": 1, "grad9_certificate": 0, "grad9_total": 1},
        }
    )
    found = [(v.org_code, v.left) for v in check_consistency(values, CATALOGUE)]
    assert found == [("b", "grad9_certificate"), ("b", "oge_fail"), ("a", "oge_fail")]


def test_decimal_sums_use_a_tolerance():
    values = frame({"101": {"teacher_vacancies": 0.1 + 0.2, "teacher_positions": 0.3}})
    assert check_consistency(values, CATALOGUE) == []
    values = frame({"101": {"teacher_vacancies": 0.31, "teacher_positions": 0.3}})
    [violation] = check_consistency(values, CATALOGUE)
    assert "«Из них вакантных» = 0,31" in violation.message


def test_empty_frame():
    assert check_consistency(pd.DataFrame(dtype=float), CATALOGUE) == []


def test_default_catalogue_labels_are_used_without_a_catalogue():
    values = frame({"101": {"grad9_certificate": 30, "grad9_total": 25}})
    assert check_consistency(values)[0].message == check_consistency(values, CATALOGUE)[0].message


def test_check_one_shares_rules_and_messages():
    values = {
        "grad9_certificate": 30,
        "grad9_total": 25,
        "honors": 50,
        "grad11_total": None,  # missing: the sum rule is not checked
        "oge_fail": "",
        "oge_participants": 3,
    }
    found = check_consistency_one(values, CATALOGUE)
    table = check_consistency(frame({"x": {"grad9_certificate": 30, "grad9_total": 25}}))
    assert found == [("grad9_certificate", ("grad9_total",), table[0].message)]


def test_check_one_sum_and_chain():
    found = check_consistency_one(
        {
            "honors": 50,
            "grad9_total": 25,
            "grad11_total": 20,
            "students_7_11": 10,
            "students_6_11": 9,
        }
    )
    assert [(left, right) for left, right, _ in found] == [
        ("honors", ("grad9_total", "grad11_total")),
        ("students_7_11", ("students_6_11",)),
    ]
    assert check_consistency_one({}) == []


def test_helpers():
    assert format_number(30.0) == "30"
    assert format_number(78.5) == "78,5"
    assert short_label("короткое") == "короткое"
    long = "слово " * 30
    shortened = short_label(long)
    assert shortened.endswith("…") and len(shortened) <= 60
