"""A chart's figure written straight as SVG: axes boxes at fixed margins, bars as one
compound path per series, lines, markers, the spines, in the figure's points.

The review's charts were drawn with matplotlib and its SVG canvas; this writes the
same picture (the same boxes, coordinates, colours, line styles and marker shapes as
matplotlib wrote them) without importing matplotlib, which cost a new
``sitload report`` process more than half a second before its first chart. Within an
axes, shapes are stacked as matplotlib stacks its artists (by their z-order, then in
the order they were added): week lines 0, grid lines 0.5, bars 1, the axis labels
1.5, lines and markers 2, the spines 2.5; a twin's after its host axes. The ticks
(:mod:`collector.review.svg_ticks`) and the legend
(:mod:`collector.review.svg_legends`) are written by their own modules.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SPINE = "#555555"
LINE_WIDTH_PT = 1.5
"""matplotlib's default line width (lines.linewidth), in points."""
DASHES: dict[str, tuple[float, float]] = {"--": (3.7, 1.6), ":": (1.0, 1.65)}
"""matplotlib's dash patterns in line widths (lines.dashed_pattern, dotted_pattern)."""
MARKER_SIZE_PT = 6.0
"""matplotlib's default marker size (lines.markersize), in points."""

_Z_WEEKS, _Z_GRID, _Z_BARS, _Z_LABELS, _Z_LINES, _Z_SPINES = 0.0, 0.5, 1.0, 1.5, 2.0, 2.5


def num(x: float) -> str:
    """A coordinate as matplotlib's SVG writes it: at most 6 decimals, no trailing
    zeros."""
    s = f"{x:f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def line_style(colour: str, linestyle: str = "-", width_pt: float = LINE_WIDTH_PT) -> str:
    """The style of a stroked line as matplotlib writes it."""
    parts = ["fill: none"]
    if linestyle in DASHES:
        on, off = DASHES[linestyle]
        parts += [f"stroke-dasharray: {num(on * width_pt)},{num(off * width_pt)}",
                  "stroke-dashoffset: 0"]  # fmt: skip
    parts.append(f"stroke: {colour.lower()}")
    if width_pt != 1.0:
        parts.append(f"stroke-width: {num(width_pt)}")
    if linestyle == "-":
        parts.append("stroke-linecap: square")
    return "; ".join(parts)


def marker_path(marker: str, size_pt: float) -> str:
    """The outline of ``marker`` (matplotlib's ``o ^ D x _``) of ``size_pt`` around
    (0, 0)."""
    a = size_pt / 2
    if marker == "o":
        r = f"{num(a)} {num(a)}"
        return f"M {num(a)} 0 A {r} 0 1 0 {num(-a)} 0 A {r} 0 1 0 {num(a)} 0 z"
    if marker == "^":
        return f"M 0 {num(-a)} L {num(-a)} {num(a)} L {num(a)} {num(a)} z"
    if marker == "D":
        h = size_pt / math.sqrt(2)
        return f"M 0 {num(h)} L {num(h)} 0 L 0 {num(-h)} L {num(-h)} 0 z"
    if marker == "x":
        return (
            f"M {num(-a)} {num(a)} L {num(a)} {num(-a)} M {num(-a)} {num(-a)} L {num(a)} {num(a)}"
        )
    if marker == "_":
        return f"M {num(a)} 0 L {num(-a)} 0"
    raise ValueError(f"marker {marker!r}: give one of o ^ D x _")


def marker_style(marker: str, colour: str, hollow: bool = False) -> str:
    c = colour.lower()
    fill = "fill-opacity: 0" if hollow else f"fill: {c}"
    return f"{fill}; stroke: {c}" + ("; stroke-linejoin: miter" if marker in "D^" else "")


_HATCH_LINES = 25


