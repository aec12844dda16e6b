"""Formulas, thresholds and the other small languages of the methodology catalogue.

Officials edit formulas and thresholds as text, so everything here parses text into small immutable
values and never evaluates a string as Python. `validate_catalogue` runs every parser over a
catalogue and returns all problems at once, in Russian, for the form that saves a methodology
version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from monitoring.catalogue import LEVELS, ORG_TYPES, SUBGROUPS, Catalogue

RULES = ("binary", "levels", "thresholds", "info")
DIRECTIONS = ("higher", "lower")
GATE_OBJECTIVITY = "objectivity"
# The indicator whose value 0 ("objectivity not confirmed") zeroes the gated indicators.
OBJECTIVITY_INDICATOR = "B1.7"

# Deeply nested parentheses are no real formula; the limit keeps the recursive parser safe.
MAX_FORMULA_LENGTH = 500
MAX_NESTING = 50

_NUMBER = r"\d+(?:\.\d+)?"
_SIGNED_NUMBER = r"-?\d+(?:\.\d+)?"


class FormulaError(ValueError):
    """A formula, a threshold list or another catalogue expression that cannot be parsed."""


# --- Formula AST ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float

    def __str__(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Input:
    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Negate:
    operand: Node

    def __str__(self) -> str:
        return f"(-{self.operand})"


@dataclass(frozen=True)
class BinaryOp:
    op: str  # + - * /
    left: Node
    right: Node

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


Node = Number | Input | Negate | BinaryOp


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the source text, its tree and the input codes it reads."""

    text: str
    tree: Node
    inputs: frozenset[str]

    def evaluate(
        self, columns: Mapping[str, object], size: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate over all organisations at once.

        `columns` maps each input code to an array or Series (one value per organisation) or to a
        scalar (a period-scope input; None means missing). Returns `(values, zero_den)`: float
        values, NaN where an input is NaN or a divisor is 0, and a bool array, True where any
        divisor evaluated to 0. `size` forces the result length when every input is a scalar.
        """
        arrays = {}
        for code in self.inputs:
            if code not in columns:
                raise FormulaError(f'Формула "{self.text}": нет значений поля «{code}»')
            arrays[code] = _as_float_array(columns[code])
        if size is not None:
            shape: tuple[int, ...] = (size,)
        else:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        zero = np.zeros(shape, dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result, zero = _eval(self.tree, arrays, zero)
        values = np.array(np.broadcast_to(result, shape), dtype=float)
        zero_den = np.array(np.broadcast_to(zero, shape), dtype=bool)
        return values, zero_den

    def __str__(self) -> str:
        return self.text


def _as_float_array(value: object) -> np.ndarray:
    if value is None:
        return np.asarray(np.nan)
    to_numpy = getattr(value, "to_numpy", None)
    if to_numpy is not None:
        return to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(value, dtype=float)


def _eval(node: Node, arrays: dict[str, np.ndarray], zero: np.ndarray):
    if isinstance(node, Number):
        return np.asarray(node.value), zero
    if isinstance(node, Input):
        return arrays[node.code], zero
    if isinstance(node, Negate):
        value, zero = _eval(node.operand, arrays, zero)
        return -value, zero
    left, zero = _eval(node.left, arrays, zero)
    right, zero = _eval(node.right, arrays, zero)
    if node.op == "+":
        return left + right, zero
    if node.op == "-":
        return left - right, zero
    if node.op == "*":
        return left * right, zero
    divisor_zero = right == 0
    quotient = np.where(divisor_zero, np.nan, left / np.where(divisor_zero, 1.0, right))
    return quotient, zero | divisor_zero


# --- Formula parser ------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?P<number>\d+(?:\.\d+)?)|(?P<name>[a-z_][a-z0-9_]*)|(?P<op>[-+*/()])")


@dataclass(frozen=True)
class _Token:
    kind: str  # number | name | op | end
    text: str
    position: int  # 1-based, as officials count characters


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FormulaError(
                f'Формула "{text}": неожиданный символ «{text[pos]}» в позиции {pos + 1}'
            )
        kind = match.lastgroup
        # A number glued to letters ("2x") or a trailing dot ("1.") is a typo, not two tokens.
        end = match.end()
        if kind == "number" and end < len(text) and (text[end].isalnum() or text[end] in "._"):
            raise FormulaError(
                f'Формула "{text}": неожиданный символ «{text[end]}» в позиции {end + 1}'
            )
        tokens.append(_Token(kind, match.group(), pos + 1))
        pos = end
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def error(self, token: _Token) -> FormulaError:
        if token.kind == "end":
            return FormulaError(f'Формула "{self.text}": неожиданный конец формулы')
        return FormulaError(
            f'Формула "{self.text}": неожиданный символ «{token.text}» в позиции {token.position}'
        )

    def advance(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise FormulaError(f'Формула "{self.text}": формула пуста')
        node = self.expression()
        if self.current.kind != "end":
            raise self.error(self.current)
        return node

    def expression(self) -> Node:
        node = self.term()
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.advance().text
            node = BinaryOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.current.kind == "op" and self.current.text in "*/":
            op = self.advance().text
            node = BinaryOp(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.current.kind == "op" and self.current.text == "-":
            self.advance()
            with self.nested():
                return Negate(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(float(token.text))
        if token.kind == "name":
            self.advance()
            return Input(token.text)
        if token.kind == "op" and token.text == "(":
            self.advance()
            with self.nested():
                node = self.expression()
            if self.current.kind == "op" and self.current.text == ")":
                self.advance()
                return node
            if self.current.kind == "end":
                raise FormulaError(
                    f'Формула "{self.text}": не закрыта скобка «(» в позиции {token.position}'
                )
            raise self.error(self.current)
        raise self.error(token)

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FormulaError(f'Формула "{self.text}": слишком глубокая вложенность')
        try:
            yield
        finally:
            self.depth -= 1


def _inputs_of(node: Node) -> set[str]:
    if isinstance(node, Input):
        return {node.code}
    if isinstance(node, Negate):
        return _inputs_of(node.operand)
    if isinstance(node, BinaryOp):
        return _inputs_of(node.left) | _inputs_of(node.right)
    return set()


@lru_cache(maxsize=1024)
def parse_formula(text: str) -> Formula:
    """Parse an arithmetic formula over input codes; raise `FormulaError` with a Russian message."""
    text = (text or "").strip()
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"Формула длиннее {MAX_FORMULA_LENGTH} символов: «{text[:40]}…»")
    tree = _Parser(text).parse()
    return Formula(text=text, tree=tree, inputs=frozenset(_inputs_of(tree)))


# --- min_n, thresholds, levels, risk -------------------------------------------------------------

_MIN_N = re.compile(rf"^([a-z_][a-z0-9_]*)\s*>=\s*({_NUMBER})$")


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


@lru_cache(maxsize=1024)
def parse_min_n(text: str) -> tuple[str, int | float] | None:
    """`reserve_members>=1` → ("reserve_members", 1); empty → None."""
    text = (text or "").strip()
    if not text:
        return None
    match = _MIN_N.match(text)
    if match is None:
        raise FormulaError(
            f"Минимальная выборка «{text}»: ожидается «поле>=N», например «ege_participants>=5»"
        )
    return match.group(1), _number(match.group(2))


@dataclass(frozen=True)
class Threshold:
    """One threshold of a `thresholds` rule.

    kind: `number` (offset is the number), `positive` (`>0`: strictly greater than 0, whatever
    the direction), `median` or `ref` (offset is the signed K of `median+K`, `ref-K`).
    """

    kind: str
    offset: float = 0.0

    def __str__(self) -> str:
        if self.kind == "number":
            return f"{self.offset:g}"
        if self.kind == "positive":
            return ">0"
        if self.offset == 0:
            return self.kind
        sign = "+" if self.offset > 0 else "-"
        return f"{self.kind}{sign}{abs(self.offset):g}"


_THRESHOLD = re.compile(
    rf"^(?:(?P<number>{_SIGNED_NUMBER})|(?P<positive>>\s*0)"
    rf"|(?P<base>median|ref)(?:\s*(?P<sign>[+-])\s*(?P<k>{_NUMBER}))?)$"
)
_POINTS = re.compile(rf"^{_NUMBER}$")

_THRESHOLDS_HINT = (
    "ожидается «баллы:порог|баллы:порог», где порог — число, >0, median, median+K, median-K, "
    "ref, ref+K или ref-K"
)


def _parse_threshold(text: str) -> Threshold | None:
    match = _THRESHOLD.match(text.strip())
    if match is None:
        return None
    if match.group("number") is not None:
        return Threshold("number", float(match.group("number")))
    if match.group("positive") is not None:
        return Threshold("positive")
    k = float(match.group("k")) if match.group("k") else 0.0
    return Threshold(match.group("base"), -k if match.group("sign") == "-" else k)


def parse_thresholds(text: str) -> list[tuple[int | float, Threshold]]:
    """`2:72|1:16` → [(2, Threshold("number", 72)), (1, Threshold("number", 16))], in order."""
    return list(_parse_thresholds(text))


@lru_cache(maxsize=1024)
def _parse_thresholds(text: str) -> tuple[tuple[int | float, Threshold], ...]:
    text = (text or "").strip()
    if not text:
        raise FormulaError(f"Пороги не заданы: {_THRESHOLDS_HINT}")
    result = []
    for part in text.split("|"):
        points, sep, threshold_text = part.partition(":")
        threshold = _parse_threshold(threshold_text) if sep else None
        if not _POINTS.match(points.strip()) or threshold is None:
            raise FormulaError(
                f"Пороги «{text}»: не удалось разобрать «{part.strip()}» — {_THRESHOLDS_HINT}"
            )
        result.append((_number(points.strip()), threshold))
    return tuple(result)


def parse_levels(text: str) -> dict[int, int | float]:
    """`4:2|3:2|2:1|1:0|0:0` → {4: 2, 3: 2, 2: 1, 1: 0, 0: 0}."""
    return dict(_parse_levels(text))


@lru_cache(maxsize=1024)
def _parse_levels(text: str) -> tuple[tuple[int, int | float], ...]:
    text = (text or "").strip()
    if not text:
        raise FormulaError("Уровни не заданы: ожидается «уровень:баллы|уровень:баллы»")
    result: dict[int, int | float] = {}
    for part in text.split("|"):
        level, sep, points = (s.strip() for s in part.partition(":"))
        if not sep or not re.fullmatch(r"\d+", level) or not _POINTS.match(points):
            raise FormulaError(
                f"Уровни «{text}»: не удалось разобрать «{part.strip()}» — ожидается "
                "«уровень:баллы», например «4:2|3:2|2:1|1:0|0:0»"
            )
        if int(level) in result:
            raise FormulaError(f"Уровни «{text}»: уровень {level} указан дважды")
        result[int(level)] = _number(points)
    return tuple(result.items())


_RISK = re.compile(rf"^risk\s*:\s*(>=|<=|>|<|=)\s*({_SIGNED_NUMBER})$")
RISK_OPERATORS = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "=": np.equal,
}


@lru_cache(maxsize=1024)
def parse_risk(text: str) -> tuple[str, float] | None:
    """`risk:>=50` → (">=", 50.0); empty → None (an info indicator without a risk condition)."""
    text = (text or "").strip()
    if not text:
        return None
    match = _RISK.match(text)
    if match is None:
        raise FormulaError(
            f"Условие риска «{text}»: ожидается «risk:>=N» (операции >=, >, <=, <, =)"
        )
    return match.group(1), float(match.group(2))


# --- Catalogue validation ------------------------------------------------------------------------


def validate_catalogue(catalogue: Catalogue) -> list[str]:
    """Every problem of a methodology version, in Russian; an empty list means it can be saved."""
    errors: list[str] = []
    inputs = catalogue.inputs_by_code
    seen: set[str] = set()
    for ind in catalogue.indicators:
        if ind.code in seen:
            errors.append(f"{ind.code}: код показателя повторяется")
        seen.add(ind.code)
        errors.extend(f"{ind.code}: {message}" for message in _indicator_errors(ind, inputs))

    gated = [ind.code for ind in catalogue.indicators if ind.gate == GATE_OBJECTIVITY]
    if gated and OBJECTIVITY_INDICATOR not in seen:
        errors.append(
            f"{', '.join(gated)}: условие объективности требует показателя "
            f"{OBJECTIVITY_INDICATOR}, а его нет в методике"
        )

    wa, wb = catalogue.weight_a, catalogue.weight_b
    if wa is None or wb is None or wa < 0 or wb < 0 or abs(wa + wb - 1) > 1e-9:
        errors.append(
            f"Веса групп А ({wa}) и Б ({wb}) должны быть неотрицательными и в сумме равняться 1"
        )

    cutoffs = catalogue.cutoffs or {}
    values = [cutoffs.get(level) for level in LEVELS[:-1]]
    valid = all(isinstance(v, int | float) for v in values)
    if valid:
        high, optimal, acceptable = values
        valid = 100 >= high > optimal > acceptable >= 0
    if not valid:
        shown = " > ".join(str(v) for v in values)
        errors.append(
            "Пороги уровней должны строго убывать (высокий > оптимальный > допустимый) "
            f"и лежать в пределах 0–100; сейчас {shown}"
        )
    return errors


def _indicator_errors(ind, inputs: dict) -> list[str]:
    errors: list[str] = []
    if ind.subgroup not in SUBGROUPS:
        errors.append(f"неизвестная подгруппа «{ind.subgroup}» (допустимо: {', '.join(SUBGROUPS)})")
    if not ind.applies_to:
        errors.append("не указано, к каким типам организаций применяется показатель")
    for org_type in ind.applies_to:
        if org_type not in ORG_TYPES:
            errors.append(
                f"неизвестный тип организации «{org_type}» в applies_to "
                f"(допустимо: {', '.join(ORG_TYPES)})"
            )
    if ind.direction not in DIRECTIONS:
        errors.append(f"направление «{ind.direction}» должно быть higher или lower")
    if ind.gate not in ("", GATE_OBJECTIVITY):
        errors.append(f"неизвестное условие «{ind.gate}» (допустимо: пусто или objectivity)")

    try:
        formula = parse_formula(ind.formula)
    except FormulaError as exc:
        errors.append(str(exc))
    else:
        errors.extend(
            f"в формуле неизвестное поле «{code}»"
            for code in sorted(formula.inputs)
            if code not in inputs
        )

    try:
        min_n = parse_min_n(ind.min_n)
    except FormulaError as exc:
        errors.append(str(exc))
    else:
        if min_n is not None and min_n[0] not in inputs:
            errors.append(f"в минимальной выборке неизвестное поле «{min_n[0]}»")

    if ind.ref_input:
        if ind.ref_input not in inputs:
            errors.append(f"ref_input «{ind.ref_input}»: неизвестное поле")
        elif inputs[ind.ref_input].scope != "period":
            errors.append(
                f"ref_input «{ind.ref_input}» должно быть региональным значением "
                "(scope=period), а не полем организации"
            )

    if ind.if_zero_den is not None and not 0 <= ind.if_zero_den <= ind.max_points:
        errors.append(f"баллы при нулевом знаменателе ({ind.if_zero_den:g}) вне 0–{ind.max_points}")

    if ind.rule not in RULES:
        errors.append(f"неизвестное правило «{ind.rule}» (допустимо: {', '.join(RULES)})")
    else:
        errors.extend(_params_errors(ind))
    return errors


def _params_errors(ind) -> list[str]:
    errors: list[str] = []
    try:
        if ind.rule == "binary":
            if ind.params:
                errors.append(f"у правила binary не бывает параметров, а указано «{ind.params}»")
        elif ind.rule == "info":
            parse_risk(ind.params)
        elif ind.rule == "levels":
            points = parse_levels(ind.params).values()
            if any(p > ind.max_points for p in points):
                errors.append(f"уровни «{ind.params}»: баллы больше максимума {ind.max_points}")
        else:
            thresholds = parse_thresholds(ind.params)
            points = [p for p, _ in thresholds]
            if any(p > ind.max_points for p in points):
                errors.append(f"пороги «{ind.params}»: баллы больше максимума {ind.max_points}")
            if any(a <= b for a, b in zip(points, points[1:], strict=False)):
                errors.append(f"пороги «{ind.params}»: баллы должны идти строго по убыванию")
            if any(t.kind == "ref" for _, t in thresholds) and not ind.ref_input:
                errors.append("порог «ref» задан, но не указано поле ref_input")
    except FormulaError as exc:
        errors.append(str(exc))
    return errors


def inputs_for_type(catalogue: Catalogue, org_type: str) -> dict[str, str]:
    """The inputs that the indicators applying to `org_type` read, each with its first subgroup.

    Formula inputs, `min_n` inputs and `ref` inputs all count: without any of them the indicator
    is «нет данных».
    """
    found: dict[str, str] = {}
    for indicator in catalogue.indicators:
        if org_type not in indicator.applies_to:
            continue
        used = set(parse_formula(indicator.formula).inputs)
        min_n = parse_min_n(indicator.min_n)
        if min_n:
            used.add(min_n[0])
        if indicator.ref_input:
            used.add(indicator.ref_input)
        for code in sorted(used):
            found.setdefault(code, indicator.subgroup)
    return found
