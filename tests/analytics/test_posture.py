from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.calibration_errors import CalibrationError
from analytics.orientation import calibrate_standing
from analytics.params import PostureParams
from analytics.pipeline import analyze_thigh
from analytics.posture import _fill_coasting
from analytics.records import Int8Array, Posture, ThighCalibration
from analytics.smoothing import runs
from tests.analytics.signals import DESK_DAY, Part, build, random_rotation, rotation_from_quaternion

U = np.array([1.0, 0.0, 0.0])
F = np.array([0.0, 1.0, 0.0])


def _agreement(pred: np.ndarray, truth: np.ndarray) -> float:
    seated = (Posture.SITTING, Posture.RIDING_SEATED, Posture.LYING)
    worn = truth != Posture.NONWEAR
    return float(np.mean(np.isin(pred[worn], seated) == np.isin(truth[worn], seated)))


quaternions = st.lists(
    st.floats(min_value=-1, max_value=1, allow_nan=False), min_size=4, max_size=4
).filter(lambda q: float(np.linalg.norm(q)) > 0.2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=quaternions)
def test_any_mounting_rotation_gives_the_truth_and_the_calibration_rotates_with_it(
    q: list[float],
) -> None:
    r = rotation_from_quaternion(np.array(q))
    b = build(DESK_DAY, seed=3, mounting=r)
    an = analyze_thigh(b.recording)
    assert _agreement(an.timeline.posture, b.truth) >= 0.99
    assert float(an.thigh.up @ (r @ U)) > np.cos(np.radians(5))
    assert float(an.thigh.forward @ (r @ F)) > np.cos(np.radians(10))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=quaternions)
def test_posture_is_invariant_to_rotating_the_sensor(q: list[float]) -> None:
    base = build(DESK_DAY, seed=5)
    r = rotation_from_quaternion(np.array(q))
    rec = base.recording
    assert rec.thigh_acc_g is not None
    rotated = type(rec)(t_s=rec.t_s, thigh_acc_g=rec.thigh_acc_g @ r.T)
    a = analyze_thigh(rec).timeline
    b = analyze_thigh(rotated).timeline
    differ = np.count_nonzero(a.posture != b.posture)
    assert differ <= 2, f"{differ} seconds changed under rotation"
    np.testing.assert_allclose(a.hip_flexion_deg, b.hip_flexion_deg, atol=0.5)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_upside_down_mounting(axis: int) -> None:
    flip = -np.eye(3)
    flip[axis, axis] = 1.0  # 180° about one axis
    b = build(DESK_DAY, seed=1, mounting=flip)
    an = analyze_thigh(b.recording)
    assert _agreement(an.timeline.posture, b.truth) >= 0.99


def test_gaps_are_nonwear_and_never_sitting() -> None:
    parts = [
        Part("walk", 60),
        Part("sit", 600),
        Part("gap", 125),
        Part("sit", 600),
        Part("walk", 60),
    ]
    b = build(parts, seed=2, mounting=random_rotation(np.random.default_rng(9)))
    tl = analyze_thigh(b.recording).timeline
    gap = slice(660, 785)
    assert np.all(tl.posture[gap] == Posture.NONWEAR)
    assert np.all(np.isnan(tl.hip_flexion_deg[gap]))
    assert np.all(tl.posture[100:650] == Posture.SITTING)
    assert np.all(tl.posture[800:1380] == Posture.SITTING)


def test_long_very_still_sitting_is_sitting_not_nonwear() -> None:
    parts = [
        Part("walk", 120),
        Part("stand", 60),
        Part("sit", 3 * 3600, theta_deg=90),
        Part("walk", 60),
    ]
    b = build(parts, seed=4, noise_g=0.002, mounting=random_rotation(np.random.default_rng(4)))
    # make the sitting part perfectly still apart from sensor noise
    tl = analyze_thigh(b.recording).timeline
    sitting = tl.posture[200 : 180 + 3 * 3600]
    assert np.all(sitting == Posture.SITTING)


def test_sensor_taken_off_and_left_upside_down_is_nonwear() -> None:
    parts = [
        Part("walk", 120),
        Part("stand", 60),
        Part("sit", 900),
        Part("offbody", 1800),
        Part("walk", 120),
    ]
    b = build(parts, seed=6)
    tl = analyze_thigh(b.recording).timeline
    off = tl.posture[1080 + 20 : 2880 - 20]
    assert np.mean(off == Posture.NONWEAR) > 0.99


