"""``sitload analyze``'s weekly saddle load: from FIT rides (``analyze *.fit``) or from
the riding in a recording's timeline, per ISO week with the ± 30 % week-over-week
flag (:mod:`analytics.saddle_weeks` has the rules), as JSON and as a table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.durations import format_h_min
from analytics.exposure import ExposureReport
from analytics.local_days import local_time
from analytics.orientation import PEDALLING_SOURCE
from analytics.pipeline import Analysis
from analytics.records import Timeline
from analytics.review_rides import riding_spells
from analytics.ride import RideSummary
from analytics.saddle_weeks import SaddleLoad, SaddleWeek, saddle_weeks
from collector.plural import counted

if TYPE_CHECKING:  # rich is imported by the function that prints (not for --json)
    from rich.console import Console

__all__ = ["position_known", "print_weeks", "ride_weeks", "timeline_weeks", "weeks_list"]


def position_known(analysis: Analysis | None) -> bool:
    """Seated vs standing on the pedals is measured (not with a thigh calibrated from
    pedalling alone)."""
    cal = analysis.thigh if analysis is not None else None
    return cal is None or cal.source != PEDALLING_SOURCE


def ride_weeks(
    done: Sequence[RideSummary], zone: tzinfo, flag: float | None = None
) -> tuple[SaddleWeek, ...]:
    """The weeks of the rides' local start dates (no thigh: the hip angle is unknown)."""
    loads = [
        SaddleLoad(local_time(s.start_t_s, zone).date(), 1, float(s.on_bike_s), s.seated_s, None)
        for s in done
    ]
    return saddle_weeks(loads) if flag is None else saddle_weeks(loads, flag)


def timeline_weeks(
    report: ExposureReport, timeline: Timeline, zone: tzinfo | None, position_known: bool
) -> tuple[SaddleWeek, ...]:
    """The weeks of a timeline's days with riding (``zone`` None: a local-clock
    timeline). Without a calibration that tells seated from standing
    (``position_known``), saddle time is the riding time."""
    starts: dict[dt.date, int] = {}
    for lo, _hi in riding_spells(timeline):
        t = float(timeline.t0_s + lo * timeline.dt_s)
        day = (
            local_time(t, zone).date()
            if zone is not None
            else dt.datetime.fromtimestamp(t, dt.UTC).date()
        )
        starts[day] = starts.get(day, 0) + 1
    hip_known = bool(np.isfinite(timeline.hip_flexion_deg).any())
    loads = []
    for d in report.days:
        sad = d.saddle
        if sad.ride_s <= 0:
            continue
        day = dt.date.fromisoformat(d.measures.date)
        loads.append(
            SaddleLoad(
                day,
                starts.get(day, 0),
                sad.ride_s,
                sad.seated_s if position_known else None,
                sad.seated_hip_gt90_s if position_known and hip_known else None,
            )
        )
    return saddle_weeks(loads, report.params.load_change_flag)


def weeks_list(weeks: Sequence[SaddleWeek]) -> list[dict[str, Any]]:
    """The ``saddle_weeks`` of ``--json``."""
    return [
        {
            "week_start": w.week_start.isoformat(),
            "rides": w.rides,
            "on_bike_s": round(w.on_bike_s, 1),
            "saddle_s": round(w.saddle_s, 1),
            "seated_known": w.seated_known,
            "seated_hip_gt90_s": None
            if w.seated_hip_gt90_s is None
            else round(w.seated_hip_gt90_s, 1),
            "change": None if w.change is None else round(w.change, 4),
            "flagged": w.flagged,
        }
        for w in weeks
    ]


def _hm(seconds: float | None) -> str:
    return "unknown" if seconds is None else format_h_min(seconds)


def print_weeks(console: Console, weeks: Sequence[SaddleWeek], flag: float) -> None:
    """The weekly saddle load as a table (nothing for fewer than two weeks)."""
    if len(weeks) < 2:
        return
    from rich.table import Table

    table = Table(title="saddle load per week (ISO weeks)", title_justify="left", box=None)
    for name in ("week of", "rides", "saddle time", "seated at hip > 90°", "change"):
        table.add_column(name, justify="left" if name == "week of" else "right")
    quiet = 0  # weeks without rides after one without rides: one line for the run
    for i, w in enumerate(weeks):
        if w.rides == 0 and i > 0 and weeks[i - 1].rides == 0:
            quiet += 1
            continue
        if quiet:
            table.add_row(f"… {counted(quiet, 'more week')} without rides", "", "", "", "")
            quiet = 0
        saddle = _hm(w.saddle_s) + ("" if w.seated_known else " (on the bike)")
        if w.change is not None:
            change = f"{w.change * 100:+.0f} %"
        else:
            change = "after a week off" if w.flagged else "-"
        if w.flagged:
            change = f"[bold red]{change} ⚑[/bold red]"
        table.add_row(
            w.week_start.isoformat(),
            str(w.rides),
            saddle,
            _hm(w.seated_hip_gt90_s) if w.rides else "-",
            change,
        )
    if quiet:
        table.add_row(f"… {counted(quiet, 'more week')} without rides", "", "", "", "")
    console.print(table)
    console.print(
        f"⚑ saddle time changed by more than ±{flag * 100:.0f} % against the week before "
        "(or came back after a week off): rapid swings in load are a risk of their own"
    )
