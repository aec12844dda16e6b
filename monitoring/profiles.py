"""An organisation's monitoring for a period: every indicator, its inputs and their origin."""

from dataclasses import dataclass, field

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from zelenchuk_portal.models import Organization, Period

from .catalogue import LEVEL_LABELS, STATUS_VALUE, SUBGROUPS
from .explain import explain_rule
from .formulas import parse_formula, parse_min_n
from .methodology import version_for
from .models import Score, SelfReport, Source, Value
from .providers import derived_values
from .values import org_values, period_scope_values

SUBGROUP_NAMES = {
    "A1": "Профессиональная подготовка руководителя",
    "A2": "Кадровый резерв",
    "B1": "Базовая подготовка обучающихся и объективность",
    "B2": "Подготовка обучающихся на высоком уровне",
    "B3": "Обучающиеся с ОВЗ и инвалидностью",
    "B4": "Условия осуществления образовательной деятельности",
    "B5": "Профориентация и дополнительное образование",
}


def format_number(value, decimals: int = 2) -> str:
    if value is None:
        return ""
    value = float(value)
    if value.is_integer():
        return number_format(int(value))
    return number_format(round(value, decimals), decimal_pos=None)


@dataclass
class InputLine:
    code: str
    label: str
    value: str
    missing: bool
    provenance: str
    scope: str
    outlier: str = ""  # why the value is flagged for review, if it is


@dataclass
class IndicatorLine:
    code: str
    name: str
    unit: str
    value: str
    status: str
    points: str
    max_points: int
    gated: bool
    risk: bool
    rule: list[str]
    inputs: list[InputLine] = field(default_factory=list)

    @property
    def has_value(self) -> bool:
        return self.status == STATUS_VALUE


@dataclass
class SubgroupBlock:
    code: str
    name: str
    score: float | None
    indicators: list[IndicatorLine]


@dataclass
class OrgProfile:
    period: Period
    organization: Organization
    score: Score | None
    level_label: str
    blocks: list[SubgroupBlock]
    self_report: SelfReport | None
    missing_inputs: int


def provenance(value: Value | None, derived: bool = False) -> str:
    if derived:
        return _("computed by the portal")
    if value is None:
        return _("no data")
    when = date_format(value.updated_at, "SHORT_DATE_FORMAT")
    if value.source == Source.IMPORT and value.import_record_id:
        return _("import «%(file)s», sheet «%(sheet)s», row %(row)s, %(when)s") % {
            "file": value.import_record.file_name,
            "sheet": value.sheet,
            "row": value.row,
            "when": when,
        }
    if value.source == Source.PRINCIPAL:
        return _("head's self-report, accepted by %(who)s, %(when)s") % {
            "who": value.accepted_by.short_name if value.accepted_by else "—",
            "when": when,
        }
    text = _("entered by %(who)s, %(when)s") % {
        "who": value.entered_by.short_name if value.entered_by else "—",
        "when": when,
    }
    return f"{text}: {value.reason}" if value.reason else text


def build_org_profile(period: Period, organization: Organization) -> OrgProfile:
    """Everything the organisation's monitoring page shows, in a handful of queries."""
    catalogue = version_for(period).catalogue
    stored = org_values(period, organization)
    scope_values = period_scope_values(period)
    derived = derived_values(period, [organization]).get(organization.pk, {})
    score = (
        Score.objects.filter(period=period, organization=organization)
        .select_related("version")
        .first()
    )
    results = score.results if score else {}
    outliers = {o["input"]: o for o in score.outliers} if score else {}
    inputs = catalogue.inputs_by_code
    blocks: dict[str, list[IndicatorLine]] = {sg: [] for sg in SUBGROUPS}
    missing_inputs = set()
    for indicator in catalogue.indicators:
        if organization.org_type not in indicator.applies_to:
            continue
        value, status, points, gated, risk = results.get(
            indicator.code, [None, _("not scored yet"), None, False, False]
        )
        codes = sorted(parse_formula(indicator.formula).inputs)
        min_n = parse_min_n(indicator.min_n)
        if min_n and min_n[0] not in codes:
            codes.append(min_n[0])
        if indicator.ref_input:
            codes.append(indicator.ref_input)
        lines = []
        for code in codes:
            item = inputs[code]
            if item.scope == "period":
                raw, origin = scope_values.get(code), _("regional reference for the period")
            elif code in derived:
                raw, origin = derived[code], provenance(None, derived=True)
            else:
                stored_value = stored.get(code)
                raw = stored_value.value if stored_value else None
                origin = provenance(stored_value)
            if raw is None:
                missing_inputs.add(code)
            line = InputLine(code, item.label, format_number(raw), raw is None, origin, item.scope)
            if code in outliers:
                line.outlier = _(
                    "Unusual for its type of organisation (usually %(low)s–%(high)s): check it."
                ) % {
                    "low": format_number(outliers[code]["low"]),
                    "high": format_number(outliers[code]["high"]),
                }
            lines.append(line)
        blocks[indicator.subgroup].append(
            IndicatorLine(
                code=indicator.code,
                name=indicator.name,
                unit=indicator.unit,
                value=format_number(value),
                status=status,
                points="" if points is None else format_number(points),
                max_points=indicator.max_points,
                gated=gated,
                risk=risk,
                rule=explain_rule(indicator, catalogue),
                inputs=lines,
            )
        )
    return OrgProfile(
        period=period,
        organization=organization,
        score=score,
        level_label=LEVEL_LABELS.get(score.level, "") if score else "",
        blocks=[
            SubgroupBlock(sg, SUBGROUP_NAMES[sg], score.subgroup(sg) if score else None, lines)
            for sg, lines in blocks.items()
            if lines
        ],
        self_report=SelfReport.objects.filter(period=period, organization=organization).first(),
        missing_inputs=len(missing_inputs),
    )
