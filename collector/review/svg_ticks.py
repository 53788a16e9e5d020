"""Tick marks and tick labels written straight into a chart's SVG.

matplotlib lays out every tick label two or three times each time a chart is drawn
(to measure the axis, to place the axis label, to draw it) and draws each tick mark
and grid line as an artist of its own: the ticks were three quarters of a chart's
cost (the 28 day labels of a month half of it). Here the charts' ticks are written
as SVG, placed as matplotlib places them, in the page's fonts (``svg.fonttype =
"none"``):

* x (:func:`set_x_ticks`): fixed positions and labels; a mark below the axis at each,
  the label centred under it ``pad`` below the mark, its lines spaced by the font's
  own metrics;
* y (:func:`own_y_ticks`): the axis' locator on its limits at drawing time, labelled
  by its formatter, right-aligned left of the axis (left-aligned right of a twin's),
  the grid one collection under the data, and the axis label placed beside the
  widest label as matplotlib places it.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import Locator

from collector.review.svg_canvas import font_heights, text_width


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


@dataclass(frozen=True, slots=True)
class _YTicks:
    locator: Locator
    right: bool
    grid_colour: str | None
    grid_width: float


_Y_TICKS: weakref.WeakKeyDictionary[Axes, _YTicks] = weakref.WeakKeyDictionary()


def own_y_ticks(
    ax: Axes, *, right: bool = False, grid_colour: str | None = None, grid_width: float = 0.6
) -> None:
    """The y ticks of ``ax`` (at its current locator's values; on the ``right`` for a
    twin; with grid lines in ``grid_colour``) drawn by :func:`y_grid` and
    :func:`y_ticks_svg` from now on, not by matplotlib."""
    _Y_TICKS[ax] = _YTicks(ax.yaxis.get_major_locator(), right, grid_colour, grid_width)
    ax.set_yticks([])
    ax.yaxis.set_label_position("right" if right else "left")


def _y_values(ax: Axes, locator: Locator) -> list[float]:
    y0, y1 = sorted(ax.get_ylim())
    tol = (y1 - y0) * 1e-10
    return [float(v) for v in locator.tick_values(y0, y1) if y0 - tol <= v <= y1 + tol]


def y_grid(fig: Figure) -> list[LineCollection]:
    """Place the y axis labels of ``fig``'s axes and add their grid lines (for the
    drawing to come; remove them after it): the limits are final now."""
    added: list[LineCollection] = []
    rc = mpl.rcParams
    gap_pt = float(rc["ytick.major.size"]) + float(rc["ytick.major.pad"])
    prop = FontProperties(size=rc["ytick.labelsize"])
    w_pt = fig.get_size_inches()[0] * 72
    for ax, ticks in list(_Y_TICKS.items()):
        if ax.get_figure(root=True) is not fig:
            continue
        values = _y_values(ax, ticks.locator)
        labels = ax.yaxis.get_major_formatter().format_ticks(values)
        widest = max((text_width(t, prop) for t in labels), default=0.0)
        away_pt = gap_pt + widest + ax.yaxis.labelpad
        width_pt = ax.get_position().width * w_pt
        x = 1 + away_pt / width_pt if ticks.right else -away_pt / width_pt
        ax.yaxis.set_label_coords(x, 0.5)
        if ticks.grid_colour is not None and values:
            lines = LineCollection(
                [[(0.0, v), (1.0, v)] for v in values],
                colors=ticks.grid_colour,
                linewidths=ticks.grid_width,
                zorder=0.5,  # under the data, as set_axisbelow(True)
                transform=ax.get_yaxis_transform(),
            )
            ax.add_collection(lines, autolim=False)
            added.append(lines)
    return added


def y_ticks_svg(fig: Figure) -> str:
    """The SVG of the y tick marks and labels of ``fig``'s axes given to
    :func:`own_y_ticks` (in the figure's points, as matplotlib's SVG)."""
    rc = mpl.rcParams
    colour = rc["ytick.color"]
    length_pt = float(rc["ytick.major.size"])
    gap_pt = length_pt + float(rc["ytick.major.pad"])
    prop = FontProperties(size=rc["ytick.labelsize"])
    size_pt = prop.get_size_in_points()
    ascent = font_heights(prop)[0]
    family = html.escape(f"'{rc['font.sans-serif'][0]}', sans-serif", quote=False)
    w_in, h_in = fig.get_size_inches()
    w_pt, h_pt = w_in * 72, h_in * 72
    out: list[str] = []
    for ax in fig.axes:
        ticks = _Y_TICKS.get(ax)
        if ticks is None:
            continue
        values = _y_values(ax, ticks.locator)
        if not values:
            continue
        labels = ax.yaxis.get_major_formatter().format_ticks(values)
        box = ax.get_position()
        y0, y1 = ax.get_ylim()
        axis_x = (box.x1 if ticks.right else box.x0) * w_pt
        sign = 1.0 if ticks.right else -1.0
        anchor = "start" if ticks.right else "end"
        style = (
            f"font-size: {size_pt:g}px; font-family: {family}; fill: {colour}; "
            f"text-anchor: {anchor}"
        )
        marks: list[str] = []
        texts: list[str] = []
        for v, label in zip(values, labels, strict=True):
            py = (1 - (box.y0 + (v - y0) / (y1 - y0) * box.height)) * h_pt
            marks.append(f"M {axis_x:.3f} {py:.3f} L {axis_x + sign * length_pt:.3f} {py:.3f}")
            texts.append(
                f'<text x="{axis_x + sign * gap_pt:.3f}" y="{py + ascent / 2:.3f}" '
                f'style="{style}">{html.escape(label, quote=False)}</text>'
            )
        width_pt = float(rc["ytick.major.width"])
        out.append(
            '<g class="yticks">'
            f'<path d="{" ".join(marks)}" style="fill: none; stroke: {colour}; '
            f'stroke-width: {width_pt:g}"/>' + "".join(texts) + "</g>"
        )
    return "".join(out)


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
