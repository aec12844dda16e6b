"""The SVG charts of the dashboard, the indicator page, the dossier and the report.

Built from the builders' dataclasses with `zelenchuk_portal.charts`, so a page and its PDF show
the same picture.
"""

from django.utils.translation import gettext as _

from zelenchuk_portal.charts import Bar, ReferenceLine, Series, bar_chart, histogram, line_chart

from .catalogue import SUBGROUPS
from .profiles import SUBGROUP_NAMES
from .summaries import INDEX_EDGES


def level_bands(cutoffs: dict) -> list[tuple[float, float, str]]:
    return [
        (0, cutoffs["acceptable"], "critical"),
        (cutoffs["acceptable"], cutoffs["optimal"], "acceptable"),
        (cutoffs["optimal"], cutoffs["high"], "optimal"),
        (cutoffs["high"], 100, "high"),
    ]


def levels_chart(level_counts) -> str:
    bars = [Bar(label, count, level=code) for code, label, count in level_counts]
    return bar_chart(bars, title=_("Organisations by level"), decimals=0)


def distribution_chart(indexes, cutoffs, counted=None) -> str:
    """The index histogram, from the values or, for a large district, from `counted`: (counts
    per `summaries.INDEX_EDGES` bin, count outside)."""
    if counted is not None:
        counts, outside = counted
        return histogram(
            [],
            title=_("Distribution of the index"),
            bins=INDEX_EDGES,
            bands=level_bands(cutoffs),
            counts=counts,
            outside=outside,
        )
    return histogram(indexes, title=_("Distribution of the index"), bands=level_bands(cutoffs))


def trend_chart(trend) -> str:
    points = list(zip(trend.periods, trend.index, strict=True))
    series = [Series(_("District index"), points)]
    series += [
        Series(sg, list(zip(trend.periods, trend.subgroups[sg], strict=True)), dashed=True)
        for sg in SUBGROUPS
    ]
    return line_chart(series, title=_("District index and subgroups over the periods"), unit="%")


def indicator_chart(view) -> str:
    """A bar per organisation; for a large district, the distribution of the values."""
    if view.bins is not None:
        return histogram(
            [],
            title=f"{view.indicator.code} {view.indicator.name}",
            bins=view.edges,
            counts=view.bins,
        )
    bars = [Bar(v.name, v.value) for v in view.values]
    lines = []
    if view.median is not None:
        lines.append(ReferenceLine(view.median, _("district median")))
    if view.reference is not None:
        lines.append(ReferenceLine(view.reference, _("regional value")))
    return bar_chart(
        bars,
        title=f"{view.indicator.code} {view.indicator.name}",
        unit=view.indicator.unit,
        reference_lines=lines,
        decimals=2,
    )


def dossier_trend_chart(dossier) -> str:
    labels = [r.period.label for r in dossier.history]
    series = [
        Series(_("Index"), list(zip(labels, [r.index for r in dossier.history], strict=True)))
    ]
    for n, sg in enumerate(SUBGROUPS):
        values = [r.subgroups[n] for r in dossier.history]
        series.append(Series(sg, list(zip(labels, values, strict=True)), dashed=True))
    return line_chart(series, title=_("Index and subgroups over the periods"), unit="%")


def position_chart(dossier) -> str:
    """The organisation's subgroup scores with the median of its type as a reference mark."""
    bars = []
    for position in dossier.positions:
        note = ""
        if position.median is not None:
            note = _("median %s") % f"{position.median:.1f}".replace(".", ",")
        bars.append(
            Bar(f"{position.code} {SUBGROUP_NAMES[position.code]}", position.own, note=note)
        )
    return bar_chart(bars, title=_("Subgroup scores, %"), unit="%", max_value=100)


def subgroup_means_chart(results) -> str:
    bars = [Bar(f"{code} {name}", now) for code, name, now, _before in results.subgroups]
    return bar_chart(bars, title=_("District mean by subgroup, %"), unit="%", max_value=100)


def report_levels_chart(results) -> str:
    bars = [Bar(label, now, level=code) for code, label, now, _before in results.levels]
    return bar_chart(bars, title=_("Organisations by level"), decimals=0)
