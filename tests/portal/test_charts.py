"""Server-side SVG charts: complete, escaped, readable without colour, and scaling with the data."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils.safestring import SafeString

from zelenchuk_portal.charts import (
    LEVEL_STYLES,
    NO_DATA,
    THOUSANDS_SEP,
    Bar,
    ReferenceLine,
    Series,
    bar_chart,
    format_number,
    heat_colour,
    heat_map,
    histogram,
    level_fill,
    level_legend,
    level_pattern_defs,
    line_chart,
    text_width,
    wrap_text,
)

NS = "{http://www.w3.org/2000/svg}"
LEVELS = {
    "high": "высокий",
    "optimal": "оптимальный",
    "acceptable": "допустимый",
    "critical": "критический",
}


def parse(svg: str) -> ET.Element:
    """The chart as XML: fails the test if it is not well-formed."""
    return ET.fromstring(str(svg))


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{NS}text")]


def tooltips(root: ET.Element) -> list[str]:
    return [node.text or "" for node in root.iter(f"{NS}title")]


def assert_complete_svg(svg, title):
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root[0].tag == f"{NS}title" and root[0].text == title
    # Self-contained: no scripts, no event handlers, nothing fetched from elsewhere.
    assert root.find(f".//{NS}script") is None
    assert " on" not in re.sub(r'"[^"]*"', '""', str(svg))  # no onclick=… attributes
    assert "http" not in str(svg).replace('xmlns="http://www.w3.org/2000/svg"', "")
    # The page's font comes from portal.css (svg.zp-chart): an inline <style> breaks the CSP.
    assert "zp-chart" in root.get("class").split()
    assert root.find(f".//{NS}style") is None
    return root


def view_height(root):
    return int(root.get("viewBox").split()[3])


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (62.5, 1, "62,5"),
        (62.25, 1, "62,3"),  # half up, as by hand
        (62, 1, "62,0"),
        (1234, 0, f"1{THOUSANDS_SEP}234"),
        (1234567.891, 1, f"1{THOUSANDS_SEP}234{THOUSANDS_SEP}567,9"),
        (Decimal("0.05"), 1, "0,1"),
        (-0.04, 1, "0,0"),  # never «-0,0»
        (-5, 1, "-5,0"),
        (None, 1, NO_DATA),
        (float("nan"), 1, NO_DATA),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_thousands_separator_is_a_thin_space_that_does_not_break():
    assert THOUSANDS_SEP == "\u202f"  # NARROW NO-BREAK SPACE


def test_level_styles_are_the_four_levels_with_russian_names():
    assert {code: style.label for code, style in LEVEL_STYLES.items()} == LEVELS


# --- text fitting --------------------------------------------------------------------------------


def test_wrap_keeps_short_text_and_cuts_long_text_with_an_ellipsis():
    assert wrap_text("Школа", 200) == (["Школа"], False)
    long = "Муниципальное казённое общеобразовательное учреждение «Средняя школа № 1» " * 3
    lines, cut = wrap_text(long, 200, max_lines=2)
    assert len(lines) == 2 and cut and lines[-1].endswith("…")
    assert all(text_width(line) <= 200 for line in lines)


def test_wrap_can_hyphenate_a_word_wider_than_the_line():
    lines, cut = wrap_text("образовательными", 60, 11, max_lines=3, break_words=True)
    assert not cut and len(lines) > 1 and lines[0].endswith("-")
    assert "".join(line.rstrip("-") for line in lines) == "образовательными"


# --- bar chart -----------------------------------------------------------------------------------


def test_bar_chart_prints_every_value_and_says_when_there_is_none():
    bars = [
        Bar("МКОУ «СОШ № 1»", 62.5, "optimal"),
        Bar("МКОУ «СОШ № 2»", 1234.0),
        Bar("МКОУ «ООШ а. Кызыл-Уруп»", None),
    ]
    root = assert_complete_svg(bar_chart(bars, title="Индекс", unit="%", max_value=2000), "Индекс")
    shown = texts(root)
    assert "62,5\u00a0%" in shown
    assert f"1{THOUSANDS_SEP}234,0\u00a0%" in shown
    assert NO_DATA in shown
    assert {"МКОУ «СОШ № 1»", "МКОУ «СОШ № 2»", "МКОУ «ООШ а. Кызыл-Уруп»"} <= set(shown)


def test_bar_chart_levels_have_patterns_and_named_legend():
    bars = [Bar(f"Школа {code}", 50.0, code) for code in LEVELS]
    svg = bar_chart(bars, title="Уровни")
    root = assert_complete_svg(svg, "Уровни")
    pattern_ids = {p.get("id") for p in root.iter(f"{NS}pattern")}
    assert len(pattern_ids) == 4
    fills = {rect.get("fill") for rect in root.iter(f"{NS}rect")}
    for code in ("optimal", "acceptable", "critical"):
        assert any(pid.endswith(f"-{code}") for pid in pattern_ids)
        assert any(f and f.startswith("url(#") and f.endswith(f"-{code})") for f in fills)
    assert LEVEL_STYLES["high"].colour in fills  # solid dark green
    assert set(LEVELS.values()) <= set(texts(root))


def test_legend_names_only_the_levels_present():
    root = parse(bar_chart([Bar("А", 90, "high"), Bar("Б", 30, "critical")], title="t"))
    shown = set(texts(root))
    assert {"высокий", "критический"} <= shown
    assert not {"оптимальный", "допустимый"} & shown


def test_bar_chart_keeps_the_callers_order():
    labels = ["Третья", "Первая", "Вторая"]
    root = parse(bar_chart([Bar(label, i) for i, label in enumerate(labels)], title="t"))
    shown = [t for t in texts(root) if t in labels]
    assert shown == labels


def test_long_labels_are_shortened_with_the_full_name_in_a_tooltip():
    name = (
        "Муниципальное казённое общеобразовательное учреждение «Средняя общеобразовательная "
        "школа № 1 ст. Зеленчукской имени В. В. Бреславцева»"
    )
    root = parse(bar_chart([Bar(name, 70.0)], title="t"))
    assert name not in texts(root)
    assert any(t.endswith("…") for t in texts(root))
    assert any(tip.startswith(name) for tip in tooltips(root))


def test_highlighted_bar_is_outlined_and_bold():
    root = parse(
        bar_chart([Bar("Моя школа", 70.0, highlight=True), Bar("Другая", 60.0)], title="t")
    )
    outlined = [r for r in root.iter(f"{NS}rect") if r.get("stroke") == "#111"]
    assert len(outlined) == 1
    bold = [t for t in root.iter(f"{NS}text") if t.get("font-weight") == "bold"]
    assert "Моя школа" in ["".join(t.itertext()) for t in bold]


def test_reference_lines_are_drawn_and_labelled():
    svg = bar_chart(
        [Bar("А", 40.0), Bar("Б", 80.0)],
        title="t",
        unit="%",
        reference_lines=[ReferenceLine(62.5, "Медиана по району"), ReferenceLine(70, "КЧР", False)],
    )
    root = parse(svg)
    assert "Медиана по району: 62,5\u00a0%" in texts(root)
    assert "КЧР: 70,0\u00a0%" in texts(root)
    lines = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke") == "#222"]
    assert len(lines) == 2
    assert sum(1 for ln in lines if ln.get("stroke-dasharray")) == 1  # dashed=False is solid


def test_text_is_escaped():
    evil = '<script>alert("x")</script> & «кавычки»'
    svg = bar_chart([Bar(evil, 1.0, note=evil)], title=evil, unit="<b>")
    assert "<script>" not in svg and "<b>" not in svg
    root = assert_complete_svg(svg, evil)
    assert any(evil in tip for tip in tooltips(root))


def test_height_grows_with_bars_and_many_bars_render():
    few = parse(bar_chart([Bar(f"Школа {i}", i) for i in range(5)], title="t"))
    forty = parse(bar_chart([Bar(f"Школа {i}", i) for i in range(40)], title="t"))
    assert view_height(forty) > view_height(few) + 30 * 18
    many = bar_chart([Bar(f"Организация № {i}", i / 5) for i in range(500)], title="t")
    root = parse(many)
    assert sum(1 for t in texts(root) if t.startswith("Организация № ")) == 500


def test_values_above_max_value_are_drawn_to_the_edge_and_printed_in_full():
    root = parse(bar_chart([Bar("А", 150.0)], title="t", max_value=100))
    assert "150,0" in texts(root)


def test_empty_bar_chart_still_renders():
    assert_complete_svg(bar_chart([], title="Пусто"), "Пусто")


# --- histogram -----------------------------------------------------------------------------------


def test_histogram_counts_per_bin_with_the_last_edge_included():
    values = [5, 15, 15, 49.9, 50, 100, 100, None, 120]
    svg = histogram(
        values,
        title="Распределение",
        bands=[(0, 50, "critical"), (50, 65, "acceptable"), (65, 80, "optimal"), (80, 100, "high")],
    )
    root = assert_complete_svg(svg, "Распределение")
    tips = tooltips(root)
    assert "[0; 10): 1" in tips
    assert "[10; 20): 2" in tips
    assert "[40; 50): 1" in tips
    assert "[50; 60): 1" in tips
    assert "[90; 100]: 2" in tips
    shown = texts(root)
    assert set(LEVELS.values()) <= set(shown)
    assert any("вне шкалы: 1" in t and "нет данных: 1" in t for t in shown)
    assert len({p.get("id") for p in root.iter(f"{NS}pattern")}) == 4


# --- line chart ----------------------------------------------------------------------------------


def test_line_chart_prints_values_leaves_gaps_and_tells_series_apart():
    svg = line_chart(
        [
            Series(
                "МКОУ «СОШ № 1»",
                [
                    ("2021/2022", 55.0),
                    ("2022/2023", None),
                    ("2023/2024", 70.5),
                    ("2024/2025", 72.0),
                ],
            ),
            Series(
                "Медиана по району",
                [
                    ("2021/2022", 60.0),
                    ("2022/2023", 61.0),
                    ("2023/2024", 62.5),
                    ("2024/2025", 63.0),
                ],
                dashed=True,
            ),
        ],
        title="Динамика",
        unit="%",
    )
    root = assert_complete_svg(svg, "Динамика")
    shown = texts(root)
    for value in ("55,0", "70,5", "72,0", "60,0", "61,0", "62,5", "63,0"):
        assert value in shown
    assert {"2021/2022", "2022/2023", "2023/2024", "2024/2025"} <= set(shown)
    assert {"МКОУ «СОШ № 1»", "Медиана по району"} <= set(shown)  # legend
    polylines = list(root.iter(f"{NS}polyline"))
    school = [p for p in polylines if not p.get("stroke-dasharray")]
    median = [p for p in polylines if p.get("stroke-dasharray")]
    assert len(median) == 1 and len(median[0].get("points").split()) == 4
    # The gap: 2021/22 stands alone, 2023/24 → 2024/25 is the only segment.
    assert len(school) == 1 and len(school[0].get("points").split()) == 2
    # Markers differ in shape, not only colour: circles for one, squares for the other.
    assert root.find(f".//{NS}circle") is not None
    assert any(r.get("height") and float(r.get("height")) < 10 for r in root.iter(f"{NS}rect"))


# --- heat map ------------------------------------------------------------------------------------


def test_heat_map_shows_numbers_dashes_and_escaped_links():
    svg = heat_map(
        ["МКОУ «СОШ № 1»", "МКОУ «Гимназия № 2»"],
        ["Результаты", "Ресурсы"],
        [[62.5, None], [0, 100]],
        title="Тепловая карта",
        row_links=["/monitoring/org/1/?a=1&b=<2>", "javascript:alert(1)"],
    )
    root = assert_complete_svg(svg, "Тепловая карта")
    shown = texts(root)
    for value in ("62,5", "—", "0,0", "100,0"):
        assert value in shown
    links = [a.get("href") for a in root.iter(f"{NS}a")]
    assert links == ["/monitoring/org/1/?a=1&b=<2>"]  # parsed back from the escaped attribute
    assert "&amp;b=&lt;2&gt;" in svg
    assert "javascript:" not in svg
    fills = {r.get("fill") for r in root.iter(f"{NS}rect")}
    assert heat_colour(0) in fills and heat_colour(100) in fills and heat_colour(62.5) in fills


def test_heat_colour_runs_red_amber_green():
    red, amber, green = (heat_colour(v) for v in (0, 50, 100))
    assert int(red[1:3], 16) > int(red[3:5], 16)  # more red than green
    assert int(green[3:5], 16) > int(green[1:3], 16)  # more green than red
    assert amber not in (red, green)
    assert heat_colour(-10) == red and heat_colour(140) == green


def test_heat_map_scales_to_forty_rows_and_many_columns():
    rows = [f"Организация № {i}" for i in range(40)]
    columns = [f"Подгруппа {j}" for j in range(12)]
    cells = [[(i * j) % 100 for j in range(12)] for i in range(40)]
    root = parse(heat_map(rows, columns, cells, title="t"))
    cell_texts = [t for t in texts(root) if re.fullmatch(r"\d+,\d", t)]
    assert len(cell_texts) >= 40 * 12


# --- legends for callers -------------------------------------------------------------------------


def test_level_pattern_defs_for_callers():
    defs = level_pattern_defs()
    root = parse(f'<svg xmlns="http://www.w3.org/2000/svg">{defs}</svg>')
    ids = {p.get("id") for p in root.iter(f"{NS}pattern")}
    assert ids == {f"zp-level-{code}" for code in LEVELS}
    assert level_fill("critical") == "url(#zp-level-critical)"
    assert level_fill(None).startswith("#")


def test_level_legend():
    root = assert_complete_svg(level_legend(), "Уровни")
    assert set(LEVELS.values()) <= set(texts(root))


def test_each_chart_has_its_own_pattern_ids():
    one, two = (bar_chart([Bar("А", 1, "critical")], title="t") for _ in range(2))
    ids_one = {p.get("id") for p in parse(one).iter(f"{NS}pattern")}
    ids_two = {p.get("id") for p in parse(two).iter(f"{NS}pattern")}
    assert not ids_one & ids_two


def test_wrap_never_breaks_a_number_from_its_unit():
    lines, _ = wrap_text("Медиана по району: 62,5\u00a0%", 120, 11, max_lines=3)
    assert lines[-1].endswith("62,5\u00a0%")


def test_columns_show_values_labels_and_no_data():
    bars = [
        Bar("2021/2022", 55.0, "acceptable"),
        Bar("2022/2023", None),
        Bar("2023/2024", 70.5, "optimal", highlight=True),
    ]
    svg = bar_chart(
        bars,
        title="По годам",
        unit="%",
        horizontal=False,
        reference_lines=[ReferenceLine(62.5, "Медиана по району")],
    )
    root = assert_complete_svg(svg, "По годам")
    shown = texts(root)
    assert {"55,0\u00a0%", "70,5\u00a0%", NO_DATA, "2021/2022", "2023/2024"} <= set(shown)
    assert any("62,5\u00a0%" in t for t in shown)
    assert [r for r in root.iter(f"{NS}rect") if r.get("stroke") == "#111"]
