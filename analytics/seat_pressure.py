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
occupancy hysteresis; everything per cell is vectorised per block.

See docs/seat-pressure.md for units, sign conventions, defaults and limitations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.records import BoolArray, FloatArray, Int8Array, IntArray, Posture, SeatLayout
from analytics.seat_baseline import BaselineSource, find_empty_baseline

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


@dataclass(frozen=True, slots=True)
class SeatParams:
    """Tuning of the seat-pressure analysis. Every default is documented here and in
    docs/seat-pressure.md. Loads are in the data's own unit (counts or kPa) summed
    over cells; all other thresholds are relative, so the defaults work for both."""

    init_window_s: float = 600.0
    """Windows of the data searched, in order, for the initial per-cell baseline."""
    baseline_percentile: float = 5.0
    """Low percentile of each cell's per-second means that anchors the search for the
    empty seconds of a window."""
    empty_baseline: tuple[float, ...] | None = None
    """A known per-cell empty-seat reading of this mat (data unit, one value per cell,
    e.g. saved from an earlier session); used instead of learning one from the data."""
    still_ratio_max: float = 1.5
    """Low seconds count as an empty seat only if their summed second-to-second change
    is at most this multiple of what independent cell noise gives (about 1 for a
    still, empty mat; a sitter's breathing and sway move many cells together)."""
    load_ref: float | None = None
    """Reference occupied load (data unit, summed over cells). ``None``: estimated by
    :func:`seat_init` from the data it is given (the typical load of the upper mode)."""
    enter_frac: float = 0.30
    """Occupancy starts when the load exceeds ``enter_frac * load_ref``..."""
    exit_frac: float = 0.15
    """...and ends when it falls below ``exit_frac * load_ref`` (hysteresis)."""
    noise_factor: float = 2.0
    """Floor of the enter threshold, in units of the summed per-cell noise (robust std
    of second-to-second changes); the exit threshold keeps the same ratio."""
    persist_s: int = 3
    """Consecutive seconds beyond a threshold needed to change occupancy."""
    reset_gap_s: int = 300
    """A gap at least this long resets the occupancy state to empty."""
    baseline_block_s: int = 60
    """The baseline is updated once per aligned block of this many seconds."""
    baseline_tau_up_s: float = 300.0
    """Time constant (in empty seconds) for the baseline to follow a rising offset."""
    baseline_tau_down_s: float = 30.0
    """Time constant (in empty seconds) for the baseline to follow a falling offset."""
    settle_s: int = 10
    """Seconds skipped at the start of each sitting bout before collecting the CoP
    reference (sitting down is not a posture)."""
    ref_s: int = 120
    """Number of settled occupied seconds whose median cop_y is the person's reference."""
    ref_cop_y_m: float | None = None
    """A known reference cop_y (for example from an 'sit upright' calibration);
    overrides the automatic one."""
    slump_threshold_m: float = 0.02
    """``slumped`` when the CoP has moved back by more than this from the reference."""

    def __post_init__(self) -> None:
        positive = {
            "init_window_s": self.init_window_s,
            "enter_frac": self.enter_frac,
            "exit_frac": self.exit_frac,
            "baseline_tau_up_s": self.baseline_tau_up_s,
            "baseline_tau_down_s": self.baseline_tau_down_s,
            "slump_threshold_m": self.slump_threshold_m,
            "still_ratio_max": self.still_ratio_max,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"SeatParams.{name} must be a positive number, got {value!r}")
        if not 0.0 <= self.baseline_percentile <= 100.0:
            raise ValueError("SeatParams.baseline_percentile must be within [0, 100]")
        if self.exit_frac >= self.enter_frac:
            raise ValueError("SeatParams.exit_frac must be smaller than enter_frac")
        if not (math.isfinite(self.noise_factor) and self.noise_factor >= 0):
            raise ValueError("SeatParams.noise_factor must be >= 0")
        for name, ivalue in {
            "persist_s": self.persist_s,
            "reset_gap_s": self.reset_gap_s,
            "baseline_block_s": self.baseline_block_s,
            "ref_s": self.ref_s,
        }.items():
            if ivalue < 1:
                raise ValueError(f"SeatParams.{name} must be >= 1, got {ivalue!r}")
        if self.settle_s < 0:
            raise ValueError("SeatParams.settle_s must be >= 0")
        if self.load_ref is not None and not (math.isfinite(self.load_ref) and self.load_ref > 0):
            raise ValueError("SeatParams.load_ref must be a positive number or None")
        if self.ref_cop_y_m is not None and not math.isfinite(self.ref_cop_y_m):
            raise ValueError("SeatParams.ref_cop_y_m must be finite or None")
        if self.empty_baseline is not None and not (
            len(self.empty_baseline) > 0 and all(math.isfinite(v) for v in self.empty_baseline)
        ):
            raise ValueError("SeatParams.empty_baseline must be finite numbers, one per cell")


