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


def _group_starts(sec: IntArray) -> IntArray:
    """Start offsets of runs of equal (sorted) second indices."""
    if sec.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(sec[1:] != sec[:-1]) + 1
    return np.concatenate((np.zeros(1, dtype=np.int64), change.astype(np.int64)))


def _vector_stats(
    sec: IntArray, acc: FloatArray, n_sec: int
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """count, mean (n,3), RMS deviation of the vector and magnitude range per second."""
    ok = np.isfinite(acc).all(axis=1)
    if not ok.all():
        sec = sec[ok]
        acc = acc[ok]
    count = np.zeros(n_sec, dtype=np.int64)
    mean = np.full((n_sec, 3), np.nan)
    std = np.full(n_sec, np.nan)
    rng = np.full(n_sec, np.nan)
    if sec.shape[0] == 0:
        return count, mean, std, rng
    starts = _group_starts(sec)
    idx = sec[starts]
    n_in = np.diff(np.append(starts, sec.shape[0]))
    sums = np.add.reduceat(acc, starts, axis=0)
    sq = np.add.reduceat(np.einsum("ij,ij->i", acc, acc), starts)
    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    mag_max = np.maximum.reduceat(mag, starts)
    mag_min = np.minimum.reduceat(mag, starts)
    m = sums / n_in[:, None]
    var = sq / n_in - np.einsum("ij,ij->i", m, m)
    count[idx] = n_in
    mean[idx] = m
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
    sec = second_index(rec.t_s, t0)
    n_sec = int(sec[-1]) + 1
    if rec.thigh_acc_g is not None:
        count, mean, std, rng = _vector_stats(sec, rec.thigh_acc_g, n_sec)
    else:
        count = np.zeros(n_sec, dtype=np.int64)
        mean = np.full((n_sec, 3), np.nan)
        std = np.full(n_sec, np.nan)
        rng = np.full(n_sec, np.nan)
    trunk = None
    if rec.trunk_acc_g is not None:
        _, trunk, _, _ = _vector_stats(sec, rec.trunk_acc_g, n_sec)
    cadence = None
    if rec.cadence_rpm is not None:
        cadence = _scalar_mean(sec, rec.cadence_rpm, n_sec)
    return Epochs(
        t0_s=t0,
        count=count,
        thigh_mean_g=mean,
        thigh_std_g=std,
        thigh_range_g=rng,
        trunk_mean_g=trunk,
        cadence_rpm=cadence,
    )
