"""Hip flexion per second.

* With a trunk (or sacrum) sensor: the sagittal trunk-thigh angle, ``θ + φ`` where
  ``θ`` is the thigh's angle from upright (0 standing, 90 level, > 90 knee above hip)
  and ``φ`` the trunk's forward lean (0 upright, + forward, − reclined). ≈0° standing,
  ≈90° upright sitting, > 90° leaning forward, deep chairs, aggressive riding.
* Thigh only: ``θ`` alone, i.e. the hip angle *if the trunk is upright* — an estimate
  that misses leaning forward and reclining (documented in docs/posture.md).

Unknown (non-wear, gaps, a missing trunk sample in trunk mode) is NaN.
"""

from __future__ import annotations

import numpy as np

from analytics.geometry import angle_deg, unit_rows
from analytics.records import (
    Epochs,
    FloatArray,
    Int8Array,
    Posture,
    ThighCalibration,
    TrunkCalibration,
)


def thigh_angle_deg(ep: Epochs, cal: ThighCalibration, posture: Int8Array) -> FloatArray:
    """Thigh angle from upright (0..180°). A sensor turned over in a pocket shows an
    upright thigh near 180°: such upright seconds are folded back."""
    return thigh_angle_of(ep.thigh_mean_g, cal, posture)


def thigh_angle_of(thigh_g: FloatArray, cal: ThighCalibration, posture: Int8Array) -> FloatArray:
    """:func:`thigh_angle_deg` from the thigh's per-second mean directions (n, 3)."""
    theta = angle_deg(unit_rows(thigh_g), cal.up)
    upright = (posture == Posture.UPRIGHT) | (posture == Posture.RIDING_STANDING)
    with np.errstate(invalid="ignore"):
        flipped = upright & (theta > 90.0)
    theta = np.where(flipped, 180.0 - theta, theta)
    return np.where(posture == Posture.NONWEAR, np.nan, theta)


def trunk_lean_deg(ep: Epochs, trunk: TrunkCalibration) -> FloatArray:
    """Sagittal forward lean of the trunk (deg, + forward)."""
    assert ep.trunk_mean_g is not None
    return trunk_lean_of(ep.trunk_mean_g, trunk)


def trunk_lean_of(trunk_g: FloatArray, trunk: TrunkCalibration) -> FloatArray:
    """:func:`trunk_lean_deg` from the trunk's per-second mean directions (n, 3)."""
    d = unit_rows(trunk_g)
    along_up = d @ trunk.up
    along_fwd = d @ trunk.forward
    # leaning forward tilts the specific force towards -forward
    return np.degrees(np.arctan2(-along_fwd, along_up))


def uses_trunk(ep: Epochs, trunk: TrunkCalibration | None) -> bool:
    """The trunk-thigh angle needs a trunk sensor whose forward direction is known."""
    return ep.trunk_mean_g is not None and trunk_known(trunk)


def trunk_known(trunk: TrunkCalibration | None) -> bool:
    """A trunk calibration whose forward direction is known (not provisional)."""
    return trunk is not None and trunk.source != "auto-provisional"


def hip_flexion_deg(
    ep: Epochs,
    thigh: ThighCalibration,
    posture: Int8Array,
    trunk: TrunkCalibration | None = None,
) -> FloatArray:
    theta = thigh_angle_deg(ep, thigh, posture)
    if not uses_trunk(ep, trunk):
        return theta
    assert trunk is not None
    return theta + trunk_lean_deg(ep, trunk)
