"""The formula parser, the params parsers and catalogue validation (no database)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from monitoring.catalogue import Catalogue, default_catalogue
from monitoring.formulas import (
    BinaryOp,
    FormulaError,
    Input,
    Negate,
    Number,
    Threshold,
    parse_formula,
    parse_levels,
    parse_min_n,
    parse_risk,
    parse_thresholds,
    validate_catalogue,
)

NAN = np.nan


def evaluate(text, **columns):
    return parse_formula(text).evaluate(columns)


# --- Parsing -------------------------------------------------------------------------------------


def test_tree_respects_precedence_and_left_associativity():
    formula = parse_formula("a - b - c * d / 2")
    # ((a - b) - ((c * d) / 2))
    assert formula.tree == BinaryOp(
        "-",
        BinaryOp("-", Input("a"), Input("b")),
        BinaryOp("/", BinaryOp("*", Input("c"), Input("d")), Number(2.0)),
    )
    assert formula.inputs == frozenset({"a", "b", "c", "d"})


def test_unary_minus_and_parentheses():
    formula = parse_formula("-(a + 1.5) * --b")
    assert formula.tree == BinaryOp(
        "*",
        Negate(BinaryOp("+", Input("a"), Number(1.5))),
        Negate(Negate(Input("b"))),
    )


def test_formula_is_immutable():
    formula = parse_formula("a / b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        formula.text = "c"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        formula.tree.op = "*"  # type: ignore[union-attr]


def test_every_formula_of_the_default_catalogue_parses():
    inputs = {ind.code: parse_formula(ind.formula).inputs for ind in default_catalogue().indicators}
    assert inputs["A1.5"] == {"deficits_closed", "deficits_identified"}
    assert inputs["B2.2"] == {"honors", "grad9_total", "grad11_total"}
    assert inputs["B4.9"] == {"vsoko_items_done"}
    assert inputs["B1.5"] == {"vpr_share_2", "vpr_share_2_region"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a + * b", 'Формула "a + * b": неожиданный символ «*» в позиции 5'),
        ("a +", 'Формула "a +": неожиданный конец формулы'),
        ("(a + b", 'Формула "(a + b": не закрыта скобка «(» в позиции 1'),
        ("a + b)", 'Формула "a + b)": неожиданный символ «)» в позиции 6'),
        ("a b", 'Формула "a b": неожиданный символ «b» в позиции 3'),
        ("a % b", 'Формула "a % b": неожиданный символ «%» в позиции 3'),
        ("Grad9", 'Формула "Grad9": неожиданный символ «G» в позиции 1'),
        ("2x", 'Формула "2x": неожиданный символ «x» в позиции 2'),
        ("1. + a", 'Формула "1. + a": неожиданный символ «.» в позиции 2'),
        ("a ** b", 'Формула "a ** b": неожиданный символ «*» в позиции 4'),
        ("", 'Формула "": формула пуста'),
        ("()", 'Формула "()": неожиданный символ «)» в позиции 2'),
    ],
)
def test_errors_name_the_token_and_its_position(text, message):
    with pytest.raises(FormulaError) as error:
        parse_formula(text)
    assert str(error.value) == message
    assert isinstance(error.value, ValueError)


def test_python_is_never_evaluated():
    with pytest.raises(FormulaError, match="неожиданный символ «'» в позиции 12"):
        parse_formula("__import__('os').system('true')")
    with pytest.raises(FormulaError, match="неожиданный символ «\\(» в позиции 11"):
        parse_formula("__import__(os)")
    with pytest.raises(FormulaError, match="неожиданный символ «\\.» в позиции 2"):
        parse_formula("a.__class__")


def test_absurd_nesting_and_length_are_rejected():
    with pytest.raises(FormulaError, match="слишком глубокая вложенность"):
        parse_formula("(" * 60 + "a" + ")" * 60)
    with pytest.raises(FormulaError, match="длиннее 500 символов"):
        parse_formula(" + ".join(["a"] * 200))
    assert parse_formula("(" * 20 + "a" + ")" * 20).inputs == {"a"}


# --- Evaluation ----------------------------------------------------------------------------------


def test_evaluate_is_vectorised_and_propagates_nan():
    values, zero = evaluate(
        "(a - b) / a * 100",
        a=np.array([50.0, 4.0, NAN, 10.0]),
        b=np.array([1.0, 1.0, 1.0, NAN]),
    )
    # 49/50·100 = 98; 3/4·100 = 75; NaN; NaN
    np.testing.assert_allclose(values, [98.0, 75.0, NAN, NAN])
    assert zero.tolist() == [False, False, False, False]
    assert values.dtype == float and zero.dtype == bool


def test_division_by_zero_is_nan_and_flagged():
    values, zero = evaluate(
        "a / (b - c)",
        a=np.array([1.0, 0.0, NAN, 6.0]),
        b=np.array([2.0, 2.0, 3.0, 5.0]),
        c=np.array([2.0, 2.0, 3.0, 2.0]),
    )
    np.testing.assert_allclose(values, [NAN, NAN, NAN, 2.0])
    # 0/0 and NaN/0 are divisions by zero too; a NaN divisor is not.
    assert zero.tolist() == [True, True, True, False]
    _, zero = evaluate("a / b", a=np.array([1.0]), b=np.array([NAN]))
    assert zero.tolist() == [False]


def test_a_zero_divisor_inside_a_sum_still_flags_the_row():
    values, zero = evaluate("a / b + 1", a=np.array([1.0, 1.0]), b=np.array([0.0, 4.0]))
    np.testing.assert_allclose(values, [NAN, 1.25])
    assert zero.tolist() == [True, False]


def test_scalars_broadcast_and_none_is_missing():
    values, zero = evaluate("share - region", share=np.array([10.0, 30.0]), region=12.5)
    np.testing.assert_allclose(values, [-2.5, 17.5])
    assert zero.tolist() == [False, False]
    values, _ = evaluate("share - region", share=np.array([10.0, 30.0]), region=None)
    assert np.isnan(values).all() and values.shape == (2,)


def test_series_inputs_and_forced_size():
    series = pd.Series([6.0, 3.0], index=["x", "y"])
    values, _ = parse_formula("items / 6 * 100").evaluate({"items": series})
    np.testing.assert_allclose(values, [100.0, 50.0])
    values, zero = parse_formula("7 / 0").evaluate({}, size=3)
    assert values.shape == (3,) and np.isnan(values).all()
    assert zero.tolist() == [True, True, True]


def test_evaluate_without_a_referenced_column_raises():
    with pytest.raises(FormulaError, match="нет значений поля «b»"):
        parse_formula("a / b").evaluate({"a": np.array([1.0])})


# --- min_n ---------------------------------------------------------------------------------------


def test_parse_min_n():
    assert parse_min_n("reserve_members>=1") == ("reserve_members", 1)
    assert parse_min_n(" ege_participants >= 5 ") == ("ege_participants", 5)
    assert parse_min_n("x>=2.5") == ("x", 2.5)
    assert parse_min_n("") is None
    assert parse_min_n("   ") is None


@pytest.mark.parametrize("text", ["reserve_members>1", ">=1", "a>=b", "a>=", "a=>1", "a>=-1"])
def test_malformed_min_n(text):
    with pytest.raises(FormulaError, match="ожидается «поле>=N»"):
        parse_min_n(text)


# --- thresholds, levels, risk --------------------------------------------------------------------


def test_parse_thresholds_every_kind():
    assert parse_thresholds("2:72|1:16") == [
        (2, Threshold("number", 72.0)),
        (1, Threshold("number", 16.0)),
    ]
    assert parse_thresholds("2:50|1:>0") == [
        (2, Threshold("number", 50.0)),
        (1, Threshold("positive")),
    ]
    assert parse_thresholds("2:median+5|1:median") == [
        (2, Threshold("median", 5.0)),
        (1, Threshold("median", 0.0)),
    ]
    assert parse_thresholds("2:median-2.5|1:ref+3") == [
        (2, Threshold("median", -2.5)),
        (1, Threshold("ref", 3.0)),
    ]
    assert parse_thresholds("2:ref|1:ref-10") == [
        (2, Threshold("ref", 0.0)),
        (1, Threshold("ref", -10.0)),
    ]
    assert parse_thresholds("2:0|1:-0.5") == [
        (2, Threshold("number", 0.0)),
        (1, Threshold("number", -0.5)),
    ]
    assert [str(t) for _, t in parse_thresholds("2:ref-10|1:>0|0:median+2")] == [
        "ref-10",
        ">0",
        "median+2",
    ]


@pytest.mark.parametrize(
    "text", ["", "2:72|1", "2:abc", "x:5", "2:median*2", "2:>5", "2:72,1:16", "2:ref-", "-1:5"]
)
def test_malformed_thresholds(text):
    with pytest.raises(FormulaError, match="Пороги"):
        parse_thresholds(text)


def test_parse_levels():
    assert parse_levels("4:2|3:2|2:1|1:0|0:0") == {4: 2, 3: 2, 2: 1, 1: 0, 0: 0}
    assert parse_levels("1:1.5") == {1: 1.5}
    levels = parse_levels("2:2|1:1")
    levels[0] = 5  # callers get their own dict, never the cached one
    assert parse_levels("2:2|1:1") == {2: 2, 1: 1}


@pytest.mark.parametrize("text", ["", "4:2|3", "a:1", "4-2", "1:x", "1.5:2"])
def test_malformed_levels(text):
    with pytest.raises(FormulaError, match="Уровни"):
        parse_levels(text)


def test_duplicate_level():
    with pytest.raises(FormulaError, match="уровень 2 указан дважды"):
        parse_levels("2:2|2:1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("risk:>=50", (">=", 50.0)),
        ("risk:>50", (">", 50.0)),
        ("risk: <= 10.5", ("<=", 10.5)),
        ("risk:<0", ("<", 0.0)),
        ("risk:=1", ("=", 1.0)),
        ("", None),
    ],
)
def test_parse_risk(text, expected):
    assert parse_risk(text) == expected


@pytest.mark.parametrize("text", ["risk>=50", "risk:=>50", "risk:>=", "danger:>=5", ">=50"])
def test_malformed_risk(text):
    with pytest.raises(FormulaError, match="Условие риска"):
        parse_risk(text)


# --- validate_catalogue --------------------------------------------------------------------------


def test_default_catalogue_is_valid():
    catalogue = default_catalogue()
    assert len(catalogue.indicators) == 49
    assert validate_catalogue(catalogue) == []


def with_indicator(target, **changes) -> Catalogue:
    catalogue = default_catalogue()
    indicators = tuple(
        dataclasses.replace(ind, **changes) if ind.code == target else ind
        for ind in catalogue.indicators
    )
    return dataclasses.replace(catalogue, indicators=indicators)


INVALID = [
    (
        "A1.5",
        {"formula": "deficits_closed / deficit * 100"},
        "A1.5: в формуле неизвестное поле «deficit»",
    ),
    (
        "A1.5",
        {"formula": "deficits_closed / * 100"},
        'A1.5: Формула "deficits_closed / * 100": неожиданный символ «*» в позиции 19',
    ),
    (
        "A2.3",
        {"min_n": "reserve>=1"},
        "A2.3: в минимальной выборке неизвестное поле «reserve»",
    ),
    (
        "A2.3",
        {"min_n": "reserve_members>1"},
        "A2.3: Минимальная выборка «reserve_members>1»: ожидается «поле>=N», "
        "например «ege_participants>=5»",
    ),
    (
        "B1.3",
        {"ref_input": "oge_fail_regio"},
        "B1.3: ref_input «oge_fail_regio»: неизвестное поле",
    ),
    (
        "B1.3",
        {"ref_input": "oge_fail"},
        "B1.3: ref_input «oge_fail» должно быть региональным значением (scope=period), "
        "а не полем организации",
    ),
    (
        "B1.3",
        {"ref_input": ""},
        "B1.3: порог «ref» задан, но не указано поле ref_input",
    ),
    ("A1.2", {"params": "2:72|1"}, "A1.2: Пороги «2:72|1»: не удалось разобрать «1»"),
    ("A1.3", {"params": "4:2|3"}, "A1.3: Уровни «4:2|3»: не удалось разобрать «3»"),
    ("A2.6", {"params": "risk>=50"}, "A2.6: Условие риска «risk>=50»"),
    (
        "A1.2",
        {"params": "1:72|2:16"},
        "A1.2: пороги «1:72|2:16»: баллы должны идти строго по убыванию",
    ),
    (
        "A1.2",
        {"params": "2:72|2:16"},
        "A1.2: пороги «2:72|2:16»: баллы должны идти строго по убыванию",
    ),
    ("A1.2", {"params": "3:72|1:16"}, "A1.2: пороги «3:72|1:16»: баллы больше максимума 2"),
    ("A1.3", {"params": "4:3|0:0"}, "A1.3: уровни «4:3|0:0»: баллы больше максимума 2"),
    (
        "A1.1",
        {"params": "1:2"},
        "A1.1: у правила binary не бывает параметров, а указано «1:2»",
    ),
    (
        "A1.2",
        {"rule": "points"},
        "A1.2: неизвестное правило «points» (допустимо: binary, levels, thresholds, info)",
    ),
    (
        "A1.2",
        {"subgroup": "A3"},
        "A1.2: неизвестная подгруппа «A3» (допустимо: A1, A2, B1, B2, B3, B4, B5)",
    ),
    (
        "A1.2",
        {"applies_to": ("school", "college")},
        "A1.2: неизвестный тип организации «college» в applies_to "
        "(допустимо: school, kindergarten, additional)",
    ),
    (
        "A1.2",
        {"applies_to": ()},
        "A1.2: не указано, к каким типам организаций применяется показатель",
    ),
    ("A1.2", {"direction": "up"}, "A1.2: направление «up» должно быть higher или lower"),
    ("A1.5", {"if_zero_den": 3.0}, "A1.5: баллы при нулевом знаменателе (3) вне 0–2"),
    (
        "B1.3",
        {"gate": "honesty"},
        "B1.3: неизвестное условие «honesty» (допустимо: пусто или objectivity)",
    ),
    ("A1.2", {"code": "A1.1"}, "A1.1: код показателя повторяется"),
]


@pytest.mark.parametrize(("code", "changes", "message"), INVALID)
def test_validation_messages_name_the_indicator(code, changes, message):
    errors = validate_catalogue(with_indicator(code, **changes))
    assert len(errors) == 1, errors
    assert errors[0].startswith(message), errors


def test_validation_collects_every_problem_at_once():
    catalogue = with_indicator("A1.2", rule="points", direction="up", subgroup="C1")
    catalogue = dataclasses.replace(catalogue, weight_a=0.4)
    errors = validate_catalogue(catalogue)
    assert len(errors) == 4
    assert [e.split(":")[0] for e in errors[:3]] == ["A1.2", "A1.2", "A1.2"]


def test_gated_indicators_need_b17():
    catalogue = default_catalogue()
    without_b17 = tuple(ind for ind in catalogue.indicators if ind.code != "B1.7")
    errors = validate_catalogue(dataclasses.replace(catalogue, indicators=without_b17))
    assert errors == [
        "B1.3, B1.4, B1.5, B2.1, B2.2: условие объективности требует показателя B1.7, "
        "а его нет в методике"
    ]


@pytest.mark.parametrize(
    ("weight_a", "weight_b", "valid"),
    [(0.3, 0.7, True), (0.5, 0.5, True), (0.0, 1.0, True), (0.4, 0.7, False), (-0.3, 1.3, False)],
)
def test_weights(weight_a, weight_b, valid):
    catalogue = dataclasses.replace(default_catalogue(), weight_a=weight_a, weight_b=weight_b)
    errors = validate_catalogue(catalogue)
    if valid:
        assert errors == []
    else:
        assert errors == [
            f"Веса групп А ({weight_a}) и Б ({weight_b}) должны быть неотрицательными "
            "и в сумме равняться 1"
        ]


@pytest.mark.parametrize(
    ("cutoffs", "valid"),
    [
        ({"high": 80.0, "optimal": 65.0, "acceptable": 50.0}, True),
        ({"high": 100, "optimal": 1, "acceptable": 0}, True),
        ({"high": 80.0, "optimal": 80.0, "acceptable": 50.0}, False),
        ({"high": 65.0, "optimal": 80.0, "acceptable": 50.0}, False),
        ({"high": 101.0, "optimal": 65.0, "acceptable": 50.0}, False),
        ({"high": 80.0, "optimal": 65.0, "acceptable": -1.0}, False),
        ({"high": 80.0, "optimal": 65.0}, False),
    ],
)
def test_cutoffs(cutoffs, valid):
    errors = validate_catalogue(dataclasses.replace(default_catalogue(), cutoffs=cutoffs))
    assert (errors == []) is valid
    if not valid:
        assert len(errors) == 1
        assert errors[0].startswith("Пороги уровней должны строго убывать")
