"""Tests for the seat mat's state machine (analytics.seat_tracker), through the
public API of analytics.seat_pressure: occupancy, baseline tracking, geometry, slump."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analytics.records import SeatLayout
from analytics.seat_pressure import (
    SeatParams,
    seat_init,
    seat_seconds,
)
from tests.analytics.seat_synthetic import (
    FLOAT_FIELDS,
    GRID,
    PERSIST,
    assert_same_seconds,
    away_from_edges,
    intervals_mask,
    office_recording,
    sitter,
    times,
    transitions,
    truth_per_second,
)

# ---------------------------------------------------------------------------
# occupancy


def test_detects_sitting_bouts_with_onset_lag_of_persist_s() -> None:
    t, p, sits = office_recording()
    out = seat_seconds(t, p, GRID)
    truth = truth_per_second(out, sits)
    keep = away_from_edges(out, sits, PERSIST + 1)
    assert np.array_equal(out.occupied[keep], truth[keep])
    assert transitions(out.occupied) == 4
    # the change is confirmed after persist_s seconds, not before
    first = int(np.flatnonzero(out.occupied)[0])
    assert out.t_s[first] == int(sits[0][0]) + PERSIST - 1
    # loads: the sitter's summed pattern, around zero when empty
    expected = sitter(GRID).sum()
    occ = out.occupied & keep
    assert np.median(out.load[occ & (out.t_s < sits[1][0])]) == pytest.approx(expected, rel=0.05)
    assert np.median(out.load[~out.occupied]) < 0.05 * expected


def test_hysteresis_hovering_load_does_not_flicker() -> None:
    layout = SeatLayout.grid(4, 4)
    rng = np.random.default_rng(3)
    shape = sitter(layout)
    shape /= shape.sum()
    ref = 1000.0
    params = SeatParams(load_ref=ref)  # enter 300, exit 150
    levels = np.concatenate(
        [
            np.zeros(300),
            np.full(120, 1.0),
            rng.choice([0.24, 0.36], 600),  # hovering around the ENTER threshold, seated
            np.zeros(300),
            rng.choice([0.09, 0.21], 600),  # hovering around the EXIT threshold, empty
            np.zeros(300),
        ]
    )
    t = np.arange(levels.size, dtype=np.float64) + 0.5
    p = 100.0 + np.outer(levels * ref, shape) + rng.normal(0, 0.5, (t.size, layout.n_cells))
    out = seat_seconds(t, p, layout, params)
    assert transitions(out.occupied) == 2
    assert out.occupied[300 + PERSIST : 1020].all()
    assert not out.occupied[1020 + PERSIST :].any()
    # without hysteresis and persistence the same loads would flicker constantly
    assert transitions(out.load > params.enter_frac * ref) > 100
    assert transitions(out.load[1320:1920] > params.exit_frac * ref) > 50


def test_persistence_ignores_short_spikes() -> None:
    layout = SeatLayout.grid(4, 4)
    shape = sitter(layout)
    levels = np.zeros(900)
    levels[400:402] = 1.0  # a 2-second press (a hand on the seat)
    levels[600:900] = 1.0
    t = np.arange(levels.size, dtype=np.float64) + 0.5
    p = 50.0 + np.outer(levels, shape)
    out = seat_seconds(t, p, layout)
    assert not out.occupied[:600].any()
    assert out.occupied[600 + PERSIST :].all()


# ---------------------------------------------------------------------------
# baseline tracking


def test_slow_offset_drift_with_empty_seat_gives_no_occupancy() -> None:
    rng = np.random.default_rng(5)
    hours = 8
    t = times(rng, 0.0, hours * 3600, 1.0)
    rate = rng.uniform(5, 15, GRID.n_cells)  # counts per hour, per cell
    offset = 200.0 + np.outer(t / 3600.0, rate)
    p = offset + rng.normal(0, 3, (t.size, GRID.n_cells))
    params = SeatParams(load_ref=float(sitter(GRID).sum()))  # the sitter's load, known
    out = seat_seconds(t, p, GRID, params)
    assert not out.occupied.any()
    # the baseline followed the drift (mean rise ~ 10/h * 8 h = 80 counts)
    rise = out.baseline[-1] - out.baseline[0]
    assert rise == pytest.approx(rate.mean() * hours, rel=0.05)
    # with a frozen baseline the same drift WOULD look like a sitter: the test can fail
    frozen = seat_seconds(t, p, GRID, dataclasses.replace(params, baseline_tau_up_s=1e12))
    assert frozen.occupied.any()


@pytest.mark.parametrize("jump", [-60.0, -5.0, 12.0])
def test_new_session_with_new_offset_still_detects_the_sitter(jump: float) -> None:
    rng = np.random.default_rng(7)
    off = rng.uniform(150, 250, GRID.n_cells)
    # session 1: empty, sitting, empty; offset creeping up
    t1 = times(rng, 0.0, 7200, 1.0)
    sits1 = [(1800.0, 5400.0)]
    p1 = off + 10.0 * t1[:, None] / 7200 + intervals_mask(t1, sits1)[:, None] * sitter(GRID)
    # session 2 after an overnight gap: the mat reads a new offset
    t2 = times(rng, 50_000.0, 5400, 1.0)
    sits2 = [(51_200.0, 53_600.0)]
    p2 = off + 10.0 + jump + intervals_mask(t2, sits2)[:, None] * sitter(GRID, amp=300.0)
    t = np.concatenate((t1, t2))
    p = np.concatenate((p1, p2)) + rng.normal(0, 3, (t.size, GRID.n_cells))
    out = seat_seconds(t, p, GRID)
    sits = sits1 + sits2
    truth = truth_per_second(out, sits)
    keep = away_from_edges(out, sits, PERSIST + 1) & (out.count > 0)
    assert np.array_equal(out.occupied[keep], truth[keep])
    assert transitions(out.occupied) == 4
    session2 = out.t_s >= 50_000
    assert np.nanmedian(out.load[session2 & out.occupied]) == pytest.approx(
        sitter(GRID, amp=300.0).sum(), rel=0.05
    )


def test_initial_baseline_is_the_empty_seat_even_if_sitting_at_start() -> None:
    rng = np.random.default_rng(8)
    t = times(rng, 0.0, 3600, 1.0)
    sits = [(0.0, 400.0), (2000.0, 3000.0)]  # sitting when the recording starts
    off = rng.uniform(150, 250, GRID.n_cells)
    p = off + intervals_mask(t, sits)[:, None] * sitter(GRID) + rng.normal(0, 3, (t.size, 64))
    state = seat_init(t, p, GRID)
    assert np.abs(state.baseline - off).max() < 3.0
    out = seat_seconds(t, p, GRID)
    keep = away_from_edges(out, sits, PERSIST + 1) & (out.t_s >= PERSIST)
    assert np.array_equal(out.occupied[keep], truth_per_second(out, sits)[keep])


# ---------------------------------------------------------------------------
# units, geometry


def test_counts_and_kpa_give_the_same_result() -> None:
    t, p, _ = office_recording()
    counts = seat_seconds(t, p, GRID)
    kpa = seat_seconds(t, p * 0.0137, GRID)
    assert np.array_equal(counts.occupied, kpa.occupied)
    assert np.array_equal(counts.slumped, kpa.slumped)
    for name in ("load", "peak", "baseline"):
        np.testing.assert_allclose(
            getattr(kpa, name), getattr(counts, name) * 0.0137, rtol=1e-9, atol=1e-9
        )
    for name in ("cop_x_m", "cop_y_m", "lr_asymmetry", "cop_shift_y_m"):
        np.testing.assert_allclose(getattr(kpa, name), getattr(counts, name), atol=1e-12)


def test_centre_of_pressure_on_a_hand_built_pattern() -> None:
    layout = SeatLayout.grid(2, 3, pitch_m=0.04)  # x: -0.04, 0, 0.04; y: -0.02, +0.02
    assert np.allclose(layout.x_m, [-0.04, 0.0, 0.04, -0.04, 0.0, 0.04])
    assert np.allclose(layout.y_m, [-0.02, -0.02, -0.02, 0.02, 0.02, 0.02])
    above = np.array([100.0, 0.0, 300.0, 0.0, 200.0, 0.0])
    n = 1100
    t = np.arange(n, dtype=np.float64) + 0.25
    w = ((t >= 600) & (t < 800)).astype(float)
    p = 50.0 + np.outer(w, above)  # the empty seat reads 50 in every cell
    out = seat_seconds(t, p, layout)
    sel = (out.t_s >= 610) & (out.t_s < 800)
    assert out.occupied[sel].all()
    assert not out.occupied[:600].any()
    assert not out.occupied[800 + PERSIST :].any()
    # cop_x = (-0.04*100 + 0*200 + 0.04*300) / 600, cop_y = (-0.02*400 + 0.02*200) / 600
    np.testing.assert_allclose(out.cop_x_m[sel], 8.0 / 600.0 / 1.0, rtol=1e-12)
    np.testing.assert_allclose(out.cop_y_m[sel], -4.0 / 600.0 * 0.02 / 0.02, rtol=1e-12)
    np.testing.assert_allclose(out.load[sel], 600.0, rtol=1e-12)
    np.testing.assert_allclose(out.peak[sel], 300.0, rtol=1e-12)
    np.testing.assert_allclose(out.baseline[sel], 50.0, rtol=1e-12)
    # the centre column (x = 0) is neither left nor right: (300 - 100) / (300 + 100)
    np.testing.assert_allclose(out.lr_asymmetry[sel], 0.5, rtol=1e-12)
    # unoccupied seconds have no CoP
    assert np.isnan(out.cop_x_m[:600]).all()
    assert np.isnan(out.lr_asymmetry[:600]).all()
    np.testing.assert_allclose(out.load[:600], 0.0)


@pytest.mark.parametrize(("right_gain", "sign"), [(1.5, 1.0), (0.6, -1.0)])
def test_left_right_asymmetry_sign(right_gain: float, sign: float) -> None:
    rng = np.random.default_rng(13)
    t = times(rng, 0.0, 1800, 1.0)
    sits = [(600.0, 1500.0)]
    w = intervals_mask(t, sits)
    p = 200.0 + np.outer(w, sitter(GRID, right_gain=right_gain)) + rng.normal(0, 2, (t.size, 64))
    out = seat_seconds(t, p, GRID)
    occ = out.occupied & away_from_edges(out, sits, 5)
    assert occ.sum() > 800
    assert (np.sign(out.lr_asymmetry[occ]) == sign).all()
    assert (np.sign(out.cop_x_m[occ]) == sign).all()
    pat = sitter(GRID, right_gain=right_gain)
    right, left = pat[GRID.x_m > 0].sum(), pat[GRID.x_m < 0].sum()
    expected = (right - left) / (right + left)
    assert np.median(out.lr_asymmetry[occ]) == pytest.approx(expected, abs=0.02)
    assert np.all(np.abs(out.lr_asymmetry[occ]) <= 1.0)


def test_mirroring_the_mat_negates_the_lateral_features() -> None:
    t, p, _ = office_recording()
    out = seat_seconds(t, p, GRID)
    mirrored = SeatLayout(x_m=-GRID.x_m, y_m=GRID.y_m)
    mir = seat_seconds(t, p, mirrored)
    assert np.array_equal(out.occupied, mir.occupied)
    np.testing.assert_allclose(mir.lr_asymmetry, -out.lr_asymmetry, atol=1e-12)
    np.testing.assert_allclose(mir.cop_x_m, -out.cop_x_m, atol=1e-12)
    np.testing.assert_allclose(mir.cop_y_m, out.cop_y_m, atol=1e-12)


def test_permuting_cells_changes_nothing() -> None:
    t, p, _ = office_recording()
    perm = np.random.default_rng(2).permutation(GRID.n_cells)
    out = seat_seconds(t, p, GRID)
    layout = SeatLayout(x_m=GRID.x_m[perm], y_m=GRID.y_m[perm])
    per = seat_seconds(t, p[:, perm], layout)
    assert np.array_equal(out.occupied, per.occupied)
    assert np.array_equal(out.slumped, per.slumped)
    for name in FLOAT_FIELDS:
        np.testing.assert_allclose(getattr(per, name), getattr(out, name), rtol=1e-9, atol=1e-12)


def test_time_shift_by_whole_blocks_changes_only_t0() -> None:
    t, p, _ = office_recording()
    out = seat_seconds(t, p, GRID)
    later = seat_seconds(t + 86_400.0, p, GRID)
    assert later.t0_s == out.t0_s + 86_400
    assert_same_seconds(dataclasses.replace(later, t0_s=out.t0_s), out)


# ---------------------------------------------------------------------------
# posture of the pelvis


def test_slump_detected_when_the_load_moves_back() -> None:
    t, p, _ = office_recording()
    out = seat_seconds(t, p, GRID)
    t0 = int(t[0])
    ts = out.t_s - t0
    # reference: the median cop_y of the first ref_s settled seconds of the first bout
    params = SeatParams()
    ref_ready = 1200 + PERSIST - 1 + params.settle_s + params.ref_s
    assert np.isnan(out.cop_shift_y_m[ts < ref_ready - 1]).all()
    has_cop = np.isfinite(out.cop_y_m)  # occupied, load above the exit threshold
    assert not has_cop[~out.occupied].any()
    upright = has_cop & (ts >= ref_ready) & (ts < 6600)
    slumped = has_cop & (ts >= 6605)
    assert upright.sum() > 3000
    assert slumped.sum() > 1000
    assert not out.slumped[upright].any()
    assert np.abs(out.cop_shift_y_m[upright]).max() < 0.01
    assert out.slumped[slumped].all()
    assert np.median(out.cop_shift_y_m[slumped]) < -0.03
    assert not out.slumped[~out.occupied].any()


def test_forward_lean_and_a_given_reference() -> None:
    rng = np.random.default_rng(17)
    t = times(rng, 0.0, 2400, 1.0)
    sits = [(300.0, 2100.0)]
    w = intervals_mask(t, sits)
    forward = (t >= 1200).astype(float)[:, None]
    pat = np.where(forward > 0, sitter(GRID, dy_m=0.03), sitter(GRID))
    p = 200.0 + w[:, None] * pat + rng.normal(0, 3, (t.size, 64))
    out = seat_seconds(t, p, GRID)
    lean = np.isfinite(out.cop_y_m) & (out.t_s >= 1210)
    assert np.median(out.cop_shift_y_m[lean]) > 0.02
    assert not out.slumped.any()
    # a reference given in the parameters (e.g. far forward) makes everything 'slumped'
    given_ref = seat_seconds(t, p, GRID, SeatParams(ref_cop_y_m=0.2))
    assert given_ref.slumped[np.isfinite(out.cop_y_m)].all()
    np.testing.assert_allclose(given_ref.cop_shift_y_m, out.cop_y_m - 0.2)
