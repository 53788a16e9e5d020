"""The posture pipeline written as plain per-sample / per-second Python loops.

The baseline of bench/speed_posture.py: the same algorithm as analytics/ (same
parameters, same calibration, same rules), with no numpy in the per-sample and
per-second stages. The benchmark checks that both give the same timeline.
"""

from __future__ import annotations

import math

import numpy as np

from analytics.orientation import PEDALLING_SOURCE, calibrate_thigh, calibrate_trunk
from analytics.params import PostureParams
from analytics.posture import dead_still_limit_g
from analytics.records import Epochs, Posture, Recording, ThighCalibration, TrunkCalibration
from bench.reference_epochs import epochs_loop

SITTING, UPRIGHT, NONWEAR = int(Posture.SITTING), int(Posture.UPRIGHT), int(Posture.NONWEAR)
LYING, RIDE_SEATED, RIDE_STANDING = (
    int(Posture.LYING),
    int(Posture.RIDING_SEATED),
    int(Posture.RIDING_STANDING),
)


def _dot(a: list[float], b: list[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit(v: list[float]) -> list[float]:
    n = math.sqrt(_dot(v, v))
    return [v[0] / n, v[1] / n, v[2] / n] if n > 0 else [math.nan] * 3


def _acos_deg(c: float) -> float:
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def _runs_apply_min(labels: list[int], hold_s: int) -> list[int]:
    labels = _one_posture_stretches(labels, hold_s)
    runs: list[list[int]] = []
    for lab in labels:
        if runs and runs[-1][0] == lab:
            runs[-1][1] += 1
        else:
            runs.append([lab, 1])
    kept = [r[1] >= hold_s or r[0] == NONWEAR for r in runs]
    new = [r[0] for r in runs]
    last = -1
    for i in range(len(runs)):
        if kept[i]:
            last = i
        elif last >= 0 and runs[last][0] != NONWEAR:
            new[i] = runs[last][0]
        else:
            j = i + 1
            while j < len(runs) and not kept[j]:
                j += 1
            if j < len(runs) and runs[j][0] != NONWEAR:
                new[i] = runs[j][0]
    out: list[int] = []
    for i, r in enumerate(runs):
        out.extend([new[i]] * r[1])
    return out


def _one_posture_stretches(labels: list[int], hold_s: int) -> list[int]:
    """A wear stretch (between non-wear) without a run of ``hold_s`` becomes the
    posture it spent most seconds in (the first seen on a tie)."""
    out = list(labels)
    i = 0
    n = len(labels)
    while i < n:
        if labels[i] == NONWEAR:
            i += 1
            continue
        j = i
        while j < n and labels[j] != NONWEAR:
            j += 1
        longest, run, counts, order = 0, 0, {}, []
        for k in range(i, j):
            run = run + 1 if k > i and labels[k] == labels[k - 1] else 1
            longest = max(longest, run)
            if labels[k] not in counts:
                counts[labels[k]] = 0
                order.append(labels[k])
            counts[labels[k]] += 1
        if longest < hold_s:
            best = max(order, key=lambda lab: (counts[lab], -order.index(lab)))
            out[i:j] = [best] * (j - i)
        i = j
    return out


def classify_loop(ep: Epochs, cal: ThighCalibration, p: PostureParams) -> list[int]:
    up = cal.up.tolist()
    refs = [up] + ([r.tolist() for r in cal.upright_refs] if cal.upright_refs is not None else [])
    n = ep.n
    mean = ep.thigh_mean_g.tolist()
    std = ep.thigh_std_g.tolist()
    rng = ep.thigh_range_g.tolist()
    cnt = ep.count.tolist()
    out = [UPRIGHT] * n
    share = ep.thigh_pedal_share.tolist() if ep.thigh_pedal_share is not None else [math.nan] * n
    ratio = ep.thigh_stride_ratio.tolist() if ep.thigh_stride_ratio is not None else [0.0] * n
    pedal_rhythm = [x >= p.pedal_share_min for x in share]
    stride = [False] * n
    seated = [False] * n
    incls = [math.nan] * n
    moving = [False] * n
    ok = [False] * n
    for s in range(n):
        m = mean[s]
        mag = math.sqrt(_dot(m, m)) if cnt[s] else math.nan
        ok[s] = bool(cnt[s]) and p.gravity_floor_g <= mag <= p.gravity_ceiling_g
        d = _unit(m) if cnt[s] else [math.nan] * 3
        incl = (
            min(math.degrees(math.acos(min(1.0, abs(_dot(d, r))))) for r in refs)
            if ok[s]
            else math.nan
        )
        incls[s] = incl
        moving[s] = std[s] > p.moving_std_g
        gait = moving[s] and rng[s] > p.gait_range_g and not pedal_rhythm[s]
        stride[s] = gait and ratio[s] >= p.stride_ratio_min
        if moving[s]:
            seated[s] = incl > max(p.moving_seated_deg, cal.sit_threshold_deg) and not (
                gait and incl < 60.0
            )
        else:
            seated[s] = incl > cal.sit_threshold_deg
        out[s] = SITTING if seated[s] else UPRIGHT
    # pedalling: a pedalling rhythm, or movement with a rider's thigh angle, over a
    # centred window
    w = p.pedal_window_s
    half_lo = (w - 1) // 2
    pedal = [False] * n
    for s in range(n):
        lo, hi = s - (w - 1 - half_lo), s + half_lo + 1
        k = sum(1 for j in range(max(lo, 0), min(hi, n)) if moving[j] and pedal_rhythm[j])
        a = sum(
            1
            for j in range(max(lo, 0), min(hi, n))
            if moving[j]
            and p.pedal_seated_deg < incls[j] < p.saddle_max_deg
            and not std[j] > p.running_std_g
            and not stride[j]
        )
        pedal[s] = (k / w >= p.pedal_fraction or a / w >= p.pedal_angle_fraction) and ok[s]
    for s in range(n):
        if pedal[s] and moving[s]:
            seated[s] = incls[s] > p.pedal_seated_deg and not std[s] > p.running_std_g
            out[s] = SITTING if seated[s] else UPRIGHT
        if ep.cadence_rpm is None and incls[s] >= p.saddle_max_deg:
            pedal[s] = False
    ride = [pedal[s] and seated[s] for s in range(n)]
    ride = [bool(v) for v in _long(ride, p.pedal_window_s)]
    for s in range(n):
        if ride[s]:
            out[s] = RIDE_SEATED
    s = 0
    while s < n:
        if not pedal[s]:
            s += 1
            continue
        e = s
        while e < n and pedal[e]:
            e += 1
        idx = [j for j in range(s, e) if ride[j]]
        if idx:
            for j in range(idx[0], idx[-1] + 1):
                if out[j] == UPRIGHT:
                    out[j] = RIDE_STANDING
        s = e
    runs = _runs(out)
    for k in range(1, len(runs) - 1):
        lab, start, length = runs[k]
        if (
            lab == SITTING
            and length <= p.coast_max_s
            and runs[k - 1][0] == RIDE_SEATED
            and runs[k + 1][0] in (RIDE_SEATED, RIDE_STANDING)
        ):
            for j in range(start, start + length):
                out[j] = RIDE_SEATED
    for s in range(n):
        if not ok[s]:
            out[s] = NONWEAR
    return out


def _runs(labels: list[int]) -> list[tuple[int, int, int]]:
    """(label, start, length) runs."""
    out: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.append((labels[start], start, i - start))
            start = i
    return out


def off_body_loop(
    posture: list[int],
    ep: Epochs,
    cal: ThighCalibration,
    trunk: TrunkCalibration | None,
    p: PostureParams,
) -> list[int]:
    up = cal.up.tolist()
    mean = ep.thigh_mean_g.tolist()
    std = ep.thigh_std_g.tolist()
    tmean = ep.trunk_mean_g.tolist() if ep.trunk_mean_g is not None else None
    limit = dead_still_limit_g(ep, p)  # a percentile of the per-second deviations
    cand = [False] * ep.n
    for s in range(ep.n):
        if not std[s] < limit:
            continue
        theta = _acos_deg(_dot(_unit(mean[s]), up))
        bad = theta > p.nonwear_inverted_deg
        if trunk is not None and tmean is not None:
            dt = _unit(tmean[s])
            t_up, t_fwd = trunk.up.tolist(), trunk.forward.tolist()
            bad = bad or _acos_deg(_dot(dt, t_up)) > p.nonwear_inverted_deg
            hip = theta + math.degrees(math.atan2(-_dot(dt, t_fwd), _dot(dt, t_up)))
            if trunk.source != "auto-provisional":
                bad = bad or hip < p.hip_floor_deg or hip > p.hip_ceiling_deg
        cand[s] = bad
    off = _long(cand, p.nonwear_after_s)
    if tmean is not None and ep.trunk_std_g is not None and ep.trunk_count is not None:
        f1 = _frozen_loop(mean, std, ep.count.tolist(), p)
        f2 = _frozen_loop(tmean, ep.trunk_std_g.tolist(), ep.trunk_count.tolist(), p)
        tstd = ep.trunk_std_g.tolist()
        both = [f1[s] and f2[s] and std[s] < limit and tstd[s] < limit for s in range(ep.n)]
        off2 = _long(both, p.nonwear_after_s)
        off = [a or b for a, b in zip(off, off2, strict=True)]
    return [NONWEAR if off[s] else posture[s] for s in range(ep.n)]


def _frozen_loop(
    mean: list[list[float]], std: list[float], count: list[int], p: PostureParams
) -> list[bool]:
    n, b = len(count), p.frozen_block_s
    out = [False] * n
    for start in range(0, n, b):
        idx = [
            s
            for s in range(start, min(start + b, n))
            if count[s] and all(v == v for v in mean[s]) and std[s] == std[s]
        ]
        k = len(idx)
        if k == 0:
            continue
        c = [sum(mean[s][j] for s in idx) / k for j in range(3)]
        dev = sum(sum((mean[s][j] - c[j]) ** 2 for j in range(3)) for s in idx) / k
        se = sum(std[s] ** 2 / count[s] for s in idx) / k
        if k >= b // 2 and math.sqrt(dev) <= p.frozen_ratio * math.sqrt(se):
            for s in idx:
                out[s] = True
    return out


def _long(mask: list[bool], shortest: int) -> list[bool]:
    out = [False] * len(mask)
    s = 0
    while s < len(mask):
        if not mask[s]:
            s += 1
            continue
        e = s
        while e < len(mask) and mask[e]:
            e += 1
        if e - s >= shortest:
            for j in range(s, e):
                out[j] = True
        s = e
    return out


def analyze_loop(rec: Recording, p: PostureParams | None = None) -> tuple[list[int], list[float]]:
    """Posture codes and hip angles per second, loop version."""
    p = p or PostureParams()
    ep = epochs_loop(rec)
    cal = calibrate_thigh(ep, p)  # on seconds, shared with the numpy version
    if cal.source == PEDALLING_SOURCE:
        raise NotImplementedError("the loop version covers walking-calibrated recordings")
    raw = classify_loop(ep, cal, p)
    trunk = None
    if ep.trunk_mean_g is not None:
        trunk = calibrate_trunk(
            ep, np.asarray(_runs_apply_min(raw, p.posture_hold_s), dtype=np.int8), p
        )
    mean = ep.thigh_mean_g.tolist()
    tmean = ep.trunk_mean_g.tolist() if ep.trunk_mean_g is not None else None
    lying_raw = off_body_loop(raw, ep, cal, trunk, p)
    if trunk is not None and tmean is not None:
        tu = trunk.up.tolist()
        for s in range(ep.n):
            d = _unit(tmean[s])
            if lying_raw[s] == SITTING and _acos_deg(_dot(d, tu)) > p.lying_trunk_deg:
                lying_raw[s] = LYING
    posture = _runs_apply_min(lying_raw, p.posture_hold_s)
    up = cal.up.tolist()
    use_trunk = trunk is not None and trunk.source != "auto-provisional"
    t_up = trunk.up.tolist() if trunk is not None and use_trunk else None
    t_fwd = trunk.forward.tolist() if trunk is not None and use_trunk else None
    hip = [math.nan] * ep.n
    for s in range(ep.n):
        if posture[s] == NONWEAR:
            continue
        d = _unit(mean[s])
        theta = _acos_deg(_dot(d, up))
        if posture[s] in (UPRIGHT, RIDE_STANDING) and theta > 90.0:
            theta = 180.0 - theta
        if t_up is not None and t_fwd is not None and tmean is not None:
            dt = _unit(tmean[s])
            theta += math.degrees(math.atan2(-_dot(dt, t_fwd), _dot(dt, t_up)))
        hip[s] = theta
    return posture, hip
