"""The drawing kit of the review's charts: the colours, the matplotlib settings, the
fixed-margin figure, bars as one compound path per series, the day axis, the legend
in the top margin, and the figure as inline SVG with a text equivalent.

Everything is drawn for inlining: ``svg.fonttype = "none"`` keeps text as text in
the page's own fonts; ids are made unique in the page. What makes a chart cheap (the
clinic draws six for every patient): bars as one compound path per series (not one
patch per bar); each chart's figure made once per process and reused
(:func:`frame`); texts measured once per process (:mod:`collector.review.svg_canvas`);
the ticks written into the SVG (:mod:`collector.review.svg_ticks`); fixed margins,
no layout engine.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from collector.review import svg_legends
from collector.review.svg_canvas import SvgCanvas, forget_measures
from collector.review.svg_ticks import (
    own_y_ticks,
    set_x_ticks,
    x_ticks_svg,
    y_grid,
    y_ticks_svg,
)

# Okabe–Ito: distinguishable with the common colour-vision deficiencies
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#9a9a9a"
INK = "#222222"

RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sitload-report",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": INK,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.frameon": False,
    "legend.fontsize": 8,
    "path.simplify": True,
}


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    alt: str
    """A text equivalent of the chart (the SVG's title)."""
    caption: str
    svg: str


# --------------------------------------------------------------------------- charts


def _rects(x: np.ndarray, width: float, bottom: np.ndarray, top: np.ndarray) -> Path:
    """One compound path with a rectangle per bar (zero-height bars left out)."""
    keep = top != bottom
    x, bottom, top = x[keep], bottom[keep], top[keep]
    n = x.shape[0]
    if n == 0:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    left, right = x - width / 2, x + width / 2
    v = np.empty((n, 5, 2))
    v[:, 0] = np.c_[left, bottom]
    v[:, 1] = np.c_[left, top]
    v[:, 2] = np.c_[right, top]
    v[:, 3] = np.c_[right, bottom]
    v[:, 4] = np.c_[left, bottom]
    codes = np.tile(
        np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]), n
    ).astype(Path.code_type)
    return Path(v.reshape(-1, 2), codes)


def bars(
    ax: Axes,
    x: np.ndarray,
    top: np.ndarray,
    *,
    color: str,
    label: str,
    bottom: np.ndarray | None = None,
    width: float = 0.78,
    hatch: str | None = None,
) -> Patch:
    b = np.zeros_like(top) if bottom is None else bottom
    patch = PathPatch(
        _rects(x.astype(np.float64), width, b, b + top),
        facecolor=color,
        edgecolor="white" if hatch else "none",
        linewidth=0,
        hatch=hatch,
        transform=ax.transData,
    )
    ax.add_artist(patch)  # not add_patch: the limits are set by hand, and cheaper so
    return Patch(facecolor=color, hatch=hatch, label=label, edgecolor="white" if hatch else None)


def day_axis(ax: Axes, dates: Sequence[dt.date], *, narrow: bool = False) -> None:
    """Days along x: every day labelled up to a month (weeks separated by a faint
    line before each Monday), Mondays only beyond. Few ticks: each one costs a text
    layout."""
    n = len(dates)
    ax.set_xlim(-0.7, n - 0.3)
    if narrow and n > 7:
        ticks = [i for i, d in enumerate(dates) if d.weekday() == 0] or [0]
        labels = [dates[i].strftime("Mon\n%d %b") for i in ticks]
    elif n <= 14:
        ticks = list(range(n))
        labels = [d.strftime("%a\n%d %b" if i == 0 else "%a\n%d") for i, d in enumerate(dates)]
    elif n <= 31:
        ticks = list(range(n))
        labels = [
            d.strftime("%d\n%b" if (i == 0 or d.weekday() == 0) else "%d")
            for i, d in enumerate(dates)
        ]
    else:
        mondays = [i for i, d in enumerate(dates) if d.weekday() == 0] or [0]
        ticks = mondays[:: 2 if n > 45 else 1]
        labels = [dates[i].strftime("Mon\n%d %b") for i in ticks]
    weeks = [i - 0.5 for i, d in enumerate(dates) if i and d.weekday() == 0]
    if weeks:  # one artist for all the lines
        ax.vlines(weeks, 0, 1, transform=ax.get_xaxis_transform(), colors="#dddddd",
                  linewidth=0.7, zorder=0)  # fmt: skip
    set_x_ticks(ax, ticks, labels, length_pt=2.0, size_pt=7.5)


_W_IN = 9.0
_LEFT_IN, _RIGHT_IN, _TWIN_IN, _BOTTOM_IN, _TOP_IN, _GAP_IN = 0.62, 0.2, 0.62, 0.5, 0.34, 0.75