@dataclass(frozen=True, slots=True)
class SeatSeconds:
    """Per-second seat features. Second ``i`` covers ``[t0_s + i, t0_s + i + 1)``.

    Gap seconds (``count == 0``) and seconds whose samples hold no valid cell have
    ``occupied`` and ``slumped`` False and every float NaN. Loads and pressures are in
    the data's unit (counts or kPa); positions in metres on the seat plane.
    """

    t0_s: int
    count: IntArray
    """Samples in the second (0 = gap)."""
    baseline: FloatArray
    """Mean over cells of the tracked empty-seat baseline used in that second."""
    load: FloatArray
    """Sum over cells of max(0, p - baseline)."""
    occupied: BoolArray
    cop_x_m: FloatArray
    """Centre of pressure to the sitter's right (NaN unless occupied)."""
    cop_y_m: FloatArray
    """Centre of pressure forward, towards the knees (NaN unless occupied)."""
    peak: FloatArray
    """Largest above-baseline cell pressure."""
    lr_asymmetry: FloatArray
    """(right - left) / (right + left) load, in [-1, 1] (NaN unless occupied)."""
    cop_shift_y_m: FloatArray
    """cop_y minus the person's reference; negative = moved back (NaN until known)."""
    slumped: BoolArray
    """Occupied and cop_shift_y_m < -slump_threshold_m."""
    baseline_source: BaselineSource = "learned"
    """Where the empty-seat baseline came from; ``none``: the data never showed an
    empty seat, so occupancy is unreliable (give ``SeatParams.empty_baseline``)."""
    end_baseline: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    """Per-cell empty-seat baseline after the last second (data unit): what to keep
    for this mat's next session."""

    @property
    def n(self) -> int:
        return int(self.count.shape[0])

    @property
    def t_s(self) -> IntArray:
        return self.t0_s + np.arange(self.n, dtype=np.int64)

    @property
    def gap(self) -> BoolArray:
        """No sample at all in the second."""
        return np.asarray(self.count == 0, dtype=np.bool_)

    @property
    def valid(self) -> BoolArray:
        """At least one valid cell value in the second."""
        return np.asarray(np.isfinite(self.load), dtype=np.bool_)


def _empty_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SeatState:
    """Everything :func:`seat_step` carries from one chunk to the next."""

    baseline: FloatArray
    """Per-cell empty-seat baseline (data unit), frozen within the current block."""
    load_ref: float
    """Estimated reference occupied load (used unless ``SeatParams.load_ref`` is set)."""
    noise_load: float
    """Sum over cells of the robust per-second noise (data unit)."""
    next_second: int | None = None
    """First absolute second not yet emitted; None before the first step."""
    occupied: bool = False
    run_s: int = 0
    """Consecutive seconds supporting a change of occupancy."""
    gap_s: int = 0
    """Consecutive gap seconds up to ``next_second``."""
    bout_s: int = 0
    """Occupied seconds so far in the current sitting bout."""
    block_rows: FloatArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float64))
    """Per-second means of the empty seconds of the unfinished baseline block."""
    ref_cop_y_m: float = math.nan
    """The person's reference cop_y once known."""
    ref_rows: FloatArray = field(default_factory=_empty_float)
    """cop_y values collected towards the reference while it is not known yet."""
    baseline_source: BaselineSource = "learned"
    """Where the initial baseline came from (see :class:`SeatSeconds`)."""


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


def _thresholds(state: SeatState, params: SeatParams) -> tuple[float, float]:
    ref = params.load_ref if params.load_ref is not None else state.load_ref
    enter = max(params.enter_frac * ref, params.noise_factor * state.noise_load)
    return enter, enter * params.exit_frac / params.enter_frac


def _update_baseline(baseline: FloatArray, rows: FloatArray, params: SeatParams) -> FloatArray:
    """Move the baseline towards the mean of a block's empty seconds, per cell."""
    if rows.shape[0] == 0:
        return baseline
    finite = np.isfinite(rows)
    if finite.all():
        n = np.full(rows.shape[1], rows.shape[0], dtype=np.int64)
        diff = rows.sum(axis=0) / rows.shape[0] - baseline
    else:
        n = finite.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(finite, rows, 0.0).sum(axis=0) / n
        diff = np.where(n > 0, mean - baseline, 0.0)
    rate_up = -np.expm1(-n / params.baseline_tau_up_s)
    rate_down = -np.expm1(-n / params.baseline_tau_down_s)
    rate = np.where(diff > 0, rate_up, rate_down)
    return np.asarray(baseline + rate * diff, dtype=np.float64)


