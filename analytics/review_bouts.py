"""The review's bouts: the range's bouts by length (the activPAL bins), the longest
compression bouts, and the seated riding (saddle) bouts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Final

import numpy as np

from analytics.compression import CompressionBout
from analytics.exposure import PeriodExposure
from analytics.local_days import date_of, local_time
from analytics.periods import BOUT_BIN_EDGES_S, BOUT_BIN_LABELS
from analytics.records import Timeline
from analytics.review_records import BoutDistribution, LongBout, SaddleBout
from analytics.rules import RULES
from analytics.saddle import SaddleContext

SADDLE_STAND_S: Final = RULES.saddle_stand_s
"""Standing on the pedals this long ends a saddle bout (as analytics/saddle.py)."""


def bins(days: Sequence[PeriodExposure], bouts: Sequence[CompressionBout]) -> BoutDistribution:
    """activPAL sitting bouts (summed from the days) and compression bouts by length."""
    k = len(BOUT_BIN_LABELS)
    s_counts = [0] * k
    s_time = [0.0] * k
    for d in days:
        for i in range(k):
            s_counts[i] += d.measures.bout_bins.counts[i]
            s_time[i] += d.measures.bout_bins.time_s[i]
    lengths = np.array([b.duration_s for b in bouts], dtype=np.float64)
    which = np.searchsorted(np.array(BOUT_BIN_EDGES_S), lengths, side="right")
    c_counts = np.bincount(which, minlength=k)
    c_time = np.bincount(which, weights=lengths, minlength=k)
    return BoutDistribution(
        labels=tuple(BOUT_BIN_LABELS),
        edges_s=tuple(BOUT_BIN_EDGES_S),
        sitting_counts=tuple(s_counts),
        sitting_time_s=tuple(s_time),
        compression_counts=tuple(int(x) for x in c_counts),
        compression_time_s=tuple(float(x) for x in c_time),
    )


def longest_bouts(bouts: Sequence[CompressionBout], zone: tzinfo, n: int) -> tuple[LongBout, ...]:
    """The ``n`` longest of ``bouts``, longest first (ties: the earlier first)."""
    longest = sorted(bouts, key=lambda b: (-b.duration_s, b.start_s))[:n]
    return tuple(
        LongBout(
            start_s=b.start_s,
            date=date_of(b.start_s, zone),
            start_local=local_time(b.start_s, zone).strftime("%H:%M"),
            duration_s=b.duration_s,
            seated_s=b.seated_s,
            micro_breaks=b.micro_breaks,
            hip_gt90_s=b.hip_gt90_s,
            hip_dose_deg_min=b.hip_dose_deg_min,
            ended_by=str(b.ended_by),
        )
        for b in longest
    )


def saddle_bouts(tl: Timeline, stand_s: float = SADDLE_STAND_S) -> list[SaddleBout]:
    """Seated riding bouts of the whole timeline, with the rules of analytics/saddle.py
    (local dates and times in UTC: :func:`review` re-dates them)."""
    first, last_end, hip90 = SaddleContext(tl).bouts(stand_s)
    dt_s = tl.dt_s
    out = []
    for k in range(first.shape[0]):
        start_s = tl.t0_s + float(first[k]) * dt_s
        out.append(
            SaddleBout(
                start_s=start_s,
                date="",
                start_local="",
                duration_s=float(last_end[k] - first[k]) * dt_s,
                hip_gt90_s=float(hip90[k]) * dt_s,
            )
        )
    return out


def longest_saddle_bouts(
    tl: Timeline, zone: tzinfo, lo_s: float, hi_s: float, n: int
) -> tuple[SaddleBout, ...]:
    """The ``n`` longest seated riding bouts that start in ``[lo_s, hi_s)``, dated in
    ``zone``, longest first (ties: the earlier first)."""
    out: list[SaddleBout] = []
    for sb in saddle_bouts(tl):
        if lo_s <= sb.start_s < hi_s:
            loc = local_time(sb.start_s, zone)
            out.append(
                SaddleBout(
                    sb.start_s,
                    loc.date().isoformat(),
                    loc.strftime("%H:%M"),
                    sb.duration_s,
                    sb.hip_gt90_s,
                )
            )
    out.sort(key=lambda b: (-b.duration_s, b.start_s))
    return tuple(out[:n])


__all__ = ["SADDLE_STAND_S", "bins", "longest_bouts", "longest_saddle_bouts", "saddle_bouts"]
