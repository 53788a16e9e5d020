"""Per-second aggregation of raw samples (vectorised, one pass per statistic).

Second ``i`` covers ``[t0_s + i, t0_s + i + 1)`` where ``t0_s = floor(t_s[0])``. A second
without any thigh sample is a gap (``count == 0``); its statistics are NaN.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analytics.params import PostureParams
from analytics.records import BoolArray, Epochs, FloatArray, IntArray, Recording
from analytics.rhythm import rhythm_features
from analytics.smoothing import runs


def second_index(t_s: FloatArray, t0_s: int) -> IntArray:
    """The epoch index of every sample."""
    return np.floor(t_s - t0_s).astype(np.int64)


_BLOCK_S = 1024
"""Seconds reduced at once: their samples (about 1 MB at 50 Hz) stay in the cache
while they are transposed, squared and summed, instead of each pass streaming the
whole recording from memory (twice as fast for a day; same sums, each second's in
the same order)."""


def _bounds(t_s: FloatArray, t0_s: int, n_sec: int) -> IntArray:
    """Sample offsets of the start of every second (length n_sec + 1); t_s sorted."""
    edges = t0_s + np.arange(n_sec + 1, dtype=np.float64)
    # each stretch of seconds is searched for among its own samples only (found from
    # a coarse search): the searches stay in the cache (same offsets, faster)
    coarse = [*np.searchsorted(t_s, edges[::_BLOCK_S], side="left").tolist(), t_s.shape[0]]
    out = np.empty(n_sec + 1, dtype=np.int64)
    for j in range(len(coarse) - 1):
        lo, part = coarse[j], slice(j * _BLOCK_S, (j + 1) * _BLOCK_S)
        out[part] = np.searchsorted(t_s[lo : coarse[j + 1]], edges[part], side="left")
        out[part] += lo
    return out


def _vector_stats(
    t_s: FloatArray,
    bounds: IntArray,
    acc: FloatArray,
    t0_s: int,
    n_sec: int,
    *,
    moments: bool = True,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """count, mean (n,3), RMS deviation of the vector and magnitude range per second.

    ``bounds`` are the second boundaries of ``t_s`` (see ``_bounds``). Rows with a NaN
    (that sensor sent nothing in that sample) are left out. Without ``moments`` only
    the count and the mean are computed (the deviation and range cost extra passes).
    """
    count = np.zeros(n_sec, dtype=np.int64)
    mean = np.full((n_sec, 3), np.nan)
    std = np.full(n_sec, np.nan)
    rng = np.full(n_sec, np.nan)
    acc = np.asarray(acc, dtype=np.float64)
    sums, sq, sq_max, sq_min = _block_sums(acc, bounds, moments)
    # a missing value makes its second's sum NaN: only then look for the rows
    if not np.isfinite(sums).all() and not np.isfinite(acc).all():
        ok = np.isfinite(acc).all(axis=1)
        acc = acc[ok]
        bounds = _bounds(t_s[ok], t0_s, n_sec)
        sums, sq, sq_max, sq_min = _block_sums(acc, bounds, moments)
    if acc.shape[0] == 0:
        return count, mean, std, rng
    n_in = np.diff(bounds)
    has = n_in > 0
    idx = np.flatnonzero(has)
    k = n_in[has]
    m = sums / k[:, None]
    count[idx] = k
    mean[idx] = m
    if not moments:
        return count, mean, std, rng
    var = sq / k - _row_dots(m)
    std[idx] = np.sqrt(np.maximum(var, 0.0))
    # the range of |a| from the range of |a|² (sqrt is monotonic): no per-sample sqrt
    rng[idx] = np.sqrt(sq_max) - np.sqrt(sq_min)
    return count, mean, std, rng


def _block_sums(
    acc: FloatArray, bounds: IntArray, moments: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per second with samples (``bounds`` as from ``_bounds``): the sums of the
    vector's components (n, 3) and, with ``moments``, of ``|a|²`` (x² + y² + z² in
    that order) and its largest and smallest value; empty arrays without ``moments``."""
    idx = np.flatnonzero(np.diff(bounds) > 0)
    n = idx.shape[0]
    starts = bounds[idx]
    sums = np.empty((3, n))
    size = n if moments else 0
    sq, sq_max, sq_min = np.empty(size), np.empty(size), np.empty(size)
    for lo in range(0, n, _BLOCK_S):
        hi = min(lo + _BLOCK_S, n)
        first = int(starts[lo])
        part = np.ascontiguousarray(acc[first : bounds[idx[hi - 1] + 1]].T)
        at = starts[lo:hi] - first
        np.add.reduceat(part, at, axis=1, out=sums[:, lo:hi])
        if moments:
            x, y, z = part
            sq_each = x * x
            sq_each += y * y
            sq_each += z * z
            np.add.reduceat(sq_each, at, out=sq[lo:hi])
            np.maximum.reduceat(sq_each, at, out=sq_max[lo:hi])
            np.minimum.reduceat(sq_each, at, out=sq_min[lo:hi])
    return sums.T, sq, sq_max, sq_min


def _row_dots(m: FloatArray) -> FloatArray:
    """``|m_i|²`` per row, summed x² + y² + z² in that order: what einsum gives for the
    column-major means of many seconds, but also for a lone second (einsum sums a
    single row in another order), so a second's value never depends on how many
    seconds are computed together (chunked = one-shot, exactly)."""
    return np.asarray(m[:, 0] * m[:, 0] + m[:, 1] * m[:, 1] + m[:, 2] * m[:, 2])


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


