"""Charts as server-side SVG: the same picture on a page and in a WeasyPrint PDF.

WeasyPrint runs no JavaScript, so a chart that must appear in both places is drawn here, as a
complete ``<svg>`` string. Every function is pure (no ORM, request or settings) and returns a
``SafeString``; every piece of text that goes in is escaped.

Readable without colour: each bar, column, point and cell carries its number as text, and the four
effectiveness levels are told apart by patterns (solid, hatch, dots, cross-hatch) and by their
Russian names in the legends, not by colour alone.

Sizes are in viewBox units: the charts are ``VIEW_WIDTH`` = 640 units wide, which is almost exactly
the 170 mm text width of the A4 PDF, so 12 units print as about 9 pt. On a page the SVG takes
``width="100%"`` and scales with the column (tablets included).

Fonts: on screen the chart inherits the page's font (the ``svg.zp-chart`` rule of
``static/css/portal.css``, which PDFs do not load: an inline ``<style>`` would break the pages'
Content-Security-Policy); in the PDF it keeps the ``font-family`` attribute, Liberation Sans,
which ``templates/pdf/base.html`` ships.
"""

from __future__ import annotations

import functools
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

VIEW_WIDTH = 640
PAD = 8
FONT_SIZE = 12
SMALL_SIZE = 11
TITLE_SIZE = 13.5
LINE_HEIGHT = 14
FONT_FAMILY = "'Liberation Sans', Arial, Helvetica, sans-serif"

NO_DATA = "нет данных"
DASH = "—"
# Narrow no-break space (U+202F): the thin space Russian typography puts between thousands, and
# one that never lets a number break across two lines of a table cell.
THOUSANDS_SEP = "\u202f"
NBSP = "\u00a0"

TEXT = "#212529"
MUTED = "#5c636a"
GRID = "#d9dde1"
AXIS = "#6c757d"
ACCENT = "#1f5f8b"  # the portal's accent (static/css/portal.css)
HIGHLIGHT = "#fff3c4"


@dataclass(frozen=True)
class LevelStyle:
    label: str  # Russian name shown in legends
    colour: str  # the main colour (same as .level-* in portal.css)
    background: str  # what the pattern's marks are drawn on
    marks: str  # SVG content of an 8×8 pattern tile, drawn over `background`


# Own copy of the level vocabulary: zelenchuk_portal must not import monitoring.
LEVEL_STYLES: dict[str, LevelStyle] = {
    "high": LevelStyle("высокий", "#1b7f4c", "#1b7f4c", ""),
    "optimal": LevelStyle(
        "оптимальный",
        "#5aa469",
        "#d9efdc",
        '<path d="M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6" stroke="#2f7d43" stroke-width="2"/>',
    ),
    "acceptable": LevelStyle(
        "допустимый",
        "#e0a800",
        "#fff1c7",
        '<circle cx="2" cy="2" r="1.6" fill="#a87a00"/>'
        '<circle cx="6" cy="6" r="1.6" fill="#a87a00"/>',
    ),
    "critical": LevelStyle(
        "критический",
        "#c0392b",
        "#f9dcd8",
        '<path d="M0,0 L8,8 M8,0 L0,8 M-1,7 L1,9 M7,-1 L9,1 M-1,1 L1,-1 M7,9 L9,7" '
        'stroke="#b0302a" stroke-width="1.3"/>',
    ),
}
LEVEL_CODES = tuple(LEVEL_STYLES)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    level: str | None = None
    highlight: bool = False
    note: str = ""


@dataclass(frozen=True)
class ReferenceLine:
    value: float
    label: str
    dashed: bool = True


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[str, float | None]]
    dashed: bool = False


# --- numbers -------------------------------------------------------------------------------------


def format_number(value, decimals: int = 1) -> str:
    """A number the Russian way: «62,5», «1 234» (narrow no-break space), «нет данных» for None.

    Rounds half up (62,25 → «62,3»), as people round by hand, not half to even. Always shows
    exactly `decimals` digits after the comma; pass ``decimals=0`` for counts.
    """
    if value is None or isinstance(value, bool):
        return NO_DATA
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    except (TypeError, ValueError, InvalidOperation):
        return NO_DATA
    if not number.is_finite():
        return NO_DATA
    decimals = max(0, int(decimals))
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never «-0,0»
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", THOUSANDS_SEP).replace(".", ",")


def _with_unit(text: str, unit: str) -> str:
    return f"{text}{NBSP}{unit}" if unit and text != NO_DATA else text


