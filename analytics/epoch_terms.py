"""What several posture rules compute from the same epochs and calibrations.

Classification, the off-body test, lying, the hip angle and the live engine's hold
check each start from the same unit directions, angles and dead-still limit. A
caller that runs several of them computes these once (:meth:`EpochTerms.of`) and
passes them on; each rule computes its own when given none, the same values from
the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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
    """:func:`dead_still_limit_g` of the epochs."""
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


def dead_still_limit_g(ep: Epochs, p: PostureParams) -> float:
    """Per-second RMS deviation below which a sensor is dead still: ``nonwear_std_g``,
    or 1.5× this recording's own noise floor (1st percentile of the thigh's
    deviation over its still seconds) for a noisier sensor. Without still seconds
    (a walk, a live window of walking) there is no floor to measure."""
    with np.errstate(invalid="ignore"):
        still = ep.thigh_std_g[ep.thigh_std_g < p.still_std_g]
    floor = percentile_linear(still, 1.0) if still.size else 0.0
    return max(p.nonwear_std_g, 1.5 * floor)


def percentile_linear(values: FloatArray, q: float) -> float:
    """``np.percentile(values, q)`` (its default linear method, the same bits) of a
    non-empty 1-D array without NaN, from a partial sort of two order statistics:
    a live window asks for it a few times per step, where numpy's general
    machinery costs more than the sort."""
    n = int(values.shape[0])
    virtual = (n - 1) * (q / 100)
    if virtual >= n - 1:
        return float(values.max())
    lo = math.floor(virtual)
    part = np.partition(values, (lo, lo + 1))
    a, b = float(part[lo]), float(part[lo + 1])
    gamma = virtual - lo
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
