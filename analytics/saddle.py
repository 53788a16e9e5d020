"""Saddle time for cyclists: seated riding bouts, stands, hip flexion on the saddle.

A seated riding bout runs while the rider sits on the saddle (pedalling or coasting)
and ends when they stand on the pedals for at least ``stand_min_s`` or get off the
bike; shorter stands stay inside the bout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.records import Posture, Timeline
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


def saddle(
    tl: Timeline, lo: int = 0, hi: int | None = None, *, stand_min_s: float = 10.0
) -> SaddleSummary:
    hi = tl.n if hi is None else hi
    posture = tl.posture[lo:hi]
    dt = tl.dt_s
    seated = posture == Posture.RIDING_SEATED
    standing = posture == Posture.RIDING_STANDING
    starts, lengths, values = runs(posture)
    long_stand = (values == Posture.RIDING_STANDING) & (lengths * dt >= stand_min_s)
    # a short stand between two seated spells belongs to the seated bout
    short_stand = (values == Posture.RIDING_STANDING) & ~long_stand
    inside = np.zeros(values.shape[0], dtype=np.bool_)
    if values.shape[0] > 2:
        inside[1:-1] = (
            short_stand[1:-1]
            & (values[:-2] == Posture.RIDING_SEATED)
            & (values[2:] == Posture.RIDING_SEATED)
        )
    bout_part = (values == Posture.RIDING_SEATED) | inside
    b_starts, b_lengths, b_values = runs(bout_part)
    bout_steps = [
        int(lengths[s : s + n].sum())
        for s, n, v in zip(b_starts.tolist(), b_lengths.tolist(), b_values.tolist(), strict=True)
        if v
    ]
    ride_s = int(np.count_nonzero(seated | standing)) * dt
    with np.errstate(invalid="ignore"):
        hip_gt90 = seated & (tl.hip_flexion_deg[lo:hi] > 90.0)
    stands = int(np.count_nonzero(long_stand))
    del starts
    return SaddleSummary(
        ride_s=ride_s,
        seated_s=int(np.count_nonzero(seated)) * dt,
        standing_s=int(np.count_nonzero(standing)) * dt,
        seated_bouts=len(bout_steps),
        longest_seated_bout_s=max(bout_steps, default=0) * dt,
        stands=stands,
        stands_per_hour=stands / (ride_s / 3600.0) if ride_s > 0 else None,
        seated_hip_gt90_s=int(np.count_nonzero(hip_gt90)) * dt,
    )