def _empty_seconds(
    t0_s: int, source: BaselineSource = "learned", baseline: FloatArray | None = None
) -> SeatSeconds:
    f = _empty_float()
    b = np.zeros(0, dtype=np.bool_)
    return SeatSeconds(
        t0_s=t0_s,
        count=np.zeros(0, dtype=np.int64),
        baseline=f,
        load=f.copy(),
        occupied=b,
        cop_x_m=f.copy(),
        cop_y_m=f.copy(),
        peak=f.copy(),
        lr_asymmetry=f.copy(),
        cop_shift_y_m=f.copy(),
        slumped=b.copy(),
        baseline_source=source,
        end_baseline=_empty_float() if baseline is None else baseline,
    )


def _core(
    state: SeatState,
    s0: int,
    count: IntArray,
    per_s: FloatArray,
    layout: SeatLayout,
    params: SeatParams,
    enter: float,
    leave: float,
    features: bool = True,
) -> tuple[SeatSeconds, SeatState]:
    """The state machine over ``m`` consecutive seconds starting at absolute second s0.

    With ``features=False`` only ``count``, ``load`` and ``occupied`` are computed (the
    rest is NaN/False), which is all :func:`seat_init` needs for its scale passes."""
    n_cells = layout.n_cells
    if state.baseline.shape != (n_cells,):
        raise ValueError(f"state has {state.baseline.shape[0]} cells, layout has {n_cells}")
    m = int(count.shape[0])
    if m == 0:
        return _empty_seconds(s0, state.baseline_source, state.baseline), state
    valid = np.any(np.isfinite(per_s), axis=1)
    x = np.asarray(layout.x_m, dtype=np.float64)
    y = np.asarray(layout.y_m, dtype=np.float64)
    right = (x > 0).astype(np.float64)
    left = (x < 0).astype(np.float64)

    load = np.full(m, np.nan)
    base_out = np.full(m, np.nan)
    peak = np.full(m, np.nan)
    sum_x = np.full(m, np.nan)
    sum_y = np.full(m, np.nan)
    sum_r = np.full(m, np.nan)
    sum_l = np.full(m, np.nan)
    occ = np.zeros(m, dtype=np.bool_)
    bout_pos = np.full(m, -1, dtype=np.int64)

    baseline = state.baseline
    baseline_mean = float(np.mean(baseline))
    pending = state.block_rows
    if pending.ndim != 2 or pending.shape[1] != n_cells:
        pending = np.zeros((0, n_cells), dtype=np.float64)
    occupied, run, gap_run, bout = state.occupied, state.run_s, state.gap_s, state.bout_s
    persist, reset_gap = params.persist_s, params.reset_gap_s

    block = params.baseline_block_s
    first_edge = (s0 // block + 1) * block - s0
    edges = [0, *range(first_edge, m, block), m]
    for a, z in itertools.pairwise(edges):
        k = z - a
        rows = per_s[a:z]
        above = np.fmax(rows - baseline, 0.0)  # missing values count as 0
        block_load = above.sum(axis=1)
        load[a:z] = block_load
        base_out[a:z] = baseline_mean
        if features:
            peak[a:z] = above.max(axis=1)
            sum_x[a:z] = (above * x).sum(axis=1)
            sum_y[a:z] = (above * y).sum(axis=1)
            sum_r[a:z] = (above * right).sum(axis=1)
            sum_l[a:z] = (above * left).sum(axis=1)

        block_valid = valid[a:z]
        n_valid = int(np.count_nonzero(block_valid))
        quiet: BoolArray
        # fast paths: whole blocks where the state cannot change (most of the data)
        if n_valid == k and run == 0 and not occupied and float(block_load.max()) <= enter:
            gap_run = 0
            quiet = np.ones(k, dtype=np.bool_)
        elif n_valid == k and run == 0 and occupied and float(block_load.min()) >= leave:
            gap_run = 0
            occ[a:z] = True
            bout_pos[a:z] = np.arange(bout, bout + k)
            bout += k
            quiet = np.zeros(k, dtype=np.bool_)
        elif n_valid == 0:
            gap_run += k
            run = 0
            if gap_run >= reset_gap:
                occupied, bout = False, 0
            quiet = np.zeros(k, dtype=np.bool_)
        else:
            occ_list: list[bool] = []
            pos_list: list[int] = []
            quiet_list: list[bool] = []
            for ok, value in zip(block_valid.tolist(), block_load.tolist(), strict=True):
                if not ok:
                    gap_run += 1
                    run = 0
                    if gap_run >= reset_gap:
                        occupied, bout = False, 0
                    occ_list.append(False)
                    pos_list.append(-1)
                    quiet_list.append(False)
                    continue
                gap_run = 0
                if occupied:
                    run = run + 1 if value < leave else 0
                    if run >= persist:
                        occupied, run, bout = False, 0, 0
                else:
                    run = run + 1 if value > enter else 0
                    if run >= persist:
                        occupied, run, bout = True, 0, 0
                occ_list.append(occupied)
                if occupied:
                    pos_list.append(bout)
                    bout += 1
                else:
                    pos_list.append(-1)
                quiet_list.append(not occupied and value <= enter)
            occ[a:z] = occ_list
            bout_pos[a:z] = pos_list
            quiet = np.asarray(quiet_list, dtype=np.bool_)

        if np.any(quiet):
            pending = np.concatenate((pending, rows[quiet]))
        if (s0 + z) % block == 0 and pending.shape[0]:
            baseline = _update_baseline(baseline, pending, params)
            baseline_mean = float(np.mean(baseline))
            pending = np.zeros((0, n_cells), dtype=np.float64)

    invalid = ~valid
    for arr in (load, base_out, peak):
        arr[invalid] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        # the seconds confirming a stand-up (load already below exit) carry no posture
        use = occ & (load >= leave) & (load > 0)
        cop_x = np.where(use, sum_x / load, np.nan)
        cop_y = np.where(use, sum_y / load, np.nan)
        lr_den = sum_r + sum_l
        lr = np.where(use & (lr_den > 0), (sum_r - sum_l) / lr_den, np.nan)

    # the person's reference cop_y, and the shift from it
    ref = state.ref_cop_y_m
    ref_rows = state.ref_rows
    shift = np.full(m, np.nan)
    if not features:
        pass
    elif params.ref_cop_y_m is not None:
        shift = cop_y - params.ref_cop_y_m
    else:
        start = 0
        if math.isnan(ref):
            need = params.ref_s - ref_rows.shape[0]
            candidates = (bout_pos >= params.settle_s) & np.isfinite(cop_y)
            picked = np.flatnonzero(candidates)[:need]
            ref_rows = np.concatenate((ref_rows, cop_y[picked]))
            if ref_rows.shape[0] >= params.ref_s:
                ref = float(np.median(ref_rows))
                ref_rows = _empty_float()
                start = int(picked[-1])
            else:
                start = m
        shift[start:] = cop_y[start:] - ref
    slumped = occ & (shift < -params.slump_threshold_m)

    out = SeatSeconds(
        t0_s=s0,
        count=count,
        baseline=base_out,
        load=load,
        occupied=occ,
        cop_x_m=np.asarray(cop_x, dtype=np.float64),
        cop_y_m=np.asarray(cop_y, dtype=np.float64),
        peak=peak,
        lr_asymmetry=np.asarray(np.clip(lr, -1.0, 1.0), dtype=np.float64),
        cop_shift_y_m=np.asarray(shift, dtype=np.float64),
        slumped=np.asarray(slumped, dtype=np.bool_),
        baseline_source=state.baseline_source,
        end_baseline=baseline,
    )
    new_state = SeatState(
        baseline=baseline,
        load_ref=state.load_ref,
        noise_load=state.noise_load,
        next_second=s0 + m,
        occupied=occupied,
        run_s=run,
        gap_s=gap_run,
        bout_s=bout,
        block_rows=pending,
        ref_cop_y_m=ref,
        ref_rows=ref_rows,
        baseline_source=state.baseline_source,
    )
    return out, new_state


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
        enter, leave = _thresholds(state, replace(params, load_ref=None))
        first, _ = _core(state, s0, count, per_s, layout, params, enter, leave, features=False)
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
    params: SeatParams = SeatParams(),
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
    params: SeatParams = SeatParams(),
) -> tuple[SeatSeconds, SeatState]:
    """Process one chunk of samples; return its seconds and the state for the next chunk.

    The output starts at ``state.next_second`` (so a gap between chunks is emitted at
    the start of the next chunk) and ends with the second of the last sample. Chunks
    must be split on second boundaries: a chunk whose first sample falls in a second
    already emitted raises ``ValueError``. An empty chunk returns no seconds and the
    state unchanged.
    """
    s0, count, per_s = _aggregate(t_s, seat_p, layout, state.next_second)
    enter, leave = _thresholds(state, params)
    return _core(state, s0, count, per_s, layout, params, enter, leave)


def seat_seconds(
    t_s: FloatArray,
    seat_p: FloatArray,
    layout: SeatLayout,
    params: SeatParams = SeatParams(),
) -> SeatSeconds:
    """Batch form: :func:`seat_init` on the data, then one :func:`seat_step` over it."""
    s0, count, per_s = _aggregate(t_s, seat_p, layout, None)
    state = _init_from(s0, count, per_s, layout, params)
    enter, leave = _thresholds(state, params)
    seconds, _ = _core(state, s0, count, per_s, layout, params, enter, leave)
    return seconds


def seat_concat(parts: Sequence[SeatSeconds]) -> SeatSeconds:
    """Join consecutive chunk outputs of :func:`seat_step` into one."""
    parts = [s for s in parts if s.n > 0]
    if not parts:
        return _empty_seconds(0)
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
