"""What several posture rules compute from the same epochs and calibrations.

Classification, the off-body test, lying, the hip angle and the live engine's hold
check each start from the same unit directions, angles and dead-still limit. A
caller that runs several of them computes these once (:meth:`EpochTerms.of`) and
passes them on; each rule computes its own when given none, the same values from
the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.geometry import angle_deg, unit_rows
from analytics.hip_angle import trunk_lean_deg
from analytics.params import PostureParams
from analytics.records import Epochs, FloatArray, ThighCalibration, TrunkCalibration


@dataclass(frozen=True, slots=True)
class EpochTerms:
    thigh_dir: FloatArray
    """``unit_rows(ep.thigh_mean_g)``."""
    thigh_deg: FloatArray
    """Angle of ``thigh_dir`` from the thigh's ``up`` (0..180°)."""
    still_limit_g: float
    """:func:`analytics.posture.dead_still_limit_g` of the epochs."""
    trunk_dir: FloatArray | None = None
    """``unit_rows(ep.trunk_mean_g)`` (None without trunk epochs)."""
    trunk_deg: FloatArray | None = None
    """Angle of ``trunk_dir`` from the trunk's ``up`` (None without a trunk
    calibration and trunk epochs)."""
    trunk_lean_deg: FloatArray | None = None
    """:func:`analytics.hip_angle.trunk_lean_deg` (None as ``trunk_deg``)."""

    @staticmethod
    def of(
        ep: Epochs,
        p: PostureParams,
        thigh: ThighCalibration,
        trunk: TrunkCalibration | None,
        thigh_dir: FloatArray | None = None,
    ) -> EpochTerms:
        from analytics.posture import dead_still_limit_g  # posture uses these terms

        d = unit_rows(ep.thigh_mean_g) if thigh_dir is None else thigh_dir
        theta = angle_deg(d, thigh.up)
        limit = dead_still_limit_g(ep, p)
        if ep.trunk_mean_g is None:
            return EpochTerms(d, theta, limit)
        dt = unit_rows(ep.trunk_mean_g)
        if trunk is None:
            return EpochTerms(d, theta, limit, dt)
        return EpochTerms(
            d, theta, limit, dt, angle_deg(dt, trunk.up), trunk_lean_deg(ep, trunk, dt=dt)
        )
