"""A chart's legend drawn once per process: its SVG kept and written again.

Every patient's chart has the same legend (the entries change only with the data:
a low-wear entry, a snooze entry, the pain baseline), at the same place, and laying
out a legend (its texts, handles and boxes) each time was a third of a chart's
drawing. So :func:`draw_svg` draws each legend the first time and keeps its SVG
group (with the hatch patterns and markers it uses); while an axes' legend stays
the same (``key``, given by :func:`remember`) the chart is drawn without it and the
kept SVG written in its place.
"""

from __future__ import annotations

import io
import re
import weakref
from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.figure import Figure

_KEYS: weakref.WeakKeyDictionary[Axes, object] = weakref.WeakKeyDictionary()
_KEPT: weakref.WeakKeyDictionary[Axes, tuple[object, str]] = weakref.WeakKeyDictionary()

_LEGEND_OPEN = re.compile(r'<g id="legend_\d+">')
_TAG = re.compile(r"<(/?)g\b[^>]*?(/?)>")
_COUNTER_ID = re.compile(r' id="[A-Za-z]+[A-Za-z0-9]*_\d+"')
_REFS = re.compile(r'(?:url\(#|href="#)([A-Za-z][\w-]*)')


def same_legend(ax: Axes, key: object) -> bool:
    """Whether ``ax`` has a legend and it shows ``key``."""
    return ax.legend_ is not None and _KEYS.get(ax) == key


def remember(ax: Axes, key: object) -> None:
    """``ax``'s legend (just made) shows ``key``: the same key, the same legend."""
    _KEYS[ax] = key


def draw_svg(fig: Figure, draw: Callable[[io.StringIO], None]) -> str:
    """The SVG ``draw`` writes of ``fig``, each legend written from the one kept."""
    reuse = [
        ax
        for ax in fig.axes
        if ax.legend_ is not None
        and ax in _KEYS
        and ax in _KEPT
        and _KEPT[ax][0] == _KEYS[ax]
        and ax.legend_.get_visible()
    ]
    for ax in reuse:
        assert ax.legend_ is not None
        ax.legend_.set_visible(False)
    buf = io.StringIO()
    try:
        draw(buf)
    finally:
        for ax in reuse:
            assert ax.legend_ is not None
            ax.legend_.set_visible(True)
    svg = buf.getvalue()
    fresh = [ax for ax in fig.axes if ax.legend_ is not None and ax not in reuse]
    groups = _legend_groups(svg)
    if len(groups) == len(fresh):  # in drawing order: one group per legend drawn
        for ax, group in zip(fresh, groups, strict=True):
            if ax in _KEYS:
                _KEPT[ax] = (_KEYS[ax], _standalone(group, svg))
    kept = "".join(_KEPT[ax][1] for ax in reuse)
    if not kept:
        return svg
    end = svg.rindex("</svg>")
    return svg[:end] + _without_known_defs(kept, svg[:end]) + svg[end:]


def forget_legends() -> None:
    """Drop the kept legends (the next charts draw theirs again)."""
    _KEPT.clear()


def _legend_groups(svg: str) -> list[str]:
    out: list[str] = []
    for found in _LEGEND_OPEN.finditer(svg):
        depth = 0
        for tag in _TAG.finditer(svg, found.start()):
            if tag.group(2):  # <g/>
                continue
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                out.append(svg[found.start() : tag.end()])
                break
    return out


def _standalone(group: str, svg: str) -> str:
    """``group`` without its counted ids (the next drawing counts its own), with the
    definitions it refers to that ``svg`` holds outside it (hatch patterns,
    markers)."""
    defs: list[str] = []
    for ref in dict.fromkeys(_REFS.findall(group)):
        if f'id="{ref}"' in group:
            continue
        found = re.search(rf'<(pattern|path)\b[^>]*\bid="{ref}"', svg)
        if found is None:
            continue
        tag = found.group(1)
        end = svg.index("/>", found.end()) + 2 if tag == "path" else -1
        if tag == "pattern":
            end = svg.index("</pattern>", found.end()) + len("</pattern>")
        defs.append(svg[found.start() : end])
    body = _COUNTER_ID.sub("", group)
    return (f"<defs>{''.join(defs)}</defs>" if defs else "") + body


def _without_known_defs(kept: str, svg: str) -> str:
    """``kept`` without the definitions ``svg`` already has (the same id: the same
    hatch or marker)."""

    def unless_known(m: re.Match[str]) -> str:
        return "" if f'id="{m.group(1)}"' in svg else m.group(0)

    kept = _PATTERN_DEF.sub(unless_known, kept)
    return _MARKER_DEF.sub(unless_known, kept)


_PATTERN_DEF = re.compile(r'<pattern\b[^>]*\bid="([A-Za-z][\w-]*)"[^>]*>.*?</pattern>', re.S)
_MARKER_DEF = re.compile(r'<path\b[^>]*\bid="([A-Za-z][\w-]*)"[^>]*/>')
