"""The review's charts, one function each, in the order of the page: daily
compression, bout lengths, hip flexion, breaks against prompts (only with alert
data), saddle time (only with riding) and next-morning pain."""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.durations import format_h_min, format_min, format_threshold
from analytics.review_records import MorningPain, Review
from analytics.review_wording import HIP_LIMIT, POSTURE_HOLD, SADDLE_STAND
from collector.plural import counted
from collector.review.chart_kit import (
    BLUE,
    GREEN,
    GREY,
    INK,
    LOW_WEAR,
    ORANGE,
    PURPLE,
    SKY,
    VERMILION,
    YELLOW,
    Chart,
    bars,
    bin_label,
    day_axis,
    new_figure,
    svg_markup,
    to_hours,
    to_minutes,
    top_legend,
    with_twin,
)
from collector.review.svg_figure import Axes, Figure
from collector.review.svg_legends import Entry, LegendLine
from collector.review.svg_ticks import auto_x_ticks, set_x_ticks


def _daily_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    sit = to_hours(d.sitting_s for d in days)
    ride = to_hours(d.riding_seated_s for d in days)
    fig, (ax,) = new_figure("daily")
    handles: list[Entry] = [
        bars(ax, x[valid], sit[valid], color=BLUE, label="sitting"),
        bars(ax, x[valid], ride[valid], bottom=sit[valid], color=ORANGE, label="seated riding"),
    ]
    if (~valid).any():
        handles.append(
            bars(
                ax,
                x[~valid],
                (sit + ride)[~valid],
                color=LOW_WEAR,
                hatched=True,
                label="low-wear day (not valid)",
            )
        )
    high_h = r.high_compression_s / 3600.0
    top = max(float((sit + ride).max(initial=0.0)), high_h) * 1.12 + 0.2
    ax.axhline(high_h, color=VERMILION, linestyle="--", linewidth=1)
    handles.append(
        LegendLine(f"{format_threshold(r.high_compression_s)}", VERMILION, linestyle="--")
    )
    ax.set_ylim(0, top)
    ax.set_ylabel("hours of compression")
    day_axis(ax, dates)
    top_legend(ax, handles)
    t = r.totals
    mean = (
        format_h_min(t.mean_compression_valid_s) if t.mean_compression_valid_s is not None else "–"
    )
    alt = (
        "Bar chart of daily compression (sitting plus seated riding) for "
        f"{counted(len(days), 'day')}. "
        f"Mean {mean} per valid day; {counted(t.high_compression_days, 'day')} above "
        f"{format_threshold(r.high_compression_s)}; "
        f"{counted(t.days - t.valid_days, 'day')} not valid for too little wear."
    )
    caption = (
        "Compression time per day: sitting (blue) and seated riding (orange). Hatched grey "
        f"bars are days with less than {format_threshold(r.params.valid_day_wear_s)} of wear: "
        f"not valid, not good days. Dashed line: {format_threshold(r.high_compression_s)}."
    )
    return Chart("daily", alt, caption, svg_markup(fig, alt))


def _bouts_chart(r: Review) -> Chart:
    b = r.bins
    x = np.arange(len(b.labels))
    fig, (ax1, ax2) = new_figure("bouts", 2.5, cols=2)
    w = 0.38
    comp_n = np.array(b.compression_counts, dtype=np.float64)
    sit_n = np.array(b.sitting_counts, dtype=np.float64)
    comp_h = to_hours(b.compression_time_s)
    sit_h = to_hours(b.sitting_time_s)
    labels = [bin_label(lb) for lb in b.labels]
    h1 = bars(ax1, x - w / 2, comp_n, width=w, color=BLUE, label="compression bouts")
    h2 = bars(ax1, x + w / 2, sit_n, width=w, color=SKY, label="activPAL sitting bouts")
    bars(ax2, x - w / 2, comp_h, width=w, color=BLUE, label="compression bouts")
    bars(ax2, x + w / 2, sit_h, width=w, color=SKY, label="activPAL sitting bouts")
    for ax, values, name in (
        (ax1, np.r_[comp_n, sit_n], "bouts"),
        (ax2, np.r_[comp_h, sit_h], "hours in bouts"),
    ):
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_ylim(0, max(1.0, float(values.max(initial=0.0))) * 1.15)
        set_x_ticks(ax, x.tolist(), labels)
        ax.set_ylabel(name)
    top_legend(ax1, [h1, h2])
    alt = "Grouped bar chart of bouts by length: " + "; ".join(
        f"{lab}: {counted(int(c), 'compression bout')} ({format_h_min(ct)}), "
        f"{counted(int(s), 'sitting bout')}"
        for lab, c, ct, s in zip(labels, comp_n, b.compression_time_s, sit_n, strict=True)
    )
    caption = (
        "Bouts of the range by length, in the activPAL bins. Compression bouts end only "
        f"with a break of at least {format_min(r.params.break_s)} upright; activPAL "
        f"sitting bouts end with {POSTURE_HOLD} upright. Left: how many; right: the hours "
        "they hold."
    )
    return Chart("bouts", alt, caption, svg_markup(fig, alt))