def hatch_pattern(pattern_id: str, background: str) -> str:
    """matplotlib's ``////`` hatch in white on ``background``, one 72 pt tile."""
    d = " ".join(f"M {-36 + 3 * k} {36 + 3 * k} L {36 + 3 * k} {-36 + 3 * k}"
                 for k in range(_HATCH_LINES))  # fmt: skip
    return (
        f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" x="0" y="0" width="72" '
        f'height="72"><rect x="0" y="0" width="73" height="73" fill="{background}"/>'
        f'<path d="{d}" style="fill: #ffffff; stroke: #ffffff; stroke-width: 1.0; '
        'stroke-linecap: butt; stroke-linejoin: miter"/></pattern>'
    )


class Figure:
    """``width_in`` × ``height_in`` inches (72 points each), its axes in drawing
    order, and the definitions (clip paths, hatches, markers) its shapes use."""

    def __init__(self, key: str, width_in: float, height_in: float) -> None:
        self.key = key
        self.width_pt = width_in * 72
        self.height_pt = height_in * 72
        self.axes: list[Axes] = []
        self.defs: dict[str, str] = {}

    def add_axes(self, left_pt: float, top_pt: float, right_pt: float, bottom_pt: float) -> Axes:
        ax = Axes(self, left_pt, top_pt, right_pt, bottom_pt, len(self.axes) + 1)
        self.axes.append(ax)
        return ax

    def define(self, name: str, markup: str) -> str:
        """The id of the definition ``name`` (``markup`` with ``{id}`` for its id),
        made once per figure."""
        ref = f"{self.key}-{name}"
        if ref not in self.defs:
            self.defs[ref] = markup.replace("{id}", ref)
        return ref

    def hatch(self, background: str) -> str:
        """The id of the ``////`` hatch on ``background``."""
        name = f"hatch-{background.lstrip('#').lower()}"
        ref = f"{self.key}-{name}"
        if ref not in self.defs:
            self.defs[ref] = hatch_pattern(ref, background)
        return ref

    def marker(self, marker: str, size_pt: float) -> str:
        """The id of the shape of ``marker`` at ``size_pt``."""
        name = f"m{'oD^x_'.index(marker)}-{num(size_pt).replace('.', '_')}"
        return self.define(name, f'<path id="{{id}}" d="{marker_path(marker, size_pt)}"/>')

    def body(self) -> str:
        """The background, every axes' shapes and the definitions."""
        w, h = num(self.width_pt), num(self.height_pt)
        out = [f'<path d="M 0 {h} L {w} {h} L {w} 0 L 0 0 z" style="fill: #ffffff"/>']
        out += [ax.body() for ax in self.axes]
        out.append(f"<defs>{''.join(self.defs.values())}</defs>")
        return "".join(out)


@dataclass(frozen=True, slots=True)
class XTicks:
    at: tuple[float, ...]
    """In data coordinates."""
    labels: tuple[str, ...]
    length_pt: float
    size_pt: float


