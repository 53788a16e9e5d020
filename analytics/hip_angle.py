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

from typing import Protocol

import numpy as np

from analytics import posture_codes as code
from analytics.geometry import angle_deg, unit_rows
from analytics.records import (
    Epochs,
    FloatArray,
    Int8Array,
    ThighCalibration,
    TrunkCalibration,
)


class AngleTerms(Protocol):
    """What the hip angle takes of :class:`analytics.epoch_terms.EpochTerms` (the
    angles a caller has already computed from the same epochs and calibrations)."""

    @property
    def thigh_deg(self) -> FloatArray: ...

    @property
    def trunk_lean_deg(self) -> FloatArray | None: ...


def thigh_angle_deg(
    ep: Epochs, cal: ThighCalibration, posture: Int8Array, *, terms: AngleTerms | None = None
) -> FloatArray:
    """Thigh angle from upright (0..180°). A sensor turned over in a pocket shows an
    upright thigh near 180°: such upright seconds are folded back."""
    theta = None if terms is None else terms.thigh_deg
    return thigh_angle_of(ep.thigh_mean_g, cal, posture, theta_deg=theta)


def thigh_angle_of(
    thigh_g: FloatArray,
    cal: ThighCalibration,
    posture: Int8Array,
    *,
    theta_deg: FloatArray | None = None,
) -> FloatArray:
    """:func:`thigh_angle_deg` from the thigh's per-second mean directions (n, 3)
    (``theta_deg``: their angle from ``cal.up`` when the caller has it)."""
    theta = angle_deg(unit_rows(thigh_g), cal.up) if theta_deg is None else theta_deg
    upright = (posture == code.UPRIGHT) | (posture == code.RIDING_STANDING)
    with np.errstate(invalid="ignore"):
        flipped = upright & (theta > 90.0)
    theta = np.where(flipped, 180.0 - theta, theta)
    return np.where(posture == code.NONWEAR, np.nan, theta)


def trunk_lean_deg(
    ep: Epochs, trunk: TrunkCalibration, *, dt: FloatArray | None = None
) -> FloatArray:
    """Sagittal forward lean of the trunk (deg, + forward; ``dt``: the unit rows of
    ``ep.trunk_mean_g`` when the caller has them)."""
    assert ep.trunk_mean_g is not None
    return trunk_lean_of(ep.trunk_mean_g, trunk, dt=dt)


def trunk_lean_of(
    trunk_g: FloatArray, trunk: TrunkCalibration, *, dt: FloatArray | None = None
) -> FloatArray:
    """:func:`trunk_lean_deg` from the trunk's per-second mean directions (n, 3)."""
    d = unit_rows(trunk_g) if dt is None else dt
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
    *,
    terms: AngleTerms | None = None,
) -> FloatArray:
    """``terms``: computed from the same epochs and calibrations, when the caller has
    them (:class:`analytics.epoch_terms.EpochTerms`)."""
    theta = thigh_angle_deg(ep, thigh, posture, terms=terms)
    if not uses_trunk(ep, trunk):
        return theta
    assert trunk is not None
    if terms is not None and terms.trunk_lean_deg is not None:
        return theta + terms.trunk_lean_deg
    return theta + trunk_lean_deg(ep, trunk)
