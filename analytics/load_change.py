"""Week-over-week change of daily compression exposure (the boom-bust pattern).

Weeks are ISO weeks (Monday to Sunday). A week's exposure is the mean over its
*valid* days; the change is relative to the previous week that has valid days,
flagged beyond ± ``flag`` (30 % by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DailyExposure:
    date: dt.date
    compression_s: float
    valid: bool


@dataclass(frozen=True, slots=True)
class WeekChange:
    week_start: dt.date
    valid_days: int
    mean_daily_compression_s: float | None
    change: float | None
    """(this − previous) / previous; None without a previous week or with no exposure."""
    flagged: bool


def load_change(days: list[DailyExposure], flag: float = 0.30) -> list[WeekChange]:
    weeks: dict[dt.date, list[DailyExposure]] = {}
    for d in days:
        monday = d.date - dt.timedelta(days=d.date.weekday())
        weeks.setdefault(monday, []).append(d)
    out: list[WeekChange] = []
    previous: float | None = None
    for monday in sorted(weeks):
        valid = [d.compression_s for d in weeks[monday] if d.valid]
        mean = sum(valid) / len(valid) if valid else None
        change = None
        if mean is not None and previous is not None and previous > 0:
            change = (mean - previous) / previous
        out.append(
            WeekChange(
                week_start=monday,
                valid_days=len(valid),
                mean_daily_compression_s=mean,
                change=change,
                flagged=change is not None and abs(change) > flag,
            )
        )
        if mean is not None:
            previous = mean
    return out