class Axes:
    """A box of the figure (in its points, y down) with data limits; the shapes drawn
    into it, each with its z-order."""

    def __init__(
        self, fig: Figure, left: float, top: float, right: float, bottom: float, index: int
    ) -> None:
        self.fig = fig
        self.left, self.top, self.right, self.bottom = left, top, right, bottom
        self.index = index
        self._xlim = (0.0, 1.0)
        self.ylim = (0.0, 1.0)
        self.ylabel = ""
        self.xlabel = ""
        self.y_right = False
        """The y axis (ticks, label) on the right: a twin's."""
        self.twin = False
        self.grid_colour: str | None = None
        self.grid_width_pt = 0.6
        self.x_ticks: XTicks | None = None
        self.auto_x_ticks = False
        """x ticks placed as matplotlib's default locator places them."""
        self.legend = ""
        self._host: Axes | None = None
        self._items: list[tuple[float, int, Callable[[], str]]] = []

    # geometry
    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def xlim(self) -> tuple[float, float]:
        """The x limits (a twin's are its host's)."""
        return self.host()._xlim

    def set_xlim(self, x0: float, x1: float) -> None:
        self.host()._xlim = (float(x0), float(x1))

    def set_ylim(self, y0: float, y1: float) -> None:
        self.ylim = (float(y0), float(y1))

    def set_ylabel(self, text: str) -> None:
        self.ylabel = text

    def set_xlabel(self, text: str) -> None:
        self.xlabel = text

    def px(self, x: npt.ArrayLike) -> FloatArray:
        x0, x1 = self.xlim
        return self.left + (np.asarray(x, dtype=np.float64) - x0) / (x1 - x0) * self.width

    def py(self, y: npt.ArrayLike) -> FloatArray:
        y0, y1 = self.ylim
        return self.bottom - (np.asarray(y, dtype=np.float64) - y0) / (y1 - y0) * self.height

    def twinx(self) -> Axes:
        """An axes over this one sharing its x (its own y axis on the right)."""
        twin = self.fig.add_axes(self.left, self.top, self.right, self.bottom)
        twin.twin, twin.y_right = True, True
        twin._host = self
        return twin

    def host(self) -> Axes:
        """The axes this one is a twin of (else itself)."""
        return self if self._host is None else self._host

    # shapes
    def add(self, zorder: float, draw: Callable[[], str]) -> None:
        """``draw`` (what it writes) at ``zorder``; called when the figure is written,
        with the limits as they are then."""
        self._items.append((zorder, len(self._items), draw))

    def clip(self) -> str:
        ref = self.fig.define(
            f"clip{self.index}",
            f'<clipPath id="{{id}}"><rect x="{num(self.left)}" y="{num(self.top)}" '
            f'width="{num(self.width)}" height="{num(self.height)}"/></clipPath>',
        )
        return f' clip-path="url(#{ref})"'

    def bars(
        self, x: FloatArray, bottom: FloatArray, top: FloatArray, width: float, fill: str
    ) -> None:
        """One compound path with a rectangle per bar (zero-height bars left out),
        ``fill``: a colour or ``url(#…)``."""
        keep = top != bottom
        if not keep.any():
            return
        x, bottom, top = x[keep], bottom[keep], top[keep]

        def draw() -> str:
            left, right = self.px(x - width / 2).tolist(), self.px(x + width / 2).tolist()
            lo, hi = self.py(bottom).tolist(), self.py(top).tolist()
            d = "".join(
                f"M {num(a)} {num(b)} \nL {num(a)} {num(t)} \nL {num(c)} {num(t)} \n"
                f"L {num(c)} {num(b)} \nz\n"
                for a, c, b, t in zip(left, right, lo, hi, strict=True)
            )
            return f'<path d="{d}"{self.clip()} style="fill: {fill.lower()}"/>'

        self.add(_Z_BARS, draw)

    def vlines(self, xs: Sequence[float], colour: str, width_pt: float) -> None:
        """Lines the full height of the axes at ``xs``, under everything."""
        top, bottom = num(self.top), num(self.bottom)
        style = f"fill: none; stroke: {colour}; stroke-width: {num(width_pt)}"
        at = list(xs)
        self.add(_Z_WEEKS, lambda: "".join(
            f'<path d="M {num(x)} {bottom} \nL {num(x)} {top} \n"{self.clip()} style="{style}"/>'
            for x in self.px(at).tolist()
        ))  # fmt: skip

    def grid(self, ys: Sequence[float]) -> None:
        """Grid lines across the axes at ``ys`` (in its data), over the week lines."""
        if self.grid_colour is None:
            return
        style = f"fill: none; stroke: {self.grid_colour}; stroke-width: {num(self.grid_width_pt)}"
        left, right = num(self.left), num(self.right)
        self.add(_Z_GRID, lambda: "".join(
            f'<path d="M {left} {num(y)} \nL {right} {num(y)} \n"{self.clip()} style="{style}"/>'
            for y in self.py(list(ys)).tolist()
        ))  # fmt: skip

    def axhline(
        self, y: float, *, color: str, linestyle: str = "-", linewidth: float = 1.5
    ) -> None:
        style = line_style(color, linestyle, linewidth)

        def draw() -> str:
            py = num(float(self.py(y)))
            return (f'<path d="M {num(self.left)} {py} \nL {num(self.right)} {py} \n"'
                    f'{self.clip()} style="{style}"/>')  # fmt: skip

        self.add(_Z_LINES, draw)

    def axvline(
        self, x: float, *, color: str, linestyle: str = "-", linewidth: float = 1.5
    ) -> None:
        style = line_style(color, linestyle, linewidth)

        def draw() -> str:
            px = num(float(self.px(x)))
            return (f'<path d="M {px} {num(self.bottom)} \nL {px} {num(self.top)} \n"'
                    f'{self.clip()} style="{style}"/>')  # fmt: skip

        self.add(_Z_LINES, draw)

    def plot(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        color: str,
        linestyle: str = "-",
        linewidth: float = LINE_WIDTH_PT,
        marker: str | None = None,
        markersize: float = MARKER_SIZE_PT,
        hollow: bool = False,
    ) -> None:
        """A line through the points (unless ``linestyle`` is ``"none"``) and a
        ``marker`` at each (``hollow``: its outline only)."""
        xs = np.array(x, dtype=np.float64)
        ys = np.array(y, dtype=np.float64)
        if xs.size == 0:
            return

        def draw() -> str:
            px, py = self.px(xs).tolist(), self.py(ys).tolist()
            out: list[str] = []
            if linestyle != "none":
                d = " \nL ".join(f"{num(a)} {num(b)}" for a, b in zip(px, py, strict=True))
                style = line_style(color, linestyle, linewidth)
                out.append(f'<path d="M {d} \n"{self.clip()} style="{style}"/>')
            if marker is not None:
                ref = self.fig.marker(marker, markersize)
                style = marker_style(marker, color, hollow)
                out.append(f"<g{self.clip()}>" + "".join(
                    f'<use xlink:href="#{ref}" x="{num(a)}" y="{num(b)}" style="{style}"/>'
                    for a, b in zip(px, py, strict=True)
                ) + "</g>")  # fmt: skip
            return "".join(out)

        self.add(_Z_LINES, draw)

    # the whole axes
    def spines(self) -> str:
        style = (f"fill: none; stroke: {SPINE}; stroke-width: 0.8; stroke-linejoin: miter; "
                 "stroke-linecap: square")  # fmt: skip
        lt, lb, r = num(self.left), num(self.bottom), num(self.right)
        if self.twin:
            return f'<path d="M {r} {lb} \nL {r} {num(self.top)} \n" style="{style}"/>'
        return (f'<path d="M {lt} {lb} \nL {lt} {num(self.top)} \n" style="{style}"/>'
                f'<path d="M {lt} {lb} \nL {r} {lb} \n" style="{style}"/>')  # fmt: skip

    def body(self) -> str:
        out = ['<g class="axes">']
        if not self.twin:
            lt, tp, r, b = num(self.left), num(self.top), num(self.right), num(self.bottom)
            out.append(
                f'<path d="M {lt} {b} L {r} {b} L {r} {tp} L {lt} {tp} z" style="fill: #ffffff"/>'
            )
        items = [*self._items, (_Z_SPINES, len(self._items), self.spines)]
        out += [draw() for _, _, draw in sorted(items, key=lambda i: (i[0], i[1]))]
        out.append(self.legend)
        out.append("</g>")
        return "".join(out)


def label_text(x: float, y: float, text: str, size_pt: float, colour: str, *,
               family: str, anchor: str = "middle", rotate: bool = False) -> str:  # fmt: skip
    """A text at (``x``, ``y``) (its baseline), ``rotate``: up the page."""
    turn = f' transform="rotate(-90 {num(x)} {num(y)})"' if rotate else ""
    return (
        f'<text x="{num(x)}" y="{num(y)}"{turn} style="font-size: {num(size_pt)}px; '
        f'font-family: {family}; text-anchor: {anchor}; fill: {colour}">{esc(text)}</text>'
    )
