"""The saddle section of the review page: seated saddle time per day (the chart),
every ride of the range, the weekly saddle load with its week-over-week flag, and
the longest seated riding bouts. Figures a ride could not tell (a bike computer's
file without rider position, no thigh sensor) show as "unknown", never as zero."""

from __future__ import annotations

from analytics.durations import format_h_colon_min, format_h_min
from analytics.review_records import Review
from analytics.review_rides import RideRow
from analytics.review_wording import HIP_LIMIT
from collector.review.chart_kit import Chart
from collector.review.html_kit import esc, figure_html, html_section, html_table

UNKNOWN = "unknown"

_FROM = {
    "thigh": "thigh sensor",
    "events": "bike computer (rider position)",
    "session": "bike computer (totals)",
    "none": "bike computer (no rider position)",
}


def _hm(seconds: float | None) -> str:
    return UNKNOWN if seconds is None else format_h_colon_min(seconds)


def _ride_cells(b: RideRow) -> list[str]:
    return [
        f"{b.date} {b.start_local}",
        format_h_colon_min(b.riding_s),
        _hm(b.seated_s),
        _hm(b.longest_seated_bout_s),
        UNKNOWN if b.stands_per_hour is None else f"{b.stands_per_hour:.1f}",
        _hm(b.seated_hip_gt90_s),
        _FROM.get(b.position_from, b.position_from) + (f" · {b.source}" if b.source else ""),
    ]


def rides_table(r: Review) -> str:
    if not r.rides:
        return ""
    return html_table(
        "Every ride (local start time; times h:mm)",
        [
            "start",
            "riding",
            "seated",
            "longest seated bout",
            "stands / hour",
            f"seated at hip > {HIP_LIMIT}",
            "seated / standing from",
        ],
        [_ride_cells(b) for b in r.rides],
        cls="num",
    )


def saddle_weeks_table(r: Review) -> str:
    if not r.saddle_weeks:
        return ""
    rows, classes = [], []
    for w in r.saddle_weeks:
        if w.change is not None:
            change = f"{w.change * 100:+.0f} %"
        else:
            change = "after a week off" if w.flagged else "–"
        saddle = format_h_colon_min(w.saddle_s) + ("" if w.seated_known else " (on the bike)")
        rows.append(
            [
                w.week_start.isoformat(),
                str(w.rides),
                saddle,
                _hm(w.seated_hip_gt90_s),
                change + (" ⚑ flagged" if w.flagged else ""),
            ]
        )
        classes.append("flagged" if w.flagged else "")
    table = html_table(
        "Weekly saddle load (ISO weeks, Monday first; totals)",
        ["week of", "rides", "saddle time", f"seated at hip > {HIP_LIMIT}", "change"],
        rows,
        row_classes=classes,
        cls="num",
    )
    flag = r.params.load_change_flag * 100
    note = (
        '<p class="note">Saddle time is seated riding where the thigh sensor or the bike '
        "computer's rider position tells it; for rides without either it is the time on "
        f'the bike (marked "on the bike"). Changes beyond ±{flag:.0f} % of the week '
        "before, and a return after a week without rides, are flagged: rapid swings in "
        "load are a risk of their own.</p>"
    )
    return table + note


def saddle_section(r: Review, chart: Chart) -> str:
    rows = [
        [
            f"{b.date} {b.start_local}",
            format_h_min(b.duration_s),
            format_h_min(b.hip_gt90_s) if b.hip_gt90_s else "0",
        ]
        for b in r.saddle_bouts
    ]
    bouts = (
        html_table(
            "Longest seated riding bouts (local start time)",
            ["start", "seated bout", f"hip > {HIP_LIMIT}"],
            rows,
            cls="num",
        )
        if rows
        else ""
    )
    figure = figure_html(chart) if r.totals.saddle_seated_s > 0 else ""
    parts = [figure, saddle_weeks_table(r), rides_table(r), bouts]
    return html_section("saddle", "".join(parts) or esc("No riding in the range."))


__all__ = ["rides_table", "saddle_section", "saddle_weeks_table"]
