"""The empty-seat baseline of a seat-pressure mat: where it comes from, and whether the
seconds it is learned from really are an empty seat.

A mat's empty reading (its per-cell offset) is not known in advance, so it is learned
from the lowest readings of the data. That is only right if the seat was empty at some
point: a session that starts with someone already seated (or never leaves the seat)
has a lowest reading that is a *light posture* (leaning forward), and learning it as
"empty" makes those postures read as an empty seat.

The physical signature that tells them apart, whatever the unit or offset:

* an **empty** mat is dead still: from one second to the next each cell changes only
  by its own sensor noise, independently of the other cells;
* a **sitter** is never still: breathing and postural sway change the load on many
  cells at once, so the summed change of all cells is much larger than independent
  changes of each cell would give (the ratio is about 1 for an empty mat and grows
  towards the square root of the number of loaded cells for a body).

:func:`find_empty_baseline` looks for the lowest readings window by window through
the data and takes the first window whose low readings are still in that sense; if
none is, no baseline could be established and the caller is told so. Pure numpy.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from analytics.records import BoolArray, FloatArray

__all__ = ["BaselineSource", "coherence_ratio", "find_empty_baseline", "window_floor"]

BaselineSource = Literal["given", "learned", "none"]
"""``given``: a known per-mat baseline was passed in (``SeatParams.empty_baseline``);
``learned``: found in the data, from seconds with the empty-seat signature; ``none``:
the data never showed an empty seat (its lowest readings carry a moving body), so the
lowest readings were used and occupancy is unreliable until a baseline is given."""

_PAIRS_NEEDED = 30
"""Fewest pairs of consecutive low seconds needed to judge stillness."""


def _percentile_cols(rows: FloatArray, q: float) -> FloatArray:
    """Per-column ``q`` percentile ignoring NaN (NaN for all-NaN columns)."""
    out = np.full(rows.shape[1], np.nan)
    if rows.shape[0] == 0:
        return out
    finite = np.isfinite(rows)
    if finite.all():  # partition along contiguous rows: much faster than axis=0
        return np.asarray(np.percentile(rows.T.copy(), q, axis=1), dtype=np.float64)
    for j in range(rows.shape[1]):
        col = rows[finite[:, j], j]
        if col.size:
            out[j] = np.percentile(col, q)
    return out


def window_floor(rows: FloatArray, sigma: FloatArray, q: float) -> tuple[FloatArray, BoolArray]:
    """The low readings of a stretch of per-second cell means (valid rows only).

    The seconds whose summed excess over each cell's ``q`` percentile is within 4
    noise std of that excess's own ``q`` percentile are the low ones; returns the
    per-cell median over them (NaN for cells never valid) and their mask."""
    low = _percentile_cols(rows, q)
    excess = np.where(np.isfinite(rows), rows - np.where(np.isfinite(low), low, 0.0), 0.0)
    total = excess.sum(axis=1)
    limit = float(np.percentile(total, q)) + 4.0 * math.sqrt(float(np.sum(sigma**2)))
    mask = np.asarray(total <= limit, dtype=np.bool_)
    floor = _percentile_cols(rows[mask], 50.0)
    missing = ~np.isfinite(floor)
    floor[missing] = low[missing]
    return floor, mask


def coherence_ratio(rows: FloatArray, pair: BoolArray) -> float:
    """Std of the summed second-to-second change of all cells, over what independent
    per-cell changes of the same size would give (about 1 for an empty, still mat;
    larger when a body moves many cells together; 0 for cells that do not change at
    all). ``pair[i]``: rows ``i`` and ``i + 1`` are consecutive seconds to use; only
    pairs with every cell valid count. NaN with fewer than a few pairs.

    Plain variances, not a robust scale: integer counts with little noise leave most
    per-cell changes at exactly 0, where a median-based scale of each cell would be 0
    but not that of their sum. The seconds given are the low ones of a window, so no
    sit-down or stand-up is among them."""
    d = np.diff(rows, axis=0)[pair]
    d = d[np.isfinite(d).all(axis=1)]
    if d.shape[0] < _PAIRS_NEEDED or d.shape[1] < 2:
        return math.nan
    independent = float(np.sum(np.var(d, axis=0)))
    if independent <= 0.0:
        return 0.0
    return math.sqrt(float(np.var(d.sum(axis=1))) / independent)


def find_empty_baseline(
    per_s: FloatArray,
    sigma: FloatArray,
    window_s: int,
    q: float,
    still_ratio_max: float,
) -> tuple[FloatArray, BaselineSource]:
    """Per-cell empty-seat baseline from per-second cell means (rows = seconds).

    Walks the data in consecutive windows of ``window_s`` seconds and returns the
    low readings of the first window whose low seconds are still (coherence ratio at
    most ``still_ratio_max``, or too few to judge in a mat of one cell) as
    ``learned``. If every window's low readings move like a body, returns the first
    window's low readings as ``none``. Cells never valid in the chosen window take
    their low percentile over all the data, else 0."""
    valid = np.any(np.isfinite(per_s), axis=1)
    n_cells = per_s.shape[1]
    fallback: FloatArray | None = None
    if not np.any(valid):
        return np.zeros(n_cells, dtype=np.float64), "none"
    first: FloatArray | None = None
    for a in range(0, per_s.shape[0], max(1, window_s)):
        block = per_s[a : a + window_s]
        ok = np.any(np.isfinite(block), axis=1)
        if not np.any(ok):
            continue
        rows = block[ok]
        floor, mask = window_floor(rows, sigma, q)
        missing = ~np.isfinite(floor)
        if np.any(missing):  # cells never valid in this window
            if fallback is None:
                fallback = _percentile_cols(per_s[valid], q)
                fallback[~np.isfinite(fallback)] = 0.0
            floor[missing] = fallback[missing]
        if first is None:
            first = floor
        # pairs of low seconds that were adjacent in time (gap rows are dropped)
        pair = (np.diff(np.flatnonzero(ok)) == 1) & mask[1:] & mask[:-1]
        ratio = coherence_ratio(rows, pair)
        if n_cells < 2 or (math.isfinite(ratio) and ratio <= still_ratio_max):
            return floor, "learned"
    assert first is not None
    return first, "none"
