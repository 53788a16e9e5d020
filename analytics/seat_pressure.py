"""Posture features from a seat-pressure mat: occupancy, load, centre of pressure, slump.

Input is raw mat samples (``t_s`` seconds, strictly increasing, irregular sampling
and gaps allowed; ``seat_p`` an ``(n, n_cells)`` array in counts or kPa, NaN for a
missing value) and a :class:`~analytics.records.SeatLayout`. Output is one row per
second: second ``i`` covers ``[t0_s + i, t0_s + i + 1)`` (the ``Epochs`` convention).

Processing is a small explicit state machine that can run chunk by chunk:

* :func:`seat_init` builds the first :class:`SeatState` (initial per-cell empty-seat
  baseline from a low percentile of the first stretch, and the mat's own load scale);
* :func:`seat_step` consumes one chunk of samples and returns the chunk's
  :class:`SeatSeconds` plus the next state;
* :func:`seat_seconds` is the batch form (``seat_init`` + one ``seat_step``).

Splitting the samples on second boundaries and stepping through the chunks gives
results identical to the batch call (:func:`seat_concat` joins the chunk outputs).

The per-cell baseline is tracked only while the seat is judged empty, once per
aligned block of ``baseline_block_s`` seconds (the mean of the block's empty seconds,
followed with an asymmetric exponential: slowly upwards, quickly downwards), and is
frozen while occupied. The only Python loop runs over seconds, on scalars, for the
occupancy hysteresis; everything per cell is vectorised per block
(:mod:`analytics.seat_tracker`; the records are in :mod:`analytics.seat_records`).

See docs/seat-pressure.md for units, sign conventions, defaults and limitations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.records import FloatArray, Int8Array, IntArray, Posture, SeatLayout
from analytics.seat_baseline import BaselineSource, find_empty_baseline
from analytics.seat_records import SeatParams, SeatSeconds, SeatState, empty_seconds
from analytics.seat_tracker import thresholds, track

__all__ = [
    "BaselineSource",
    "SeatParams",
    "SeatSeconds",
    "SeatState",
    "seat_concat",
    "seat_init",
    "seat_posture",
    "seat_seconds",
    "seat_step",
]

_MAD_TO_SIGMA = 1.4826
_DEFAULT_PARAMS = SeatParams()


# ---------------------------------------------------------------------------
# helpers


def _check_samples(
    t_s: FloatArray, seat_p: FloatArray, layout: SeatLayout
) -> tuple[FloatArray, FloatArray]:
    t = np.asarray(t_s, dtype=np.float64)
    p = np.asarray(seat_p, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError("t_s must be one-dimensional")
    if p.ndim != 2 or p.shape[0] != t.shape[0]:
        raise ValueError(f"seat_p must have shape (n, n_cells) with n={t.shape[0]}")
    if p.shape[1] != layout.n_cells:
        raise ValueError(f"seat_p has {p.shape[1]} cells but the layout has {layout.n_cells}")
    if not np.all(np.isfinite(t)):
        raise ValueError("t_s must be finite")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise ValueError("t_s must be strictly increasing")
    return t, p


def _per_second(idx: IntArray, p: FloatArray, m: int) -> tuple[IntArray, FloatArray]:
    """Sample count and per-cell mean of the valid values for each of ``m`` seconds.

    ``idx`` is the second index of each sample. The sums accumulate in sample order,
    so a second gives the same mean whatever else is in the chunk."""
    n_cells = p.shape[1]
    count = np.bincount(idx, minlength=m).astype(np.int64)
    if idx.size == 0:
        return count, np.full((m, n_cells), np.nan, dtype=np.float64)
    finite = np.isfinite(p)
    flat = (idx[:, None] * n_cells + np.arange(n_cells, dtype=np.int64)).ravel()
    sums = np.bincount(flat, weights=np.where(finite, p, 0.0).ravel(), minlength=m * n_cells)
    n_valid = np.bincount(flat, weights=finite.ravel().astype(np.float64), minlength=m * n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums / n_valid).reshape(m, n_cells)
    return count, np.asarray(means, dtype=np.float64)


def _aggregate(
    t_s: FloatArray, seat_p: FloatArray, layout: SeatLayout, start_s: int | None
) -> tuple[int, IntArray, FloatArray]:
    """Checked samples -> (first second, count per second, per-cell means per second)."""
    t, p = _check_samples(t_s, seat_p, layout)
    if t.size == 0:
        s0 = 0 if start_s is None else start_s
        return s0, np.zeros(0, dtype=np.int64), np.zeros((0, layout.n_cells), dtype=np.float64)
    sec = np.floor(t).astype(np.int64)
    s0 = int(sec[0]) if start_s is None else start_s
    if sec[0] < s0:
        raise ValueError(
            f"chunk starts in second {int(sec[0])}, but seconds before {s0} were already "
            "processed; split chunks on second boundaries"
        )
    m = int(sec[-1]) - s0 + 1
    count, per_s = _per_second(sec - s0, p, m)
    return s0, count, per_s


def _col_percentile(rows: FloatArray, q: float) -> FloatArray:
    """Per-column ``q`` percentile ignoring NaN (NaN for all-NaN columns)."""
    if rows.shape[0] == 0:
        return np.full(rows.shape[1], np.nan)
    finite = np.isfinite(rows)
    if finite.all():  # partition along contiguous rows: much faster than axis=0
        return np.asarray(np.percentile(rows.T.copy(), q, axis=1), dtype=np.float64)
    out = np.full(rows.shape[1], np.nan)
    full = finite.all(axis=0)
    if np.any(full):
        out[full] = np.percentile(rows[:, full].T.copy(), q, axis=1)
    for j in np.flatnonzero(~full):
        col = rows[finite[:, j], j]
        if col.size:
            out[j] = np.percentile(col, q)
    return out


def _init_from(
    s0: int, count: IntArray, per_s: FloatArray, layout: SeatLayout, params: SeatParams
) -> SeatState:
    n_cells = layout.n_cells
    empty_rows = np.zeros((0, n_cells), dtype=np.float64)
    step = np.abs(np.diff(per_s, axis=0))
    step = step[np.any(np.isfinite(step), axis=1)]
    robust = _MAD_TO_SIGMA * _col_percentile(step, 50.0) / math.sqrt(2.0)
    sigma = np.where(np.isfinite(robust), robust, 0.0)
    noise_load = float(np.sum(sigma))

    # Initial baseline: given for this mat, else the low readings of the first window
    # of the data that have an empty seat's signature (see analytics.seat_baseline).
    source: BaselineSource
    if params.empty_baseline is not None:
        if len(params.empty_baseline) != n_cells:
            raise ValueError(
                f"the empty-seat baseline has {len(params.empty_baseline)} values but the "
                f"mat has {n_cells} cells; give one value per cell"
            )
        baseline, source = np.asarray(params.empty_baseline, dtype=np.float64), "given"
    else:
        baseline, source = find_empty_baseline(
            per_s,
            sigma,
            max(1, math.ceil(params.init_window_s)),
            params.baseline_percentile,
            params.still_ratio_max,
        )

    state = SeatState(
        baseline=baseline,
        load_ref=0.0,
        noise_load=noise_load,
        block_rows=empty_rows,
        baseline_source=source,
    )
    # The load scale: run the tracker itself (its loads follow drifting offsets) and take
    # the upper mode of its loads. Pass 1 uses the noise floor as the only threshold;
    # it can stick 'occupied' when the offset drifted during a long sitting, so pass 2
    # reruns with thresholds from pass 1's estimate.
    load_ref = 0.0
    for _ in range(2):
        state = replace(state, load_ref=load_ref)
        enter, leave = thresholds(state, replace(params, load_ref=None))
        first, _ = track(state, s0, count, per_s, layout, params, enter, leave, features=False)
        loads = first.load[np.isfinite(first.load)]
        if loads.size:
            hi = float(np.percentile(loads, 99.0))
            load_ref = float(np.median(loads[loads >= 0.5 * hi]))
    return replace(state, load_ref=load_ref)


# ---------------------------------------------------------------------------
# public API


def seat_init(
    t_s: FloatArray,
    seat_p: FloatArray,
    layout: SeatLayout,
    params: SeatParams = _DEFAULT_PARAMS,
) -> SeatState:
    """The initial state from a recording (its beginning, or all of it).

    * noise: per cell the robust std (MAD) of second-to-second changes of the
      per-second means, summed over cells (``noise_load``);
    * baseline: in the first ``init_window_s``, the seconds whose summed excess over
      each cell's ``baseline_percentile`` is within 4 noise std of that excess's own
      low percentile are taken as empty; the per-cell median over them is the baseline
      (cells never valid there: their low percentile over all data, else 0);
    * load scale: the tracker is run over all the given data (first with the noise
      floor as the only threshold, then with thresholds from that first estimate);
      ``load_ref`` is the median of its per-second loads at or above half their 99th
      percentile, i.e. the occupied level when the data contains sitting.

    The load scale uses all the data given: pass data that contains some sitting, or
    set ``SeatParams.load_ref`` (for example from an earlier state's ``load_ref``).
    """
    s0, count, per_s = _aggregate(t_s, seat_p, layout, None)
    return _init_from(s0, count, per_s, layout, params)


def seat_step(
    state: SeatState,
    t_s: FloatArray,
    seat_p: FloatArray,
    layout: SeatLayout,
    params: SeatParams = _DEFAULT_PARAMS,
) -> tuple[SeatSeconds, SeatState]:
    """Process one chunk of samples; return its seconds and the state for the next chunk.

    The output starts at ``state.next_second`` (so a gap between chunks is emitted at
    the start of the next chunk) and ends with the second of the last sample. Chunks
    must be split on second boundaries: a chunk whose first sample falls in a second
    already emitted raises ``ValueError``. An empty chunk returns no seconds and the
    state unchanged.
    """
    s0, count, per_s = _aggregate(t_s, seat_p, layout, state.next_second)
    enter, leave = thresholds(state, params)
    return track(state, s0, count, per_s, layout, params, enter, leave)


def seat_seconds(
    t_s: FloatArray,
    seat_p: FloatArray,
    layout: SeatLayout,
    params: SeatParams = _DEFAULT_PARAMS,
) -> SeatSeconds:
    """Batch form: :func:`seat_init` on the data, then one :func:`seat_step` over it."""
    s0, count, per_s = _aggregate(t_s, seat_p, layout, None)
    state = _init_from(s0, count, per_s, layout, params)
    enter, leave = thresholds(state, params)
    seconds, _ = track(state, s0, count, per_s, layout, params, enter, leave)
    return seconds


def seat_concat(parts: Sequence[SeatSeconds]) -> SeatSeconds:
    """Join consecutive chunk outputs of :func:`seat_step` into one."""
    parts = [s for s in parts if s.n > 0]
    if not parts:
        return empty_seconds(0)
    for before, after in itertools.pairwise(parts):
        if after.t0_s != before.t0_s + before.n:
            raise ValueError("SeatSeconds parts are not consecutive")

    def cat(name: str) -> npt.NDArray[Any]:
        return np.concatenate([getattr(s, name) for s in parts])

    return SeatSeconds(
        t0_s=parts[0].t0_s,
        count=cat("count"),
        baseline=cat("baseline"),
        load=cat("load"),
        occupied=cat("occupied"),
        cop_x_m=cat("cop_x_m"),
        cop_y_m=cat("cop_y_m"),
        peak=cat("peak"),
        lr_asymmetry=cat("lr_asymmetry"),
        cop_shift_y_m=cat("cop_shift_y_m"),
        slumped=cat("slumped"),
        baseline_source=parts[-1].baseline_source,
        end_baseline=parts[-1].end_baseline,
    )


def seat_posture(seconds: SeatSeconds) -> Int8Array:
    """Posture codes from seat data alone: occupied -> SITTING, valid but unoccupied ->
    UPRIGHT (off this seat; seat data cannot tell standing from sitting elsewhere),
    gap or no valid cell -> NONWEAR."""
    out = np.full(seconds.n, int(Posture.NONWEAR), dtype=np.int8)
    out[seconds.valid] = int(Posture.UPRIGHT)
    out[seconds.occupied] = int(Posture.SITTING)
    return out
