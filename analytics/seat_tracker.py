"""The seat mat's state machine over consecutive seconds: occupancy with hysteresis,
the empty-seat baseline tracked while the seat is empty, and the features of the
load (centre of pressure, asymmetry, slump against the person's reference).

The only Python loop runs over seconds, on scalars, for the occupancy hysteresis;
everything per cell is vectorised per baseline block. :mod:`analytics.seat_pressure`
turns samples into the per-second means this works on.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from analytics.records import BoolArray, FloatArray, IntArray, SeatLayout
from analytics.seat_records import (
    SeatParams,
    SeatSeconds,
    SeatState,
    empty_float,
    empty_seconds,
)


def thresholds(state: SeatState, params: SeatParams) -> tuple[float, float]:
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


def track(
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
        return empty_seconds(s0, state.baseline_source, state.baseline), state
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
                ref_rows = empty_float()
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
