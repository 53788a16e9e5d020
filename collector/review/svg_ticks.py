"""Tick marks, tick labels, grid lines and axis labels of a chart, written as SVG
where matplotlib placed them (in the page's fonts, the text as text):

* x (:func:`set_x_ticks`): fixed positions and labels; a mark below the axis at each,
  the label centred under it ``pad`` below the mark, its lines spaced by the font's
  own metrics; or (:func:`auto_x_ticks`) matplotlib's default ticks of the limits;
* y (:func:`own_y_ticks`): matplotlib's ``MaxNLocator(nbins=5, integer=True)`` on the
  axes' limits at drawing time, labelled as its ``ScalarFormatter`` labels them,
  right-aligned left of the axis (left-aligned right of a twin's), the grid under the
  data, and the axis label beside the widest label as matplotlib places it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from collector.review.svg_figure import Axes, Figure, XTicks, label_text
from collector.review.svg_font import ASCENT, DESCENT, FAMILY, LINE_GAP, text_width

TICK_COLOUR = "#444444"
LABEL_COLOUR = "#222222"
TICK_SIZE_PT = 8.5
"""Tick labels and axis labels (font.size; the tick label sizes are "medium")."""
TICK_LENGTH_PT = 3.5
TICK_PAD_PT = 3.5
TICK_WIDTH_PT = 0.8
LABEL_PAD_PT = 4.0
FONT = f"'{FAMILY}', sans-serif"

_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""MaxNLocator's default steps."""
_AUTO_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
"""AutoLocator's steps."""


def set_x_ticks(
    ax: Axes,
    at: Sequence[float],
    labels: Sequence[str],
    *,
    length_pt: float = TICK_LENGTH_PT,
    size_pt: float = TICK_SIZE_PT,
) -> None:
    """Ticks at ``at`` labelled ``labels`` (lines split by ``\\n``) under ``ax``."""
    ax.x_ticks = XTicks(tuple(float(x) for x in at), tuple(labels), length_pt, size_pt)


def auto_x_ticks(ax: Axes) -> None:
    """matplotlib's default x ticks (its AutoLocator) on ``ax``'s limits at drawing
    time."""
    ax.auto_x_ticks = True


def own_y_ticks(
    ax: Axes, *, right: bool = False, grid_colour: str | None = None, grid_width: float = 0.6
) -> None:
    """The y ticks of ``ax`` (on the ``right`` for a twin; with grid lines in
    ``grid_colour``)."""
    ax.y_right = right
    ax.grid_colour = grid_colour
    ax.grid_width_pt = grid_width


# ----------------------------------------------------------------- where the ticks go


