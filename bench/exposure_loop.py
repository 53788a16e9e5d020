"""The exposure rules as a plain per-step Python loop (the benchmark's baseline).

One pass over the steps computes what analytics/ computes with numpy: per UTC day
the posture totals, sit-to-stand transitions, activPAL sitting bouts (ended by
upright ≥ 10 s; > 30 / > 60 min; longest), compression bouts with micro-breaks and
breaks (≥ ``break_s``; a gap shorter than that pauses a bout), hip > 90° time,
dose and longest span while sitting and riding, and saddle time with stands.
bench/speed_exposure.py checks the results against the numpy report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from analytics.compression import ExposureParams
from analytics.records import Timeline

NONWEAR, SITTING, UPRIGHT, LYING, R_SEAT, R_STAND = range(6)
SEATED = (SITTING, R_SEAT)
RELIEF = (UPRIGHT, LYING, R_STAND)


@dataclass
class Day:
    totals: list[float] = field(default_factory=lambda: [0.0] * 6)
    sit_to_stand: int = 0
    sitting_bouts_gt30: int = 0
    sitting_bouts_gt60: int = 0
    longest_sitting_s: float = 0.0
    compression_bouts: int = 0
    breaks_taken: int = 0
    micro_breaks: int = 0
    hip_sit_s: float = 0.0
    hip_sit_dose: float = 0.0
    hip_ride_s: float = 0.0
    hip_ride_dose: float = 0.0
    hip_longest_s: float = 0.0
    stands: int = 0


def exposure_loop(
    tl: Timeline, p: ExposureParams
) -> tuple[dict[int, Day], list[tuple[float, float, int, float, float]]]:
    dt = tl.dt_s
    t0 = tl.t0_s
    need_break = math.ceil(p.break_s / dt - 1e-9)
    need_up = math.ceil(10.0 / dt - 1e-9)
    days: dict[int, Day] = {}
    bouts: list[tuple[float, float, int, float, float]] = []
    # compression bout state
    in_bout = False
    b_start = b_last_seated = b_micro = b_above = b_seated = 0
    relief = relief_start = 0
    gap_run = 0
    # activPAL sitting bout state
    sit_start = -1
    sit_last = 0
    up_run = 0
    # hip span and stand state
    hip_run = 0
    stand_run = 0
    prev = -1
    posture = tl.posture.tolist()
    hip = tl.hip_flexion_deg.tolist()
    n = len(posture)

    def day_of(i: int) -> Day:
        key = int((t0 + i * dt) // 86_400)
        d = days.get(key)
        if d is None:
            d = days[key] = Day()
        return d

    def close_sitting(i_end: int) -> None:
        nonlocal sit_start
        length = (i_end - sit_start) * dt
        d = day_of(sit_start)
        d.sitting_bouts_gt30 += length > 1800
        d.sitting_bouts_gt60 += length > 3600
        d.longest_sitting_s = max(d.longest_sitting_s, length)
        sit_start = -1

    for i in range(n):
        code = posture[i]
        d = day_of(i)
        d.totals[code] += dt
        if prev == SITTING and code == UPRIGHT:
            d.sit_to_stand += 1
        # activPAL sitting bouts: sitting continues through upright < 10 s
        if code == SITTING:
            if sit_start < 0:
                sit_start = i
            up_run = 0
            sit_last = i + 1
        elif sit_start >= 0:
            if code == UPRIGHT:
                up_run += 1
                if up_run >= need_up:
                    close_sitting(sit_last)
                    up_run = 0
            else:
                close_sitting(sit_last)
                up_run = 0
        # compression bouts
        h = hip[i]
        above = h == h and h > 90.0
        if code != NONWEAR:
            gap_run = 0
        if code in SEATED:
            if not in_bout:
                in_bout, b_start, b_micro, b_above, b_seated = True, i, 0, 0, 0
                day_of(i).compression_bouts += 1
            elif relief:
                b_micro += 1
                day_of(relief_start).micro_breaks += 1
            relief = 0
            b_seated += 1
            if above:
                b_above += 1
            b_last_seated = i + 1
        elif code in RELIEF:
            if in_bout:
                if relief == 0:
                    relief_start = i
                relief += 1  # continues across a short gap
                if relief == need_break:
                    day_of(relief_start).breaks_taken += 1
                    bouts.append((b_start, b_last_seated, b_micro, b_above, b_seated))
                    in_bout, relief = False, 0
        else:  # a gap pauses the bout until it lasts a break
            gap_run += 1
            if in_bout and gap_run == need_break:
                bouts.append((b_start, b_last_seated, b_micro, b_above, b_seated))
                in_bout, relief = False, 0
        # hip exposure
        if above and code == SITTING:
            d.hip_sit_s += dt
            d.hip_sit_dose += (h - 90.0) * dt / 60.0
            hip_run += 1
            d.hip_longest_s = max(d.hip_longest_s, hip_run * dt)
        else:
            hip_run = 0
            if above and code in (R_SEAT, R_STAND):
                d.hip_ride_s += dt
                d.hip_ride_dose += (h - 90.0) * dt / 60.0
        # stands on the pedals (≥ 10 s)
        if code == R_STAND:
            stand_run += 1
            if stand_run * dt == 10.0:
                day_of(i - stand_run + 1).stands += 1
        else:
            stand_run = 0
        prev = code
    if sit_start >= 0:
        close_sitting(sit_last)
    if in_bout:
        bouts.append((b_start, b_last_seated, b_micro, b_above, b_seated))
    out_bouts = [(t0 + s * dt, t0 + e * dt, m, a * dt, k * dt) for s, e, m, a, k in bouts]
    return days, out_bouts
