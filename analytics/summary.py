"""A compact summary of one timeline (the full exposure measures live in the exposure
engine; this is what `sitload analyze` prints for a recording)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from analytics.records import Posture, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class TimelineSummary:
    start_t_s: int
    duration_s: int
    wear_s: int
    sitting_s: int
    upright_s: int
    lying_s: int
    riding_seated_s: int
    riding_standing_s: int
    nonwear_s: int
    sit_to_stand: int
    sitting_periods: int
    longest_sitting_s: int
    hip_flexion_known_s: int
    hip_flexion_gt90_s: int
    hip_flexion_mean_sitting_deg: float | None
    reclined_s: int
    hip_from_trunk: bool


def summarize(tl: Timeline) -> TimelineSummary:
    p = tl.posture
    counts = np.bincount(p.astype(np.int64), minlength=len(Posture))
    _starts, lengths, values = runs(p)
    sitting_runs = lengths[values == Posture.SITTING]
    # sit-to-stand: a sitting run directly followed by an upright one
    sit_to_stand = int(
        np.count_nonzero((values[:-1] == Posture.SITTING) & (values[1:] == Posture.UPRIGHT))
    )
    hip = tl.hip_flexion_deg
    known = np.isfinite(hip)
    sitting = p == Posture.SITTING
    sit_known = sitting & known
    mean_sit = float(np.mean(hip[sit_known])) if sit_known.any() else None
    with np.errstate(invalid="ignore"):
        gt90 = int(np.count_nonzero(known & (hip > RULES.hip_flexion_limit_deg)))
    reclined = int(np.count_nonzero(tl.reclined)) if tl.reclined.shape[0] == tl.n else 0
    return TimelineSummary(
        start_t_s=tl.t0_s,
        duration_s=tl.n,
        wear_s=int(tl.n - counts[Posture.NONWEAR]),
        sitting_s=int(counts[Posture.SITTING]),
        upright_s=int(counts[Posture.UPRIGHT]),
        lying_s=int(counts[Posture.LYING]),
        riding_seated_s=int(counts[Posture.RIDING_SEATED]),
        riding_standing_s=int(counts[Posture.RIDING_STANDING]),
        nonwear_s=int(counts[Posture.NONWEAR]),
        sit_to_stand=sit_to_stand,
        sitting_periods=int(sitting_runs.shape[0]),
        longest_sitting_s=int(sitting_runs.max()) if sitting_runs.size else 0,
        hip_flexion_known_s=int(np.count_nonzero(known)),
        hip_flexion_gt90_s=gt90,
        hip_flexion_mean_sitting_deg=mean_sit,
        reclined_s=reclined,
        hip_from_trunk=tl.hip_from_trunk,
    )


def agreement(pred: Timeline, truth: Timeline) -> tuple[float, float]:
    """Per-second sitting-vs-upright agreement over the seconds the truth calls worn
    (a worn second predicted as non-wear counts as a miss), and the relative
    sitting-time error (pred − truth) / truth over the common span. Seated classes
    (sitting, lying, seated riding) count as sitting; upright and standing riding as
    upright."""
    lo = max(pred.t0_s, truth.t0_s)
    hi = min(pred.t0_s + pred.n, truth.t0_s + truth.n)
    if hi <= lo:
        raise ValueError("the timelines do not overlap")
    a = pred.posture[lo - pred.t0_s : hi - pred.t0_s]
    b = truth.posture[lo - truth.t0_s : hi - truth.t0_s]
    seated = (Posture.SITTING, Posture.LYING, Posture.RIDING_SEATED)
    worn = b != Posture.NONWEAR
    sa = np.isin(a, seated)
    sb = np.isin(b, seated)
    hit = (sa == sb) & (a != Posture.NONWEAR)
    agree = float(np.mean(hit[worn])) if worn.any() else float("nan")
    truth_sit = int(np.count_nonzero(sb))
    err = (int(np.count_nonzero(sa)) - truth_sit) / truth_sit if truth_sit else float("nan")
    return agree, err


def combine(parts: Sequence[TimelineSummary]) -> TimelineSummary:
    """One summary of several segments of a recording (times add up; the start is the
    first segment's; nothing is counted across the gap between two segments)."""
    if not parts:
        raise ValueError("no summaries to combine")
    first = parts[0]

    def total(name: str) -> int:
        return sum(int(getattr(s, name)) for s in parts)

    sitting_known = [
        (s.hip_flexion_mean_sitting_deg, s.sitting_s)
        for s in parts
        if s.hip_flexion_mean_sitting_deg is not None
    ]
    weight = sum(w for _, w in sitting_known)
    mean_sit = sum(m * w for m, w in sitting_known) / weight if weight else None
    return replace(
        first,
        duration_s=total("duration_s"),
        wear_s=total("wear_s"),
        sitting_s=total("sitting_s"),
        upright_s=total("upright_s"),
        lying_s=total("lying_s"),
        riding_seated_s=total("riding_seated_s"),
        riding_standing_s=total("riding_standing_s"),
        nonwear_s=total("nonwear_s"),
        sit_to_stand=total("sit_to_stand"),
        sitting_periods=total("sitting_periods"),
        longest_sitting_s=max(s.longest_sitting_s for s in parts),
        hip_flexion_known_s=total("hip_flexion_known_s"),
        hip_flexion_gt90_s=total("hip_flexion_gt90_s"),
        hip_flexion_mean_sitting_deg=mean_sit,
        reclined_s=total("reclined_s"),
        hip_from_trunk=all(s.hip_from_trunk for s in parts),
    )