def test_nine_second_stand_does_not_break_sitting_but_ten_does() -> None:
    parts9 = [
        Part("walk", 60),
        Part("sit", 300),
        Part("stand", 9),
        Part("sit", 300),
        Part("walk", 30),
    ]
    parts10 = [
        Part("walk", 60),
        Part("sit", 300),
        Part("stand", 10),
        Part("sit", 300),
        Part("walk", 30),
    ]
    tl9 = analyze_thigh(build(parts9, seed=1).recording).timeline
    tl10 = analyze_thigh(build(parts10, seed=1).recording).timeline
    assert np.all(tl9.posture[60:669] == Posture.SITTING)
    assert np.count_nonzero(tl10.posture[355:375] == Posture.UPRIGHT) == 10


def test_hip_angle_with_trunk_sensor_sees_leaning_forward() -> None:
    rng = np.random.default_rng(11)
    parts = []
    for _ in range(6):  # repeated sit-to-stand transitions teach the trunk's forward axis
        parts += [Part("walk", 60), Part("stand", 30), Part("sit", 300, phi_deg=0.0)]
        parts += [Part("sit", 120, phi_deg=30.0), Part("sit", 60, phi_deg=-15.0)]
    parts.append(Part("walk", 60))
    b = build(
        parts,
        seed=7,
        trunk=True,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
    )
    # sit-to-stand leans: add a forward lean at the end of each sitting stretch
    an = analyze_thigh(b.recording)
    tl = an.timeline
    assert tl.hip_from_trunk
    ok = np.isfinite(b.hip_truth) & np.isfinite(tl.hip_flexion_deg)
    err = np.abs(tl.hip_flexion_deg[ok] - b.hip_truth[ok])
    sitting = (b.truth == Posture.SITTING)[ok]
    assert np.median(err[sitting]) < 3.0
    lean = (b.hip_truth > 110)[ok]
    assert np.mean(tl.hip_flexion_deg[ok][lean] > 90) > 0.95


def test_thigh_only_hip_angle_is_the_thigh_inclination() -> None:
    parts = [Part("walk", 60), Part("stand", 60), Part("sit", 300, theta_deg=100), Part("walk", 60)]
    b = build(parts, seed=8, mounting=random_rotation(np.random.default_rng(8)))
    tl = analyze_thigh(b.recording).timeline
    assert not tl.hip_from_trunk
    assert abs(float(np.median(tl.hip_flexion_deg[150:400])) - 100.0) < 3.0
    assert float(np.median(tl.hip_flexion_deg[70:110])) < 10.0


def test_lying_needs_the_trunk_sensor() -> None:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 600), Part("stand", 30)]
    parts += [Part("sit", 1200, theta_deg=85, phi_deg=-90), Part("walk", 60)]
    with_trunk = build(parts, seed=9, trunk=True)
    tl = analyze_thigh(with_trunk.recording).timeline
    assert np.mean(tl.posture[830:2000] == Posture.LYING) > 0.99
    assert np.mean(tl.posture[200:770] == Posture.SITTING) > 0.99


def test_thigh_only_side_lying_is_sitting_flagged_reclined() -> None:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 600), Part("stand", 30)]
    parts += [Part("sit", 400, theta_deg=80, psi_deg=85), Part("walk", 60)]
    tl = analyze_thigh(build(parts, seed=10).recording).timeline
    side = slice(830, 1200)
    assert np.all(tl.posture[side] == Posture.SITTING)
    assert np.mean(tl.reclined[side]) > 0.95
    assert np.mean(tl.reclined[200:770]) < 0.01


def test_riding_from_cadence_and_from_thigh_motion() -> None:
    parts = [Part("walk", 120), Part("stand", 30)]
    for _ in range(3):
        parts += [Part("pedal", 300), Part("stand_pedal", 30)]
    parts += [Part("pedal", 300), Part("stand", 60), Part("walk", 120)]
    for cadence in (True, False):
        b = build(
            parts, seed=12, cadence=cadence, mounting=random_rotation(np.random.default_rng(12))
        )
        tl = analyze_thigh(b.recording).timeline
        worn = b.truth != Posture.NONWEAR
        hit = np.mean(tl.posture[worn] == b.truth[worn])
        assert hit > 0.95, f"cadence={cadence}: {hit:.3f}"


def test_explicit_standing_calibration() -> None:
    r = random_rotation(np.random.default_rng(13))
    b = build([Part("stand", 5)], seed=13, mounting=r)
    assert b.recording.thigh_acc_g is not None
    thigh, trunk = calibrate_standing(b.recording.thigh_acc_g)
    assert trunk is None
    assert float(thigh.up @ (r @ U)) > np.cos(np.radians(2))
    moving = build([Part("walk", 5)], seed=13, mounting=r)
    assert moving.recording.thigh_acc_g is not None
    with pytest.raises(CalibrationError, match="stand still"):
        calibrate_standing(moving.recording.thigh_acc_g)
    with pytest.raises(CalibrationError, match="units"):
        calibrate_standing(b.recording.thigh_acc_g * 9.81)


