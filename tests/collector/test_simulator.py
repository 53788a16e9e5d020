"""The simulator: determinism, the recording's shape, truth conventions and the
cyclist (the sensor geometry is test_sim_signals.py). Per-second statistics come
from the raw samples (sim_stats.py), so that these tests check the simulator alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.alert_params import AlertParams
from analytics.records import Posture
from analytics.saddle import SaddleContext
from collector.sources.simulator import DEFAULT_START_S, Simulated, simulate
from tests.collector.sim_stats import (
    PerSecond,
    angle_deg,
    cyclist,
    cyclist_stats,
    desk,
    desk_stats,
    interior,
    per_second,
    runs,
)

__all__ = ["cyclist", "cyclist_stats", "desk", "desk_stats"]  # fixtures


# --------------------------------------------------------------------------- determinism


def _assert_same(a: Simulated, b: Simulated) -> None:
    ra, rb = a.recording, b.recording
    np.testing.assert_array_equal(ra.t_s, rb.t_s)
    np.testing.assert_array_equal(ra.thigh_acc_g, rb.thigh_acc_g)
    np.testing.assert_array_equal(ra.trunk_acc_g, rb.trunk_acc_g)
    np.testing.assert_array_equal(ra.cadence_rpm, rb.cadence_rpm)
    np.testing.assert_array_equal(ra.seat_p, rb.seat_p)
    np.testing.assert_array_equal(a.truth.posture, b.truth.posture)
    np.testing.assert_array_equal(a.truth.hip_flexion_deg, b.truth.hip_flexion_deg)
    np.testing.assert_array_equal(a.mounting, b.mounting)


@pytest.mark.parametrize("profile", ["desk", "cyclist"])
def test_same_seed_gives_identical_arrays(profile: str) -> None:
    a = simulate(profile, 1.0, 5, fs_hz=10.0, seat=True)  # type: ignore[arg-type]
    b = simulate(profile, 1.0, 5, fs_hz=10.0, seat=True)  # type: ignore[arg-type]
    _assert_same(a, b)


def test_different_seeds_differ() -> None:
    a = simulate("desk", 1.0, 5, fs_hz=10.0)
    b = simulate("desk", 1.0, 6, fs_hz=10.0)
    assert not np.allclose(a.mounting, b.mounting)
    n = min(a.recording.n, b.recording.n)
    assert a.recording.thigh_acc_g is not None
    assert b.recording.thigh_acc_g is not None
    assert not np.allclose(a.recording.thigh_acc_g[:n], b.recording.thigh_acc_g[:n])
    assert not np.array_equal(a.truth.posture, b.truth.posture)


def test_optional_sensors_do_not_change_the_thigh_signal() -> None:
    full = simulate("desk", 1.0, 9, fs_hz=10.0, trunk=True, seat=True)
    bare = simulate("desk", 1.0, 9, fs_hz=10.0, trunk=False, seat=False)
    np.testing.assert_array_equal(full.recording.thigh_acc_g, bare.recording.thigh_acc_g)
    np.testing.assert_array_equal(full.truth.posture, bare.truth.posture)
    assert bare.recording.trunk_acc_g is None
    assert bare.recording.seat_p is None
    assert bare.trunk_mounting is None


# --------------------------------------------------------------------------- recording shape


def test_recording_layout(desk: Simulated, cyclist: Simulated) -> None:
    for sim, start in ((desk, DEFAULT_START_S), (cyclist, DEFAULT_START_S)):
        r = sim.recording
        assert r.t_s[0] == start
        assert sim.truth.t0_s == int(np.floor(r.t_s[0]))
        assert np.all(np.diff(r.t_s) > 0)
        assert r.thigh_acc_g is not None
        assert r.thigh_acc_g.shape == (r.n, 3)
        assert r.trunk_acc_g is not None
        assert r.trunk_acc_g.shape == (r.n, 3)
        assert np.isfinite(r.thigh_acc_g).all()
        assert np.isfinite(r.trunk_acc_g).all()
        assert r.thigh_gyro_dps is None
        assert sim.truth.hip_flexion_deg.shape == (sim.truth.n,)
        assert sim.truth.posture.dtype == np.int8
        assert int(np.floor(r.t_s[-1])) - sim.truth.t0_s + 1 == sim.truth.n
    assert desk.recording.cadence_rpm is None
    assert cyclist.recording.cadence_rpm is not None
    assert cyclist.recording.cadence_rpm.shape == (cyclist.recording.n,)


def test_sampling_is_irregular_around_the_nominal_rate(desk: Simulated) -> None:
    dt = np.diff(desk.recording.t_s)
    regular = dt[dt < 1.0]
    assert np.median(regular) == pytest.approx(1 / 20.0, rel=0.01)
    assert regular.std() > 0.005 / 20.0
    assert regular.max() < 1.5 / 20.0


def test_fractional_start_time() -> None:
    sim = simulate("desk", 0.5, 3, fs_hz=10.0, start_t_s=1_700_000_000.6)
    assert sim.recording.t_s[0] == pytest.approx(1_700_000_000.6)
    assert sim.truth.t0_s == 1_700_000_000
    assert sim.recording.duration_s == pytest.approx(1800.0, abs=0.2)


# --------------------------------------------------------------------------- truth rules


def _check_truth_periods(sim: Simulated) -> None:
    stats = per_second(sim.recording, sim.truth.t0_s, sim.truth.n)
    starts, lengths, values = runs(sim.truth.posture)
    for s, n, v in zip(starts, lengths, values, strict=True):
        if n >= 10:
            continue
        # only a gap (no sample at all) may be shorter than 10 s
        assert v == Posture.NONWEAR, f"{Posture(v).word} period of {n} s at second {s}"
        assert np.all(stats.count[s : s + n] == 0), f"short non-wear at {s} has samples"


@pytest.mark.parametrize("profile", ["desk", "cyclist"])
def test_truth_periods_last_at_least_10_s_except_gaps(
    profile: str, desk: Simulated, cyclist: Simulated
) -> None:
    _check_truth_periods(desk if profile == "desk" else cyclist)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile=st.sampled_from(["desk", "cyclist"]),
    hours=st.floats(0.05, 3.0),
    seed=st.integers(0, 2**32 - 1),
    frac=st.floats(0.0, 0.999),
)
def test_truth_periods_property(profile: str, hours: float, seed: int, frac: float) -> None:
    sim = simulate(profile, hours, seed, fs_hz=4.0, start_t_s=1_600_000_000.0 + frac)  # type: ignore[arg-type]
    _check_truth_periods(sim)
    assert set(np.unique(sim.truth.posture)) <= {int(p) for p in Posture}


def test_gaps_have_no_samples(desk: Simulated, desk_stats: PerSecond) -> None:
    empty = desk_stats.count == 0
    assert empty.any(), "the 12 h desk day should contain at least one gap"
    # an empty second is never worn truth, and its hip angle is unknown
    assert np.all(desk.truth.posture[empty] == Posture.NONWEAR)
    assert np.all(np.isnan(desk.truth.hip_flexion_deg[empty]))
    # gaps are whole runs of empty seconds of 5-300 s: no isolated dropouts elsewhere
    _starts, lengths, values = runs(empty)
    gap_lengths = lengths[values]
    assert gap_lengths.min() >= 5
    assert gap_lengths.max() <= 300
    # in samples: every interval is either a normal step or a whole gap
    dt = np.diff(desk.recording.t_s)
    assert np.all((dt < 2 / 20.0) | (dt > 4.0))
    assert np.count_nonzero(dt > 4.0) == gap_lengths.shape[0]
    # worn seconds right next to a gap have samples (a second with samples is not a gap)
    assert np.all(desk_stats.count[~empty] > 0)


def test_desk_day_structure(desk: Simulated, desk_stats: PerSecond) -> None:
    truth = desk.truth
    for p in (Posture.SITTING, Posture.UPRIGHT, Posture.LYING, Posture.NONWEAR):
        assert truth.seconds_in(p) > 0, p.word
    assert truth.seconds_in(Posture.RIDING_SEATED) == 0
    starts, lengths, values = runs(truth.posture)
    sitting = lengths[values == Posture.SITTING]
    assert (sitting > 30 * 60).any()
    assert (sitting > 60 * 60).any()
    upright = lengths[values == Posture.UPRIGHT]
    assert ((upright >= 20) & (upright < 120)).any(), "micro-breaks"
    assert (upright >= 120).any(), "real breaks"
    # the off-body episode: a long non-wear period with samples, dead still
    worn_off = [
        (s, n)
        for s, n, v in zip(starts, lengths, values, strict=True)
        if v == Posture.NONWEAR and desk_stats.count[s : s + n].all()
    ]
    assert worn_off, "desk profile has one off-body episode per day"
    s, n = max(worn_off, key=lambda x: x[1])
    assert n >= 10 * 60
    assert np.nanmax(desk_stats.std[s : s + n]) < 0.03
    mag = np.linalg.norm(desk_stats.mean[s : s + n], axis=1)
    np.testing.assert_allclose(mag, 1.0, atol=0.02)
    assert np.all(np.isnan(truth.hip_flexion_deg[s : s + n]))


# --------------------------------------------------------------------------- cyclist


def test_cyclist_cadence_and_standing_on_the_pedals(
    cyclist: Simulated, cyclist_stats: PerSecond
) -> None:
    truth = cyclist.truth
    rec = cyclist.recording
    assert rec.cadence_rpm is not None
    assert truth.seconds_in(Posture.RIDING_STANDING) > 0, "the rider stands on the pedals"
    assert truth.seconds_in(Posture.RIDING_SEATED) > 3600
    assert truth.seconds_in(Posture.UPRIGHT) > 0
    sec = np.floor(rec.t_s - truth.t0_s).astype(np.int64)
    post = truth.posture[sec]
    cad = rec.cadence_rpm
    riding = (post == Posture.RIDING_SEATED) | (post == Posture.RIDING_STANDING)
    assert np.all(cad[~riding] == 0.0)
    standing = interior(truth.posture, Posture.RIDING_STANDING)[sec]
    assert np.all(cad[standing] > 30.0)
    seated = interior(truth.posture, Posture.RIDING_SEATED)[sec]
    pedalling = cad[seated] > 0
    assert pedalling.mean() > 0.8
    assert (~pedalling).any(), "coasting while seated reads 0 rpm"
    assert np.all((cad[seated][pedalling] > 40.0) & (cad[seated][pedalling] < 120.0))
    # the thigh is more upright standing on the pedals than seated
    ang = angle_deg(cyclist_stats.mean, cyclist.mounting[:, 0])
    s_int = interior(truth.posture, Posture.RIDING_SEATED)
    r_int = interior(truth.posture, Posture.RIDING_STANDING)
    assert np.median(ang[r_int]) + 15.0 < np.median(ang[s_int])
    # seated riding bends the hip past 90 on average; standing does not
    assert np.median(truth.hip_flexion_deg[s_int]) > 90.0
    assert np.median(truth.hip_flexion_deg[r_int]) < 90.0


def test_seat_mat_is_occupied_only_while_seated() -> None:
    sim = simulate("desk", 2.0, 21, fs_hz=5.0, seat=True)
    rec = sim.recording
    assert rec.seat_p is not None
    assert rec.seat_p.shape == (rec.n, 64)
    assert rec.seat_unit == "counts"
    assert np.isfinite(rec.seat_p).all()
    sec = np.floor(rec.t_s - sim.truth.t0_s).astype(np.int64)
    total = rec.seat_p.sum(axis=1)
    sit = interior(sim.truth.posture, Posture.SITTING)[sec]
    up = interior(sim.truth.posture, Posture.UPRIGHT)[sec]
    assert sit.any()
    assert up.any()
    assert np.min(total[sit]) > 2.0 * np.max(total[up])


@pytest.mark.parametrize("seed", [1, 2, 3, 12])
def test_cyclist_rides_reach_the_saddle_prompt(seed: int) -> None:
    """Every ride has a long seated climb: the simulated day (the run's default 8 h)
    has a seated saddle bout past the saddle prompt in the truth itself."""
    sim = simulate("cyclist", 8.0, seed, fs_hz=5.0)
    first, end, _hip = SaddleContext(sim.truth).bouts()
    longest_s = float((end - first).max(initial=0)) * sim.truth.dt_s
    assert longest_s >= AlertParams().saddle_prompt_after_s + 5 * 60
