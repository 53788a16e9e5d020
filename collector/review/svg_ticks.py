"""Labelled x ticks written straight into a chart's SVG.

matplotlib lays out every tick label two or three times each time a chart is drawn
(to measure the axis, to place the axis label, to draw it) and draws each tick mark
as an artist of its own: the 28 day labels of a month were half of a chart's cost.
The charts' x ticks are fixed positions with fixed labels, so they are written here
as SVG, placed as matplotlib places them: a tick mark below the axis at each
position, the label centred under it ``pad`` below the mark, its lines spaced by the
font's own metrics, in the page's fonts (``svg.fonttype = "none"``).
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from collector.review.svg_canvas import font_heights


@dataclass(frozen=True, slots=True)
class _XTicks:
    at: tuple[float, ...]
    """In data coordinates."""
    labels: tuple[str, ...]
    length_pt: float
    size_pt: float


_TICKS: weakref.WeakKeyDictionary[Axes, _XTicks] = weakref.WeakKeyDictionary()


def set_x_ticks(
    ax: Axes,
    at: Sequence[float],
    labels: Sequence[str],
    *,
    length_pt: float | None = None,
    size_pt: float | None = None,
) -> None:
    """Ticks at ``at`` labelled ``labels`` (lines split by ``\\n``) under ``ax``,
    written by :func:`x_ticks_svg` (matplotlib draws no x tick of ``ax``).
    ``length_pt`` and ``size_pt``: the tick mark and the label font [default: the
    ``xtick.major.size`` and ``xtick.labelsize`` settings]."""
    ax.set_xticks([])
    _TICKS[ax] = _XTicks(
        tuple(float(x) for x in at),
        tuple(labels),
        float(mpl.rcParams["xtick.major.size"]) if length_pt is None else length_pt,
        _label_size() if size_pt is None else size_pt,
    )


def _label_size() -> float:
    return float(FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points())


def x_ticks_svg(fig: Figure) -> str:
    """The SVG of the ticks :func:`set_x_ticks` gave the axes of ``fig`` (in the
    figure's points, as matplotlib's SVG)."""
    rc = mpl.rcParams
    colour = rc["xtick.color"]
    pad_pt = float(rc["xtick.major.pad"])
    width_pt = float(rc["xtick.major.width"])
    family = html.escape(f"'{rc['font.sans-serif'][0]}', sans-serif", quote=False)
    w_in, h_in = fig.get_size_inches()
    w_pt, h_pt = w_in * 72, h_in * 72
    out: list[str] = []
    for ax in fig.axes:
        ticks = _TICKS.get(ax)
        if ticks is None or not ticks.at:
            continue
        box = ax.get_position()
        x0, x1 = ax.get_xlim()
        axis_y = (1 - box.y0) * h_pt
        ascent, descent, gap = font_heights(FontProperties(size=ticks.size_pt))
        marks: list[str] = []
        texts: list[str] = []
        style = (
            f"font-size: {ticks.size_pt:g}px; font-family: {family}; fill: {colour}; "
            "text-anchor: middle"
        )
        for x, label in zip(ticks.at, ticks.labels, strict=True):
            if not min(x0, x1) <= x <= max(x0, x1):
                continue  # as matplotlib: no tick outside the view
            px = (box.x0 + (x - x0) / (x1 - x0) * box.width) * w_pt
            marks.append(f"M {px:.3f} {axis_y:.3f} L {px:.3f} {axis_y + ticks.length_pt:.3f}")
            lines = label.split("\n")
            top = axis_y + ticks.length_pt + pad_pt + (gap / 2 if len(lines) > 1 else 0.0)
            for i, line in enumerate(lines):
                baseline = top + ascent + i * (ascent + descent + gap)
                texts.append(
                    f'<text x="{px:.3f}" y="{baseline:.3f}" style="{style}">'
                    f"{html.escape(line, quote=False)}</text>"
                )
        out.append(
            '<g class="xticks">'
            f'<path d="{" ".join(marks)}" style="fill: none; stroke: {colour}; '
            f'stroke-width: {width_pt:g}"/>' + "".join(texts) + "</g>"
        )
    return "".join(out)
