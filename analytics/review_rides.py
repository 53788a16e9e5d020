"""The review's rides: one row per ride of the range, and the weekly saddle load.

A ride comes from either source, never both:

* a **ride record** of the history (a bike computer's file, imported): its riding
  time and time on the bike, and seated / standing, the longest seated bout,
  stands and seated time at hip > 90° — from the timeline when the timeline has
  riding during the ride (a thigh sensor saw it), else as the record says (None:
  the file could not tell);
* a **spell of riding in the timeline** that no ride record covers (a live ride
  with a thigh sensor, a recording imported without its FIT file): riding spells
  joined across stops shorter than a break, as :func:`analytics.ride.ride_count`.

The weekly saddle load (:mod:`analytics.saddle_weeks`) sums these rows, so a ride
seen by both the bike computer and the thigh counts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Protocol

import numpy as np

from analytics.local_days import local_time
from analytics.records import Posture, Timeline
from analytics.ride import RideParams
from analytics.rules import RULES
from analytics.saddle import SaddleContext
from analytics.saddle_weeks import LOAD_CHANGE_FLAG, SaddleLoad, SaddleWeek, saddle_weeks


class RideLike(Protocol):
    """A ride as the history keeps it (``RideRecord``)."""

    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...
    @property
    def riding_s(self) -> float: ...
    @property
    def on_bike_s(self) -> float: ...
    @property
    def seated_s(self) -> float | None: ...
    @property
    def standing_s(self) -> float | None: ...
    @property
    def longest_seated_bout_s(self) -> float | None: ...
    @property
    def stands(self) -> int | None: ...
    @property
    def stands_per_hour(self) -> float | None: ...
    @property
    def seated_hip_gt90_s(self) -> float | None: ...
    @property
    def position_from(self) -> str: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RideRow:
    """One ride of the range (None: not known)."""

    start_s: float
    date: str
    start_local: str
    """Local ``HH:MM``."""
    riding_s: float
    on_bike_s: float
    seated_s: float | None
    standing_s: float | None
    longest_seated_bout_s: float | None
    stands: int | None
    stands_per_hour: float | None
    seated_hip_gt90_s: float | None
    position_from: str
    """``thigh`` (the timeline), ``events`` / ``session`` (the bike computer's file)
    or ``none``."""
    source: str
    """The ride file's name; empty for a ride found in the timeline only."""


def riding_spells(tl: Timeline, gap_max_s: float = RideParams().break_s) -> list[tuple[int, int]]:
    """Steps ``[lo, hi)`` of the timeline's rides: riding (seated or standing) joined
    across gaps shorter than ``gap_max_s``."""
    idx = np.flatnonzero(tl.posture >= Posture.RIDING_SEATED)
    if idx.size == 0:
        return []
    cut = np.flatnonzero((np.diff(idx) - 1) * tl.dt_s >= gap_max_s)
    starts = np.concatenate(([idx[0]], idx[cut + 1]))
    ends = np.concatenate((idx[cut] + 1, [idx[-1] + 1]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _row(
    t_s: float,
    zone: tzinfo,
    on_bike: tuple[float, float],
    figures: RideLike | None,
    ctx: SaddleContext,
    span: tuple[int, int],
    stand_s: float,
    source: str,
) -> RideRow:
    """A ride's row: seated / standing from the timeline where it saw riding then,
    else from the ride record (``figures``), else unknown."""
    local = local_time(t_s, zone)
    when = (t_s, local.date().isoformat(), local.strftime("%H:%M"))
    sad = ctx.summary(span[0], span[1], stand_s)
    if sad.ride_s > 0:
        hip_known = bool(np.isfinite(ctx.hip[span[0] : span[1]]).any())
        return RideRow(
            *when,
            *on_bike,
            seated_s=sad.seated_s,
            standing_s=sad.standing_s,
            longest_seated_bout_s=sad.longest_seated_bout_s,
            stands=sad.stands,
            stands_per_hour=sad.stands_per_hour,
            seated_hip_gt90_s=sad.seated_hip_gt90_s if hip_known else None,
            position_from="thigh",
            source=source,
        )
    if figures is None:
        return RideRow(*when, *on_bike, None, None, None, None, None, None, "none", source)
    return RideRow(
        *when,
        *on_bike,
        seated_s=figures.seated_s,
        standing_s=figures.standing_s,
        longest_seated_bout_s=figures.longest_seated_bout_s,
        stands=figures.stands,
        stands_per_hour=figures.stands_per_hour,
        seated_hip_gt90_s=figures.seated_hip_gt90_s,
        position_from=figures.position_from,
        source=source,
    )


def ride_rows(
    tl: Timeline,
    rides: Sequence[RideLike],
    zone: tzinfo,
    range_lo_s: float,
    range_hi_s: float,
    stand_s: float = RULES.saddle_stand_s,
) -> tuple[RideRow, ...]:
    """The rides that start in ``[range_lo_s, range_hi_s)``, by start."""
    dt_s = tl.dt_s

    def step(t_s: float) -> int:
        return int(np.clip(round((t_s - tl.t0_s) / dt_s), 0, tl.n))

    ctx = SaddleContext(tl)
    out: list[RideRow] = []
    covered: list[tuple[int, int]] = []
    for r in rides:
        if not range_lo_s <= r.start_s < range_hi_s:
            continue
        span = (step(r.start_s), step(r.end_s))
        covered.append(span)
        on_bike = (r.riding_s, r.on_bike_s)
        out.append(_row(r.start_s, zone, on_bike, r, ctx, span, stand_s, r.source))
    for lo, hi in riding_spells(tl):
        t_s = tl.t0_s + lo * dt_s
        if not range_lo_s <= t_s < range_hi_s:
            continue
        if any(a < hi and lo < b for a, b in covered):
            continue  # a ride record has it
        riding = float(np.count_nonzero(tl.posture[lo:hi] >= Posture.RIDING_SEATED)) * dt_s
        out.append(_row(t_s, zone, (riding, (hi - lo) * dt_s), None, ctx, (lo, hi), stand_s, ""))
    out.sort(key=lambda row: row.start_s)
    return tuple(out)


def weekly_saddle(
    rows: Sequence[RideRow],
    first_day: dt.date,
    last_day: dt.date,
    flag: float = LOAD_CHANGE_FLAG,
) -> tuple[SaddleWeek, ...]:
    """The weekly saddle load of the range's rides (every week of the range)."""
    loads = [
        SaddleLoad(dt.date.fromisoformat(r.date), 1, r.on_bike_s, r.seated_s, r.seated_hip_gt90_s)
        for r in rows
    ]
    return saddle_weeks(loads, flag, first_day=first_day, last_day=last_day)


__all__ = ["RideLike", "RideRow", "ride_rows", "riding_spells", "weekly_saddle"]
