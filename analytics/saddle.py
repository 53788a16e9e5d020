"""Saddle time for cyclists: seated riding bouts, stands, hip flexion on the saddle.

A seated riding bout runs while the rider sits on the saddle (pedalling or coasting)
and ends when they stand on the pedals for at least ``stand_s`` or get off the
bike; shorter stands stay inside the bout. Everything works on the posture runs of
the whole timeline (computed once), clipped to each period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.records import BoolArray, Int8Array, IntArray, Posture, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class SaddleSummary:
    ride_s: float
    seated_s: float
    standing_s: float
    seated_bouts: int
    longest_seated_bout_s: float
    stands: int
    stands_per_hour: float | None
    seated_hip_gt90_s: float


NO_RIDE = SaddleSummary(0.0, 0.0, 0.0, 0, 0.0, 0, None, 0.0)


class SaddleContext:
    """The riding runs of one timeline and its seated-above-90° steps."""

    def __init__(
        self, tl: Timeline, posture_runs: tuple[IntArray, IntArray, Int8Array] | None = None
    ) -> None:
        self.dt_s = tl.dt_s
        self.hip = tl.hip_flexion_deg
        starts, lengths, values = posture_runs if posture_runs is not None else runs(tl.posture)
        riding = values >= Posture.RIDING_SEATED
        self.start: IntArray = starts[riding]
        self.end: IntArray = starts[riding] + lengths[riding]
        self.seated = values[riding] == Posture.RIDING_SEATED
        self.any = bool(riding.any())

    def _seated_hip_gt90_steps(self, s: IntArray, e: IntArray, seated: BoolArray) -> int:
        """Steps above 90° in the (clipped) seated riding runs: only riding steps
        are read."""
        total = 0
        for a, b in zip(s[seated].tolist(), e[seated].tolist(), strict=True):
            with np.errstate(invalid="ignore"):
                total += int(np.count_nonzero(self.hip[a:b] > RULES.hip_flexion_limit_deg))
        return total

    def summary(self, lo: int, hi: int, stand_s: float = RULES.saddle_stand_s) -> SaddleSummary:
        if not self.any:
            return NO_RIDE
        a = int(np.searchsorted(self.end, lo, side="right"))
        b = int(np.searchsorted(self.start, hi, side="left"))
        if b <= a:
            return NO_RIDE
        s = np.maximum(self.start[a:b], lo)
        e = np.minimum(self.end[a:b], hi)
        seated = self.seated[a:b]
        dt = self.dt_s
        length, long_stand, part, new_bout, bout_id = _join(s, e, seated, dt, stand_s)
        bout_steps = np.bincount(bout_id[part], weights=length[part])
        ride_s = int(length.sum()) * dt
        stands = int(np.count_nonzero(long_stand))
        return SaddleSummary(
            ride_s=ride_s,
            seated_s=int(length[seated].sum()) * dt,
            standing_s=int(length[~seated].sum()) * dt,
            seated_bouts=int(np.count_nonzero(new_bout)),
            longest_seated_bout_s=float(bout_steps.max(initial=0.0)) * dt,
            stands=stands,
            stands_per_hour=stands / (ride_s / 3600.0) if ride_s > 0 else None,
            seated_hip_gt90_s=self._seated_hip_gt90_steps(s, e, seated) * dt,
        )

    def bouts(self, stand_s: float = RULES.saddle_stand_s) -> tuple[IntArray, IntArray, IntArray]:
        """The seated riding bouts of the whole timeline: first step, end step and
        steps above 90° of each (the same joining as :meth:`summary`)."""
        s, e, seated = self.start, self.end, self.seated
        if not self.any:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        _length, _long, part, new_bout, bout_id = _join(s, e, seated, self.dt_s, stand_s)
        first = s[new_bout]
        last_end = np.zeros(first.shape[0], dtype=np.int64)
        np.maximum.at(last_end, bout_id[part], e[part])
        hip90 = np.zeros(first.shape[0], dtype=np.int64)
        for k, a, b in zip(
            bout_id[seated].tolist(), s[seated].tolist(), e[seated].tolist(), strict=True
        ):
            with np.errstate(invalid="ignore"):
                hip90[k] += int(np.count_nonzero(self.hip[a:b] > RULES.hip_flexion_limit_deg))
        return first, last_end, hip90


def _join(
    s: IntArray, e: IntArray, seated: BoolArray, dt_s: float, stand_s: float
) -> tuple[IntArray, BoolArray, BoolArray, BoolArray, IntArray]:
    """Seated runs joined into bouts through short stands that touch seated runs on
    both sides: (run lengths, long stands, runs in a bout, bout starts, bout index)."""
    length = e - s
    long_stand = ~seated & (length * dt_s >= stand_s)
    # runs touching: a stand between two seated runs with no gap between them
    touching_prev = np.concatenate(([False], s[1:] == e[:-1]))
    touching_next = np.concatenate((e[:-1] == s[1:], [False]))
    joins = ~seated & ~long_stand & touching_prev & touching_next
    joins[1:-1] &= seated[:-2] & seated[2:]
    joins[[0, -1]] = False
    part = seated | joins
    new_bout = part & ~(np.concatenate(([False], part[:-1])) & touching_prev)
    bout_id = np.cumsum(new_bout) - 1
    return length, long_stand, part, new_bout, bout_id


def saddle(
    tl: Timeline, lo: int = 0, hi: int | None = None, *, stand_s: float = RULES.saddle_stand_s
) -> SaddleSummary:
    return SaddleContext(tl).summary(lo, tl.n if hi is None else hi, stand_s)