def _scale_range(vmin: float, vmax: float, n: int) -> tuple[float, float]:
    dv = abs(vmax - vmin)
    meanv = (vmax + vmin) / 2
    offset = 0.0
    if abs(meanv) / dv >= 100:
        offset = math.copysign(10 ** (math.log10(abs(meanv)) // 1), meanv)
    return 10 ** (math.log10(dv / n) // 1), offset


def _close_to(ms: float, edge: float, step: float, offset: float) -> bool:
    tol = 1e-10
    if offset > 0:
        tol = min(0.4999, max(1e-10, 10 ** (math.log10(offset / step) - 12)))
    return abs(ms - edge) < tol


def tick_values(
    vmin: float,
    vmax: float,
    *,
    nbins: int = 5,
    integer: bool = True,
    steps: Sequence[float] = _STEPS,
) -> list[float]:
    """The ticks matplotlib's ``MaxNLocator(nbins, steps, integer)`` puts between
    ``vmin`` and ``vmax`` (both included)."""
    if vmax < vmin:
        vmin, vmax = vmax, vmin
    if vmax - vmin <= 1e-14 * max(abs(vmin), abs(vmax), 1e-14):
        vmin, vmax = vmin - 1e-13 * max(abs(vmin), 1.0), vmax + 1e-13 * max(abs(vmax), 1.0)
    scale, offset = _scale_range(vmin, vmax, nbins)
    lo_v, hi_v = vmin - offset, vmax - offset
    base = [*steps[:-1]]
    staircase = [0.1 * s for s in base] + [*steps] + [10 * steps[1]]
    scaled = [s * scale for s in staircase]
    if integer:
        scaled = [s for s in scaled if s < 1 or abs(s - round(s)) < 0.001]
    raw_step = (hi_v - lo_v) / nbins
    large = [i for i, s in enumerate(scaled) if s >= raw_step]
    istep = large[0] if large else len(scaled) - 1
    ticks: list[float] = []
    for step in reversed(scaled[: istep + 1]):
        if integer and math.floor(hi_v) - math.ceil(lo_v) >= 1:
            step = max(1.0, step)
        best = (lo_v // step) * step
        d, m = divmod(lo_v - best, step)
        low = d + 1 if _close_to(m / step, 1, step, abs(offset)) else d
        d, m = divmod(hi_v - best, step)
        high = d if _close_to(m / step, 0, step, abs(offset)) else d + 1
        ticks = [k * step + best for k in range(int(low), int(high) + 1)]
        if sum(lo_v <= t <= hi_v for t in ticks) >= 2:
            break
    tol = (vmax - vmin) * 1e-10
    return [t + offset for t in ticks if vmin - tol <= t + offset <= vmax + tol]


def format_ticks(values: Sequence[float]) -> list[str]:
    """The labels matplotlib's ScalarFormatter gives ``values`` (as few decimals as
    they all need; a minus sign for negatives)."""
    decimals = 0
    while decimals < 8 and any(
        abs(v - round(v, decimals)) > 1e-9 * max(1.0, abs(v)) for v in values
    ):
        decimals += 1
    out = []
    for v in values:
        text = f"{v:.{decimals}f}"
        if float(text) == 0:
            text = text.lstrip("-")
        out.append(text.replace("-", "\N{MINUS SIGN}"))
    return out


def _y_values(ax: Axes) -> list[float]:
    return tick_values(*ax.ylim, nbins=5, integer=True)


def _x_auto(ax: Axes) -> XTicks:
    space = math.floor(ax.width / (TICK_SIZE_PT * 3))
    nbins = min(max(space, 1), 9)
    values = tick_values(*ax.xlim, nbins=nbins, integer=False, steps=_AUTO_STEPS)
    return XTicks(tuple(values), tuple(format_ticks(values)), TICK_LENGTH_PT, TICK_SIZE_PT)


# ------------------------------------------------------------------------ the drawing


def place_axis_labels(fig: Figure) -> None:
    """Grid lines and axis labels into ``fig``'s axes (the limits are final now)."""
    for ax in fig.axes:
        values = _y_values(ax)
        ax.grid(values)
        if ax.ylabel:
            widest = max((text_width(t, TICK_SIZE_PT) for t in format_ticks(values)), default=0.0)
            away = TICK_LENGTH_PT + TICK_PAD_PT + widest + LABEL_PAD_PT
            if ax.y_right:
                x = ax.right + away + ASCENT * TICK_SIZE_PT
            else:
                x = ax.left - away - DESCENT * TICK_SIZE_PT
            y = (ax.top + ax.bottom) / 2
            text = label_text(x, y, ax.ylabel, TICK_SIZE_PT, LABEL_COLOUR, family=FONT,
                              rotate=True)  # fmt: skip
            ax.add(1.5, _written(text))
        if ax.xlabel:
            ticks = _x_auto(ax) if ax.auto_x_ticks else ax.x_ticks
            below = 0.0
            if ticks is not None and ticks.at:
                lines = max(len(t.split("\n")) for t in ticks.labels)
                size = ticks.size_pt
                below = ticks.length_pt + TICK_PAD_PT + lines * (ASCENT + DESCENT) * size
                below += (lines - 1) * LINE_GAP * size
            y = ax.bottom + below + LABEL_PAD_PT + ASCENT * TICK_SIZE_PT
            x = (ax.left + ax.right) / 2
            text = label_text(x, y, ax.xlabel, TICK_SIZE_PT, LABEL_COLOUR, family=FONT)
            ax.add(1.5, _written(text))


def _written(text: str) -> Callable[[], str]:
    return lambda: text


def y_ticks_svg(fig: Figure) -> str:
    """The SVG of the y tick marks and labels of ``fig``'s axes."""
    size_pt = TICK_SIZE_PT
    ascent = ASCENT * size_pt
    gap_pt = TICK_LENGTH_PT + TICK_PAD_PT
    out: list[str] = []
    for ax in fig.axes:
        values = _y_values(ax)
        if not values:
            continue
        labels = format_ticks(values)
        axis_x = ax.right if ax.y_right else ax.left
        sign = 1.0 if ax.y_right else -1.0
        anchor = "start" if ax.y_right else "end"
        style = (
            f"font-size: {size_pt:g}px; font-family: {FONT}; fill: {TICK_COLOUR}; "
            f"text-anchor: {anchor}"
        )
        marks: list[str] = []
        texts: list[str] = []
        for py, label in zip(ax.py(values).tolist(), labels, strict=True):
            marks.append(f"M {axis_x:.3f} {py:.3f} L {axis_x + sign * TICK_LENGTH_PT:.3f} {py:.3f}")
            texts.append(
                f'<text x="{axis_x + sign * gap_pt:.3f}" y="{py + ascent / 2:.3f}" '
                f'style="{style}">{label}</text>'
            )
        out.append(
            '<g class="yticks">'
            f'<path d="{" ".join(marks)}" style="fill: none; stroke: {TICK_COLOUR}; '
            f'stroke-width: {TICK_WIDTH_PT:g}"/>' + "".join(texts) + "</g>"
        )
    return "".join(out)


def x_ticks_svg(fig: Figure) -> str:
    """The SVG of the x ticks of ``fig``'s axes."""
    out: list[str] = []
    for ax in fig.axes:
        ticks = _x_auto(ax) if ax.auto_x_ticks else ax.x_ticks
        if ticks is None or not ticks.at:
            continue
        x0, x1 = ax.xlim
        axis_y = ax.bottom
        size = ticks.size_pt
        ascent, descent, gap = ASCENT * size, DESCENT * size, LINE_GAP * size
        marks: list[str] = []
        texts: list[str] = []
        style = (
            f"font-size: {size:g}px; font-family: {FONT}; fill: {TICK_COLOUR}; text-anchor: middle"
        )
        for x, label in zip(ticks.at, ticks.labels, strict=True):
            if not min(x0, x1) <= x <= max(x0, x1):
                continue  # as matplotlib: no tick outside the view
            px = float(ax.px(x))
            marks.append(f"M {px:.3f} {axis_y:.3f} L {px:.3f} {axis_y + ticks.length_pt:.3f}")
            lines = label.split("\n")
            top = axis_y + ticks.length_pt + TICK_PAD_PT + (gap / 2 if len(lines) > 1 else 0.0)
            for i, line in enumerate(lines):
                baseline = top + ascent + i * (ascent + descent + gap)
                texts.append(
                    f'<text x="{px:.3f}" y="{baseline:.3f}" style="{style}">'
                    f"{label_escape(line)}</text>"
                )
        out.append(
            '<g class="xticks">'
            f'<path d="{" ".join(marks)}" style="fill: none; stroke: {TICK_COLOUR}; '
            f'stroke-width: {TICK_WIDTH_PT:g}"/>' + "".join(texts) + "</g>"
        )
    return "".join(out)


def label_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
