"""The district's methodology as plain, immutable data.

Scoring, validation and the Excel template work on these dataclasses only, so they stay pure and
testable without a database. The database keeps one copy per methodology version
(`monitoring.models.MethodologyVersion`), and `MethodologyVersion.catalogue()` turns it back into a
`Catalogue`. The CSV files beside this module are the district's catalogue as published; they are
read when the first version is created (a data migration) and by tests — never from `../shared`.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

CSV_DIR = Path(__file__).resolve().parent / "data"

ORG_TYPES = ("school", "kindergarten", "additional")
SUBGROUPS = ("A1", "A2", "B1", "B2", "B3", "B4", "B5")
GROUP_A = ("A1", "A2")
GROUP_B = ("B1", "B2", "B3", "B4", "B5")

# Level codes, from the highest; the cut-off of each is the minimum index that reaches it.
LEVELS = ("high", "optimal", "acceptable", "critical")
LEVEL_LABELS = {
    "high": "высокий",
    "optimal": "оптимальный",
    "acceptable": "допустимый",
    "critical": "критический",
}

# Indicator statuses, as they are written in exports and shown to users.
STATUS_VALUE = "значение"
STATUS_NOT_ASSESSED = "н/о"
STATUS_NOT_APPLICABLE = "н/п"
STATUS_NO_DATA = "нет данных"
STATUSES = (STATUS_VALUE, STATUS_NOT_ASSESSED, STATUS_NOT_APPLICABLE, STATUS_NO_DATA)


@dataclass(frozen=True)
class InputDef:
    """One input field of `inputs.csv`."""

    code: str
    label: str
    type: str  # int | decimal | percent | bool | level
    min: float | None
    max: float | None
    scope: str  # org | period
    source: str
    provided_by: str  # import | official | principal | derived

    @property
    def is_integer(self) -> bool:
        return self.type in ("int", "bool", "level")


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator of `indicators.csv`; the columns keep their CSV spelling."""

    code: str
    subgroup: str
    name: str
    formula: str
    unit: str
    direction: str  # higher | lower
    applies_to: tuple[str, ...]
    rule: str  # binary | levels | thresholds | info
    params: str
    ref_input: str
    min_n: str  # "" or "input>=N"
    if_zero_den: float | None
    critical: bool
    gate: str  # "" or "objectivity"
    sources: tuple[str, ...]

    @property
    def max_points(self) -> int:
        return 0 if self.rule == "info" else 2

    @property
    def group(self) -> str:
        return self.subgroup[0]


@dataclass(frozen=True)
class Catalogue:
    """A complete methodology: inputs, indicators, group weights and level cut-offs."""

    inputs: tuple[InputDef, ...]
    indicators: tuple[IndicatorDef, ...]
    weight_a: float = 0.3
    weight_b: float = 0.7
    cutoffs: dict = field(
        default_factory=lambda: {"high": 80.0, "optimal": 65.0, "acceptable": 50.0}
    )

    def input(self, code: str) -> InputDef:
        return self.inputs_by_code[code]

    @property
    def inputs_by_code(self) -> dict[str, InputDef]:
        return {i.code: i for i in self.inputs}

    @property
    def indicators_by_code(self) -> dict[str, IndicatorDef]:
        return {i.code: i for i in self.indicators}

    def org_inputs(self) -> list[InputDef]:
        return [i for i in self.inputs if i.scope == "org"]

    def period_inputs(self) -> list[InputDef]:
        return [i for i in self.inputs if i.scope == "period"]

    def level_for(self, index: float | None) -> str | None:
        """The level code for an index, by this catalogue's cut-offs."""
        if index is None:
            return None
        for level in LEVELS[:-1]:
            if index >= self.cutoffs[level]:
                return level
        return "critical"


def _number(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def input_from_row(row: dict) -> InputDef:
    return InputDef(
        code=row["code"].strip(),
        label=row["label_ru"].strip(),
        type=row["type"].strip(),
        min=_number(row["min"]),
        max=_number(row["max"]),
        scope=row["scope"].strip(),
        source=row["source"].strip(),
        provided_by=row["provided_by"].strip(),
    )


def indicator_from_row(row: dict) -> IndicatorDef:
    return IndicatorDef(
        code=row["code"].strip(),
        subgroup=row["subgroup"].strip(),
        name=row["name_ru"].strip(),
        formula=row["formula"].strip(),
        unit=row["unit"].strip(),
        direction=row["direction"].strip(),
        applies_to=_split(row["applies_to"]),
        rule=row["rule"].strip(),
        params=(row["params"] or "").strip(),
        ref_input=(row["ref_input"] or "").strip(),
        min_n=(row["min_n"] or "").strip(),
        if_zero_den=_number(row["if_zero_den"]),
        critical=(row["critical"] or "").strip() == "yes",
        gate=(row["gate"] or "").strip(),
        sources=_split(row["sources"]),
    )


def read_csv_rows(name: str) -> list[dict]:
    with open(CSV_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def default_catalogue() -> Catalogue:
    """The district's published catalogue (the CSV files shipped with the project)."""
    return Catalogue(
        inputs=tuple(input_from_row(r) for r in read_csv_rows("inputs.csv")),
        indicators=tuple(indicator_from_row(r) for r in read_csv_rows("indicators.csv")),
    )


# Rows for the database tables of a methodology version (field names as in monitoring.models).
def input_rows(catalogue: Catalogue) -> list[dict]:
    return [
        {
            "position": n,
            "code": i.code,
            "label": i.label,
            "type": i.type,
            "min_value": i.min,
            "max_value": i.max,
            "scope": i.scope,
            "source": i.source,
            "provided_by": i.provided_by,
        }
        for n, i in enumerate(catalogue.inputs)
    ]


def indicator_rows(catalogue: Catalogue) -> list[dict]:
    return [
        {
            "position": n,
            "code": i.code,
            "subgroup": i.subgroup,
            "name": i.name,
            "formula": i.formula,
            "unit": i.unit,
            "direction": i.direction,
            "applies_to": ",".join(i.applies_to),
            "rule": i.rule,
            "params": i.params,
            "ref_input": i.ref_input,
            "min_n": i.min_n,
            "if_zero_den": i.if_zero_den,
            "critical": i.critical,
            "gate": i.gate,
            "sources": ",".join(i.sources),
        }
        for n, i in enumerate(catalogue.indicators)
    ]
