"""Hip-flexion exposure: time above thresholds, dose above them and the longest
continuous span above, separately while sitting and while riding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.records import BoolArray, Posture, Timeline
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


def _longest(mask: BoolArray) -> int:
    _s, lengths, values = runs(mask)
    sel = lengths[values]
    return int(sel.max()) if sel.size else 0


def hip_exposure(
    tl: Timeline, thresholds_deg: tuple[float, ...] = (90.0,), lo: int = 0, hi: int | None = None
) -> tuple[HipExposure, ...]:
    """Exposure over steps ``lo:hi`` of the timeline, one record per threshold.
    Riding covers seated riding and standing on the pedals."""
    hi = tl.n if hi is None else hi
    posture = tl.posture[lo:hi]
    hip = tl.hip_flexion_deg[lo:hi]
    sitting = posture == Posture.SITTING
    riding = (posture == Posture.RIDING_SEATED) | (posture == Posture.RIDING_STANDING)
    dt = tl.dt_s
    out = []
    for thr in thresholds_deg:
        with np.errstate(invalid="ignore"):
            above = hip > thr
        excess = np.where(above, hip - thr, 0.0)
        a_sit, a_ride = above & sitting, above & riding
        out.append(
            HipExposure(
                threshold_deg=thr,
                sitting_s=int(np.count_nonzero(a_sit)) * dt,
                sitting_dose_deg_min=float(excess[a_sit].sum()) * dt / 60.0,
                sitting_longest_s=_longest(a_sit) * dt,
                riding_s=int(np.count_nonzero(a_ride)) * dt,
                riding_dose_deg_min=float(excess[a_ride].sum()) * dt / 60.0,
                riding_longest_s=_longest(a_ride) * dt,
            )
        )
    return tuple(out)
