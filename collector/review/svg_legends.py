"""A chart's legend, laid out as matplotlib lays out
``ax.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, fontsize=7.5,
borderaxespad=0.25, handlelength=1.6, columnspacing=1.2)`` and written as SVG: in the
top margin, above the axes; the entries in ``ncols`` columns (filled column by
column, the first columns one longer), each a handle (a swatch of a bar series, or a
short line with its marker) and its text beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.review.svg_figure import (
    LINE_WIDTH_PT,
    MARKER_SIZE_PT,
    Axes,
    line_style,
    marker_style,
    num,
)
from collector.review.svg_font import ASCENT, DESCENT, FAMILY, text_width

FONT_SIZE_PT = 7.5
_FS = FONT_SIZE_PT
_BORDER_PAD = 0.4 * _FS
_AXES_PAD = 0.25 * _FS
_HANDLE_W = 1.6 * _FS
_HANDLE_H = 0.7 * _FS
_TEXT_PAD = 0.8 * _FS
_LABEL_SPACING = 0.5 * _FS
_COLUMN_SPACING = 1.2 * _FS


@dataclass(frozen=True, slots=True)
class Swatch:
    """A bar series' entry: a rectangle in its fill (``hatched``: the ``////`` hatch on
    ``colour``, white edged)."""

    label: str
    colour: str
    hatched: bool = False


@dataclass(frozen=True, slots=True)
class LegendLine:
    """A line's entry: a short line in its style (none for ``linestyle="none"``) and
    its marker in the middle."""

    label: str
    colour: str
    linestyle: str = "-"
    marker: str | None = None
    markersize: float = MARKER_SIZE_PT
    hollow: bool = False


Entry = Swatch | LegendLine


def _columns(n: int, ncols: int) -> list[range]:
    """The entries of each column, as numpy's ``array_split``."""
    size, extra = divmod(n, ncols)
    out, start = [], 0
    for i in range(ncols):
        end = start + size + (1 if i < extra else 0)
        if end > start:
            out.append(range(start, end))
        start = end
    return out


def top_legend(ax: Axes, entries: Sequence[Entry], ncols: int | None = None) -> None:
    """The legend of ``entries`` in the top margin above ``ax``."""
    if not entries:
        ax.legend = ""
        return
    columns = _columns(len(entries), ncols or len(entries))
    rows = max(len(c) for c in columns)
    row_h = (ASCENT + DESCENT) * _FS
    height = rows * row_h + (rows - 1) * _LABEL_SPACING + 2 * _BORDER_PAD
    top = ax.top - _AXES_PAD - height
    x = ax.left + _AXES_PAD + _BORDER_PAD
    out: list[str] = []
    for column in columns:
        widest = 0.0
        for row, i in enumerate(column):
            baseline = top + _BORDER_PAD + row * (row_h + _LABEL_SPACING) + ASCENT * _FS
            out.append(_handle(ax, entries[i], x, baseline))
            label = entries[i].label
            out.append(
                f'<text x="{num(x + _HANDLE_W + _TEXT_PAD)}" y="{num(baseline)}" '
                f"style=\"font-size: {num(_FS)}px; font-family: '{FAMILY}', sans-serif; "
                f'text-anchor: start">{_esc(label)}</text>'
            )
            widest = max(widest, text_width(label, _FS))
        x += _HANDLE_W + _TEXT_PAD + widest + _COLUMN_SPACING
    ax.legend = f'<g class="legend">{"".join(out)}</g>'


def _handle(ax: Axes, entry: Entry, x: float, baseline: float) -> str:
    if isinstance(entry, Swatch):
        x1, y1 = num(x + _HANDLE_W), num(baseline - _HANDLE_H)
        x0, y0 = num(x), num(baseline)
        if entry.hatched:
            fill = f"url(#{ax.fig.hatch(entry.colour)}); stroke: #ffffff; stroke-linejoin: miter"
        else:
            fill = entry.colour.lower()
        return (f'<path d="M {x0} {y0} \nL {x1} {y0} \nL {x1} {y1} \nL {x0} {y1} \nz\n" '
                f'style="fill: {fill}"/>')  # fmt: skip
    mid_y = baseline - _HANDLE_H / 2
    out = ""
    if entry.linestyle != "none":
        xs = (x, x + _HANDLE_W / 2, x + _HANDLE_W)
        d = " \nL ".join(f"{num(v)} {num(mid_y)}" for v in xs)
        style = line_style(entry.colour, entry.linestyle, LINE_WIDTH_PT)
        out += f'<path d="M {d} \n" style="{style}"/>'
    if entry.marker is not None:
        ref = ax.fig.marker(entry.marker, entry.markersize)
        style = marker_style(entry.marker, entry.colour, entry.hollow)
        out += (f'<use xlink:href="#{ref}" x="{num(x + _HANDLE_W / 2)}" y="{num(mid_y)}" '
                f'style="{style}"/>')  # fmt: skip
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