def _hip_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    minutes = to_minutes(d.hip_gt90_s for d in days)
    dose = np.array([d.hip_dose_deg_min for d in days])
    fig, (ax, ax2) = with_twin(*new_figure("hip", twin=True), on=0)
    handles: list[Entry] = [
        bars(ax, x[valid], minutes[valid], color=PURPLE, label=f"minutes > {HIP_LIMIT}")
    ]
    if (~valid).any():
        handles.append(
            bars(ax, x[~valid], minutes[~valid], color=LOW_WEAR, hatched=True, label="low-wear day")
        )
    ax.set_ylim(0, max(10.0, float(minutes.max(initial=0.0))) * 1.15)
    ax.set_ylabel(f"minutes above {HIP_LIMIT}")
    ax2.plot(x, dose, color=INK, marker="o", markersize=2.5, linewidth=0.9)
    ax2.set_ylim(0, max(10.0, float(dose.max(initial=0.0))) * 1.15)
    ax2.set_ylabel(f"dose (deg·min above {HIP_LIMIT})")
    handles.append(LegendLine("dose", INK, marker="o", markersize=2.5))
    day_axis(ax, dates)
    top_legend(ax, handles)
    t = r.totals
    alt = (
        f"Bar chart of minutes per day with hip flexion above {HIP_LIMIT}, with the daily "
        f"dose as a line. Total {format_h_min(t.hip_gt90_s)} and "
        f"{t.hip_dose_deg_min:.0f} degree-minutes over the range."
    )
    caption = (
        f"Time with hip flexion above {HIP_LIMIT} (bars, left axis) and the dose above "
        f"{HIP_LIMIT} in degree·minutes (line, right axis), sitting and riding together."
    )
    return Chart("hip", alt, caption, svg_markup(fig, alt))


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
    fig, (ax,) = new_figure("adherence")
    handles: list[Entry] = [
        bars(ax, x, taken, color=GREEN, label="prompt → break taken"),
        bars(ax, x, late, bottom=taken, color=YELLOW, label="break came late"),
        bars(ax, x, ignored, bottom=taken + late, color=VERMILION, label="no break (ignored)"),
    ]
    ax.plot(x, natural, linestyle="none", marker="D", markersize=3, color=BLUE)
    handles.append(
        LegendLine("breaks without a prompt", BLUE, linestyle="none", marker="D", markersize=3)
    )
    if snoozed.any():
        ax.plot(x[snoozed > 0], snoozed[snoozed > 0], linestyle="none", marker="x", color=INK)
        handles.append(LegendLine("snoozes", INK, linestyle="none", marker="x"))
    top = max(
        4.0, float((taken + late + ignored).max(initial=0.0)), float(natural.max(initial=0.0))
    )
    ax.set_ylim(0, top * 1.2)
    ax.set_ylabel("count per day")
    day_axis(ax, dates)
    top_legend(ax, handles)
    t = r.totals.adherence
    share = f"{t.taken / t.prompted * 100:.0f} %" if t.prompted else "no prompts"
    alt = (
        f"Stacked bar chart of stand prompts per day by outcome. Over the range "
        f"{counted(t.prompted, 'prompt')}, {t.taken} followed by a break in time ({share}), "
        f"{t.late} late, {t.ignored} ignored; {counted(t.natural, 'break')} without a prompt, "
        f"{counted(t.snoozed, 'snooze')}."
    )
    caption = (
        "Stand prompts per day by what followed: a break in time (taken), a late break, "
        "or no break. Diamonds: breaks the person took before any prompt; crosses: snoozes."
    )
    return Chart("adherence", alt, caption, svg_markup(fig, alt))


