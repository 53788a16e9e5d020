"""The cyclist's weekly saddle load: saddle time and seated time at hip flexion over
90° per ISO week, with the week-over-week change flagged beyond ± ``flag`` (the
boom-bust rule of ``docs/report.md``: rapid swings in load are a risk of their own).

Input is one :class:`SaddleLoad` per ride (a bike computer's figures) or per local
day of a timeline (its riding), each on its local date; weeks are ISO weeks
(Monday to Sunday) of those dates.

* **Saddle time** is seated riding where it is known (rider position in the file,
  or a thigh sensor), else the time on the bike (riding and short stops), the
  upper bound a file without rider position allows; :attr:`SaddleWeek.seated_known`
  says whether every ride of the week told seated from standing.
* Unlike sitting (a mean over valid days), a week's saddle load is its **total**: a
  cyclist rides on some days only. A week without rides has a load of zero, and the
  weeks between the first and the last are all listed.
* The change is relative to the previous week. From a week without rides to one
  with rides the change has no ratio (None) but is flagged: a return from a week
  off is the "boom" the rule is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from analytics.compression import ExposureParams

LOAD_CHANGE_FLAG: Final = ExposureParams().load_change_flag
"""± this relative change week over week is flagged (the exposure rule's value)."""


@dataclass(frozen=True, slots=True)
class SaddleLoad:
    """The saddle figures of one ride or one day (None: not known)."""

    date: dt.date
    """Local date (of the ride's start)."""
    rides: int
    on_bike_s: float
    seated_s: float | None
    seated_hip_gt90_s: float | None


@dataclass(frozen=True, slots=True)
class SaddleWeek:
    week_start: dt.date
    """The Monday."""
    rides: int
    on_bike_s: float
    saddle_s: float
    """Seated riding where known, else time on the bike."""
    seated_known: bool
    """Every ride of the week told seated from standing (True for a week without rides)."""
    seated_hip_gt90_s: float | None
    """Seated at hip flexion over 90°, over the rides that know the hip angle (None:
    none of the week's rides does)."""
    change: float | None
    """(this − previous) / previous saddle time; None for the first week and after a
    week without rides."""
    flagged: bool


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def saddle_weeks(
    loads: Sequence[SaddleLoad],
    flag: float = LOAD_CHANGE_FLAG,
    *,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
) -> tuple[SaddleWeek, ...]:
    """One row per ISO week from the week of ``first_day`` (default: the first load's)
    to the week of ``last_day`` (default: the last load's). No loads and no range: no
    weeks."""
    dates = [x.date for x in loads]
    lo = first_day or (min(dates) if dates else None)
    hi = last_day or (max(dates) if dates else None)
    if lo is None or hi is None or hi < lo:
        return ()
    by_week: dict[dt.date, list[SaddleLoad]] = {}
    for x in loads:
        by_week.setdefault(monday_of(x.date), []).append(x)
    out: list[SaddleWeek] = []
    previous: float | None = None
    week = monday_of(lo)
    while week <= hi:
        xs = [x for x in by_week.get(week, []) if x.rides > 0 or x.on_bike_s > 0]
        saddle = sum(x.seated_s if x.seated_s is not None else x.on_bike_s for x in xs)
        hips = [x.seated_hip_gt90_s for x in xs if x.seated_hip_gt90_s is not None]
        change = None
        flagged = False
        if previous is not None:
            if previous > 0:
                change = (saddle - previous) / previous
                flagged = abs(change) > flag
            else:
                flagged = saddle > 0
        out.append(
            SaddleWeek(
                week_start=week,
                rides=sum(x.rides for x in xs),
                on_bike_s=sum(x.on_bike_s for x in xs),
                saddle_s=saddle,
                seated_known=all(x.seated_s is not None for x in xs),
                seated_hip_gt90_s=sum(hips) if hips else None,
                change=change,
                flagged=flagged,
            )
        )
        previous = saddle
        week += dt.timedelta(days=7)
    return tuple(out)


__all__ = ["LOAD_CHANGE_FLAG", "SaddleLoad", "SaddleWeek", "monday_of", "saddle_weeks"]
