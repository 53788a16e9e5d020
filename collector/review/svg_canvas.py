"""The canvas the review's charts are drawn on: matplotlib's SVG canvas, with the
size of every text measured once per process.

matplotlib measures each text (a tick label, a legend entry) through the renderer,
and keeps the measures per renderer: a new one for every chart written. The review
draws the same few hundred texts (dates, counts, labels) on every patient's charts,
so here the measures are kept for the process (they depend only on the string, the
font and whether it is mathtext: SVG is drawn at the fixed 72 dpi).
"""

from __future__ import annotations

from typing import IO, Any

from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

_MEASURED_MAX = 20_000
"""Texts measured at most (a review has a few hundred; the rest are dates and counts)."""


_Heights = tuple[float, float, float] | tuple[None, None, None]


_TEXT2PATH = TextToPath()
"""What RendererSVG measures texts with (at 72 dpi: in points)."""
_MEASURED: dict[tuple[str, FontProperties, Any], tuple[float, float, float]] = {}
_HEIGHTS: dict[FontProperties, _Heights] = {}


def _measured(s: str, prop: FontProperties, ismath: Any) -> tuple[float, float, float]:
    key = (s, prop.copy(), ismath)  # a copy: FontProperties hashes its mutable state
    got = _MEASURED.get(key)
    if got is None:
        got = _TEXT2PATH.get_text_width_height_descent(s, prop, ismath)
        if len(_MEASURED) >= _MEASURED_MAX:
            _MEASURED.clear()
        _MEASURED[key] = got
    return got


def text_width(s: str, prop: FontProperties) -> float:
    """The width of ``s`` (plain text) in ``prop``'s font, in points."""
    return _measured(s, prop, False)[0]


class _MeasuringRenderer(RendererSVG):
    def _get_font_height_metrics(self, prop: FontProperties) -> _Heights:
        """A font's ascent, descent and line gap at 72 dpi, as ``Text._get_layout``
        takes them from the font's tables when the renderer does not give them."""
        return _font_table_heights(prop)

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        return _measured(s, prop, ismath)


def _font_table_heights(prop: FontProperties) -> _Heights:
    key = prop.copy()  # a copy: FontProperties hashes its mutable state
    got = _HEIGHTS.get(key)
    if got is None:
        got = _HEIGHTS[key] = _font_heights(prop)
    return got


def font_heights(prop: FontProperties) -> tuple[float, float, float]:
    """The ascent, descent and line gap of ``prop``'s font in points, from its tables
    (else from the size: DejaVu Sans's proportions)."""
    ascent, descent, gap = _font_table_heights(prop)
    if ascent is None or descent is None or gap is None:
        size = prop.get_size_in_points()
        return 0.76 * size, 0.24 * size, 0.2 * size
    return ascent, descent, gap


def _font_heights(prop: FontProperties) -> _Heights:
    font = get_font(fontManager._find_fonts_by_props(prop))
    head = font.get_sfnt_table("head")
    os2 = font.get_sfnt_table("OS/2")
    hhea = font.get_sfnt_table("hhea")
    if head is None:
        return None, None, None
    scale = prop.get_size_in_points() / head["unitsPerEm"]  # at 72 dpi
    if os2 is not None:
        return (
            os2["sTypoAscender"] * scale,
            -os2["sTypoDescender"] * scale,
            os2["sTypoLineGap"] * scale,
        )
    if hhea is not None:
        return hhea["ascent"] * scale, -hhea["descent"] * scale, hhea["lineGap"] * scale
    return None, None, None


def forget_measures() -> None:
    """Drop the kept text measures (the next texts are measured again)."""
    _MEASURED.clear()
    _HEIGHTS.clear()


class SvgCanvas(FigureCanvasSVG):
    """FigureCanvasSVG whose ``print_svg`` draws with the measuring renderer into a
    text stream (the rest as matplotlib's own)."""

    def print_svg(
        self,
        filename: IO[str],
        *,
        bbox_inches_restore: Any = None,
        metadata: dict[str, Any] | None = None,
        **_applied: Any,
    ) -> None:
        """As ``FigureCanvasSVG.print_svg`` into the text stream ``filename``;
        ``_applied``: what ``print_figure`` passes and has already applied (dpi,
        facecolor, edgecolor, orientation)."""
        dpi = self.figure.dpi
        self.figure.dpi = 72  # print_figure puts it back
        width, height = self.figure.get_size_inches()
        svg = _MeasuringRenderer(  # type: ignore[no-untyped-call]
            width * 72, height * 72, filename, image_dpi=dpi, metadata=metadata
        )
        renderer = MixedModeRenderer(  # type: ignore[no-untyped-call]
            self.figure, width, height, dpi, svg, bbox_inches_restore=bbox_inches_restore
        )
        self.figure.draw(renderer)  # type: ignore[arg-type]
        renderer.finalize()
