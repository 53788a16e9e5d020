"""Per-second aggregation of raw samples (vectorised, one pass per statistic).

Second ``i`` covers ``[t0_s + i, t0_s + i + 1)`` where ``t0_s = floor(t_s[0])``. A second
without any thigh sample is a gap (``count == 0``); its statistics are NaN.
"""

from __future__ import annotations

import numpy as np

from analytics.records import Epochs, FloatArray, IntArray, Recording


def second_index(t_s: FloatArray, t0_s: int) -> IntArray:
    """The epoch index of every sample."""
    return np.floor(t_s - t0_s).astype(np.int64)


def _bounds(t_s: FloatArray, t0_s: int, n_sec: int) -> IntArray:
    """Sample offsets of the start of every second (length n_sec + 1); t_s sorted."""
    edges = t0_s + np.arange(n_sec + 1, dtype=np.float64)
    return np.searchsorted(t_s, edges, side="left").astype(np.int64)


def _vector_stats(
    t_s: FloatArray, bounds: IntArray, acc: FloatArray, t0_s: int, n_sec: int, *, full: bool = True
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """count, mean (n,3), RMS deviation of the vector and magnitude range per second.

    ``bounds`` are the second boundaries of ``t_s`` (see ``_bounds``). Rows with a NaN
    (that sensor sent nothing in that sample) are left out. Without ``full`` only the
    count and the mean are computed.
    """
    count = np.zeros(n_sec, dtype=np.int64)
    mean = np.full((n_sec, 3), np.nan)
    std = np.full(n_sec, np.nan)
    rng = np.full(n_sec, np.nan)
    acc = np.ascontiguousarray(acc, dtype=np.float64)  # column views reduce slowly
    if not np.isfinite(np.add.reduce(acc, axis=None)) and not np.isfinite(acc).all():
        ok = np.isfinite(acc).all(axis=1)
        acc = acc[ok]
        bounds = _bounds(t_s[ok], t0_s, n_sec)
    if acc.shape[0] == 0:
        return count, mean, std, rng
    n_in = np.diff(bounds)
    has = n_in > 0
    starts = bounds[:-1][has]
    idx = np.flatnonzero(has)
    k = n_in[has]
    sums = np.add.reduceat(acc, starts, axis=0)
    m = sums / k[:, None]
    count[idx] = k
    mean[idx] = m
    if not full:
        return count, mean, std, rng
    sq_each = np.einsum("ij,ij->i", acc, acc)
    sq = np.add.reduceat(sq_each, starts)
    # the range of |a| from the range of |a|² (sqrt is monotonic): no per-sample sqrt
    mag_max = np.sqrt(np.maximum.reduceat(sq_each, starts))
    mag_min = np.sqrt(np.minimum.reduceat(sq_each, starts))
    var = sq / k - np.einsum("ij,ij->i", m, m)
    std[idx] = np.sqrt(np.maximum(var, 0.0))
    rng[idx] = mag_max - mag_min
    return count, mean, std, rng


def _scalar_mean(sec: IntArray, values: FloatArray, n_sec: int) -> FloatArray:
    ok = np.isfinite(values)
    out = np.full(n_sec, np.nan)
    if not ok.any():
        return out
    s = sec[ok]
    counts = np.bincount(s, minlength=n_sec)
    sums = np.bincount(s, weights=values[ok], minlength=n_sec)
    has = counts > 0
    out[has] = sums[has] / counts[has]
    return out


def epochs_from_recording(rec: Recording) -> Epochs:
    """Aggregate a recording's accelerometers (and cadence) into seconds."""
    if rec.n == 0:
        raise ValueError("the recording has no samples")
    t0 = int(np.floor(rec.t_s[0]))
    n_sec = int(np.floor(rec.t_s[-1])) - t0 + 1
    bounds = _bounds(rec.t_s, t0, n_sec)
    if rec.thigh_acc_g is not None:
        count, mean, std, rng = _vector_stats(rec.t_s, bounds, rec.thigh_acc_g, t0, n_sec)
    else:
        count = np.zeros(n_sec, dtype=np.int64)
        mean = np.full((n_sec, 3), np.nan)
        std = np.full(n_sec, np.nan)
        rng = np.full(n_sec, np.nan)
    trunk = None
    if rec.trunk_acc_g is not None:
        _, trunk, _, _ = _vector_stats(rec.t_s, bounds, rec.trunk_acc_g, t0, n_sec, full=False)
    cadence = None
    if rec.cadence_rpm is not None:
        cadence = _scalar_mean(second_index(rec.t_s, t0), rec.cadence_rpm, n_sec)
    return Epochs(
        t0_s=t0,
        count=count,
        thigh_mean_g=mean,
        thigh_std_g=std,
        thigh_range_g=rng,
        trunk_mean_g=trunk,
        cadence_rpm=cadence,
    )
