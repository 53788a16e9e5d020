"""Read a date range of one person from a history store: the inputs of
:func:`analytics.review.review`.

The timeline is read a week at a time (local days of the report's zone), one day
before the range too (the previous day of the first morning's pain score), into one
per-second :class:`~analytics.records.Timeline`. Seconds whose data state is not OK
(no samples, sensor off) are non-wear whatever posture the store kept. Alerts and
daily records cover the range; pain reports run to the end of the morning after the
last day (its score answers for the last day). A rich progress bar shows on stderr
when the range is long and stdout is a terminal (rich is imported only then).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

import numpy as np

from analytics.live import DATA_OK
from analytics.local_days import local_midnight_s
from analytics.records import Posture, Timeline
from collector.sinks.history.model import (
    DailyRecord,
    EventRecord,
    HistoryStore,
    PainReport,
    RideRecord,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

PROGRESS_DAYS_NEEDED = 14
"""Show the progress bar for ranges longer than this (on a terminal)."""
SPAN_DAYS = 7
"""Days of timeline asked for in one read (a store may read them in parallel pages:
InfluxDB)."""


@dataclass(frozen=True, slots=True)
class ReviewInputs:
    user: str
    first_day: dt.date
    last_day: dt.date
    zone: tzinfo
    timeline: Timeline
    """From local midnight of ``first_day - 1`` to local midnight after ``last_day``."""
    alerts: tuple[EventRecord, ...]
    daily: tuple[DailyRecord, ...]
    pain: tuple[PainReport, ...]
    rides: tuple[RideRecord, ...] = ()
    """The ride records (bike computers' files) that start in the range."""

    @property
    def range_start_s(self) -> float:
        return local_midnight_s(self.first_day, self.zone)

    @property
    def range_end_s(self) -> float:
        return local_midnight_s(self.last_day + dt.timedelta(days=1), self.zone)

    def wear_s(self) -> int:
        """Seconds of wear inside the range (the context day excluded)."""
        tl = self.timeline
        lo = round(self.range_start_s - tl.t0_s)
        return int(np.count_nonzero(tl.posture[lo:] != Posture.NONWEAR))

    @property
    def empty(self) -> bool:
        """Nothing at all in the range: no wear, alerts, daily records, pain or rides."""
        return self.wear_s() == 0 and not (self.alerts or self.daily or self.pain or self.rides)


@contextmanager
def _progress(show: bool, total: int, console: Console | None) -> Iterator[Progress | None]:
    if not show:
        yield None
        return
    from rich.console import Console

    from collector.progress import counting_bar

    with counting_bar(
        console or Console(stderr=True), "reading history", "days", shown=True
    ) as bar:
        bar.add_task("days", total=total)
        yield bar


def load_inputs(
    store: HistoryStore,
    user: str,
    first_day: dt.date,
    last_day: dt.date,
    zone: tzinfo,
    *,
    progress: bool | None = None,
    console: Console | None = None,
) -> ReviewInputs:
    """Read ``first_day`` … ``last_day`` (local days of ``zone``, inclusive) of ``user``.

    ``progress``: show a progress bar (default: when the range is longer than
    :data:`PROGRESS_DAYS_NEEDED` days and stdout is a terminal)."""
    if last_day < first_day:
        raise ValueError(f"the last day {last_day} is before the first {first_day}")
    context = first_day - dt.timedelta(days=1)
    days = [context + dt.timedelta(days=i) for i in range((last_day - context).days + 1)]
    bounds = [round(local_midnight_s(d, zone)) for d in days]
    bounds.append(round(local_midnight_s(last_day + dt.timedelta(days=1), zone)))
    t0 = bounds[0]
    n = bounds[-1] - t0
    posture = np.zeros(n, dtype=np.int8)
    hip = np.full(n, np.nan)
    show = (
        progress
        if progress is not None
        else (len(days) - 1 > PROGRESS_DAYS_NEEDED and sys.stdout.isatty())
    )
    with _progress(show, len(days), console) as bar:
        for i in range(0, len(days), SPAN_DAYS):
            lo, hi = bounds[i], bounds[min(i + SPAN_DAYS, len(days))]
            chunk = store.read_timeline(user, lo, hi)
            a = max(lo, chunk.t0_s)
            b = min(hi, chunk.t0_s + chunk.n)
            if b > a:
                src = slice(a - chunk.t0_s, b - chunk.t0_s)
                dst = slice(a - t0, b - t0)
                ok = chunk.data[src] == DATA_OK
                posture[dst] = np.where(ok, chunk.posture[src], Posture.NONWEAR)
                hip[dst] = np.where(ok, chunk.hip_flexion_deg[src], np.nan)
            if bar is not None:
                bar.advance(bar.task_ids[0], min(SPAN_DAYS, len(days) - i))
    range_lo = bounds[1]
    range_hi = bounds[-1]
    morning_after_hi = round(local_midnight_s(last_day + dt.timedelta(days=2), zone))
    alerts = store.read_events(user, t0, range_hi, source="alert")
    daily = store.read_daily(user, range_lo, range_hi)
    pain = store.read_pain(user, range_lo, morning_after_hi)
    rides = store.read_rides(user, range_lo, range_hi)
    return ReviewInputs(
        user=user,
        first_day=first_day,
        last_day=last_day,
        zone=zone,
        timeline=Timeline(t0_s=t0, posture=posture, hip_flexion_deg=hip),
        alerts=tuple(a for a in alerts if a.source == "alert"),
        daily=tuple(d for d in daily if first_day.isoformat() <= d.date <= last_day.isoformat()),
        pain=tuple(pain),
        rides=tuple(rides),
    )