def _f(x: float) -> str:
    """A coordinate, short: 12.5 → «12.5», 12.0 → «12»."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x % 1 else str(int(x))


def _is_number(value) -> bool:
    return (
        value is not None
        and not isinstance(value, bool)
        and isinstance(value, int | float | Decimal)
        and math.isfinite(float(value))
    )


def _nice_step(span: float, target: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _ticks(low: float, high: float, target: int = 5) -> tuple[list[float], int]:
    """Round tick values between low and high, and the decimals they need."""
    step = _nice_step(high - low, target)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    decimals = 0 if float(step).is_integer() else (1 if (step * 10).is_integer() else 2)
    return ticks, decimals


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    step = _nice_step(value)
    return math.ceil(value / step - 1e-9) * step


# --- text measuring (no font files at run time) --------------------------------------------------

# Advance widths of Liberation Sans (metric-compatible with Arial), in thousandths of an em,
# taken from the font shipped in static/fonts. Good enough to wrap and truncate labels; other
# sans fonts a browser may use instead are close to it.
_WIDTH_GROUPS = {
    191: "'",
    200: "\u202f\u2009",
    222: "ijlі‘’",
    260: "|",
    278: " !,./:;I[\\]ftІ\u00a0",
    333: "()-`r“”·",
    334: "{}",
    350: "•",
    355: '"',
    365: "г",
    389: "*",
    400: "°",
    438: "к",
    458: "зт",
    469: "^",
    500: "Jcksvxyzсух",
    510: "э",
    521: "чь",
    531: "в",
    542: "Гпя",
    549: "±≤≥",
    552: "н",
    556: "#$0123456789?L_abdeghnopquаеорё«»–",
    559: "ий",
    573: "бц",
    583: "Кдл",
    584: "+<=>~×−",
    604: "З",
    611: "FTZТ",
    625: "ъ",
    635: "У",
    656: "БЛЬ",
    667: "&ABEKPSVXYАВЕРХЧЁ",
    669: "ж",
    677: "Д",
    688: "м",
    719: "ИЙПЭы",
    722: "CDHNRUwНСЯ",
    740: "Ц",
    750: "ю",
    760: "Ф",
    778: "GOQО",
    792: "Ъ",
    802: "ш",
    823: "фщ",
    833: "MmМ",
    885: "Ы",
    889: "%",
    917: "Ш",
    923: "Ж",
    938: "Щ",
    944: "W",
    1000: "—…",
    1010: "Ю",
    1015: "@",
    1073: "№",
}
# Measured 12 % wide: on screen the chart speaks the page's font, and the widest common one
# (DejaVu Sans, Linux desktops) runs 11 % wider than Liberation Sans; in the PDF it is slack.
_FIT_SAFETY = 1.12
_WIDTHS = {
    char: width / 1000 * _FIT_SAFETY for width, chars in _WIDTH_GROUPS.items() for char in chars
}
_DEFAULT_WIDTH = 0.62 * _FIT_SAFETY
_BOLD_FACTOR = 1.1
ELLIPSIS = "…"
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def text_width(text: str, size: float = FONT_SIZE, *, bold: bool = False) -> float:
    """Estimated width of `text` in viewBox units at font size `size`."""
    width = sum(_WIDTHS.get(char, _DEFAULT_WIDTH) for char in text) * size
    return width * _BOLD_FACTOR if bold else width


def _truncate(text: str, max_width: float, size: float, bold: bool = False) -> str:
    if text_width(text, size, bold=bold) <= max_width:
        return text
    limit = max_width - text_width(ELLIPSIS, size, bold=bold)
    used = 0.0
    factor = size * (_BOLD_FACTOR if bold else 1)
    for index, char in enumerate(text):
        used += _WIDTHS.get(char, _DEFAULT_WIDTH) * factor
        if used > limit:
            return text[:index].rstrip(" ,.;:-–—") + ELLIPSIS
    return text


def _fit_prefix(word: str, max_width: float, size: float, bold: bool) -> str:
    factor = size * (_BOLD_FACTOR if bold else 1)
    used = 0.0
    for index, char in enumerate(word):
        used += _WIDTHS.get(char, _DEFAULT_WIDTH) * factor
        if used > max_width:
            return word[:index]
    return word


@functools.cache
def _hyphenator():
    """Russian hyphenation patterns (Pyphen comes with WeasyPrint); None if it is missing."""
    try:
        import pyphen

        return pyphen.Pyphen(lang="ru_RU")
    except Exception:
        return None


def _break_at(word: str, fits: str) -> int:
    """Where to hyphenate `word`, given that its prefix `fits` fits the line (0: nowhere)."""
    limit = min(len(fits), len(word) - 2)  # at least two letters go to the next line
    hyphenator = _hyphenator()
    if hyphenator is not None:
        points = [p for p in hyphenator.positions(word) if 2 <= p <= limit]
        if points:
            return points[-1]
    while limit > 2 and word[limit].lower() in "ьъй":  # never start a line with these
        limit -= 1
    return limit if limit >= 2 else 0


def wrap_text(
    text: str,
    max_width: float,
    size: float = FONT_SIZE,
    *,
    max_lines: int = 2,
    bold: bool = False,
    break_words: bool = False,
) -> tuple[list[str], bool]:
    """Split `text` into at most `max_lines` lines; the last one ends in «…» if it was cut.

    A word wider than a line is cut with «…», or, with `break_words`, split with a hyphen
    («образователь-ными») while lines remain. Returns the lines and whether anything was cut
    (callers then keep the full text in a ``<title>`` tooltip).
    """
    text = _SPACES.sub(" ", str(text)).strip(" ")  # not str.split(): keep no-break spaces
    if text_width(text, size, bold=bold) <= max_width:
        return [text], False
    words = text.split(" ")
    lines: list[str] = []
    current = ""
    cut = False
    index = 0
    while index < len(words):
        if len(lines) == max_lines - 1:
            rest = " ".join(([current] if current else []) + words[index:])
            last = _truncate(rest, max_width, size, bold)
            lines.append(last)
            return lines, cut or last != rest
        word = words[index]
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= max_width:
            current = candidate
            index += 1
            continue
        if current:
            lines.append(current)
            current = ""
            continue
        fits = _fit_prefix(word, max_width - text_width("-", size, bold=bold), size, bold)
        head = word[: _break_at(word, fits)]
        if break_words and len(head) >= 2 and len(word) - len(head) >= 2:
            lines.append(head + "-")
            words[index] = word[len(head) :]
            continue
        lines.append(_truncate(word, max_width, size, bold))
        cut = True
        index += 1
    if current:
        lines.append(current)
    return lines, cut


# --- SVG building blocks -------------------------------------------------------------------------


def _pattern_tags(prefix: str, *, with_background: bool = True) -> str:
    tags = []
    for code, style in LEVEL_STYLES.items():
        background = f'<rect width="8" height="8" fill="{style.background}"/>'
        content = (background if with_background or not style.marks else "") + style.marks
        tags.append(
            f'<pattern id="{prefix}-{code}" patternUnits="userSpaceOnUse" width="8" height="8">'
            f"{content}</pattern>"
        )
    return "".join(tags)


def level_pattern_defs(id_prefix: str = "zp-level") -> SafeString:
    """The ``<defs>`` block with one ``<pattern>`` per level, ids ``{id_prefix}-{code}``.

    For callers drawing their own legend inside an ``<svg>``:
    ``<rect fill="url(#zp-level-critical)" …/>`` (or ``level_fill("critical")``). The charts
    below embed their own copy with ids unique to each chart, so a chart hidden in a collapsed
    tab never takes the patterns of the visible ones with it.
    """
    return mark_safe(f"<defs>{_pattern_tags(escape(id_prefix))}</defs>")


def level_fill(level: str | None, id_prefix: str = "zp-level") -> str:
    """The ``fill`` for a level: ``url(#…)`` of its pattern (solid colour for «высокий»).

    No level → the portal's accent colour.
    """
    if level not in LEVEL_STYLES:
        return ACCENT
    if not LEVEL_STYLES[level].marks:
        return LEVEL_STYLES[level].colour
    return f"url(#{id_prefix}-{level})"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float | None = None,
    anchor: str = "start",
    weight: str | None = None,
    fill: str | None = None,
    extra: str = "",
) -> str:
    attrs = [f'x="{_f(x)}"', f'y="{_f(y)}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if size is not None and size != FONT_SIZE:
        attrs.append(f'font-size="{_f(size)}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if fill:
        attrs.append(f'fill="{fill}"')
    if extra:
        attrs.append(extra)
    return f"<text {' '.join(attrs)}>{escape(content)}</text>"


def _lines_text(
    x: float, y: float, lines: Sequence[str], *, line_height: float = LINE_HEIGHT, **kwargs
) -> str:
    """Several lines, the first baseline at `y`, as separate <text>s (WeasyPrint-friendly)."""
    return "".join(_text(x, y + i * line_height, line, **kwargs) for i, line in enumerate(lines))


class _Canvas:
    """Collects the parts of one chart and wraps them in a complete <svg>."""

    def __init__(self, title: str):
        self.title = str(title)
        self.uid = "zc" + uuid.uuid4().hex[:10]
        self.parts: list[str] = []

    def level_rect(self, x: float, y: float, width: float, height: float, level, extra="") -> str:
        """A rectangle in a level's pattern, or in the accent colour for no level.

        Drawn as a plain background plus the pattern's marks on top: PDF viewers draw a
        pattern's tiles with hairline seams, which show on a filled background tile but not
        between marks.
        """
        geometry = f'x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" height="{_f(height)}"'
        style = LEVEL_STYLES.get(level) if level else None
        if style is None:
            return f'<rect {geometry} fill="{ACCENT}"{extra}/>'
        if not style.marks:
            return f'<rect {geometry} fill="{style.background}"{extra}/>'
        return (
            f'<rect {geometry} fill="{style.background}"/>'
            f'<rect {geometry} fill="url(#{self.uid}-{level})"{extra}/>'
        )

    def add(self, part: str) -> None:
        self.parts.append(part)

    def title_block(self, y: float, width: float = VIEW_WIDTH - 2 * PAD) -> float:
        """Draw the visible title from `y`; return the y below it."""
        lines, _ = wrap_text(self.title, width, TITLE_SIZE, max_lines=2, bold=True)
        for i, line in enumerate(lines):
            self.add(_text(PAD, y + 13 + i * 17, line, size=TITLE_SIZE, weight="bold", fill=TEXT))
        return y + 17 * len(lines) + 4

    def level_legend(self, levels: Sequence[str], y: float, x: float = PAD) -> float:
        """A row of pattern swatches with Russian level names; return the y below it."""
        if not levels:
            return y
        for code in levels:
            label = LEVEL_STYLES[code].label
            self.add(
                self.level_rect(x, y + 1, 18, 11, code, f' stroke="{AXIS}" stroke-width="0.6"')
            )
            self.add(_text(x + 23, y + 10.5, label, size=SMALL_SIZE, fill=TEXT))
            x += 23 + text_width(label, SMALL_SIZE) + 16
        return y + 18

    def render(self, height: float) -> SafeString:
        label = escape(self.title)
        return mark_safe(
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{self.uid}" class="zp-chart" '
            f'viewBox="0 0 {VIEW_WIDTH} {_f(math.ceil(height))}" width="100%" '
            f'preserveAspectRatio="xMidYMin meet" role="img" aria-label="{label}" '
            f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{TEXT}">'
            f"<title>{label}</title>"
            f"<defs>{_pattern_tags(self.uid, with_background=False)}</defs>"
            + "".join(self.parts)
            + "</svg>"
        )


def _tooltip(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _known_levels(levels) -> list[str]:
    present = set(levels)
    return [code for code in LEVEL_CODES if code in present]


# --- bar chart -----------------------------------------------------------------------------------

_BAR_LABEL_WIDTH = 236
_BAR_THICKNESS = 12
_REF_DASHES = ("6 3", "2 3", "9 3 2 3")


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str = "",
    reference_lines: Sequence[ReferenceLine] = (),
    max_value: float | None = None,
    horizontal: bool = True,
    decimals: int = 1,
) -> SafeString:
    """Horizontal bars in the given order, each with its value printed at the bar's end.

    Labels wrap to two lines and end in «…» when longer (the full text stays in a tooltip); a bar
    with no value says «нет данных»; a level fills the bar with that level's pattern; a
    highlighted bar is outlined, its row shaded and its label set in bold. Reference lines
    (district median, regional value…) cross all bars, each labelled above the plot with its
    value. Values above `max_value` are drawn to the edge and printed in full.

    ``horizontal=False`` draws columns instead (values on top, labels underneath, set upright
    when the columns are narrow): for a few short labels such as years; names of organisations
    read better horizontally.
    """
    canvas = _Canvas(title)
    bars = list(bars)
    refs = [ref for ref in reference_lines if _is_number(ref.value)]
    values = [float(bar.value) for bar in bars if _is_number(bar.value)]
    ref_values = [float(ref.value) for ref in refs]

    low = min([0.0, *values, *ref_values])
    if _is_number(max_value):
        high = float(max_value)
    else:
        high = _nice_ceiling(max([*values, *ref_values, 0.0]))
    if high <= low:
        high = low + 1.0

    value_texts = []
    for bar in bars:
        text = _with_unit(format_number(bar.value, decimals), unit)
        value_texts.append(f"{text} · {bar.note}" if bar.note else text)
    if not horizontal:
        return _columns(canvas, bars, value_texts, refs, low, high, unit, decimals)
    value_width = min(
        150.0,
        max(
            [
                text_width(t)
                for t, bar in zip(value_texts, bars, strict=True)
                if _is_number(bar.value)
            ]
            or [0.0]
        ),
    )

    plot_left = PAD + _BAR_LABEL_WIDTH + 8
    plot_right = VIEW_WIDTH - PAD - max(value_width, 24.0) - 6
    plot_width = plot_right - plot_left

    def x_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return plot_left + (clamped - low) / (high - low) * plot_width

    y = canvas.title_block(PAD)
    y = canvas.level_legend(_known_levels(bar.level for bar in bars), y)
    # Each reference line gets its own label row above the plot, next to the line.
    ref_rows_top = y
    y += len(refs) * (LINE_HEIGHT + 1)
    ticks_on_top = len(bars) > 15  # a long chart repeats the scale above the bars
    if ticks_on_top:
        y += LINE_HEIGHT
    plot_top = y + 3

    # Up to 20 bars labels may take two lines; longer charts keep one line a bar (full names in
    # the tooltips) so that 40 organisations still fit one A4 page.
    max_lines = 2 if len(bars) <= 20 else 1
    min_height = 20.0 if len(bars) <= 30 else 18.0
    rows = []
    cursor = plot_top
    for bar in bars:
        lines, _ = wrap_text(bar.label, _BAR_LABEL_WIDTH, max_lines=max_lines, bold=bar.highlight)
        row_height = max(min_height, LINE_HEIGHT * len(lines) + 6)
        rows.append((cursor, row_height, lines))
        cursor += row_height
    plot_bottom = max(cursor, plot_top + 20)

    ticks, tick_decimals = _ticks(low, high)
    grid = []
    top_ticks = []
    for tick in ticks:
        x = x_of(tick)
        tick_text = format_number(tick, tick_decimals)
        grid.append(
            f'<line x1="{_f(x)}" y1="{_f(plot_top)}" x2="{_f(x)}" y2="{_f(plot_bottom)}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
            + _text(x, plot_bottom + 13, tick_text, size=SMALL_SIZE, anchor="middle", fill=MUTED)
        )
        if ticks_on_top:  # drawn last, over the reference lines that cross their row
            top_ticks.append(
                _halo_text(x, plot_top - 4, tick_text, size=SMALL_SIZE, anchor="middle", fill=MUTED)
            )
    canvas.add(f'<g class="grid">{"".join(grid)}</g>')

    zero_x = x_of(0.0)
    shapes = []
    numbers = []
    for bar, (top, row_height, lines), value_text in zip(bars, rows, value_texts, strict=True):
        middle = top + row_height / 2
        level_name = LEVEL_STYLES[bar.level].label if bar.level in LEVEL_STYLES else ""
        tip = f"{bar.label}: {value_text}" + (f" (уровень: {level_name})" if level_name else "")
        part = [f"<g>{_tooltip(tip)}"]
        if bar.highlight:
            part.append(
                f'<rect x="{PAD - 2}" y="{_f(top + 1)}" width="{VIEW_WIDTH - 2 * PAD + 4}" '
                f'height="{_f(row_height - 2)}" fill="{HIGHLIGHT}"/>'
            )
        part.append(
            _lines_text(
                PAD + _BAR_LABEL_WIDTH,
                middle - (len(lines) - 1) * LINE_HEIGHT / 2 + 4,
                lines,
                anchor="end",
                weight="bold" if bar.highlight else None,
            )
        )
        weight = "bold" if bar.highlight else None
        if _is_number(bar.value):
            end_x = x_of(float(bar.value))
            left, right = sorted((zero_x, end_x))
            outline = ' stroke="#111" stroke-width="2"' if bar.highlight else ""
            if right - left > 0.01 or bar.highlight:
                part.append(
                    canvas.level_rect(
                        left,
                        middle - _BAR_THICKNESS / 2,
                        max(right - left, 0.5),
                        _BAR_THICKNESS,
                        bar.level,
                        outline,
                    )
                )
            text_x = max(end_x, zero_x) + 4
            text = _truncate(value_text, VIEW_WIDTH - PAD - text_x, FONT_SIZE, bar.highlight)
            numbers.append(_halo_text(text_x, middle + 4, text, weight=weight))
        else:
            text = _truncate(value_text, VIEW_WIDTH - PAD - zero_x - 4, FONT_SIZE)
            numbers.append(_halo_text(zero_x + 4, middle + 4, text, fill=MUTED, weight=weight))
        part.append("</g>")
        shapes.append("".join(part))
    canvas.add("".join(shapes))
    canvas.add(
        f'<line x1="{_f(zero_x)}" y1="{_f(plot_top)}" x2="{_f(zero_x)}" '
        f'y2="{_f(plot_bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    )

    # Reference lines over the bars; their labels, then the numbers, over everything.
    dashes = iter(_REF_DASHES * (len(refs) + 1))
    ref_xs = [x_of(float(ref.value)) for ref in refs]
    ref_labels = []
    for index, (ref, x) in enumerate(zip(refs, ref_xs, strict=True)):
        row_y = ref_rows_top + index * (LINE_HEIGHT + 1) + 11
        dash = f' stroke-dasharray="{next(dashes)}"' if ref.dashed else ""
        label = f"{ref.label}: {_with_unit(format_number(ref.value, decimals), unit)}"
        canvas.add(
            f"<g>{_tooltip(label)}"
            f'<line x1="{_f(x)}" y1="{_f(row_y - 10)}" x2="{_f(x)}" y2="{_f(plot_bottom)}" '
            f'stroke="#222" stroke-width="1.5"{dash}/></g>'
        )
        width = text_width(label, SMALL_SIZE)
        others = [other for i, other in enumerate(ref_xs) if i != index]
        sides = []
        for anchor, text_x, room, span in (
            ("start", x + 4, VIEW_WIDTH - PAD - x - 4, (x, x + width + 4)),
            ("end", x - 4, x - 4 - PAD, (x - width - 4, x)),
        ):
            # The side where the label fits and crosses no other line, else the roomier one.
            crossings = sum(span[0] < other < span[1] for other in others)
            sides.append((room < width, crossings, -room, anchor, text_x, room))
        _, _, _, anchor, text_x, room = min(sides)
        ref_labels.append(
            _halo_text(
                text_x,
                row_y,
                _truncate(label, room, SMALL_SIZE),
                size=SMALL_SIZE,
                anchor=anchor,
                fill=TEXT,
            )
        )
    canvas.add("".join(ref_labels) + "".join(top_ticks))
    canvas.add("".join(numbers))
    return canvas.render(plot_bottom + 18 + PAD)


def _columns(canvas, bars, value_texts, refs, low, high, unit, decimals) -> SafeString:
    """bar_chart(horizontal=False): vertical columns, same reading aids as the bars."""
    y = canvas.title_block(PAD)
    y = canvas.level_legend(_known_levels(bar.level for bar in bars), y)
    ticks, tick_decimals = _ticks(low, high)
    tick_texts = [format_number(t, tick_decimals) for t in ticks]
    plot_left = PAD + max([text_width(t, SMALL_SIZE) for t in tick_texts] or [20]) + 8
    plot_right = VIEW_WIDTH - PAD - 4
    ref_labels = [f"{r.label}: {_with_unit(format_number(r.value, decimals), unit)}" for r in refs]
    if refs:  # reference labels sit right of the plot… unless that would squeeze it too much
        plot_right -= min(150.0, max(text_width(t, SMALL_SIZE) for t in ref_labels) + 8)
    count = max(len(bars), 1)
    step = (plot_right - plot_left) / count
    plot_top = y + 18
    plot_height = 200.0
    plot_bottom = plot_top + plot_height

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return plot_bottom - (clamped - low) / (high - low) * plot_height

    for tick, text in zip(ticks, tick_texts, strict=True):
        ty = y_of(tick)
        canvas.add(
            f'<line x1="{_f(plot_left)}" y1="{_f(ty)}" x2="{_f(plot_right)}" y2="{_f(ty)}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
            + _text(plot_left - 5, ty + 4, text, size=SMALL_SIZE, anchor="end", fill=MUTED)
        )

    upright = step < 56
    label_room = 0.0
    zero_y = y_of(0.0)
    shapes, numbers = [], []
    for index, (bar, value_text) in enumerate(zip(bars, value_texts, strict=True)):
        cx = plot_left + (index + 0.5) * step
        width = min(step * 0.7, 48.0)
        weight = "bold" if bar.highlight else None
        part = [f"<g>{_tooltip(f'{bar.label}: {value_text}')}"]
        if bar.highlight:
            part.append(
                f'<rect x="{_f(cx - step / 2)}" y="{_f(plot_top - 16)}" width="{_f(step)}" '
                f'height="{_f(plot_bottom - plot_top + 16)}" fill="{HIGHLIGHT}"/>'
            )
        if upright:
            text = _truncate(bar.label, 120, SMALL_SIZE, bar.highlight)
            label_room = max(label_room, text_width(text, SMALL_SIZE, bold=bar.highlight) + 8)
            part.append(
                _text(
                    cx + 4,
                    plot_bottom + 6,
                    text,
                    size=SMALL_SIZE,
                    anchor="end",
                    weight=weight,
                    extra=f'transform="rotate(-90 {_f(cx + 4)} {_f(plot_bottom + 6)})"',
                )
            )
        else:
            lines, _ = wrap_text(
                bar.label, step - 4, SMALL_SIZE, max_lines=3, bold=bar.highlight, break_words=True
            )
            label_room = max(label_room, 13.0 * len(lines) + 6)
            part.append(
                _lines_text(
                    cx,
                    plot_bottom + 14,
                    lines,
                    line_height=13,
                    size=SMALL_SIZE,
                    anchor="middle",
                    weight=weight,
                )
            )
        if _is_number(bar.value):
            top_y = y_of(float(bar.value))
            upper, lower = sorted((top_y, zero_y))
            outline = ' stroke="#111" stroke-width="2"' if bar.highlight else ""
            if lower - upper > 0.01 or bar.highlight:
                part.append(
                    canvas.level_rect(
                        cx - width / 2, upper, width, max(lower - upper, 0.5), bar.level, outline
                    )
                )
            text = _truncate(value_text, max(step - 2, 30), SMALL_SIZE, bar.highlight)
            numbers.append(
                _halo_text(cx, upper - 4, text, size=SMALL_SIZE, anchor="middle", weight=weight)
            )
        else:
            numbers.append(
                _halo_text(
                    cx + 4,
                    zero_y - 4,
                    NO_DATA,
                    size=SMALL_SIZE,
                    fill=MUTED,
                    extra=f'transform="rotate(-90 {_f(cx + 4)} {_f(zero_y - 4)})"',
                )
            )
        part.append("</g>")
        shapes.append("".join(part))
    canvas.add("".join(shapes))
    canvas.add(
        f'<line x1="{_f(plot_left)}" y1="{_f(zero_y)}" x2="{_f(plot_right)}" y2="{_f(zero_y)}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    dashes = iter(_REF_DASHES * (len(refs) + 1))
    labels = []
    previous = -math.inf
    for ref, label in sorted(zip(refs, ref_labels, strict=True), key=lambda p: -p[0].value):
        ry = y_of(float(ref.value))
        dash = f' stroke-dasharray="{next(dashes)}"' if ref.dashed else ""
        canvas.add(
            f"<g>{_tooltip(label)}"
            f'<line x1="{_f(plot_left)}" y1="{_f(ry)}" x2="{_f(plot_right + 4)}" y2="{_f(ry)}" '
            f'stroke="#222" stroke-width="1.5"{dash}/></g>'
        )
        room = VIEW_WIDTH - PAD - plot_right - 8
        lines, _ = wrap_text(label, room, SMALL_SIZE, max_lines=2)
        label_y = max(ry + 4, previous + 12)  # close values: labels one under the other
        previous = label_y + 12 * (len(lines) - 1)
        labels.extend(
            _halo_text(plot_right + 8, label_y + 12 * i, line, size=SMALL_SIZE)
            for i, line in enumerate(lines)
        )
    canvas.add("".join(labels) + "".join(numbers))
    return canvas.render(plot_bottom + label_room + PAD)


def _halo_text(x: float, y: float, content: str, **kwargs) -> str:
    """Text over a white outline of itself, legible where it crosses a line or a pattern.

    Two copies rather than ``paint-order``, which not every renderer (WeasyPrint) knows.
    """
    outline = 'stroke="#fff" stroke-width="3.5" stroke-linejoin="round"'
    halo = {**kwargs, "fill": "#fff", "extra": f"{outline} {kwargs.get('extra', '')}".strip()}
    return _text(x, y, content, **halo) + _text(x, y, content, **kwargs)


# --- histogram -----------------------------------------------------------------------------------


def histogram(
    values: Sequence[float],
    *,
    title: str,
    bins: Sequence[float] = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100),
    bands: Sequence[tuple[float, float, str]] = (),
    counts: Sequence[int] | None = None,
    outside: int = 0,
) -> SafeString:
    """How many values fall in each bin, the count printed on each column.

    A value equal to a bin's lower edge belongs to that bin, the last bin also takes its upper
    edge (100); values outside the bins and missing values are left out (and said so). `bands`
    — (from, to, level code) — shade a strip under the axis with the level's pattern and name,
    e.g. the cut-offs 50/65/80. `counts` (one per bin) and `outside` draw values already counted
    elsewhere (a region's 40,000 indexes, counted when they were computed); `values` is then
    ignored.
    """
    canvas = _Canvas(title)
    values = list(values)
    edges = sorted({float(edge) for edge in bins if _is_number(edge)})
    if len(edges) < 2:
        edges = [0.0, 100.0]
    if counts is not None and len(counts) == len(edges) - 1:
        counts = [int(c) for c in counts]
        numbers = [0.0] * (sum(counts) + int(outside))  # only their number is shown
        missing = 0
    else:
        counts = [0] * (len(edges) - 1)
        outside = 0
        numbers = [float(v) for v in values if _is_number(v)]
        missing = len(values) - len(numbers)
        for value in numbers:
            if value < edges[0] or value > edges[-1]:
                outside += 1
                continue
            # bisect-like search: bins are few, values may be many
            index = _bin_index(edges, value)
            counts[index] += 1

    y = canvas.title_block(PAD)
    summary = f"Всего значений: {format_number(len(numbers) - outside, 0)}"
    if outside:
        summary += f"; вне шкалы: {format_number(outside, 0)}"
    if missing:
        summary += f"; нет данных: {format_number(missing, 0)}"
    canvas.add(_text(PAD, y + 10, summary, size=SMALL_SIZE, fill=MUTED))
    y += 18

    plot_left = PAD + 30
    plot_right = VIEW_WIDTH - PAD - 6
    plot_top = y + 16
    plot_height = 190.0
    plot_bottom = plot_top + plot_height
    top_count = _nice_ceiling(max(max(counts), 1) * 1.0)
    count_ticks, _ = _ticks(0, top_count, target=4)
    count_ticks = [t for t in count_ticks if float(t).is_integer()]

    def x_of(value: float) -> float:
        return plot_left + (value - edges[0]) / (edges[-1] - edges[0]) * (plot_right - plot_left)

    def y_of(count: float) -> float:
        return plot_bottom - count / top_count * plot_height

    for tick in count_ticks:
        ty = y_of(tick)
        canvas.add(
            f'<line x1="{_f(plot_left)}" y1="{_f(ty)}" x2="{_f(plot_right)}" y2="{_f(ty)}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
            + _text(
                plot_left - 5,
                ty + 4,
                format_number(tick, 0),
                size=SMALL_SIZE,
                anchor="end",
                fill=MUTED,
            )
        )

    columns = []
    for index, count in enumerate(counts):
        x0, x1 = x_of(edges[index]), x_of(edges[index + 1])
        gap = min(2.0, (x1 - x0) / 6)
        top = y_of(count)
        closing = "]" if index == len(counts) - 1 else ")"
        tip = (
            f"[{format_number(edges[index], 0)}; {format_number(edges[index + 1], 0)}{closing}: "
            f"{format_number(count, 0)}"
        )
        columns.append(f"<g>{_tooltip(tip)}")
        if count:
            columns.append(
                f'<rect x="{_f(x0 + gap)}" y="{_f(top)}" width="{_f(x1 - x0 - 2 * gap)}" '
                f'height="{_f(plot_bottom - top)}" fill="{ACCENT}" fill-opacity="0.85"/>'
            )
        columns.append(
            _text(
                (x0 + x1) / 2,
                top - 4,
                format_number(count, 0),
                anchor="middle",
                weight="bold",
                fill=TEXT,
            )
        )
        columns.append("</g>")
    canvas.add("".join(columns))
    canvas.add(
        f'<line x1="{_f(plot_left)}" y1="{_f(plot_bottom)}" x2="{_f(plot_right)}" '
        f'y2="{_f(plot_bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    edge_decimals = 0 if all(float(e).is_integer() for e in edges) else 1
    step = (plot_right - plot_left) / (len(edges) - 1)
    every = max(1, math.ceil(text_width("100,0", SMALL_SIZE) / max(step, 1)))
    for index, edge in enumerate(edges):
        if index % every and index != len(edges) - 1:
            continue
        canvas.add(
            _text(
                x_of(edge),
                plot_bottom + 13,
                format_number(edge, edge_decimals),
                size=SMALL_SIZE,
                anchor="middle",
                fill=MUTED,
            )
        )

    bottom = plot_bottom + 18
    valid_bands = [
        (max(float(a), edges[0]), min(float(b), edges[-1]), code)
        for a, b, code in bands
        if _is_number(a) and _is_number(b) and code in LEVEL_STYLES and float(b) > float(a)
    ]
    if valid_bands:
        strip_top = bottom + 2
        for start, end, code in valid_bands:
            if end <= start:
                continue
            x0, x1 = x_of(start), x_of(end)
            name = LEVEL_STYLES[code].label
            span = f"{format_number(start, 0)}–{format_number(end, 0)}"
            canvas.add(
                f"<g>{_tooltip(f'{name}: {span}')}"
                + canvas.level_rect(
                    x0, strip_top, x1 - x0, 12, code, f' stroke="{AXIS}" stroke-width="0.6"'
                )
                + _text(
                    (x0 + x1) / 2,
                    strip_top + 25,
                    _truncate(name, x1 - x0 - 2, SMALL_SIZE),
                    size=SMALL_SIZE,
                    anchor="middle",
                    fill=TEXT,
                )
                + "</g>"
            )
        # The cut-offs as faint dashed lines through the columns.
        cuts = sorted({s for s, _, _ in valid_bands} | {e for _, e, _ in valid_bands})
        for cut in cuts:
            if edges[0] < cut < edges[-1]:
                x = x_of(cut)
                canvas.add(
                    f'<line x1="{_f(x)}" y1="{_f(plot_top - 10)}" x2="{_f(x)}" '
                    f'y2="{_f(strip_top + 12)}" stroke="#333" stroke-width="1" '
                    f'stroke-dasharray="4 3"/>'
                )
        bottom = strip_top + 30
    return canvas.render(bottom + PAD)


def _bin_index(edges: Sequence[float], value: float) -> int:
    low, high = 0, len(edges) - 2
    while low < high:
        middle = (low + high + 1) // 2
        if edges[middle] <= value:
            low = middle
        else:
            high = middle - 1
    return low


# --- line chart ----------------------------------------------------------------------------------

# Okabe–Ito hues, darkened so the values printed in them keep a 4.5:1 contrast on white.
_SERIES_COLOURS = ("#0b5c99", "#b84a00", "#00795a", "#9c3e8f", "#7a5c00", "#333333")
_MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")


def _marker(shape: str, x: float, y: float, colour: str, size: float = 4.2) -> str:
    s = size
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(s)}" fill="{colour}"/>'
    if shape == "square":
        return (
            f'<rect x="{_f(x - s * 0.9)}" y="{_f(y - s * 0.9)}" width="{_f(s * 1.8)}" '
            f'height="{_f(s * 1.8)}" fill="{colour}"/>'
        )
    if shape == "triangle":
        points = [(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)]
    elif shape == "triangle-down":
        points = [(x, y + s * 1.2), (x + s * 1.1, y - s * 0.8), (x - s * 1.1, y - s * 0.8)]
    elif shape == "diamond":
        points = [(x, y - s * 1.3), (x + s * 1.1, y), (x, y + s * 1.3), (x - s * 1.1, y)]
    else:  # cross
        return (
            f'<path d="M{_f(x - s)},{_f(y - s)} L{_f(x + s)},{_f(y + s)} '
            f'M{_f(x - s)},{_f(y + s)} L{_f(x + s)},{_f(y - s)}" stroke="{colour}" '
            f'stroke-width="2.2" fill="none"/>'
        )
    coords = " ".join(f"{_f(px)},{_f(py)}" for px, py in points)
    return f'<polygon points="{coords}" fill="{colour}"/>'


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_min: float = 0,
    y_max: float = 100,
    unit: str = "",
) -> SafeString:
    """Trends over periods: one polyline per series, a marker and the value at every point.

    The x axis takes the period labels in the order they first appear. A missing value (None)
    leaves a gap in the line. Series differ by marker shape (circle, square, triangle…) and a
    dashed series by its dash, so the chart reads in black and white; the legend shows both.
    """
    canvas = _Canvas(title)
    series = list(series)
    y_min, y_max = float(y_min), float(y_max)
    if y_max <= y_min:
        y_max = y_min + 1
    categories: list[str] = []
    seen = set()
    for item in series:
        for label, _ in item.points:
            if label not in seen:
                seen.add(label)
                categories.append(label)

    styles = []
    for index, item in enumerate(series):
        colour = _SERIES_COLOURS[index % len(_SERIES_COLOURS)]
        marker = _MARKERS[index % len(_MARKERS)]
        styles.append((colour, marker, "7 4" if item.dashed else ""))

    y = canvas.title_block(PAD)
    # Legend: wraps onto as many rows as it needs.
    x = PAD
    legend_y = y
    for item, (colour, marker, dash) in zip(series, styles, strict=True):
        name = _truncate(item.name, VIEW_WIDTH - 2 * PAD - 40, SMALL_SIZE)
        item_width = 34 + text_width(name, SMALL_SIZE) + 16
        if x > PAD and x + item_width > VIEW_WIDTH - PAD:
            x = PAD
            legend_y += 17
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        canvas.add(
            f'<line x1="{_f(x)}" y1="{_f(legend_y + 7)}" x2="{_f(x + 28)}" '
            f'y2="{_f(legend_y + 7)}" stroke="{colour}" stroke-width="2.2"{dash_attr}/>'
            + _marker(marker, x + 14, legend_y + 7, colour, 3.6)
            + _text(x + 34, legend_y + 11, name, size=SMALL_SIZE, fill=TEXT)
        )
        x += item_width
    y = legend_y + (20 if series else 0)

    y_ticks, tick_decimals = _ticks(y_min, y_max, target=5)
    tick_texts = [_with_unit(format_number(t, tick_decimals), unit) for t in y_ticks]
    plot_left = PAD + max([text_width(t, SMALL_SIZE) for t in tick_texts] or [20]) + 8
    plot_right = VIEW_WIDTH - PAD - 14
    count = max(len(categories), 1)
    step = (plot_right - plot_left) / count
    label_width = max([text_width(c, SMALL_SIZE) for c in categories] or [0])
    rotate = label_width > step - 6
    plot_top = y + 14
    plot_height = 210.0
    plot_bottom = plot_top + plot_height

    def x_of(index: int) -> float:
        return plot_left + (index + 0.5) * step

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return plot_bottom - (clamped - y_min) / (y_max - y_min) * plot_height

    for tick, tick_text in zip(y_ticks, tick_texts, strict=True):
        ty = y_of(tick)
        canvas.add(
            f'<line x1="{_f(plot_left)}" y1="{_f(ty)}" x2="{_f(plot_right)}" y2="{_f(ty)}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
            + _text(plot_left - 5, ty + 4, tick_text, size=SMALL_SIZE, anchor="end", fill=MUTED)
        )
    canvas.add(
        f'<line x1="{_f(plot_left)}" y1="{_f(plot_bottom)}" x2="{_f(plot_right)}" '
        f'y2="{_f(plot_bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    x_label_room = 0.0
    for index, category in enumerate(categories):
        cx = x_of(index)
        if rotate:
            text = _truncate(category, 110, SMALL_SIZE)
            x_label_room = max(x_label_room, text_width(text, SMALL_SIZE) * 0.64 + 12)
            canvas.add(
                _text(
                    cx,
                    plot_bottom + 14,
                    text,
                    size=SMALL_SIZE,
                    anchor="end",
                    fill=TEXT,
                    extra=f'transform="rotate(-40 {_f(cx)} {_f(plot_bottom + 14)})"',
                )
            )
        else:
            x_label_room = 18
            canvas.add(
                _text(cx, plot_bottom + 15, category, size=SMALL_SIZE, anchor="middle", fill=TEXT)
            )

    index_of = {category: index for index, category in enumerate(categories)}
    # Lines and markers first, then every value label, so no line crosses a number.
    labels_at: dict[int, list[tuple[float, str, str]]] = {}
    for item, (colour, marker, dash) in zip(series, styles, strict=True):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments: list[list[str]] = []
        markers = []
        for label, value in item.points:
            if not _is_number(value):
                if segment:
                    segments.append(segment)
                segment = []
                continue
            px, py = x_of(index_of[label]), y_of(float(value))
            segment.append(f"{_f(px)},{_f(py)}")
            markers.append(
                f"<g>{_tooltip(f'{item.name}, {label}: {_with_unit(format_number(value), unit)}')}"
                + _marker(marker, px, py, colour)
                + "</g>"
            )
            labels_at.setdefault(index_of[label], []).append((py, format_number(value), colour))
        if segment:
            segments.append(segment)
        lines = "".join(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
            f'stroke-width="2.2" stroke-linejoin="round"{dash_attr}/>'
            for points in segments
            if len(points) > 1
        )
        canvas.add(f"<g>{_tooltip(item.name)}{lines}{''.join(markers)}</g>")

    value_labels = []
    label_style = {"size": SMALL_SIZE, "weight": "bold"}
    for index, entries in labels_at.items():
        cx = x_of(index)
        entries.sort()  # top of the chart first
        if len(entries) == 1:
            py, text, colour = entries[0]
            ly = py - 8 if py - 8 >= plot_top else py + 16
            value_labels.append(
                _halo_text(cx, ly, text, anchor="middle", fill=colour, **label_style)
            )
            continue
        # Several series at one period: a column of labels right of the points, in the points'
        # order, 12 units apart, centred on them again after being pushed apart.
        wanted = [py + 4 for py, _, _ in entries]
        placed = wanted[:1]
        for want in wanted[1:]:
            placed.append(max(want, placed[-1] + 12))
        shift = (sum(wanted) - sum(placed)) / len(placed)
        shift = min(max(shift, plot_top - placed[0]), plot_bottom + 10 - placed[-1])
        for ly, (_, text, colour) in zip(placed, entries, strict=True):
            value_labels.append(_halo_text(cx + 8, ly + shift, text, fill=colour, **label_style))
    canvas.add("".join(value_labels))
    return canvas.render(plot_bottom + x_label_room + PAD)


# --- heat map ------------------------------------------------------------------------------------

_HEAT_STOPS = ((0.0, (0xE5, 0x73, 0x65)), (0.5, (0xF3, 0xC2, 0x5B)), (1.0, (0x67, 0xB8, 0x79)))
_NO_DATA_FILL = "#eeeeee"
_SAFE_SCHEMES = {"", "http", "https", "mailto"}


def heat_colour(value: float, low: float = 0, high: float = 100) -> str:
    """The red → amber → green colour for `value` on the scale low…high."""
    t = 0.5 if high == low else (float(value) - low) / (high - low)
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(_HEAT_STOPS, _HEAT_STOPS[1:], strict=False):
        if t <= t1:
            k = 0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = [round(a + (b - a) * k) for a, b in zip(c0, c1, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*_HEAT_STOPS[-1][1])


def _safe_href(url: str | None) -> str | None:
    if not url:
        return None
    url = str(url).strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SAFE_SCHEMES else None


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[float | None]],
    *,
    title: str,
    low: float = 0,
    high: float = 100,
    row_links: Sequence[str] | None = None,
) -> SafeString:
    """Organisations × subgroups: each cell coloured red → amber → green and showing its number.

    Numbers have one decimal («62,5»), a missing one shows «—» on grey. Row labels wrap to two
    lines; `row_links` (same length as `rows`) makes them links. Column headers wrap when there
    is room and turn at an angle when there are many columns. Meant for up to ~40 rows:
    callers page longer lists.
    """
    canvas = _Canvas(title)
    rows = [str(r) for r in rows]
    columns = [str(c) for c in columns]
    links = list(row_links) if row_links is not None else []
    label_width = 196.0
    grid_left = PAD + label_width + 8
    grid_right = VIEW_WIDTH - PAD
    column_width = (grid_right - grid_left) / max(len(columns), 1)

    y = canvas.title_block(PAD)

    # Column headers: wrapped across when the columns are wide enough, else set upright.
    header_parts = []
    if column_width >= 74:
        wrapped = [
            wrap_text(c, column_width - 6, SMALL_SIZE, max_lines=5, break_words=True)[0]
            for c in columns
        ]
        header_height = 13 * max([len(w) for w in wrapped] or [1]) + 6
        for index, (column, lines) in enumerate(zip(columns, wrapped, strict=True)):
            cx = grid_left + (index + 0.5) * column_width
            first = y + header_height - 6 - (len(lines) - 1) * 13
            header_parts.append(
                f"<g>{_tooltip(column)}"
                + _lines_text(
                    cx, first, lines, line_height=13, size=SMALL_SIZE, anchor="middle", fill=TEXT
                )
                + "</g>"
            )
    else:
        max_lines = max(1, min(2, int((column_width - 4) // 13)))
        wrapped = [
            wrap_text(c, 130, SMALL_SIZE, max_lines=max_lines, break_words=True)[0] for c in columns
        ]
        longest = max([text_width(line, SMALL_SIZE) for w in wrapped for line in w] or [0])
        header_height = longest + 8
        bottom = y + header_height
        for index, (column, lines) in enumerate(zip(columns, wrapped, strict=True)):
            cx = grid_left + (index + 0.5) * column_width
            texts = []
            for number, line in enumerate(lines):
                bx = cx + (number - (len(lines) - 1) / 2) * 13 + 4
                texts.append(
                    _text(
                        bx,
                        bottom - 2,
                        line,
                        size=SMALL_SIZE,
                        fill=TEXT,
                        extra=f'transform="rotate(-90 {_f(bx)} {_f(bottom - 2)})"',
                    )
                )
            header_parts.append(f"<g>{_tooltip(column)}{''.join(texts)}</g>")
    canvas.add("".join(header_parts))
    grid_top = y + header_height + 2

    # Like the bar chart: past 20 rows one line a row, so 40 organisations fit one A4 page.
    row_lines = 2 if len(rows) <= 20 else 1
    min_height = 22.0 if len(rows) <= 20 else 18.0
    body = []
    cursor = grid_top
    for row_index, row in enumerate(rows):
        lines, _ = wrap_text(row, label_width, FONT_SIZE - 0.5, max_lines=row_lines)
        row_height = max(min_height, 13 * len(lines) + 8)
        middle = cursor + row_height / 2
        first = middle - (len(lines) - 1) * 13 / 2 + 4
        href = _safe_href(links[row_index]) if row_index < len(links) else None
        label_parts = []
        for i, line in enumerate(lines):
            content = escape(line)
            if href:
                content = (
                    f'<a href="{escape(href)}" fill="{ACCENT}" text-decoration="underline">'
                    f"{content}</a>"
                )
            label_parts.append(
                f'<text x="{_f(PAD + label_width)}" y="{_f(first + i * 13)}" text-anchor="end" '
                f'font-size="{_f(FONT_SIZE - 0.5)}">{content}</text>'
            )
        body.append(f"<g>{_tooltip(row)}{''.join(label_parts)}</g>")
        values = list(cells[row_index]) if row_index < len(cells) else []
        for col_index, column in enumerate(columns):
            value = values[col_index] if col_index < len(values) else None
            x0 = grid_left + col_index * column_width
            if _is_number(value):
                fill = heat_colour(float(value), low, high)
                text = format_number(value, 1)
                ink = TEXT
            else:
                fill, text, ink = _NO_DATA_FILL, DASH, MUTED
            body.append(
                f"<g>{_tooltip(f'{row} — {column}: {format_number(value, 1)}')}"
                f'<rect x="{_f(x0)}" y="{_f(cursor)}" width="{_f(column_width)}" '
                f'height="{_f(row_height)}" fill="{fill}" stroke="#fff" stroke-width="1.5"/>'
                + _text(
                    x0 + column_width / 2,
                    middle + 4,
                    _truncate(text, column_width - 2, SMALL_SIZE),
                    size=SMALL_SIZE,
                    anchor="middle",
                    fill=ink,
                )
                + "</g>"
            )
        cursor += row_height
    canvas.add("".join(body))

    # Legend: the scale in five labelled steps, and what «—» means.
    legend_y = cursor + 12
    steps = 5
    x = PAD
    canvas.add(_text(x, legend_y + 11, "Шкала:", size=SMALL_SIZE, fill=MUTED))
    x += text_width("Шкала:", SMALL_SIZE) + 8
    for step in range(steps):
        value = low + (high - low) * step / (steps - 1)
        canvas.add(
            f'<rect x="{_f(x)}" y="{_f(legend_y)}" width="44" height="14" '
            f'fill="{heat_colour(value, low, high)}"/>'
            + _text(
                x + 22,
                legend_y + 11,
                format_number(value, 0),
                size=SMALL_SIZE,
                anchor="middle",
                fill=TEXT,
            )
        )
        x += 46
    x += 12
    canvas.add(
        f'<rect x="{_f(x)}" y="{_f(legend_y)}" width="24" height="14" fill="{_NO_DATA_FILL}"/>'
        + _text(x + 12, legend_y + 11, DASH, size=SMALL_SIZE, anchor="middle", fill=MUTED)
        + _text(x + 30, legend_y + 11, NO_DATA, size=SMALL_SIZE, fill=MUTED)
    )
    return canvas.render(legend_y + 14 + PAD)


def level_legend(levels: Sequence[str] = LEVEL_CODES, *, title: str = "Уровни") -> SafeString:
    """A one-row SVG legend of level patterns and names (for a page with several charts)."""
    canvas = _Canvas(title)
    canvas.level_legend(_known_levels(levels), PAD)
    return canvas.render(PAD + 18)
