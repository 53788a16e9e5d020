"""The simulator: determinism, truth conventions and the sensor geometry contract.

Per-second statistics are computed here from the raw samples (independently of
``analytics.epochs``) so that these tests check the simulator alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.records import BoolArray, FloatArray, Int8Array, IntArray, Posture, Recording
from collector.sources.simulator import DEFAULT_START_S, Simulated, random_rotation, simulate


@dataclass(frozen=True)
class _PerSecond:
    count: IntArray
    mean: FloatArray  # (n, 3) thigh mean, NaN in empty seconds
    std: FloatArray  # RMS deviation of the thigh vector
    trunk_mean: FloatArray | None


def _per_second(rec: Recording, t0_s: int, n_sec: int) -> _PerSecond:
    assert rec.thigh_acc_g is not None
    sec = np.floor(rec.t_s - t0_s).astype(np.int64)
    count = np.bincount(sec, minlength=n_sec)
    assert count.shape[0] == n_sec

    def mean3(a: FloatArray) -> FloatArray:
        sums = np.stack([np.bincount(sec, a[:, k], n_sec) for k in range(3)], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = sums / count[:, None]
        return out

    mean = mean3(rec.thigh_acc_g)
    sq = np.bincount(sec, np.einsum("ij,ij->i", rec.thigh_acc_g, rec.thigh_acc_g), n_sec)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = sq / count - np.einsum("ij,ij->i", mean, mean)
    trunk = None if rec.trunk_acc_g is None else mean3(rec.trunk_acc_g)
    return _PerSecond(count, mean, np.sqrt(np.maximum(var, 0.0)), trunk)


def _angle_deg(rows: FloatArray, v: FloatArray) -> FloatArray:
    d = rows / np.linalg.norm(rows, axis=1)[:, None]
    out: FloatArray = np.degrees(np.arccos(np.clip(d @ v, -1.0, 1.0)))
    return out


def _runs(values: npt.ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """(start, length, value) of runs of equal values."""
    v = np.asarray(values)
    change = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [v.shape[0]])))
    return starts, lengths, v[starts]


def _interior(posture: Int8Array, p: Posture, margin: int = 3) -> BoolArray:
    """Seconds in posture ``p`` with ``margin`` seconds of the same posture each side."""
    m: BoolArray = posture == p
    out = m.copy()
    for k in range(1, margin + 1):
        out[k:] &= m[:-k]
        out[:-k] &= m[k:]
        out[:k] = False
        out[-k:] = False
    return out


@pytest.fixture(scope="module")
def desk() -> Simulated:
    return simulate("desk", 12.0, 11, fs_hz=20.0)


@pytest.fixture(scope="module")
def desk_stats(desk: Simulated) -> _PerSecond:
    return _per_second(desk.recording, desk.truth.t0_s, desk.truth.n)


@pytest.fixture(scope="module")
def cyclist() -> Simulated:
    return simulate("cyclist", 5.0, 12, fs_hz=25.0)


@pytest.fixture(scope="module")
def cyclist_stats(cyclist: Simulated) -> _PerSecond:
    return _per_second(cyclist.recording, cyclist.truth.t0_s, cyclist.truth.n)


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
    stats = _per_second(sim.recording, sim.truth.t0_s, sim.truth.n)
    starts, lengths, values = _runs(sim.truth.posture)
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


def test_gaps_have_no_samples(desk: Simulated, desk_stats: _PerSecond) -> None:
    empty = desk_stats.count == 0
    assert empty.any(), "the 12 h desk day should contain at least one gap"
    # an empty second is never worn truth, and its hip angle is unknown
    assert np.all(desk.truth.posture[empty] == Posture.NONWEAR)
    assert np.all(np.isnan(desk.truth.hip_flexion_deg[empty]))
    # gaps are whole runs of empty seconds of 5-300 s: no isolated dropouts elsewhere
    _starts, lengths, values = _runs(empty)
    gap_lengths = lengths[values]
    assert gap_lengths.min() >= 5
    assert gap_lengths.max() <= 300
    # in samples: every interval is either a normal step or a whole gap
    dt = np.diff(desk.recording.t_s)
    assert np.all((dt < 2 / 20.0) | (dt > 4.0))
    assert np.count_nonzero(dt > 4.0) == gap_lengths.shape[0]
    # worn seconds right next to a gap have samples (a second with samples is not a gap)
    assert np.all(desk_stats.count[~empty] > 0)


def test_desk_day_structure(desk: Simulated, desk_stats: _PerSecond) -> None:
    truth = desk.truth
    for p in (Posture.SITTING, Posture.UPRIGHT, Posture.LYING, Posture.NONWEAR):
        assert truth.seconds_in(p) > 0, p.word
    assert truth.seconds_in(Posture.RIDING_SEATED) == 0
    starts, lengths, values = _runs(truth.posture)
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


# --------------------------------------------------------------------------- geometry


def test_mounting_is_a_proper_rotation() -> None:
    for seed in range(20):
        m = simulate("desk", 0.02, seed, fs_hz=5.0).mounting
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(m) == pytest.approx(1.0)
    rots = np.stack([random_rotation(np.random.default_rng(s)) for s in range(400)])
    np.testing.assert_allclose(np.linalg.det(rots), 1.0)
    # uniform: the mounted "up" axis points anywhere, upside down included
    up = rots[:, :, 0]
    assert (up[:, 2] < -0.9).any()
    assert (up[:, 2] > 0.9).any()
    assert abs(up.mean(axis=0)).max() < 0.15


def test_given_mounting_is_used_and_validated() -> None:
    m = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    sim = simulate("desk", 0.05, 1, fs_hz=10.0, mounting=m)
    np.testing.assert_array_equal(sim.mounting, m)
    with pytest.raises(ValueError, match="proper rotation"):
        simulate("desk", 0.05, 1, fs_hz=10.0, mounting=np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="3x3"):
        simulate("desk", 0.05, 1, fs_hz=10.0, mounting=np.eye(2))


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="profile"):
        simulate("runner", 1.0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hours"):
        simulate("desk", 0.0, 1)
    with pytest.raises(ValueError, match="fs_hz"):
        simulate("desk", 1.0, 1, fs_hz=0.5)


def test_standing_still_reads_one_g_along_the_mounted_long_axis(
    desk: Simulated, desk_stats: _PerSecond
) -> None:
    still = _interior(desk.truth.posture, Posture.UPRIGHT) & (desk_stats.std < 0.03)
    assert np.count_nonzero(still) > 300
    mag = np.linalg.norm(desk_stats.mean[still], axis=1)
    np.testing.assert_allclose(mag, 1.0, atol=0.03)
    ang = _angle_deg(desk_stats.mean[still], desk.mounting[:, 0])
    assert np.median(ang) < 12.0
    assert ang.max() < 25.0


def test_sitting_reads_along_the_mounted_anterior_axis(
    desk: Simulated, desk_stats: _PerSecond
) -> None:
    sit = _interior(desk.truth.posture, Posture.SITTING)
    ang_f = _angle_deg(desk_stats.mean[sit], desk.mounting[:, 1])
    ang_u = _angle_deg(desk_stats.mean[sit], desk.mounting[:, 0])
    assert np.median(ang_f) < 20.0
    assert np.percentile(ang_f, 95) < 40.0
    assert np.all((ang_u > 60.0) & (ang_u < 130.0))


def _trunk_lean_deg(trunk_mean: FloatArray, trunk_mounting: FloatArray) -> FloatArray:
    body = trunk_mean @ trunk_mounting  # rows in the trunk body frame
    return np.degrees(np.arctan2(-body[:, 1], body[:, 0]))


def test_hip_truth_is_trunk_thigh_angle(desk: Simulated, desk_stats: _PerSecond) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    still = (
        _interior(desk.truth.posture, Posture.SITTING)
        | _interior(desk.truth.posture, Posture.UPRIGHT)
    ) & (desk_stats.std < 0.03)
    body = desk_stats.mean[still] @ desk.mounting  # rows in the thigh body frame
    # signed inclination: a thigh slightly behind vertical (hip extension) is negative
    across = np.copysign(np.hypot(body[:, 1], body[:, 2]), body[:, 1])
    theta = np.degrees(np.arctan2(across, body[:, 0]))
    phi = _trunk_lean_deg(desk_stats.trunk_mean[still], desk.trunk_mounting)
    np.testing.assert_allclose(desk.truth.hip_flexion_deg[still], theta + phi, atol=2.0)


def test_hip_truth_is_about_90_while_sitting_upright(
    desk: Simulated, desk_stats: _PerSecond
) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    sit = _interior(desk.truth.posture, Posture.SITTING)
    phi = _trunk_lean_deg(desk_stats.trunk_mean, desk.trunk_mounting)
    upright = sit & (phi > -3.0) & (phi < 15.0)
    assert np.count_nonzero(upright) > 600
    hip = desk.truth.hip_flexion_deg[upright]
    assert 85.0 < np.median(hip) < 110.0
    assert np.all((hip > 65.0) & (hip < 140.0))
    # a level thigh under an upright trunk is a hip at about 90
    theta = _angle_deg(desk_stats.mean, desk.mounting[:, 0])
    level = sit & (np.abs(theta - 90.0) < 8.0) & (np.abs(phi) < 5.0)
    assert np.count_nonzero(level) > 60
    np.testing.assert_allclose(desk.truth.hip_flexion_deg[level], 90.0, atol=15.0)
    # leaning forward over the desk takes the hip past 90
    lean = sit & (phi > 20.0)
    assert np.count_nonzero(lean) > 60
    assert np.median(desk.truth.hip_flexion_deg[lean]) > 105.0


def test_lying_has_a_horizontal_trunk(desk: Simulated, desk_stats: _PerSecond) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    lying = _interior(desk.truth.posture, Posture.LYING)
    assert np.count_nonzero(lying) > 600
    ang = _angle_deg(desk_stats.trunk_mean[lying], desk.trunk_mounting[:, 0])
    assert np.all(np.abs(ang - 90.0) < 15.0)
    assert np.all(np.abs(desk.truth.hip_flexion_deg[lying]) < 60.0)
    # side-lying (thigh rolled) is flagged reclined in the truth
    assert desk.truth.reclined.shape == (desk.truth.n,)
    assert not desk.truth.reclined[desk.truth.posture != Posture.LYING].any()


def test_walking_shows_impacts(desk: Simulated, desk_stats: _PerSecond) -> None:
    upright = _interior(desk.truth.posture, Posture.UPRIGHT)
    moving = upright & (desk_stats.std > 0.12)
    assert np.count_nonzero(moving) > 60
    assert desk.recording.thigh_acc_g is not None
    sec = np.floor(desk.recording.t_s - desk.truth.t0_s).astype(np.int64)
    mag = np.linalg.norm(desk.recording.thigh_acc_g, axis=1)
    walking_mag = mag[moving[sec]]
    assert np.percentile(walking_mag, 99) > 1.25


# --------------------------------------------------------------------------- cyclist


def test_cyclist_cadence_and_standing_on_the_pedals(
    cyclist: Simulated, cyclist_stats: _PerSecond
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
    standing = _interior(truth.posture, Posture.RIDING_STANDING)[sec]
    assert np.all(cad[standing] > 30.0)
    seated = _interior(truth.posture, Posture.RIDING_SEATED)[sec]
    pedalling = cad[seated] > 0
    assert pedalling.mean() > 0.8
    assert (~pedalling).any(), "coasting while seated reads 0 rpm"
    assert np.all((cad[seated][pedalling] > 40.0) & (cad[seated][pedalling] < 120.0))
    # the thigh is more upright standing on the pedals than seated
    ang = _angle_deg(cyclist_stats.mean, cyclist.mounting[:, 0])
    s_int = _interior(truth.posture, Posture.RIDING_SEATED)
    r_int = _interior(truth.posture, Posture.RIDING_STANDING)
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
    sit = _interior(sim.truth.posture, Posture.SITTING)[sec]
    up = _interior(sim.truth.posture, Posture.UPRIGHT)[sec]
    assert sit.any()
    assert up.any()
    assert np.min(total[sit]) > 2.0 * np.max(total[up])