def new_figure(
    height_in: float = 2.7,
    cols: int = 1,
    *,
    twin: bool = False,
    xlabel: bool = False,
    top_in: float = _TOP_IN,
) -> tuple[Figure, list[Axes]]:
    """A figure with fixed margins (a layout engine would draw every text twice)."""
    fig = Figure(figsize=(_W_IN, height_in))
    SvgCanvas(fig)
    right = _TWIN_IN if twin else _RIGHT_IN
    bottom = _BOTTOM_IN + (0.18 if xlabel else 0.0)
    fig.subplots_adjust(
        left=_LEFT_IN / _W_IN,
        right=1 - right / _W_IN,
        bottom=bottom / height_in,
        top=1 - top_in / height_in,
        wspace=_GAP_IN / ((_W_IN - _LEFT_IN - right) / max(cols, 1)),
    )
    axes = [fig.add_subplot(1, cols, i + 1) for i in range(cols)]
    for ax in axes:
        if not xlabel:
            no_xlabel(ax)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        own_y_ticks(ax, grid_colour="#e4e4e4", grid_width=0.6)
    return fig, axes


def no_xlabel(ax: Axes) -> None:
    """An x axis without a label: matplotlib need not measure its tick labels again
    to place one (it does for every chart drawn)."""
    ax.xaxis.set_label_coords(0.5, 0.0)


_FRAMES: dict[str, tuple[Figure, list[Axes]]] = {}


def frame(key: str, make: Callable[[], tuple[Figure, list[Axes]]]) -> tuple[Figure, list[Axes]]:
    """The figure of chart ``key`` and its axes (twins last), made by ``make`` the first
    time and kept for the process: the next review's chart reuses the figure, its axes,
    grid and tick objects (most of a chart's cost) with every data artist taken away.
    Each chart sets its limits, ticks, labels and legend every time."""
    made = _FRAMES.get(key)
    if made is None:
        made = _FRAMES[key] = make()
        return made
    for ax in made[0].axes:
        for artist in (*ax.lines, *ax.artists, *ax.patches, *ax.collections, *ax.texts):
            artist.remove()
    return made


def forget_frames() -> None:
    """Drop the kept figures and text measures (the next charts are drawn on new
    figures, as by a new process)."""
    _FRAMES.clear()
    forget_measures()
    svg_legends.forget_legends()


def top_legend(ax: Axes, handles: Sequence[Artist], ncols: int | None = None) -> None:
    """The legend in the top margin, above the axes (the one already there when its
    entries look the same)."""
    key = (tuple(_look(h) for h in handles), ncols)
    if svg_legends.same_legend(ax, key):
        return
    svg_legends.remember(ax, key)
    ax.legend(
        handles=list(handles),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=ncols or len(handles),
        fontsize=7.5,
        borderaxespad=0.25,
        handlelength=1.6,
        columnspacing=1.2,
    )


def _look(handle: Artist) -> tuple[object, ...]:
    """What a legend entry shows of ``handle``."""
    if isinstance(handle, Patch):
        return ("patch", handle.get_label(), handle.get_facecolor(), handle.get_edgecolor(),
                handle.get_hatch())  # fmt: skip
    if isinstance(handle, Line2D):
        return ("line", handle.get_label(), handle.get_color(), handle.get_linestyle(),
                handle.get_marker(), handle.get_markersize(),
                str(handle.get_markerfacecolor()))  # fmt: skip
    return ("other", id(handle))  # never the same


_META = {"Date": None, "Creator": None}
_ID_RE = re.compile(r'(\bid="|url\(#|href="#)')
_XMLNS_RE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_META_RE = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def svg_markup(fig: Figure, key: str, alt: str) -> str:
    grid = y_grid(fig)
    try:
        raw = svg_legends.draw_svg(fig, lambda buf: fig.savefig(buf, format="svg", metadata=_META))
    finally:
        for lines in grid:
            lines.remove()
    svg = raw[raw.index("<svg") :]
    svg = _META_RE.sub("", svg)
    svg = _XMLNS_RE.sub("", svg)  # the HTML parser puts <svg> in the SVG namespace
    svg = _ID_RE.sub(rf"\1{key}-", svg)  # ids unique in the page
    svg = re.sub(r'<svg\s+width="[^"]*"\s+height="[^"]*"', "<svg", svg, count=1)
    end = svg.rindex("</svg>")
    svg = svg[:end] + y_ticks_svg(fig) + x_ticks_svg(fig) + svg[end:]
    head, sep, rest = svg.partition(">")
    title_id = f"{key}-title"
    return (
        f'{head} role="img" aria-labelledby="{title_id}" class="chart"{sep}'
        f'<title id="{title_id}">{html.escape(alt)}</title>{rest}'
    ).strip()


def to_hours(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 3600.0 for s in seconds], dtype=np.float64)


def to_minutes(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 60.0 for s in seconds], dtype=np.float64)


def bin_label(label: str) -> str:
    """``<30min`` → ``< 30 min``, ``>=4h`` → ``≥ 4 h``, ``1-2h`` → ``1–2 h``."""
    out = label.replace(">=", "≥ ").replace("<", "< ").replace("-", "–")
    return out.replace("min", " min").replace("h", " h")
