"""The scoring rule of an indicator in plain words, for the catalogue page and the dossier."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .catalogue import Catalogue, IndicatorDef
from .formulas import FormulaError, parse_levels, parse_min_n, parse_risk, parse_thresholds

SOURCE_LABELS = {
    "personnel": "кадровые данные",
    "regional": "региональная диагностика",
    "portal": "данные портала",
    "self_report": "самоотчёт руководителя",
    "oo1": "ФСН ОО-1",
    "oo2": "ФСН ОО-2",
    "gia": "результаты ГИА",
    "vpr": "результаты ВПР",
    "municipal": "муниципальные данные",
}

TYPE_LABELS = {
    "school": "школы",
    "kindergarten": "детские сады",
    "additional": "ОДО",
}


def _points(n) -> str:
    n = int(n) if float(n).is_integer() else n
    return ngettext("%(n)s point", "%(n)s points", n) % {"n": n}


def _signed(offset: float) -> str:
    if not offset:
        return ""
    return f" {'+' if offset > 0 else '−'} {abs(offset):g}"


def _threshold_text(threshold, indicator: IndicatorDef, catalogue: Catalogue) -> str:
    if threshold.kind == "positive":
        return _("above 0")
    comparison = "≥" if indicator.direction == "higher" else "≤"
    if threshold.kind == "number":
        return f"{comparison} {threshold.offset:g}"
    if threshold.kind == "median":
        return _("%(cmp)s the district median for this type%(k)s") % {
            "cmp": comparison,
            "k": _signed(threshold.offset),
        }
    ref = catalogue.inputs_by_code.get(indicator.ref_input)
    return _("%(cmp)s the regional value%(k)s (%(label)s)") % {
        "cmp": comparison,
        "k": _signed(threshold.offset),
        "label": ref.label if ref else indicator.ref_input,
    }


def explain_rule(indicator: IndicatorDef, catalogue: Catalogue) -> list[str]:
    """Sentences that say how the indicator is scored, in the user's language."""
    try:
        return _explain(indicator, catalogue)
    except FormulaError as error:
        return [str(error)]


def _explain(indicator: IndicatorDef, catalogue: Catalogue) -> list[str]:
    lines = []
    if indicator.rule == "binary":
        lines.append(_("«yes» (1) gives 2 points, «no» (0) gives 0."))
    elif indicator.rule == "levels":
        pairs = sorted(parse_levels(indicator.params).items(), reverse=True)
        lines.append(
            _("By level: %s.")
            % "; ".join(f"{level} → {_points(points)}" for level, points in pairs)
        )
    elif indicator.rule == "thresholds":
        parts = [
            _("%(points)s if the value is %(threshold)s")
            % {"points": _points(points), "threshold": _threshold_text(t, indicator, catalogue)}
            for points, t in parse_thresholds(indicator.params)
        ]
        lines.append("; ".join(parts) + "; " + _("otherwise 0."))
    else:
        lines.append(_("For information: no points, shown next to the others."))
        risk = parse_risk(indicator.params)
        if risk:
            lines.append(
                _("Risk flag when the value is %(op)s %(n)g.") % {"op": risk[0], "n": risk[1]}
            )
    min_n = parse_min_n(indicator.min_n)
    if min_n:
        label = catalogue.inputs_by_code.get(min_n[0])
        lines.append(
            _("Not assessed (н/о) when «%(label)s» is below %(n)g: the sample is too small.")
            % {"label": label.label if label else min_n[0], "n": min_n[1]}
        )
    if indicator.if_zero_den is not None:
        lines.append(_("When there is nothing to divide by: %s.") % _points(indicator.if_zero_den))
    if indicator.gate:
        lines.append(_("0 points when the objectivity of results is not confirmed (B1.7 = 0)."))
    if indicator.critical:
        lines.append(_("Critical indicator: 0 points raises a risk flag."))
    return lines


def applies_to_text(indicator: IndicatorDef) -> str:
    return ", ".join(TYPE_LABELS.get(t, t) for t in indicator.applies_to)


def sources_text(indicator: IndicatorDef) -> str:
    return ", ".join(SOURCE_LABELS.get(s, s) for s in indicator.sources)
