"""Calibration learnt from sums of evidence (the live service) against the batch
calibration of the same seconds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from analytics.calibration_evidence import Evidence, gather, refined_thigh, refined_trunk
from analytics.geometry import angle_deg, perpendicular
from analytics.params import PostureParams
from analytics.pipeline import analyze_recording
from analytics.records import TrunkCalibration
from tests.analytics.signals import Part, build, random_rotation

PARTS = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 600, phi_deg=15.0),
    Part("stand", 120),
    Part("sit", 600, phi_deg=10.0),
    Part("walk", 60),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sums_over_chunks_give_the_batch_trunk_forward(seed: int) -> None:
    rng = np.random.default_rng(seed)
    b = build(
        PARTS,
        seed=seed,
        trunk=True,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
    )
    a = analyze_recording(b.recording)
    assert a.trunk is not None
    assert a.thigh is not None
    assert a.epochs is not None
    assert a.trunk.source == "auto"
    p = PostureParams()
    provisional = TrunkCalibration(a.trunk.up, perpendicular(a.trunk.up), "auto-provisional")
    ev = Evidence.empty()
    n = a.timeline.n
    for lo in range(0, n, 137):  # in chunks, as the live engine emits them
        hi = min(n, lo + 137)
        ev = ev.plus(gather(a.epochs, a.timeline.posture, a.thigh, provisional, lo, hi, p))
    assert ev.transitions >= 4
    learnt = refined_trunk(provisional, ev)
    assert learnt.source == "auto"
    assert float(angle_deg(learnt.forward[None, :], a.trunk.forward)[0]) < 3.0
    assert float(angle_deg(learnt.up[None, :], a.trunk.up)[0]) < 2.0
    thigh = refined_thigh(a.thigh, ev)
    assert float(angle_deg(thigh.up[None, :], a.thigh.up)[0]) < 2.0
    assert abs(float(thigh.up @ thigh.forward)) < 1e-9
    again = Evidence.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert again.transitions == ev.transitions
    np.testing.assert_allclose(again.transition_sum, ev.transition_sum)


def test_no_evidence_changes_nothing_and_explicit_calibrations_stay() -> None:
    up = np.array([0.0, 0.0, 1.0])
    trunk = TrunkCalibration(up, perpendicular(up), "auto-provisional")
    assert refined_trunk(trunk, Evidence.empty()) is trunk
    lots = dataclasses.replace(
        Evidence.empty(),
        transition_sum=np.array([3.0, 0.0, 0.0]),
        transitions=3,
        trunk_standing_sum=up * 50,
        trunk_standing_s=50,
    )
    standing = TrunkCalibration(up, perpendicular(up), "standing")
    assert refined_trunk(standing, lots) is standing
    learnt = refined_trunk(trunk, lots)
    assert learnt.source == "auto"
    np.testing.assert_allclose(learnt.forward, [-1.0, 0.0, 0.0], atol=1e-12)


def test_damaged_evidence_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="delete the state file"):
        Evidence.from_dict({"transitions": 1})


def test_unit_scales_by_numpys_norm_to_the_last_bit() -> None:
    """geometry.unit divides by np.linalg.norm's value (computed without its wrapper)."""
    from analytics.geometry import unit

    rng = np.random.default_rng(4)
    for _ in range(2000):
        v = rng.normal(size=3) * 10 ** rng.uniform(-6, 6)
        assert unit(v).tobytes() == np.asarray(v / float(np.linalg.norm(v))).tobytes()
    with pytest.raises(ValueError, match="zero"):
        unit(np.zeros(3))
    v32 = np.array([3.0, 4.0], dtype=np.float32)  # other dtypes: np.linalg.norm itself
    want = np.asarray(v32 / float(np.linalg.norm(v32)), dtype=np.float64)
    assert unit(v32).tobytes() == want.tobytes()