def _saddle_chart(r: Review, dates: list[dt.date]) -> Chart:
    days = r.days
    x = np.arange(len(days))
    seated = to_minutes(d.saddle_seated_s for d in days)
    hip = to_minutes(d.saddle_hip_gt90_s for d in days)
    longest = to_minutes(d.saddle_longest_seated_s for d in days)
    fig, (ax,) = new_figure("saddle", 2.5)
    handles: list[Entry] = [
        bars(ax, x, seated, color=ORANGE, label="seated on the saddle"),
        bars(ax, x, hip, width=0.4, color=PURPLE, label=f"of it at hip > {HIP_LIMIT}"),
    ]
    ride = seated > 0
    ax.plot(x[ride], longest[ride], linestyle="none", marker="_", markersize=12, color=INK)
    handles.append(
        LegendLine("longest seated bout", INK, linestyle="none", marker="_", markersize=12)
    )
    ax.set_ylim(0, max(10.0, float(seated.max(initial=0.0))) * 1.15)
    ax.set_ylabel("minutes")
    day_axis(ax, dates)
    top_legend(ax, handles)
    total = r.totals.saddle_seated_s
    alt = (
        f"Bar chart of seated saddle minutes per day: {format_h_min(total)} over the range on "
        f"{counted(int(ride.sum()), 'day')} of riding."
    )
    caption = (
        f"Seated riding per day (orange), the part of it with hip flexion above {HIP_LIMIT} "
        "(purple) and the longest seated bout (black tick; stands on the pedals shorter "
        f"than {SADDLE_STAND} stay inside a bout)."
    )
    return Chart("saddle", alt, caption, svg_markup(fig, alt))


def _pain_frame() -> tuple[Figure, list[Axes]]:
    fig, axes = new_figure("pain", 3.2, cols=2, twin=True, xlabel=True, top_in=0.5)
    auto_x_ticks(axes[0])
    return with_twin(fig, axes, on=1)


def _pain_chart(r: Review, dates: list[dt.date]) -> Chart:
    pr = r.pain
    fig, (ax1, ax2, ax3) = _pain_frame()
    base = pr.baseline
    pairs = [m for m in pr.mornings if m.previous_valid and m.previous_compression_s is not None]
    others = [
        m for m in pr.mornings if not m.previous_valid and m.previous_compression_s is not None
    ]
    above = [m for m in pairs if m.above_baseline]
    below = [m for m in pairs if not m.above_baseline]
    handles: list[Entry] = []
    groups: tuple[tuple[list[MorningPain], LegendLine, float], ...] = (
        (below, LegendLine("at or below baseline", BLUE, "none", "o"), 4),
        (above, LegendLine("above baseline", VERMILION, "none", "^"), 5),
        (others, LegendLine("previous day not valid", GREY, "none", "o", hollow=True), 4),
    )
    for group, entry, size in groups:
        if group:
            ax1.plot(
                [(m.previous_compression_s or 0) / 3600 for m in group],
                [m.score for m in group],
                color=entry.colour,
                linestyle="none",
                marker=entry.marker,
                markersize=size,
                hollow=entry.hollow,
            )
            handles.append(entry)
    if base is not None:
        ax1.axhline(base, color=INK, linestyle=":", linewidth=1)
        handles.append(LegendLine(f"baseline {base:g}", INK, linestyle=":"))
    ax1.axvline(r.high_compression_s / 3600, color=VERMILION, linestyle="--", linewidth=0.8)
    xs = [(m.previous_compression_s or 0) / 3600 for m in pairs + others]
    ax1.set_xlim(0, max([r.high_compression_s / 3600 + 1, *xs]) * 1.08)
    ax1.set_ylim(-0.3, 10.3)
    ax1.set_xlabel("previous day's compression (hours)")
    ax1.set_ylabel("morning pain (0–10)")
    top_legend(ax1, handles, ncols=2)

    days = r.days
    x = np.arange(len(days))
    valid = np.array([d.valid for d in days])
    comp = to_hours(d.compression_s for d in days)
    bars(ax2, x[valid], comp[valid], color=SKY, label="compression")
    ax2.set_ylim(0, max(1.0, float(comp.max(initial=0.0))) * 1.15)
    ax2.set_ylabel("compression (hours)")
    day_axis(ax2, dates, narrow=True)
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
        f"dashed: {format_threshold(r.high_compression_s)}). Right: compression per day "
        "(bars) and the pain reported the next morning (line), so a rise after a heavy "
        "day shows on that day."
    )
    return Chart("pain", alt, caption, svg_markup(fig, alt))


def charts(r: Review) -> list[Chart]:
    """Every chart of the review, drawn now: the adherence one only with alert data,
    the saddle one only with riding."""
    dates = [dt.date.fromisoformat(d.date) for d in r.days]
    out = [_daily_chart(r, dates), _bouts_chart(r), _hip_chart(r, dates)]
    if r.totals.adherence.known:
        out.append(_adherence_chart(r, dates))
    if r.any_riding:
        out.append(_saddle_chart(r, dates))
    out.append(_pain_chart(r, dates))
    return out
