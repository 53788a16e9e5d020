"""Hip-flexion exposure: time above thresholds, dose above them and the longest
continuous span above, separately while sitting and while riding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analytics.compression import excess_over
from analytics.records import BoolArray, FloatArray, IntArray, Posture, Timeline
from analytics.rules import RULES
from analytics.scratch import scratch
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class HipExposure:
    threshold_deg: float
    sitting_s: float
    sitting_dose_deg_min: float
    sitting_longest_s: float
    riding_s: float
    riding_dose_deg_min: float
    riding_longest_s: float

    @property
    def total_s(self) -> float:
        return self.sitting_s + self.riding_s

    @property
    def total_dose_deg_min(self) -> float:
        return self.sitting_dose_deg_min + self.riding_dose_deg_min


class _Track:
    """One "above the threshold while X" mask, measured over any slice from its runs:
    steps and the longest span from run bounds, the dose from one reduceat over the
    runs (no per-step product)."""

    def __init__(self, where: BoolArray, above: BoolArray, excess: FloatArray, slot: str) -> None:
        n = excess.shape[0]
        self.excess = excess
        mask = np.logical_and(above, where, out=scratch(slot + "-m", n, np.bool_))
        starts, lengths, values = runs(mask)
        self.r_start: IntArray = starts[values]
        self.r_end: IntArray = starts[values] + lengths[values]
        edges = np.empty(2 * self.r_start.shape[0], dtype=np.int64)
        edges[0::2], edges[1::2] = self.r_start, self.r_end
        if edges.size and edges[-1] >= n:
            edges = edges[:-1]  # reduceat sums the last run to the end by itself
        run_dose = np.add.reduceat(excess, edges)[0::2] if edges.size else np.zeros(0)
        self.cum_dose = np.concatenate(([0.0], np.cumsum(run_dose)))
        self.cum_steps = np.concatenate(([0], np.cumsum(self.r_end - self.r_start)))

    def _overlap(self, lo: int, hi: int) -> tuple[int, int]:
        a = int(np.searchsorted(self.r_end, lo, side="right"))
        b = int(np.searchsorted(self.r_start, hi, side="left"))
        return a, b

    def steps(self, lo: int, hi: int) -> int:
        a, b = self._overlap(lo, hi)
        if b <= a:
            return 0
        total = int(self.cum_steps[b] - self.cum_steps[a])
        total -= max(0, lo - int(self.r_start[a])) + max(0, int(self.r_end[b - 1]) - hi)
        return total

    def dose_sum(self, lo: int, hi: int) -> float:
        a, b = self._overlap(lo, hi)
        if b <= a:
            return 0.0
        total = float(self.cum_dose[b] - self.cum_dose[a])
        first, last = int(self.r_start[a]), int(self.r_end[b - 1])
        if first < lo:
            total -= float(self.excess[first:lo].sum())
        if last > hi:
            total -= float(self.excess[hi:last].sum())
        return total

    def longest(self, lo: int, hi: int) -> int:
        a, b = self._overlap(lo, hi)
        if b <= a:
            return 0
        clipped = np.minimum(self.r_end[a:b], hi) - np.maximum(self.r_start[a:b], lo)
        return int(clipped.max())


class _NoTrack(_Track):
    """No riding at all: every figure is zero."""

    def __init__(self) -> None:
        pass

    def steps(self, lo: int, hi: int) -> int:
        return 0

    def dose_sum(self, lo: int, hi: int) -> float:
        return 0.0

    def longest(self, lo: int, hi: int) -> int:
        return 0


_EMPTY = _NoTrack()


def hip_exposure_slices(
    tl: Timeline,
    thresholds_deg: Sequence[float],
    slices: Sequence[tuple[int, int]],
    excess90: FloatArray | None = None,
) -> list[tuple[HipExposure, ...]]:
    """Exposure for each step slice ``(lo, hi)``, one record per threshold. Riding
    covers seated riding and standing on the pedals; unknown angles never count."""
    n = tl.n
    sitting = np.equal(tl.posture, Posture.SITTING, out=scratch("hip-sit", n, np.bool_))
    # seated or standing riding
    riding = np.greater_equal(
        tl.posture, Posture.RIDING_SEATED, out=scratch("hip-ride", n, np.bool_)
    )
    dt = tl.dt_s
    any_riding = bool(riding.any())
    per_threshold = []
    for k, thr in enumerate(thresholds_deg):
        if thr == RULES.hip_flexion_limit_deg and excess90 is not None:
            excess = excess90  # read only: the tracks multiply into their own buffers
        else:
            excess = excess_over(tl.hip_flexion_deg, thr, "hip-excess")
        above = np.greater(excess, 0.0, out=scratch("hip-above", n, np.bool_))
        ride = _Track(riding, above, excess, f"hip-r{k}") if any_riding else _EMPTY
        sit = _Track(sitting, above, excess, f"hip-s{k}")
        per_threshold.append((thr, sit, ride))
    out = []
    for lo, hi in slices:
        out.append(
            tuple(
                HipExposure(
                    threshold_deg=thr,
                    sitting_s=sit.steps(lo, hi) * dt,
                    sitting_dose_deg_min=sit.dose_sum(lo, hi) * dt / 60.0,
                    sitting_longest_s=sit.longest(lo, hi) * dt,
                    riding_s=ride.steps(lo, hi) * dt,
                    riding_dose_deg_min=ride.dose_sum(lo, hi) * dt / 60.0,
                    riding_longest_s=ride.longest(lo, hi) * dt,
                )
                for thr, sit, ride in per_threshold
            )
        )
    return out


def hip_exposure(
    tl: Timeline,
    thresholds_deg: tuple[float, ...] = (RULES.hip_flexion_limit_deg,),
    lo: int = 0,
    hi: int | None = None,
) -> tuple[HipExposure, ...]:
    """Exposure over steps ``lo:hi`` of the timeline, one record per threshold."""
    return hip_exposure_slices(tl, thresholds_deg, [(lo, tl.n if hi is None else hi)])[0]