def vector_seconds(
    t_s: FloatArray, acc: FloatArray, t0_s: int, n_sec: int, *, moments: bool = True
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Count, mean, RMS deviation and magnitude range of seconds ``t0_s ..`` (``n_sec``)
    of one sensor's samples, exactly as :func:`epochs_of` computes them (a second's
    values depend on its own samples only)."""
    return _vector_stats(t_s, _bounds(t_s, t0_s, n_sec), acc, t0_s, n_sec, moments=moments)


def scalar_seconds(t_s: FloatArray, values: FloatArray, t0_s: int, n_sec: int) -> FloatArray:
    """The mean of a scalar (the cadence) per second, as :func:`epochs_of` computes it."""
    return _scalar_mean(second_index(t_s, t0_s), values, n_sec)


def epochs_from_recording(rec: Recording, params: PostureParams | None = None) -> Epochs:
    """Aggregate a recording's accelerometers (and cadence) into seconds, with the
    rhythm of the thigh's movement (:mod:`analytics.rhythm`)."""
    if rec.n == 0:
        raise ValueError("the recording has no samples")
    t0 = int(np.floor(rec.t_s[0]))
    n_sec = int(np.floor(rec.t_s[-1])) - t0 + 1
    ep, _ = epochs_of(rec.t_s, rec.thigh_acc_g, rec.trunk_acc_g, rec.cadence_rpm, t0, n_sec)
    if rec.thigh_acc_g is None:
        return ep
    p = params or PostureParams()
    share, stride, steady = rhythm_features(
        rec.t_s,
        rec.thigh_acc_g,
        t0,
        ep.count,
        p.rhythm_window_s,
        p.gait_step_floor_hz,
        p.rhythm_peak_min,
        wanted=moving_seconds(ep, p),
    )
    return replace(
        ep, thigh_pedal_share=share, thigh_stride_ratio=stride, thigh_rhythm_steady=steady
    )


def moving_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    """The seconds whose rhythm is wanted: the thigh moves."""
    return np.asarray(ep.thigh_std_g > p.moving_std_g, dtype=np.bool_)


def epochs_of(
    t_s: FloatArray,
    thigh_acc_g: FloatArray | None,
    trunk_acc_g: FloatArray | None,
    cadence_rpm: FloatArray | None,
    t0_s: int,
    n_sec: int,
    *,
    trunk_deviation: bool = False,
) -> tuple[Epochs, FloatArray | None]:
    """Seconds ``t0_s .. t0_s + n_sec - 1`` of sorted samples (samples outside are not
    allowed), without the rhythm features (they need the neighbouring seconds). With
    ``trunk_deviation`` the trunk's per-second RMS deviation of every second is
    returned too (the chunked reader computes it in its one pass, instead of
    :func:`with_trunk_deviation` going back to the samples)."""
    bounds = _bounds(t_s, t0_s, n_sec)
    if thigh_acc_g is not None:
        count, mean, std, rng = _vector_stats(t_s, bounds, thigh_acc_g, t0_s, n_sec)
    else:
        count = np.zeros(n_sec, dtype=np.int64)
        mean = np.full((n_sec, 3), np.nan)
        std = np.full(n_sec, np.nan)
        rng = np.full(n_sec, np.nan)
    trunk = trunk_count = trunk_std = None
    if trunk_acc_g is not None:
        trunk_count, trunk, t_std, _ = _vector_stats(
            t_s, bounds, trunk_acc_g, t0_s, n_sec, moments=trunk_deviation
        )
        trunk_std = t_std if trunk_deviation else None
    cadence = None
    if cadence_rpm is not None:
        cadence = _scalar_mean(second_index(t_s, t0_s), cadence_rpm, n_sec)
    ep = Epochs(
        t0_s=t0_s,
        count=count,
        thigh_mean_g=mean,
        thigh_std_g=std,
        thigh_range_g=rng,
        trunk_mean_g=trunk,
        trunk_count=trunk_count,
        cadence_rpm=cadence,
    )
    return ep, trunk_std


def with_trunk_deviation(rec: Recording, ep: Epochs, seconds: BoolArray) -> Epochs:
    """``ep`` with the trunk's per-second RMS deviation filled in for ``seconds`` only
    (NaN elsewhere): the off-body test needs it where the thigh is frozen, which is
    rare, so the full-day pass over the trunk samples is skipped."""
    if rec.trunk_acc_g is None or not seconds.any():
        return ep
    std = np.full(ep.n, np.nan)
    starts, lengths, values = runs(seconds)
    for s0, n, v in zip(starts.tolist(), lengths.tolist(), values.tolist(), strict=True):
        if not v:
            continue
        lo, hi = np.searchsorted(rec.t_s, [ep.t0_s + s0, ep.t0_s + s0 + n])
        t_part = rec.t_s[lo:hi]
        if t_part.shape[0] == 0:
            continue
        bounds = _bounds(t_part, ep.t0_s + s0, n)
        _, _, part_std, _ = _vector_stats(t_part, bounds, rec.trunk_acc_g[lo:hi], ep.t0_s + s0, n)
        std[s0 : s0 + n] = part_std
    return replace(ep, trunk_std_g=std)
