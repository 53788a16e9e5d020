"""Per-second epochs from raw samples as a plain per-sample Python loop: the first
stage of the loop baseline (bench/reference_loop.py) of bench/speed_posture.py, the
same statistics as analytics/epochs.py (the rhythm features are shared)."""

from __future__ import annotations

import math

import numpy as np

from analytics.params import PostureParams
from analytics.records import Epochs, Recording
from analytics.rhythm import rhythm_features


def epochs_loop(rec: Recording) -> Epochs:
    t = rec.t_s.tolist()
    thigh = rec.thigh_acc_g.tolist() if rec.thigh_acc_g is not None else None
    trunk = rec.trunk_acc_g.tolist() if rec.trunk_acc_g is not None else None
    t0 = math.floor(t[0])
    n_sec = math.floor(t[-1]) - t0 + 1
    cnt = [0] * n_sec
    sx = [0.0] * n_sec
    sy = [0.0] * n_sec
    sz = [0.0] * n_sec
    sq = [0.0] * n_sec
    mx = [-math.inf] * n_sec
    mn = [math.inf] * n_sec
    tc = [0] * n_sec
    tx = [0.0] * n_sec
    ty = [0.0] * n_sec
    tz = [0.0] * n_sec
    tq = [0.0] * n_sec
    for i in range(len(t)):
        s = math.floor(t[i] - t0)
        if thigh is not None:
            x, y, z = thigh[i]
            if x == x and y == y and z == z:
                cnt[s] += 1
                sx[s] += x
                sy[s] += y
                sz[s] += z
                q = x * x + y * y + z * z
                sq[s] += q
                m = math.sqrt(q)
                if m > mx[s]:
                    mx[s] = m
                if m < mn[s]:
                    mn[s] = m
        if trunk is not None:
            x, y, z = trunk[i]
            if x == x and y == y and z == z:
                tc[s] += 1
                tx[s] += x
                ty[s] += y
                tz[s] += z
                tq[s] += x * x + y * y + z * z
    nan = math.nan
    mean = [[nan, nan, nan] for _ in range(n_sec)]
    std = [nan] * n_sec
    rng = [nan] * n_sec
    tmean = [[nan, nan, nan] for _ in range(n_sec)]
    tstd = [nan] * n_sec
    for s in range(n_sec):
        k = cnt[s]
        if k:
            m3 = [sx[s] / k, sy[s] / k, sz[s] / k]
            mean[s] = m3
            std[s] = math.sqrt(max(sq[s] / k - (m3[0] ** 2 + m3[1] ** 2 + m3[2] ** 2), 0.0))
            rng[s] = mx[s] - mn[s]
        if tc[s]:
            k = tc[s]
            tm = [tx[s] / k, ty[s] / k, tz[s] / k]
            tmean[s] = tm
            tstd[s] = math.sqrt(max(tq[s] / k - (tm[0] ** 2 + tm[1] ** 2 + tm[2] ** 2), 0.0))
    p = PostureParams()
    count = np.asarray(cnt, dtype=np.int64)
    share = stride = steady = None
    if rec.thigh_acc_g is not None:
        # the rhythm (a windowed spectrum per second) is shared with the numpy version,
        # like the calibration: a per-sample Python FFT would measure nothing useful
        share, stride, steady = rhythm_features(
            rec.t_s,
            rec.thigh_acc_g,
            t0,
            count,
            p.rhythm_window_s,
            p.gait_step_floor_hz,
            p.rhythm_peak_min,
        )
    return Epochs(
        t0_s=t0,
        count=count,
        thigh_pedal_share=share,
        thigh_stride_ratio=stride,
        thigh_rhythm_steady=steady,
        thigh_mean_g=np.asarray(mean, dtype=np.float64),
        thigh_std_g=np.asarray(std, dtype=np.float64),
        thigh_range_g=np.asarray(rng, dtype=np.float64),
        trunk_mean_g=np.asarray(tmean, dtype=np.float64) if trunk is not None else None,
        trunk_std_g=np.asarray(tstd, dtype=np.float64) if trunk is not None else None,
        trunk_count=np.asarray(tc, dtype=np.int64) if trunk is not None else None,
    )
