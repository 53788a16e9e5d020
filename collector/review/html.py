"""The review as one self-contained HTML page.

Everything is inline: the CSS, and the charts as SVG drawn by matplotlib (Agg
canvas, ``svg.fonttype = "none"`` so text stays text in the page's own fonts). There
are no scripts, no external fonts and no URLs at all, so the file works offline and
can be mailed or archived as it is. A print stylesheet lays it out on A4 with a page
break before every section and never splits a chart or a table row.

The top of the page is the two-minute read: the flags first, then a few figures;
the sections follow in the order a physiotherapist asks the questions.

Charts draw bars as one compound path per series (not one patch per bar), which
keeps 90 days of charts well under a second.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from analytics.review import DayReview, Review, hm, threshold_words
from collector.review.meta import ReportMeta

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

_RC: dict[Any, Any] = {
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

_SECTIONS = (
    ("summary", "Summary"),
    ("daily", "Daily sitting and compression"),
    ("bouts", "Bout lengths"),
    ("longest", "Longest compression bouts"),
    ("hip", "Hip flexion above 90°"),
    ("adherence", "Breaks against prompts"),
    ("saddle", "Saddle time"),
    ("weeks", "Week over week"),
    ("pain", "Next-morning pain and the previous day"),
    ("days", "Day by day"),
    ("methods", "How the figures are made"),
)


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


def _bars(
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


def _day_axis(ax: Axes, dates: Sequence[dt.date], *, narrow: bool = False) -> None:
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
    for i, d in enumerate(dates):
        if i and d.weekday() == 0:
            ax.axvline(i - 0.5, color="#dddddd", linewidth=0.7, zorder=0)
    ax.set_xticks(ticks, labels)
    ax.tick_params(axis="x", length=2, labelsize=7.5)


_W_IN = 9.0
_LEFT_IN, _RIGHT_IN, _TWIN_IN, _BOTTOM_IN, _TOP_IN, _GAP_IN = 0.62, 0.2, 0.62, 0.5, 0.34, 0.75


def _figure(
    height_in: float = 2.7,
    cols: int = 1,
    *,
    twin: bool = False,
    xlabel: bool = False,
    top_in: float = _TOP_IN,
) -> tuple[Figure, list[Axes]]:
    """A figure with fixed margins (a layout engine would draw every text twice)."""
    fig = Figure(figsize=(_W_IN, height_in))
    FigureCanvasAgg(fig)
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
        ax.grid(axis="y", color="#e4e4e4", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    return fig, axes


def _legend(ax: Axes, handles: Sequence[Artist], ncols: int | None = None) -> None:
    """The legend in the top margin, above the axes."""
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


_ID_RE = re.compile(r'(\bid="|url\(#|href="#)')
_XMLNS_RE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_META_RE = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg(fig: Figure, key: str, alt: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    raw = buf.getvalue()
    svg = raw[raw.index("<svg") :]
    svg = _META_RE.sub("", svg)
    svg = _XMLNS_RE.sub("", svg)  # the HTML parser puts <svg> in the SVG namespace
    svg = _ID_RE.sub(rf"\1{key}-", svg)  # ids unique in the page
    svg = re.sub(r'<svg\s+width="[^"]*"\s+height="[^"]*"', "<svg", svg, count=1)
    head, sep, rest = svg.partition(">")
    title_id = f"{key}-title"
    return (
        f'{head} role="img" aria-labelledby="{title_id}" class="chart"{sep}'
        f'<title id="{title_id}">{html.escape(alt)}</title>{rest}'
    ).strip()


def _hours(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 3600.0 for s in seconds], dtype=np.float64)


def _minutes(seconds: Iterable[float]) -> np.ndarray:
    return np.array([s / 60.0 for s in seconds], dtype=np.float64)


def _daily_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    sit = _hours(d.sitting_s for d in days)
    ride = _hours(d.riding_seated_s for d in days)
    fig, (ax,) = _figure()
    handles: list[Artist] = [
        _bars(ax, x[valid], sit[valid], color=BLUE, label="sitting"),
        _bars(ax, x[valid], ride[valid], bottom=sit[valid], color=ORANGE, label="seated riding"),
    ]
    if (~valid).any():
        handles.append(
            _bars(
                ax,
                x[~valid],
                (sit + ride)[~valid],
                color="#cfcfcf",
                hatch="////",
                label="low-wear day (not valid)",
            )
        )
    high_h = r.high_compression_s / 3600.0
    top = max(float((sit + ride).max(initial=0.0)), high_h) * 1.12 + 0.2
    ax.axhline(high_h, color=VERMILION, linestyle="--", linewidth=1)
    handles.append(
        Line2D(
            [],
            [],
            color=VERMILION,
            linestyle="--",
            label=f"{threshold_words(r.high_compression_s)}",
        )
    )
    ax.set_ylim(0, top)
    ax.set_ylabel("hours of compression")
    _day_axis(ax, dates)
    _legend(ax, handles)
    t = r.totals
    mean = hm(t.mean_compression_valid_s) if t.mean_compression_valid_s is not None else "–"
    alt = (
        f"Bar chart of daily compression (sitting plus seated riding) for {len(days)} days. "
        f"Mean {mean} per valid day; {t.high_compression_days} days above "
        f"{threshold_words(r.high_compression_s)}; "
        f"{t.days - t.valid_days} days not valid for too little wear."
    )
    caption = (
        "Compression time per day: sitting (blue) and seated riding (orange). Hatched grey "
        f"bars are days with less than {threshold_words(r.params.valid_day_wear_s)} of wear: "
        f"not valid, not good days. Dashed line: {threshold_words(r.high_compression_s)}."
    )
    return Chart("daily", alt, caption, _svg(fig, "daily", alt))


def _bin_label(label: str) -> str:
    """``<30min`` → ``< 30 min``, ``>=4h`` → ``≥ 4 h``, ``1-2h`` → ``1–2 h``."""
    out = label.replace(">=", "≥ ").replace("<", "< ").replace("-", "–")
    return out.replace("min", " min").replace("h", " h")


def _bouts_chart(r: Review) -> Chart:
    b = r.bins
    x = np.arange(len(b.labels))
    fig, (ax1, ax2) = _figure(2.5, cols=2)
    w = 0.38
    comp_n = np.array(b.compression_counts, dtype=np.float64)
    sit_n = np.array(b.sitting_counts, dtype=np.float64)
    comp_h = _hours(b.compression_time_s)
    sit_h = _hours(b.sitting_time_s)
    labels = [_bin_label(lb) for lb in b.labels]
    h1 = _bars(ax1, x - w / 2, comp_n, width=w, color=BLUE, label="compression bouts")
    h2 = _bars(ax1, x + w / 2, sit_n, width=w, color=SKY, label="activPAL sitting bouts")
    _bars(ax2, x - w / 2, comp_h, width=w, color=BLUE, label="compression bouts")
    _bars(ax2, x + w / 2, sit_h, width=w, color=SKY, label="activPAL sitting bouts")
    for ax, values, name in (
        (ax1, np.r_[comp_n, sit_n], "bouts"),
        (ax2, np.r_[comp_h, sit_h], "hours in bouts"),
    ):
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_ylim(0, max(1.0, float(values.max(initial=0.0))) * 1.15)
        ax.set_xticks(x, labels)
        ax.set_ylabel(name)
    _legend(ax1, [h1, h2])
    alt = "Grouped bar chart of bouts by length: " + "; ".join(
        f"{lab}: {int(c)} compression bouts ({hm(ct)}), {int(s)} sitting bouts"
        for lab, c, ct, s in zip(labels, comp_n, b.compression_time_s, sit_n, strict=True)
    )
    caption = (
        "Bouts of the range by length, in the activPAL bins. Compression bouts end only "
        f"with a break of at least {r.params.break_s / 60:g} min upright; activPAL "
        "sitting bouts end with 10 s upright. Left: how many; right: the hours they hold."
    )
    return Chart("bouts", alt, caption, _svg(fig, "bouts", alt))


def _hip_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    minutes = _minutes(d.hip_gt90_s for d in days)
    dose = np.array([d.hip_dose_deg_min for d in days])
    fig, (ax,) = _figure(twin=True)
    handles: list[Artist] = [
        _bars(ax, x[valid], minutes[valid], color=PURPLE, label="minutes > 90°")
    ]
    if (~valid).any():
        handles.append(
            _bars(
                ax, x[~valid], minutes[~valid], color="#cfcfcf", hatch="////", label="low-wear day"
            )
        )
    ax.set_ylim(0, max(10.0, float(minutes.max(initial=0.0))) * 1.15)
    ax.set_ylabel("minutes above 90°")
    ax2 = ax.twinx()
    ax2.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax2.spines["right"].set_visible(True)
    ax2.plot(x, dose, color=INK, marker="o", markersize=2.5, linewidth=0.9)
    ax2.set_ylim(0, max(10.0, float(dose.max(initial=0.0))) * 1.15)
    ax2.set_ylabel("dose (deg·min above 90°)")
    handles.append(Line2D([], [], color=INK, marker="o", markersize=2.5, label="dose"))
    _day_axis(ax, dates)
    _legend(ax, handles)
    t = r.totals
    alt = (
        f"Bar chart of minutes per day with hip flexion above 90°, with the daily dose as a "
        f"line. Total {hm(t.hip_gt90_s)} and {t.hip_dose_deg_min:.0f} degree-minutes "
        "over the range."
    )
    caption = (
        "Time with hip flexion above 90° (bars, left axis) and the dose above 90° in "
        "degree·minutes (line, right axis), sitting and riding together."
    )
    return Chart("hip", alt, caption, _svg(fig, "hip", alt))


def _adherence_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    known = np.array([d.adherence.known for d in days])
    x = np.arange(len(days))[known]
    a = [d.adherence for d in days if d.adherence.known]
    taken = np.array([v.taken for v in a], dtype=np.float64)
    late = np.array([v.late for v in a], dtype=np.float64)
    ignored = np.array([max(0, v.ignored - v.late) for v in a], dtype=np.float64)
    natural = np.array([v.natural for v in a], dtype=np.float64)
    snoozed = np.array([v.snoozed for v in a], dtype=np.float64)
    fig, (ax,) = _figure()
    handles: list[Artist] = [
        _bars(ax, x, taken, color=GREEN, label="prompt → break taken"),
        _bars(ax, x, late, bottom=taken, color=YELLOW, label="break came late"),
        _bars(ax, x, ignored, bottom=taken + late, color=VERMILION, label="no break (ignored)"),
    ]
    ax.plot(x, natural, linestyle="none", marker="D", markersize=3, color=BLUE)
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="D",
            markersize=3,
            color=BLUE,
            label="breaks without a prompt",
        )
    )
    if snoozed.any():
        ax.plot(x[snoozed > 0], snoozed[snoozed > 0], linestyle="none", marker="x", color=INK)
        handles.append(Line2D([], [], linestyle="none", marker="x", color=INK, label="snoozes"))
    top = max(
        4.0, float((taken + late + ignored).max(initial=0.0)), float(natural.max(initial=0.0))
    )
    ax.set_ylim(0, top * 1.2)
    ax.set_ylabel("count per day")
    _day_axis(ax, dates)
    _legend(ax, handles)
    t = r.totals.adherence
    share = f"{t.taken / t.prompted * 100:.0f} %" if t.prompted else "no prompts"
    alt = (
        f"Stacked bar chart of stand prompts per day by outcome. Over the range "
        f"{t.prompted} prompts, {t.taken} followed by a break in time ({share}), "
        f"{t.late} late, {t.ignored} ignored; {t.natural} breaks without a prompt, "
        f"{t.snoozed} snoozes."
    )
    caption = (
        "Stand prompts per day by what followed: a break in time (taken), a late break, "
        "or no break. Diamonds: breaks the person took before any prompt; crosses: snoozes."
    )
    return Chart("adherence", alt, caption, _svg(fig, "adherence", alt))


def _saddle_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    seated = _minutes(d.saddle_seated_s for d in days)
    hip = _minutes(d.saddle_hip_gt90_s for d in days)
    longest = _minutes(d.saddle_longest_seated_s for d in days)
    fig, (ax,) = _figure(2.5)
    handles: list[Artist] = [
        _bars(ax, x, seated, color=ORANGE, label="seated on the saddle"),
        _bars(ax, x, hip, width=0.4, color=PURPLE, label="of it at hip > 90°"),
    ]
    ride = seated > 0
    ax.plot(x[ride], longest[ride], linestyle="none", marker="_", markersize=12, color=INK)
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="_",
            markersize=12,
            color=INK,
            label="longest seated bout",
        )
    )
    ax.set_ylim(0, max(10.0, float(seated.max(initial=0.0))) * 1.15)
    ax.set_ylabel("minutes")
    _day_axis(ax, dates)
    _legend(ax, handles)
    total = r.totals.saddle_seated_s
    alt = (
        f"Bar chart of seated saddle minutes per day: {hm(total)} over the range on "
        f"{int(ride.sum())} days of riding."
    )
    caption = (
        "Seated riding per day (orange), the part of it with hip flexion above 90° "
        "(purple) and the longest seated bout (black tick; stands on the pedals shorter "
        "than 10 s stay inside a bout)."
    )
    return Chart("saddle", alt, caption, _svg(fig, "saddle", alt))


def _pain_chart(r: Review, dates: list[dt.date]) -> Chart:
    pr = r.pain
    fig, (ax1, ax2) = _figure(3.2, cols=2, twin=True, xlabel=True, top_in=0.5)
    base = pr.baseline
    pairs = [m for m in pr.mornings if m.previous_valid and m.previous_compression_s is not None]
    others = [
        m for m in pr.mornings if not m.previous_valid and m.previous_compression_s is not None
    ]
    above = [m for m in pairs if m.above_baseline]
    below = [m for m in pairs if not m.above_baseline]
    handles: list[Artist] = []
    if below:
        ax1.plot(
            [(m.previous_compression_s or 0) / 3600 for m in below],
            [m.score for m in below],
            linestyle="none", marker="o", markersize=4, color=BLUE,
        )  # fmt: skip
        handles.append(
            Line2D([], [], linestyle="none", marker="o", color=BLUE, label="at or below baseline")
        )
    if above:
        ax1.plot(
            [(m.previous_compression_s or 0) / 3600 for m in above],
            [m.score for m in above],
            linestyle="none", marker="^", markersize=5, color=VERMILION,
        )  # fmt: skip
        handles.append(
            Line2D([], [], linestyle="none", marker="^", color=VERMILION, label="above baseline")
        )
    if others:
        ax1.plot(
            [(m.previous_compression_s or 0) / 3600 for m in others],
            [m.score for m in others],
            linestyle="none", marker="o", markersize=4, markerfacecolor="none", color=GREY,
        )  # fmt: skip
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                color=GREY,
                label="previous day not valid",
            )
        )
    if base is not None:
        ax1.axhline(base, color=INK, linestyle=":", linewidth=1)
        handles.append(Line2D([], [], color=INK, linestyle=":", label=f"baseline {base:g}"))
    ax1.axvline(r.high_compression_s / 3600, color=VERMILION, linestyle="--", linewidth=0.8)
    xs = [(m.previous_compression_s or 0) / 3600 for m in pairs + others]
    ax1.set_xlim(0, max([r.high_compression_s / 3600 + 1, *xs]) * 1.08)
    ax1.set_ylim(-0.3, 10.3)
    ax1.set_xlabel("previous day's compression (hours)")
    ax1.set_ylabel("morning pain (0–10)")
    _legend(ax1, handles, ncols=2)

    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    comp = _hours(d.compression_s for d in days)
    _bars(ax2, x[valid], comp[valid], color=SKY, label="compression")
    ax2.set_ylim(0, max(1.0, float(comp.max(initial=0.0))) * 1.15)
    ax2.set_ylabel("compression (hours)")
    _day_axis(ax2, dates, narrow=True)
    ax3 = ax2.twinx()
    ax3.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax3.spines["right"].set_visible(True)
    px = np.array([i for i, d in enumerate(days) if d.pain_next_morning is not None])
    py = np.array([d.pain_next_morning for d in days if d.pain_next_morning is not None])
    if px.size:
        ax3.plot(px, py, color=VERMILION, marker="o", markersize=2.5, linewidth=1)
    if base is not None:
        ax3.axhline(base, color=INK, linestyle=":", linewidth=1)
    ax3.set_ylim(-0.3, 10.3)
    ax3.set_ylabel("next-morning pain")
    n = len(pr.mornings)
    alt = (
        f"Scatter plot of {n} morning pain scores against the previous day's compression, "
        f"and a day-by-day chart of compression with the next morning's pain. "
        f"{pr.above} mornings above the baseline"
        + (f" of {base:g}" if base is not None else "")
        + f"; {pr.correlation_text}"
    )
    caption = (
        "Left: each morning's pain against the previous day's compression (triangles: "
        "above baseline; hollow: previous day not valid, left out of the correlation; "
        f"dashed: {threshold_words(r.high_compression_s)}). Right: compression per day "
        "(bars) and the pain reported the next morning (line), so a rise after a heavy "
        "day shows on that day."
    )
    return Chart("pain", alt, caption, _svg(fig, "pain", alt))


def charts(r: Review) -> list[Chart]:
    """Every chart of the review, drawn now: the adherence one only with alert data,
    the saddle one only with riding."""
    dates = [dt.date.fromisoformat(d.date) for d in r.days]
    with matplotlib.rc_context(_RC):
        out = [_daily_chart(r, dates), _bouts_chart(r), _hip_chart(r, dates)]
        if r.totals.adherence.known:
            out.append(_adherence_chart(r, dates))
        if r.any_riding:
            out.append(_saddle_chart(r, dates))
        out.append(_pain_chart(r, dates))
    return out


# --------------------------------------------------------------------------- html


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _hmm(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = round(seconds / 60.0)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _table(
    caption: str,
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_classes: Iterable[str] | None = None,
    cls: str = "",
) -> str:
    classes = list(row_classes) if row_classes is not None else None
    out = [f'<table class="{_e(cls)}">' if cls else "<table>", f"<caption>{_e(caption)}</caption>"]
    out.append(
        "<thead><tr>"
        + "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
    )
    for i, row in enumerate(rows):
        rc = classes[i] if classes is not None and i < len(classes) else ""
        tr = f'<tr class="{rc}">' if rc else "<tr>"
        cells = [f'<th scope="row">{_e(row[0])}</th>', *(f"<td>{_e(c)}</td>" for c in row[1:])]
        out.append(tr + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure_html(c: Chart) -> str:
    return (
        f'<figure id="fig-{c.key}" class="chart-figure">{c.svg}'
        f"<figcaption>{_e(c.caption)}</figcaption></figure>"
    )


def _section(key: str, body: str) -> str:
    title = dict(_SECTIONS)[key]
    return (
        f'<section id="{key}" aria-labelledby="h-{key}"><h2 id="h-{key}">{_e(title)}</h2>'
        f"{body}</section>"
    )


def _flag_label(kind: str) -> str:
    return {
        "no_data": "No data",
        "pain": "Pain",
        "correlation": "Pain vs load",
        "load_change": "Load swing",
        "long_bouts": "Long bouts",
        "hip": "Hip > 90°",
        "adherence": "Breaks",
        "wear": "Wear",
    }.get(kind, kind)


def _summary(r: Review, meta: ReportMeta) -> str:
    t = r.totals
    parts: list[str] = []
    if not r.has_data:
        parts.append(
            '<div class="banner" role="alert"><strong>No data.</strong> The history holds '
            f"no sensor data for {_e(meta.user)} from {r.first_day} to {r.last_day}. "
            "Check the date range and that the sensor was worn and the service running."
            "</div>"
        )
    items = [
        f'<li class="flag {f.level}"><span class="tag">{_e(_flag_label(f.kind))}</span> '
        f"{_e(f.text)}</li>"
        for f in r.flags
    ]
    parts.append('<h3 id="h-flags">Flags</h3>')
    parts.append(
        f'<ul class="flags" aria-labelledby="h-flags">{"".join(items)}</ul>'
        if items
        else "<p>Nothing to flag.</p>"
    )
    a = t.adherence
    tiles = [
        ("valid days", f"{t.valid_days} of {t.days}"),
        (
            "compression per valid day",
            hm(t.mean_compression_valid_s) if t.mean_compression_valid_s is not None else "–",
        ),
        (f"days over {threshold_words(r.high_compression_s)}", str(t.high_compression_days)),
        (f"bouts over {threshold_words(r.long_bout_s)}", str(t.long_bouts)),
        ("longest bout", hm(t.longest_bout_s) if t.longest_bout_s else "–"),
        (
            "hip > 90° per valid day",
            hm(t.mean_hip_gt90_valid_s) if t.mean_hip_gt90_valid_s is not None else "–",
        ),
        (
            "prompts followed by a break",
            f"{a.taken} of {a.prompted}" if a.known else "unknown",
        ),
        (
            "mornings above baseline",
            f"{r.pain.above} of {len(r.pain.mornings)}" if r.pain.mornings else "no scores",
        ),
    ]
    if r.any_riding:
        tiles.append(("seated saddle time", hm(t.saddle_seated_s)))
    parts.append(
        '<dl class="tiles">'
        + "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in tiles)
        + "</dl>"
    )
    links = "".join(
        f'<li><a href="#{k}">{_e(title)}</a></li>'
        for k, title in _SECTIONS[1:]
        if k != "saddle" or r.any_riding
    )
    parts.append(f'<nav aria-label="Sections" class="toc"><ol>{links}</ol></nav>')
    return _section("summary", "".join(parts))


def _longest(r: Review) -> str:
    rows = [
        [
            f"{b.date} {b.start_local}",
            hm(b.duration_s),
            hm(b.seated_s),
            str(b.micro_breaks),
            hm(b.hip_gt90_s) if b.hip_gt90_s else "0",
            f"{b.hip_dose_deg_min:.0f}",
            {"break": "a break", "gap": "sensor gap", "open": "end of data"}.get(
                b.ended_by, b.ended_by
            ),
        ]
        for b in r.longest_bouts
    ]
    if not rows:
        return _section("longest", "<p>No compression bouts in the range.</p>")
    table = _table(
        f"The {len(rows)} longest compression bouts (local start time)",
        ["start", "length", "seated", "micro-breaks", "hip > 90°", "dose (deg·min)", "ended by"],
        rows,
        cls="num",
    )
    note = (
        '<p class="note">A compression bout runs through micro-breaks (upright for less '
        f"than {r.params.break_s / 60:g} min) and ends with a real break, a sensor gap "
        "or the end of the data.</p>"
    )
    return _section("longest", table + note)


def _bouts_section(r: Review, chart: Chart) -> str:
    b = r.bins
    rows = [
        [_bin_label(lab), str(cn), _hmm(ct), str(sn), _hmm(st)]
        for lab, cn, ct, sn, st in zip(
            b.labels,
            b.compression_counts,
            b.compression_time_s,
            b.sitting_counts,
            b.sitting_time_s,
            strict=True,
        )
    ]
    table = _table(
        "Bouts by length (times h:mm)",
        ["length", "compression bouts", "time", "activPAL sitting bouts", "time"],
        rows,
        cls="num",
    )
    return _section("bouts", _figure_html(chart) + table)


def _adherence_section(r: Review, chart: Chart | None) -> str:
    a = r.totals.adherence
    sources = sorted({d.adherence.source for d in r.days})
    words = {
        "daily": "the live service's daily counters",
        "alerts": "the counters carried by the alerts",
        "counted": "counted here from the alerts and the bouts (approximate)",
        "none": "no alert data (the live service did not run)",
    }
    src = "; ".join(
        f"{sum(d.adherence.source == s for d in r.days)} days: {words[s]}" for s in sources
    )
    if not a.known or chart is None:
        return _section(
            "adherence",
            "<p>No stand-prompt data in this range: the live service did not record alerts "
            "or daily counters, so adherence is unknown.</p>",
        )
    rows = [
        [
            "range",
            str(a.prompted),
            str(a.taken),
            str(a.late),
            str(a.ignored),
            str(a.natural),
            str(a.snoozed),
        ]
    ]
    table = _table(
        "Stand prompts and breaks over the range",
        ["", "prompts", "taken", "late", "ignored", "breaks without prompt", "snoozes"],
        rows,
        cls="num",
    )
    return _section(
        "adherence", _figure_html(chart) + table + f'<p class="note">Sources: {_e(src)}.</p>'
    )


def _saddle_section(r: Review, chart: Chart) -> str:
    rows = [
        [f"{b.date} {b.start_local}", hm(b.duration_s), hm(b.hip_gt90_s) if b.hip_gt90_s else "0"]
        for b in r.saddle_bouts
    ]
    table = _table(
        "Longest seated riding bouts (local start time)",
        ["start", "seated bout", "hip > 90°"],
        rows,
        cls="num",
    )
    return _section("saddle", _figure_html(chart) + table)


def _weeks_section(r: Review) -> str:
    rows, classes = [], []
    for w in r.weeks:
        c = w.change
        change = "–" if c.change is None else f"{c.change * 100:+.0f} %"
        rows.append(
            [
                c.week_start.isoformat(),
                f"{c.valid_days} of {w.days}",
                _hmm(c.mean_daily_compression_s),
                change + (" ⚑ flagged" if c.flagged else ""),
                _hmm(w.mean_hip_gt90_s),
                str(w.long_bouts),
                "–" if w.mean_morning_pain is None else f"{w.mean_morning_pain:.1f}",
            ]
        )
        classes.append("flagged" if c.flagged else "")
    table = _table(
        "ISO weeks (Monday first); means over valid days",
        [
            "week of",
            "valid days",
            "compression / day",
            "change",
            "hip > 90° / day",
            f"bouts > {threshold_words(r.long_bout_s)}",
            "next-morning pain",
        ],
        rows,
        row_classes=classes,
        cls="num",
    )
    note = (
        f'<p class="note">Changes beyond ±{r.params.load_change_flag * 100:.0f} % of the '
        "previous week with valid days are flagged: rapid swings in load are a risk of "
        "their own.</p>"
    )
    return _section("weeks", table + note)


def _pain_section(r: Review, chart: Chart) -> str:
    pr = r.pain
    if not pr.mornings:
        return _section(
            "pain",
            _figure_html(chart) + "<p>No morning pain scores were reported in this range.</p>",
        )
    base = "–" if pr.baseline is None else f"{pr.baseline:g}"
    how = {"given": "given", "median": "the median of the morning scores", "none": ""}[
        pr.baseline_source
    ]
    rows, classes = [], []
    for m in pr.mornings:
        rows.append(
            [
                m.date,
                str(m.score) + (" ▲" if m.above_baseline else ""),
                m.previous_date + ("" if m.previous_valid else " (not valid)"),
                _hmm(m.previous_compression_s),
                "–" if m.previous_long_bouts is None else str(m.previous_long_bouts),
                _hmm(m.previous_hip_gt90_s),
            ]
        )
        classes.append("flagged" if m.above_baseline else "")
    table = _table(
        "Morning pain and the previous day (times h:mm; ▲ above baseline)",
        [
            "morning",
            "pain",
            "previous day",
            "compression",
            f"bouts > {threshold_words(r.long_bout_s)}",
            "hip > 90°",
        ],
        rows,
        row_classes=classes,
        cls="num",
    )
    text = (
        f"<p>Baseline {base}/10 ({_e(how)}). {pr.above} of {len(pr.mornings)} mornings "
        f'were above it.</p><p class="correlation">{_e(pr.correlation_text)}</p>'
    )
    return _section("pain", _figure_html(chart) + text + table)


def _days_section(r: Review) -> str:
    def row(d: DayReview) -> list[str]:
        a = d.adherence
        return [
            f"{d.weekday} {d.date}" + ("" if d.valid else " *"),
            _hmm(d.wear_s),
            _hmm(d.compression_s),
            _hmm(d.riding_seated_s) if d.riding_seated_s else "",
            str(d.compression_bouts),
            f"{d.bouts_gt30}/{d.long_bouts}",
            _hmm(d.longest_bout_s),
            _hmm(d.hip_gt90_s),
            f"{d.hip_dose_deg_min:.0f}",
            f"{a.taken}/{a.prompted}" if a.known else "–",
            "–"
            if d.pain_next_morning is None
            else str(d.pain_next_morning) + (" ▲" if d.pain_next_above_baseline else ""),
        ]

    table = _table(
        "Every day of the range (times h:mm; * not valid: too little wear)",
        [
            "day",
            "worn",
            "compression",
            "of it riding",
            "bouts",
            f">30 min/>{threshold_words(r.long_bout_s)}",
            "longest",
            "hip > 90°",
            "dose",
            "taken/prompts",
            "pain next morning",
        ],
        [row(d) for d in r.days],
        row_classes=[
            "lowwear" if not d.valid else ("high" if d.high_compression else "") for d in r.days
        ],
        cls="num days",
    )
    return _section("days", table)


def _methods(r: Review) -> str:
    p = r.params
    items = [
        "<b>Compression</b> is seated time: sitting and seated riding. A <b>compression "
        f"bout</b> continues through upright spells shorter than {p.break_s / 60:g} min "
        "(micro-breaks) and ends with a break of at least that length, a sensor gap or the "
        "end of the data. Bouts belong to the day they start in.",
        f"A day is <b>valid</b> with at least {threshold_words(p.valid_day_wear_s)} of wear. "
        "Non-wear is never sitting and never a break; days with less wear are shown, "
        "marked, and left out of means, week comparisons and the correlation.",
        "<b>Bout bins</b> are the activPAL ones (&lt; 30 min, 30–60 min, 1–2 h, 2–4 h, "
        "≥ 4 h). activPAL sitting bouts end with 10 s upright.",
        "<b>Hip flexion above 90°</b> counts every second above 90° while sitting or "
        "riding; the dose adds the degrees above 90° × minutes.",
        "<b>Adherence</b> comes from the live service's daily counters when present, "
        "else from the counters carried by the day's last alert, else it is counted from "
        "the alerts and the bouts (approximate): a break completed soon enough after the "
        "bout's last stand prompt is <i>taken</i>, a later one <i>late</i>; a prompt "
        "followed by another prompt, a late break or a gap is <i>ignored</i>; a break in "
        "a bout without a prompt is <i>natural</i>.",
        "<b>Next-morning pain</b>: the first morning score of each day is set against the "
        "previous local day. The <b>baseline</b> is the median of the morning scores in the "
        "range (the morning after the last day included) unless the clinician gave one; "
        "a morning is above baseline when its score is strictly higher. The rank "
        "correlation (Spearman) uses mornings whose previous day is valid and is shown "
        "only with at least 5 of them; with so few points it suggests, it does not prove.",
        f"<b>Week over week</b>: ISO weeks; the change of mean daily compression over "
        f"valid days against the previous week with valid days, flagged beyond "
        f"±{p.load_change_flag * 100:.0f} %.",
    ]
    return _section(
        "methods", '<ul class="methods">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    )


_CSS = """
:root{--ink:#1d1d1d;--muted:#5b5b5b;--line:#d9d9d9;--alert:#b03a00;--alert-bg:#fff1e8;
--note-bg:#eef5fb;--accent:#0072B2}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"DejaVu Sans",sans-serif;color:var(--ink);background:#fff;font-size:15px;line-height:1.45}
body{margin:0 auto;max-width:1060px;padding:18px 22px 40px}
header.top{border-bottom:3px solid var(--accent);padding-bottom:8px;margin-bottom:10px}
h1{font-size:1.55rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:26px 0 8px;border-bottom:1px solid var(--line);padding-bottom:3px}
h3{font-size:1rem;margin:12px 0 6px}
.meta{color:var(--muted);margin:0;font-size:.92rem}
.banner{background:#fde2e2;border:2px solid #b00020;padding:10px 14px;margin:10px 0;
font-size:1.05rem}
ul.flags{list-style:none;padding:0;margin:0}
.flag{padding:7px 10px;margin:0 0 6px;border-left:5px solid var(--accent);background:var(--note-bg)}
.flag.alert{border-left-color:var(--alert);background:var(--alert-bg);font-weight:500}
.tag{display:inline-block;min-width:6.8em;font-size:.75rem;font-weight:700;text-transform:uppercase;
letter-spacing:.03em;color:var(--muted)}
.flag.alert .tag{color:var(--alert)}
dl.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;
margin:14px 0}
dl.tiles div{border:1px solid var(--line);border-radius:6px;padding:6px 10px}
dl.tiles dt{font-size:.78rem;color:var(--muted)}
dl.tiles dd{margin:0;font-size:1.15rem;font-weight:600}
nav.toc ol{columns:3;font-size:.9rem;margin:8px 0;padding-left:1.4em}
nav.toc a{color:var(--accent)}
figure{margin:8px 0 12px}
svg.chart{display:block;width:100%;height:auto;max-width:1000px}
figcaption{font-size:.85rem;color:var(--muted);margin-top:2px}
table{border-collapse:collapse;margin:10px 0;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:600;padding:4px 0;color:var(--ink)}
th,td{border-bottom:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #999;font-weight:600;background:#f6f6f6}
table.num td,table.num thead th+th{text-align:right;font-variant-numeric:tabular-nums}
tbody th{font-weight:500;white-space:nowrap}
tr.flagged th,tr.flagged td{background:var(--alert-bg)}
tr.lowwear th,tr.lowwear td{color:#8a8a8a;font-style:italic}
tr.high td:nth-child(3){font-weight:700}
.note{font-size:.85rem;color:var(--muted)}
.correlation{border-left:4px solid var(--accent);padding:4px 10px;background:var(--note-bg)}
ul.methods li{margin-bottom:5px;font-size:.9rem}
footer{margin-top:30px;border-top:1px solid var(--line);padding-top:6px;font-size:.8rem;
color:var(--muted)}
@page{size:A4;margin:13mm 12mm 14mm}
@media print{
html{font-size:10.5pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{max-width:none;padding:0}
section{break-before:page;page-break-before:always}
section#summary{break-before:auto;page-break-before:auto}
h2{break-after:avoid;page-break-after:avoid}
figure,svg.chart,dl.tiles,.flag,.banner{break-inside:avoid;page-break-inside:avoid}
tr,caption{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
nav.toc{display:none}
svg.chart{max-width:100%}
a{color:inherit;text-decoration:none}
}
"""


def render_html(r: Review, meta: ReportMeta, drawn: Sequence[Chart] | None = None) -> str:
    """The whole page. ``drawn``: the charts if already drawn (else drawn now)."""
    cs = {c.key: c for c in (drawn if drawn is not None else charts(r))}
    n_days = len(r.days)
    span = f"{r.first_day.strftime('%a %d %b %Y')} – {r.last_day.strftime('%a %d %b %Y')}"
    title = f"sitload review · {meta.user} · {r.first_day} to {r.last_day}"
    body = [
        '<header class="top"><h1>Sitting-compression review</h1>'
        f'<p class="meta">User <strong>{_e(meta.user)}</strong> · {_e(span)} '
        f"({n_days} days, {_e(r.tz)}) · generated {_e(meta.generated_text)} · "
        f"sitload {_e(meta.version)}"
        + (f" · from {_e(meta.source)}" if meta.source else "")
        + "</p></header><main>",
        _summary(r, meta),
        _section("daily", _figure_html(cs["daily"])),
        _bouts_section(r, cs["bouts"]),
        _longest(r),
        _section("hip", _figure_html(cs["hip"])),
        _adherence_section(r, cs.get("adherence")),
    ]
    if r.any_riding and "saddle" in cs:
        body.append(_saddle_section(r, cs["saddle"]))
    body += [
        _weeks_section(r),
        _pain_section(r, cs["pain"]),
        _days_section(r),
        _methods(r),
        "</main>",
        f"<footer>Pseudonymous user id {_e(meta.user)}; no names are stored. sitload "
        f"{_e(meta.version)}, generated {_e(meta.generated_text)}"
        + (f" from the {_e(meta.store)} history" if meta.store else "")
        + ".</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="sitload {_e(meta.version)}">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
