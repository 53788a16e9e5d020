"""Explicit thigh calibration for a recording: the person says when they stood still.

:func:`analytics.orientation.calibrate_standing` gives ``up`` from samples of standing
still; ``forward`` (the direction the thigh points when seated, which signs the
hip-angle estimate and the reclined flag) then comes from the recording's own still
seated seconds, as in the automatic calibration. For recordings whose automatic
calibration fails (no walking, no standing found) or is doubtful.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from analytics.calibration_errors import CalibrationError
from analytics.geometry import unit_rows
from analytics.orientation import (
    calibrate_standing,
    calibrate_thigh,
    forward_from_sitting,
    still_seconds,
    valid_seconds,
)
from analytics.params import PostureParams
from analytics.records import Epochs, FloatArray, Recording, ThighCalibration

__all__ = ["auto_disagreement_deg", "calibrate_thigh_standing", "samples_between"]


def samples_between(rec: Recording, start_s: float, end_s: float) -> FloatArray:
    """The thigh accelerometer samples from ``start_s`` to ``end_s`` seconds after the
    recording's first sample."""
    if rec.thigh_acc_g is None:
        raise CalibrationError("the recording has no thigh accelerometer to calibrate")
    if not (math.isfinite(start_s) and math.isfinite(end_s) and 0.0 <= start_s < end_s):
        raise ValueError(f"the standing stretch {start_s:g}-{end_s:g} s is not a time range")
    t = rec.t_s - rec.t_s[0]
    sel = (t >= start_s) & (t < end_s)
    if not np.any(sel):
        raise CalibrationError(
            f"no samples from {start_s:g} to {end_s:g} s (the recording lasts "
            f"{float(t[-1]):.0f} s); give the seconds you stood still, counted from its start"
        )
    return np.asarray(rec.thigh_acc_g[sel], dtype=np.float64)


def calibrate_thigh_standing(
    standing_acc_g: FloatArray, ep: Epochs, p: PostureParams | None = None
) -> ThighCalibration:
    """Thigh calibration with ``up`` from samples of standing still and ``forward``
    from the still seated seconds of ``ep`` (provisional, confidence 0.5, without any).
    Raises CalibrationError when the samples are not still or not about 1 g."""
    p = p or PostureParams()
    thigh, _ = calibrate_standing(standing_acc_g, None, p)
    cal = replace(thigh, sit_threshold_deg=p.sit_threshold_deg)
    ok = valid_seconds(ep, p) & still_seconds(ep, p)
    forward, forward_known = forward_from_sitting(unit_rows(ep.thigh_mean_g)[ok], cal)
    confidence = 1.0 if forward_known else 0.5
    return replace(cal, forward=forward, confidence=confidence, source="standing")


def auto_disagreement_deg(
    cal: ThighCalibration, ep: Epochs, p: PostureParams | None = None
) -> float | None:
    """Angle between the explicit ``up`` and the one the automatic calibration finds
    (None when it finds none): a large one means the stretch given was not standing."""
    try:
        auto = calibrate_thigh(ep, p)
    except CalibrationError:
        return None
    cos = float(np.clip(np.dot(cal.up, auto.up), -1.0, 1.0))
    return math.degrees(math.acos(cos))