def test_no_walking_or_standing_asks_for_calibration() -> None:
    b = build([Part("sit", 600)], seed=14)
    with pytest.raises(CalibrationError, match="calibrate"):
        analyze_thigh(b.recording)


def test_explicit_calibration_is_used_when_given() -> None:
    r = random_rotation(np.random.default_rng(15))
    stand = build([Part("stand", 5)], seed=15, mounting=r)
    assert stand.recording.thigh_acc_g is not None
    thigh, _ = calibrate_standing(stand.recording.thigh_acc_g)
    sitting_only = build([Part("sit", 600)], seed=15, mounting=r)
    tl = analyze_thigh(sitting_only.recording, thigh=thigh).timeline
    assert np.all(tl.posture == Posture.SITTING)


def test_very_still_sitting_with_a_breathing_trunk_is_not_nonwear() -> None:
    """Thigh frozen to the noise for 2 h; the trunk sensor only breathes (0.5°)."""
    rng = np.random.default_rng(16)
    parts = []
    for _ in range(3):
        parts += [Part("walk", 90), Part("stand", 30), Part("sit", 300)]
    parts += [Part("stand", 30), Part("sit", 7200, theta_deg=90.0), Part("walk", 60)]
    b = build(
        parts,
        seed=16,
        trunk=True,
        noise_g=0.004,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
    )
    rec = b.recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    t0 = 3 * 420 + 30 + b.t0_s
    still = (rec.t_s >= t0) & (rec.t_s < t0 + 7200)
    thigh = rec.thigh_acc_g.copy()
    thigh[still] = thigh[still].mean(axis=0) + rng.normal(0, 0.004, (int(still.sum()), 3))
    trunk = rec.trunk_acc_g.copy()
    breath = np.radians(0.5) * np.sin(2 * np.pi * 0.25 * rec.t_s[still])
    axis = np.cross(trunk[still].mean(axis=0), [0.3, 0.5, 0.8])
    trunk[still] += np.outer(breath, axis / np.linalg.norm(axis))
    tl = analyze_thigh(type(rec)(t_s=rec.t_s, thigh_acc_g=thigh, trunk_acc_g=trunk)).timeline
    seg = tl.posture[t0 - b.t0_s + 5 : t0 - b.t0_s + 7195]
    assert np.all(seg == Posture.SITTING)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(0.0, 0.05, allow_nan=False, allow_subnormal=False), min_size=1, max_size=900
    ),
    st.sampled_from([1.0, 0.5, 1.0, 37.3, 99.0, 100.0, 0.0]),
)
def test_percentile_linear_gives_numpys_bits(values: list[float], q: float) -> None:
    from analytics.epoch_terms import percentile_linear

    a = np.array(values)
    assert percentile_linear(a, q) == float(np.percentile(a, q))


def _fill_coasting_loop(posture: Int8Array, p: PostureParams, *, one_side: bool) -> None:
    """The coasting rule run by run (the reference for the vectorised one)."""
    riding = (Posture.RIDING_SEATED, Posture.RIDING_STANDING)
    starts, lengths, values = runs(posture)
    last = values.shape[0] - 1
    for k in range(values.shape[0]):
        if values[k] != Posture.SITTING or lengths[k] > p.coast_max_s:
            continue
        before = k > 0 and values[k - 1] == Posture.RIDING_SEATED
        after = k < last and values[k + 1] in riding
        if (before and after) or (one_side and (before or after)):
            posture[int(starts[k]) : int(starts[k] + lengths[k])] = Posture.RIDING_SEATED


def test_coasting_fills_what_the_run_by_run_rule_fills() -> None:
    rng = np.random.default_rng(5)
    p = PostureParams()
    kinds = np.array(
        [Posture.SITTING, Posture.UPRIGHT, Posture.RIDING_SEATED, Posture.RIDING_STANDING,
         Posture.NONWEAR, Posture.LYING],
        dtype=np.int8,
    )  # fmt: skip
    for _ in range(3000):
        n = int(rng.integers(0, 40))
        use = kinds if rng.random() < 0.7 else kinds[[0, 1, 3, 4]]
        labels = np.repeat(use[rng.integers(0, use.shape[0], size=n)], rng.integers(1, 120, n))
        for one_side in (False, True):
            got, want = labels.copy(), labels.copy()
            _fill_coasting(got, p, one_side=one_side)
            _fill_coasting_loop(want, p, one_side=one_side)
            np.testing.assert_array_equal(got, want)


def test_thigh_lateral_axis_is_numpys_cross_product_to_the_bit() -> None:
    rng = np.random.default_rng(11)
    for _ in range(2000):
        up, forward = rng.normal(size=3), rng.normal(size=3) * rng.choice([1e-3, 1.0, 1e3])
        v = np.cross(up, forward)
        want = v / np.linalg.norm(v)
        np.testing.assert_array_equal(ThighCalibration(up=up, forward=forward).lateral, want)


