"""The drawing kit of the review's charts: the colours, the fixed-margin figure, bars
as one compound path per series, the day axis, the legend in the top margin, and the
figure as inline SVG with a text equivalent.

Everything is written straight as SVG (:mod:`collector.review.svg_figure`, the ticks
in :mod:`collector.review.svg_ticks`, the legends in
:mod:`collector.review.svg_legends`), as matplotlib drew these charts but without
importing it: text stays text in the page's own fonts, ids are unique in the page.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from collector.review.svg_figure import Axes, Figure
from collector.review.svg_legends import Entry, Swatch
from collector.review.svg_legends import top_legend as _top_legend
from collector.review.svg_ticks import (
    own_y_ticks,
    place_axis_labels,
    set_x_ticks,
    x_ticks_svg,
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
LOW_WEAR = "#cfcfcf"


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    alt: str
    """A text equivalent of the chart (the SVG's title)."""
    caption: str
    svg: str


# --------------------------------------------------------------------------- charts


def bars(
    ax: Axes,
    x: np.ndarray,
    top: np.ndarray,
    *,
    color: str,
    label: str,
    bottom: np.ndarray | None = None,
    width: float = 0.78,
    hatched: bool = False,
) -> Swatch:
    """Bars of ``top`` (on ``bottom``) at ``x``, one path; their legend entry
    (``hatched``: the ``////`` hatch on ``color``)."""
    b = np.zeros(top.shape, dtype=np.float64) if bottom is None else bottom.astype(np.float64)
    fill = f"url(#{ax.fig.hatch(color)})" if hatched else color
    ax.bars(x.astype(np.float64), b, b + top.astype(np.float64), width, fill)
    return Swatch(label, color, hatched)


def day_axis(ax: Axes, dates: Sequence[dt.date], *, narrow: bool = False) -> None:
    """Days along x: every day labelled up to a month (weeks separated by a faint
    line before each Monday), Mondays only beyond."""
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
    if weeks:
        ax.vlines(weeks, "#dddddd", 0.7)
    set_x_ticks(ax, ticks, labels, length_pt=2.0, size_pt=7.5)


_W_IN = 9.0
_LEFT_IN, _RIGHT_IN, _TWIN_IN, _BOTTOM_IN, _TOP_IN, _GAP_IN = 0.62, 0.2, 0.62, 0.5, 0.34, 0.75


def new_figure(
    key: str,
    height_in: float = 2.7,
    cols: int = 1,
    *,
    twin: bool = False,
    xlabel: bool = False,
    top_in: float = _TOP_IN,
) -> tuple[Figure, list[Axes]]:
    """Chart ``key``'s figure: ``cols`` axes side by side at fixed margins (room on
    the right for a ``twin``'s axis, below for an ``xlabel``), as matplotlib's
    ``subplots_adjust`` places them."""
    fig = Figure(key, _W_IN, height_in)
    right_in = _TWIN_IN if twin else _RIGHT_IN
    bottom_in = _BOTTOM_IN + (0.18 if xlabel else 0.0)
    left, right = _LEFT_IN * 72, (_W_IN - right_in) * 72
    top, bottom = top_in * 72, (height_in - bottom_in) * 72
    wspace = _GAP_IN / ((_W_IN - _LEFT_IN - right_in) / max(cols, 1))
    cell = (right - left) / (cols + wspace * (cols - 1))
    axes = []
    for i in range(cols):
        x0 = left + i * cell * (1 + wspace)
        ax = fig.add_axes(x0, top, x0 + cell, bottom)
        own_y_ticks(ax, grid_colour="#e4e4e4", grid_width=0.6)
        axes.append(ax)
    return fig, axes


def with_twin(fig: Figure, axes: list[Axes], on: int) -> tuple[Figure, list[Axes]]:
    """``axes`` and a twin of ``axes[on]`` (its own y axis on the right) last."""
    twin = axes[on].twinx()
    own_y_ticks(twin, right=True)
    return fig, [*axes, twin]


def top_legend(ax: Axes, entries: Sequence[Entry], ncols: int | None = None) -> None:
    """The legend in the top margin, above the axes."""
    _top_legend(ax, entries, ncols)


def svg_markup(fig: Figure, alt: str) -> str:
    """``fig`` as inline SVG with ``alt`` as its title."""
    place_axis_labels(fig)
    key = fig.key
    title_id = f"{key}-title"
    return (
        f'<svg viewBox="0 0 {_num(fig.width_pt)} {_num(fig.height_pt)}" version="1.1" '
        f'role="img" aria-labelledby="{title_id}" class="chart">'
        f'<title id="{title_id}">{html.escape(alt)}</title>'
        '<defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}'
        "</style></defs>"
        f"{fig.body()}{y_ticks_svg(fig)}{x_ticks_svg(fig)}</svg>"
    )


def _num(x: float) -> str:
    return f"{x:f}".rstrip("0").rstrip(".")


def to_hours(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 3600.0 for s in seconds], dtype=np.float64)


def to_minutes(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 60.0 for s in seconds], dtype=np.float64)


def bin_label(label: str) -> str:
    """``<30min`` → ``< 30 min``, ``>=4h`` → ``≥ 4 h``, ``1-2h`` → ``1–2 h``."""
    out = label.replace(">=", "≥ ").replace("<", "< ").replace("-", "–")
    return out.replace("min", " min").replace("h", " h")
