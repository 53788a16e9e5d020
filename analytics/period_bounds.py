"""The periods measures are taken over: local calendar days, wall-clock periods
(for example 2-hour periods) and the whole input, as spans on the timeline's clock
(``zoneinfo`` for local days; DST change days are 23 h or 25 h long)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final

from analytics.local_days import local_midnight_s, zone_of
from analytics.records import Timeline

NAIVE_TZ: Final = ("naive", "local", "local-clock")
"""Time-zone names meaning "the timeline's clock is already local" (activPAL)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span ``[start_s, end_s)`` on the timeline's clock.

    ``label`` is the ISO date for days, ``"HHMM to HHMM"`` for clock periods and
    ``"total"`` for the whole input; ``date`` is the local calendar date the period
    belongs to (ISO, empty for the whole input).
    """

    start_s: float
    end_s: float
    label: str
    date: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _zone(tz: str | tzinfo | None) -> tzinfo:
    """UTC for naive data, else the zone (a missing midnight maps to the first instant
    after the DST gap, PEP 495 ``fold=0``, in :func:`local_midnight_s`)."""
    if tz is None or (isinstance(tz, str) and tz.lower() in NAIVE_TZ):
        return UTC
    return zone_of(tz)


def _local_days(t0_s: float, t1_s: float, zone: tzinfo) -> list[date]:
    first = datetime.fromtimestamp(t0_s, zone).date()
    last = datetime.fromtimestamp(max(t0_s, t1_s - 1e-6), zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_bounds(t0_s: float, t1_s: float, tz: str | tzinfo | None = None) -> list[Period]:
    """The local calendar days touched by ``[t0_s, t1_s)``, whole days from local
    midnight to local midnight (23 h or 25 h on DST change days), labelled with the ISO
    date.

    ``tz`` is an IANA name (``"Europe/London"``) or a ``tzinfo`` when the times are
    Unix time, or ``None`` / ``"naive"`` when they already count local-clock seconds
    (activPAL), so a day is exactly 86,400 s.
    """
    zone = _zone(tz)
    out: list[Period] = []
    for day in _local_days(t0_s, t1_s, zone):
        start = local_midnight_s(day, zone)
        end = local_midnight_s(day + timedelta(days=1), zone)
        if end > start:
            out.append(Period(start, end, day.isoformat(), day.isoformat()))
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}{minutes % 60:02d}"


def clock_periods(
    t0_s: float, t1_s: float, hours: float, tz: str | tzinfo | None = None
) -> list[Period]:
    """Wall-clock periods of ``hours`` aligned to local midnight, for every local day
    touched by ``[t0_s, t1_s)`` (labels ``"0000 to 0200"`` ... ``"2200 to 0000"``).

    When ``hours`` does not divide 24 the last period of each day is shorter. On DST
    change days the periods follow the wall clock, so the one holding the change is an
    hour shorter or longer; a period that does not exist on the wall clock (it lies in
    the skipped hour) is left out. ``tz`` as for :func:`day_bounds`.
    """
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours!r}")
    zone = _zone(tz)
    step_min = hours * 60.0
    n_per_day = math.ceil(1440.0 / step_min - 1e-9)
    starts_min = [round(i * step_min) for i in range(n_per_day)]
    ends_min = [*starts_min[1:], 1440]
    out: list[Period] = []
    for day in _local_days(t0_s, t1_s, zone):
        base = datetime(day.year, day.month, day.day)
        for a_min, b_min in zip(starts_min, ends_min, strict=True):
            a = (base + timedelta(minutes=a_min)).replace(tzinfo=zone).timestamp()
            b = (base + timedelta(minutes=b_min)).replace(tzinfo=zone).timestamp()
            if b > a:
                label = f"{_hhmm(a_min)} to {_hhmm(b_min)}"
                out.append(Period(a, b, label, day.isoformat()))
    return out


def whole(tl: Timeline) -> Period:
    """The period covering the whole timeline, labelled ``"total"``."""
    return Period(float(tl.t0_s), tl.t0_s + tl.n * tl.dt_s, "total", "")
