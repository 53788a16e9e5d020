"""Compression bouts and daily totals as a plain per-step Python loop.

The baseline of bench/speed_exposure.py: the rules of analytics/compression.py
(seated / relief / gap classes, micro-breaks shorter than ``break_min_s``, bouts
interrupted by gaps, hip > 90° time and dose inside bouts) and per-day posture
totals, one step at a time. The benchmark checks that the results agree.
"""

from __future__ import annotations

import math

from analytics.compression import ExposureParams
from analytics.records import Timeline

SEATED_CODES = (1, 4)
RELIEF_CODES = (2, 3, 5)


def bouts_loop(tl: Timeline, p: ExposureParams) -> list[tuple[float, float, int, float, float]]:
    """(start_s, end_s, micro_breaks, hip_gt90_s, seated_s) per bout."""
    posture = tl.posture.tolist()
    hip = tl.hip_flexion_deg.tolist()
    dt = tl.dt_s
    need = math.ceil(p.break_min_s / dt - 1e-9)
    out: list[tuple[float, float, int, float, float]] = []
    in_bout = False
    start = last_seated_end = 0
    micro = 0
    relief_run = 0
    above = seated = 0
    for i, code in enumerate(posture):
        if code in SEATED_CODES:
            if not in_bout:
                in_bout, start, micro, above, seated = True, i, 0, 0, 0
            elif relief_run:
                micro += 1
            relief_run = 0
            seated += 1
            h = hip[i]
            if h == h and h > 90.0:
                above += 1
            last_seated_end = i + 1
        elif code in RELIEF_CODES:
            if in_bout:
                relief_run += 1
                if relief_run == need:
                    out.append((start, last_seated_end, micro, above, seated))
                    in_bout, relief_run = False, 0
        else:  # gap
            if in_bout:
                out.append((start, last_seated_end, micro, above, seated))
                in_bout = False
            relief_run = 0
    if in_bout:
        out.append((start, last_seated_end, micro, above, seated))
    t0 = tl.t0_s
    return [(t0 + s * dt, t0 + e * dt, m, a * dt, n * dt) for s, e, m, a, n in out]


def day_totals_loop(tl: Timeline, day_s: int = 86_400) -> list[list[float]]:
    """Seconds per posture code for each UTC day (list per day of 6 totals)."""
    totals: dict[int, list[float]] = {}
    t0 = tl.t0_s
    dt = tl.dt_s
    for i, code in enumerate(tl.posture.tolist()):
        day = int((t0 + i * dt) // day_s)
        row = totals.get(day)
        if row is None:
            row = totals[day] = [0.0] * 6
        row[code] += dt
    return [totals[k] for k in sorted(totals)]