@pytest.mark.parametrize("seed", range(30))
def test_only_blocks_with_a_dead_still_second_are_judged_and_nothing_changes(seed: int) -> None:
    """off_body_candidates judges the frozen test on the blocks holding a dead still
    second only: the same candidates as judging every block (a block's verdict
    depends on its own seconds, to the last bit)."""
    from analytics.epoch_terms import dead_still_limit_g
    from analytics.posture import frozen_seconds, off_body_candidates
    from analytics.records import Epochs

    rng = np.random.default_rng(seed)
    p = PostureParams()
    n = int(rng.integers(30, 900))
    mean = rng.normal([0.1, -0.98, 0.1], 0.01 * rng.random(), size=(n, 3))
    std = 0.03 + np.abs(rng.normal(0.0, 0.02, n))
    count = np.full(n, 50)
    for _ in range(int(rng.integers(0, 4))):  # dead still, frozen stretches
        a = int(rng.integers(0, n))
        b = min(n, a + int(rng.integers(1, 200)))
        mean[a:b] = mean[a] + rng.normal(0.0, 1e-5, (b - a, 3))
        std[a:b] = 1e-4
    gaps = rng.random(n) < 0.02
    mean[gaps], std[gaps], count[gaps] = np.nan, np.nan, 0
    ep = Epochs(0, count, mean, std, np.zeros(n))
    limit = dead_still_limit_g(ep, p)
    with np.errstate(invalid="ignore"):
        dead = std < limit
    every = dead & frozen_seconds(mean, std, count, p.frozen_block_s, p.frozen_ratio)
    got = off_body_candidates(ep, p, still_limit_g=limit)
    np.testing.assert_array_equal(got, every)


def _frozen_as_written_before(
    mean_g: np.ndarray, std_g: np.ndarray, count: np.ndarray, block_s: int, ratio: float
) -> np.ndarray:
    """frozen_seconds with numpy's axis sums (the reference for its written-out sums)."""
    n = count.shape[0]
    n_blocks = -(-n // block_s)
    pad = n_blocks * block_s - n
    m = np.concatenate((mean_g, np.full((pad, 3), np.nan))).reshape(n_blocks, block_s, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = np.concatenate((std_g**2 / count, np.full(pad, np.nan))).reshape(n_blocks, block_s)
    has = np.isfinite(m).all(axis=2) & np.isfinite(se2)
    k = has.sum(axis=1)
    m0 = np.where(has[:, :, None], m, 0.0)
    centre = m0.sum(axis=1) / np.maximum(k, 1)[:, None]
    dev2 = np.where(has, np.sum((m0 - centre[:, None, :]) ** 2, axis=2), 0.0)
    rms_dev = np.sqrt(dev2.sum(axis=1) / np.maximum(k, 1))
    rms_se = np.sqrt(np.where(has, se2, 0.0).sum(axis=1) / np.maximum(k, 1))
    return np.asarray(
        np.repeat((k >= block_s // 2) & (rms_dev <= ratio * rms_se), block_s)[:n]
        & has.reshape(-1)[:n]
    )


@pytest.mark.parametrize("n", [1, 59, 60, 61, 745, 3600, 86_400])
def test_frozen_seconds_sums_the_components_as_numpy_does(n: int) -> None:
    """Blocks whose scatter sits right at the limit: the verdicts of the written-out
    component sums are those of numpy's axis sums, block for block."""
    from analytics.posture import frozen_seconds

    rng = np.random.default_rng(n)
    mean = rng.normal([0.1, -0.98, 0.1], 1e-3, size=(n, 3))
    count = np.full(n, 50)
    std = np.full(n, 1e-3 * np.sqrt(50) / 2.0) * rng.uniform(0.9, 1.1, n)
    mean[rng.random(n) < 0.03] = np.nan
    for ratio in (0.5, 1.0, 2.0, 4.0):
        got = frozen_seconds(mean, std, count, 60, ratio)
        np.testing.assert_array_equal(got, _frozen_as_written_before(mean, std, count, 60, ratio))


@pytest.mark.parametrize("blocks", [1, 2, 13, 1440])
def test_numpy_sums_three_components_in_order(blocks: int) -> None:
    """What frozen_seconds' written-out sums rely on, to the last bit."""
    rng = np.random.default_rng(blocks)
    a = rng.normal(size=(blocks, 60, 3)) * 10 ** rng.uniform(-8, 3, size=(blocks, 60, 3))
    want = np.sum(a, axis=2)
    got = (a[:, :, 0] + a[:, :, 1]) + a[:, :, 2]
    assert got.tobytes() == want.tobytes()
