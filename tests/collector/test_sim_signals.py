"""The simulator's sensor geometry contract: mountings, what a still, sitting, lying
or walking thigh and trunk read, and the hip-flexion truth (sim_signals.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.records import FloatArray, Posture
from collector.sources.simulator import Simulated, random_rotation, simulate
from tests.collector.sim_stats import PerSecond, angle_deg, desk, desk_stats, interior

__all__ = ["desk", "desk_stats"]  # fixtures


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
    desk: Simulated, desk_stats: PerSecond
) -> None:
    still = interior(desk.truth.posture, Posture.UPRIGHT) & (desk_stats.std < 0.03)
    assert np.count_nonzero(still) > 300
    mag = np.linalg.norm(desk_stats.mean[still], axis=1)
    np.testing.assert_allclose(mag, 1.0, atol=0.03)
    ang = angle_deg(desk_stats.mean[still], desk.mounting[:, 0])
    assert np.median(ang) < 12.0
    assert ang.max() < 25.0


def test_sitting_reads_along_the_mounted_anterior_axis(
    desk: Simulated, desk_stats: PerSecond
) -> None:
    sit = interior(desk.truth.posture, Posture.SITTING)
    ang_f = angle_deg(desk_stats.mean[sit], desk.mounting[:, 1])
    ang_u = angle_deg(desk_stats.mean[sit], desk.mounting[:, 0])
    assert np.median(ang_f) < 20.0
    assert np.percentile(ang_f, 95) < 40.0
    assert np.all((ang_u > 60.0) & (ang_u < 130.0))


def _trunk_lean_deg(trunk_mean: FloatArray, trunk_mounting: FloatArray) -> FloatArray:
    body = trunk_mean @ trunk_mounting  # rows in the trunk body frame
    return np.degrees(np.arctan2(-body[:, 1], body[:, 0]))


def test_hip_truth_is_trunk_thigh_angle(desk: Simulated, desk_stats: PerSecond) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    still = (
        interior(desk.truth.posture, Posture.SITTING)
        | interior(desk.truth.posture, Posture.UPRIGHT)
    ) & (desk_stats.std < 0.03)
    body = desk_stats.mean[still] @ desk.mounting  # rows in the thigh body frame
    # signed inclination: a thigh slightly behind vertical (hip extension) is negative
    across = np.copysign(np.hypot(body[:, 1], body[:, 2]), body[:, 1])
    theta = np.degrees(np.arctan2(across, body[:, 0]))
    phi = _trunk_lean_deg(desk_stats.trunk_mean[still], desk.trunk_mounting)
    np.testing.assert_allclose(desk.truth.hip_flexion_deg[still], theta + phi, atol=2.0)


def test_hip_truth_is_about_90_while_sitting_upright(
    desk: Simulated, desk_stats: PerSecond
) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    sit = interior(desk.truth.posture, Posture.SITTING)
    phi = _trunk_lean_deg(desk_stats.trunk_mean, desk.trunk_mounting)
    upright = sit & (phi > -3.0) & (phi < 15.0)
    assert np.count_nonzero(upright) > 600
    hip = desk.truth.hip_flexion_deg[upright]
    assert 85.0 < np.median(hip) < 110.0
    assert np.all((hip > 65.0) & (hip < 140.0))
    # a level thigh under an upright trunk is a hip at about 90
    theta = angle_deg(desk_stats.mean, desk.mounting[:, 0])
    level = sit & (np.abs(theta - 90.0) < 8.0) & (np.abs(phi) < 5.0)
    assert np.count_nonzero(level) > 60
    np.testing.assert_allclose(desk.truth.hip_flexion_deg[level], 90.0, atol=15.0)
    # leaning forward over the desk takes the hip past 90
    lean = sit & (phi > 20.0)
    assert np.count_nonzero(lean) > 60
    assert np.median(desk.truth.hip_flexion_deg[lean]) > 105.0


def test_lying_has_a_horizontal_trunk(desk: Simulated, desk_stats: PerSecond) -> None:
    assert desk.trunk_mounting is not None
    assert desk_stats.trunk_mean is not None
    lying = interior(desk.truth.posture, Posture.LYING)
    assert np.count_nonzero(lying) > 600
    ang = angle_deg(desk_stats.trunk_mean[lying], desk.trunk_mounting[:, 0])
    assert np.all(np.abs(ang - 90.0) < 15.0)
    assert np.all(np.abs(desk.truth.hip_flexion_deg[lying]) < 60.0)
    # side-lying (thigh rolled) is flagged reclined in the truth
    assert desk.truth.reclined.shape == (desk.truth.n,)
    assert not desk.truth.reclined[desk.truth.posture != Posture.LYING].any()


def test_walking_shows_impacts(desk: Simulated, desk_stats: PerSecond) -> None:
    upright = interior(desk.truth.posture, Posture.UPRIGHT)
    moving = upright & (desk_stats.std > 0.12)
    assert np.count_nonzero(moving) > 60
    assert desk.recording.thigh_acc_g is not None
    sec = np.floor(desk.recording.t_s - desk.truth.t0_s).astype(np.int64)
    mag = np.linalg.norm(desk.recording.thigh_acc_g, axis=1)
    walking_mag = mag[moving[sec]]
    assert np.percentile(walking_mag, 99) > 1.25
