"""The consistency rules of SCORING.md («Consistency rules»), as data, and their checks.

Every rule reads `left ≤ right₁ + right₂ + …`. A chain `a ≤ b ≤ c` in SCORING.md stands for its
adjacent pairs (`a ≤ b`, `b ≤ c`). A rule is checked only for an organisation that has every input
of the rule: a missing value is «нет данных», never 0.

`check_consistency` works on a whole table at once (pandas, vectorised per rule) and is what the
Excel import uses; `check_consistency_one` is for a web form that edits one organisation. Both use
the same rule list, the same comparison and the same messages (the second one calls the first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

# Values are compared with this tolerance, so that sums of decimals (staff rates) that are equal
# on paper are not rejected because of binary floating point.
TOLERANCE = 1e-9

# The rules as SCORING.md writes them, in the order of its table (left column, then right).
RULE_TEXTS: tuple[str, ...] = (
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

LABEL_LIMIT = 60  # longer labels are shortened with «…» in messages


@dataclass(frozen=True)
class Rule:
    """`left ≤ sum(right)`."""

    left: str
    right: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.left, *self.right)

    @property
    def text(self) -> str:
        return f"{self.left} ≤ {' + '.join(self.right)}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Violation:
    """One organisation breaking one rule."""

    org_code: str
    rule: Rule
    left_value: float
    right_values: tuple[float, ...]  # one per code of `rule.right`
    message: str

    @property
    def left(self) -> str:
        return self.rule.left

    @property
    def right(self) -> tuple[str, ...]:
        return self.rule.right

    @property
    def right_value(self) -> float:
        return float(sum(self.right_values))


def parse_rule(text: str) -> list[Rule]:
    """`"a ≤ b + c"` → one rule; a chain `"a ≤ b ≤ c"` → its adjacent pairs."""
    parts = [part.strip() for part in text.replace("<=", "≤").split("≤")]
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"Not a consistency rule: {text!r}")
    sides = [tuple(code.strip() for code in part.split("+")) for part in parts]
    rules = []
    for left, right in zip(sides, sides[1:], strict=False):
        if len(left) != 1 or not all(right):
            raise ValueError(f"Not a consistency rule: {text!r}")
        rules.append(Rule(left=left[0], right=right))
    return rules


def parse_rules(texts: Iterable[str]) -> tuple[Rule, ...]:
    return tuple(rule for text in texts for rule in parse_rule(text))


RULES: tuple[Rule, ...] = parse_rules(RULE_TEXTS)


@lru_cache(maxsize=1)
def _default_labels() -> dict[str, str]:
    from monitoring.catalogue import default_catalogue

    return {i.code: i.label for i in default_catalogue().inputs}


def labels_of(catalogue=None) -> dict[str, str]:
    """Input labels by code, from `catalogue` (a `Catalogue`) or the published one."""
    if catalogue is None:
        return _default_labels()
    return {i.code: i.label for i in catalogue.inputs}


def short_label(label: str, limit: int = LABEL_LIMIT) -> str:
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def format_number(value: float) -> str:
    """30.0 → «30», 78.5 → «78,5» (Russian decimal comma)."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}".replace(".", ",")


def violation_message(
    rule: Rule, left_value: float, right_values: Iterable[float], labels: Mapping[str, str]
) -> str:
    """«Нарушено условие a ≤ b: «A» = 30, «B» = 25» (a sum names each term and the total)."""
    right_values = tuple(right_values)

    def name(code: str) -> str:
        return f"«{short_label(labels.get(code, code))}»"

    left_part = f"{name(rule.left)} = {format_number(left_value)}"
    if len(rule.right) == 1:
        right_part = f"{name(rule.right[0])} = {format_number(right_values[0])}"
    else:
        names = " + ".join(name(code) for code in rule.right)
        terms = " + ".join(format_number(v) for v in right_values)
        right_part = f"{names} = {terms} = {format_number(sum(right_values))}"
    return f"Нарушено условие {rule.text}: {left_part}, {right_part}"


def check_consistency(
    values: pd.DataFrame, catalogue=None, rules: Iterable[Rule] = RULES
) -> list[Violation]:
    """All violations in `values` (index: org code; columns: input codes; NaN: missing).

    A rule whose inputs are not all columns of `values` is skipped; for the others, each row that
    has all the rule's inputs and `left > sum(right)` is a violation. The result is ordered by the
    rows of `values`, then by the rule order.
    """
    labels = {code: short_label(label) for code, label in labels_of(catalogue).items()}
    rules = tuple(rules)
    if values.empty:
        return []
    found: list[tuple[int, int, Violation]] = []
    org_codes = values.index
    for rule_pos, rule in enumerate(rules):
        if not all(code in values.columns for code in rule.codes):
            continue
        left = values[rule.left].to_numpy(dtype=float)
        right = values[list(rule.right)].to_numpy(dtype=float)
        total = right.sum(axis=1)  # NaN if any term is missing
        with np.errstate(invalid="ignore"):
            broken = left > total + TOLERANCE  # False wherever a value is missing
        for row in np.flatnonzero(broken):
            right_values = tuple(float(v) for v in right[row])
            found.append(
                (
                    int(row),
                    rule_pos,
                    Violation(
                        org_code=str(org_codes[row]),
                        rule=rule,
                        left_value=float(left[row]),
                        right_values=right_values,
                        message=violation_message(rule, left[row], right_values, labels),
                    ),
                )
            )
    found.sort(key=lambda item: (item[0], item[1]))
    return [violation for _, _, violation in found]


def _number_or_nan(value) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.nan
    return float(value)


def check_consistency_one(
    values: Mapping[str, float | None], catalogue=None, rules: Iterable[Rule] = RULES
) -> list[tuple[str, tuple[str, ...], str]]:
    """The violations for one organisation's values (code → number or None), for a web form.

    Returns `(left_code, right_codes, message)` per broken rule, in rule order.
    """
    row = {code: _number_or_nan(value) for code, value in values.items()}
    frame = pd.DataFrame([row], index=pd.Index([""]), dtype=float)
    return [(v.left, v.right, v.message) for v in check_consistency(frame, catalogue, rules)]
