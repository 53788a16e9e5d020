"""End-to-end posture on the simulator's realistic recordings (random mounting, noise,
fidgeting, gaps, off-body spells) and on seat-mat-only data."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.pipeline import analyze_recording, default_layout
from analytics.records import Posture, Recording
from analytics.summary import agreement
from collector.sources.simulator import simulate
from tests.analytics.signals import Part, build, random_rotation


@pytest.mark.parametrize(("profile", "hours", "seed"), [("desk", 6.0, 31), ("cyclist", 2.0, 32)])
def test_simulated_days_meet_the_accuracy_targets(profile: str, hours: float, seed: int) -> None:
    sim = simulate(profile, hours, seed, fs_hz=25.0)  # type: ignore[arg-type]
    an = analyze_recording(sim.recording)
    agree, err = agreement(an.timeline, sim.truth)
    assert agree >= 0.97
    assert abs(err) <= 0.02
    # gaps in the data are non-wear in the timeline, second for second
    gaps = sim.truth.posture == Posture.NONWEAR
    no_data = an.epochs is not None and (an.epochs.count == 0)
    assert np.all(an.timeline.posture[no_data] == Posture.NONWEAR)
    assert gaps.any()


def test_riding_postures_on_the_simulated_ride() -> None:
    sim = simulate("cyclist", 2.0, 33, fs_hz=25.0)
    tl = analyze_recording(sim.recording).timeline
    for posture in (Posture.RIDING_SEATED, Posture.RIDING_STANDING):
        truth = sim.truth.posture == posture
        hit = np.mean(tl.posture[truth] == posture)
        assert hit > 0.8, f"{posture.word}: {hit:.2f}"


def test_seat_mat_only_recording() -> None:
    sim = simulate("desk", 3.0, 34, fs_hz=10.0, trunk=False, seat=True)
    rec = sim.recording
    seat_only = Recording(t_s=rec.t_s, seat_p=rec.seat_p, seat_unit=rec.seat_unit)
    an = analyze_recording(seat_only)
    assert an.thigh is None
    assert an.seat is not None
    assert np.all(np.isnan(an.timeline.hip_flexion_deg))
    agree, err = agreement(an.timeline, sim.truth)
    assert agree >= 0.97
    assert abs(err) <= 0.03


def test_thigh_and_seat_together_keep_the_thigh_posture_and_seat_features() -> None:
    sim = simulate("desk", 1.0, 35, fs_hz=10.0, trunk=False, seat=True)
    an = analyze_recording(sim.recording)
    assert an.thigh is not None
    assert an.seat is not None
    assert an.seat.n == an.timeline.n


def test_default_layout_needs_a_square_or_a_layout() -> None:
    assert default_layout(64).n_cells == 64
    with pytest.raises(ValueError, match="seat-layout"):
        default_layout(10)


def test_both_sensors_taken_off_in_an_impossible_pose_is_nonwear() -> None:
    rng = np.random.default_rng(40)
    parts = []
    for _ in range(3):
        parts += [Part("walk", 90), Part("stand", 30), Part("sit", 600)]
    parts += [Part("walk", 60), Part("offbody", 1500), Part("walk", 60)]
    # thigh sensor laid on its side, trunk sensor upside down: no body does that
    b = build(
        parts,
        seed=40,
        trunk=True,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
        offbody_vector=np.array([0.0, 0.0, 1.0]),
    )
    rec = b.recording
    assert rec.trunk_acc_g is not None
    off = b.truth == Posture.NONWEAR
    idx = np.flatnonzero(off)
    trunk = rec.trunk_acc_g.copy()
    sec = np.floor(rec.t_s).astype(np.int64) - b.t0_s
    trunk[np.isin(sec, idx)] = -trunk[np.isin(sec, idx)].mean(axis=0)  # upside down
    rec2 = Recording(t_s=rec.t_s, thigh_acc_g=rec.thigh_acc_g, trunk_acc_g=trunk)
    tl = analyze_recording(rec2).timeline
    inner = idx[30:-30]
    assert np.mean(tl.posture[inner] == Posture.NONWEAR) > 0.98
