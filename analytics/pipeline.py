"""From a recording to the per-second timeline: calibration, posture, hip angle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.epochs import epochs_from_recording
from analytics.hip_angle import hip_flexion_deg
from analytics.orientation import calibrate_thigh, calibrate_trunk
from analytics.params import PostureParams
from analytics.posture import apply_lying, classify_thigh, smooth
from analytics.records import (
    Epochs,
    Recording,
    ThighCalibration,
    Timeline,
    TrunkCalibration,
)


@dataclass(frozen=True, slots=True)
class Analysis:
    timeline: Timeline
    epochs: Epochs
    thigh: ThighCalibration
    trunk: TrunkCalibration | None


def analyze_thigh(
    rec: Recording,
    params: PostureParams | None = None,
    thigh: ThighCalibration | None = None,
    trunk: TrunkCalibration | None = None,
) -> Analysis:
    """Posture and hip flexion per second from thigh (and trunk) accelerometers.

    Pass ``thigh``/``trunk`` calibrations from an explicit calibration step to skip
    the automatic one (live use); otherwise the recording calibrates itself.
    """
    p = params or PostureParams()
    if rec.thigh_acc_g is None:
        raise ValueError("the recording has no thigh accelerometer")
    ep = epochs_from_recording(rec)
    cal = thigh or calibrate_thigh(ep, p)
    raw = classify_thigh(ep, cal, p)
    trunk_cal = trunk
    if trunk_cal is None and ep.trunk_mean_g is not None:
        trunk_cal = calibrate_trunk(ep, smooth(raw.posture, p), p)
    posture = smooth(apply_lying(raw.posture, ep, trunk_cal, p), p)
    hip = hip_flexion_deg(ep, cal, posture, trunk_cal)
    reclined = raw.reclined & (posture == 1)
    timeline = Timeline(
        t0_s=ep.t0_s,
        posture=posture,
        hip_flexion_deg=np.asarray(hip, dtype=np.float64),
        reclined=reclined,
        hip_from_trunk=trunk_cal is not None,
    )
    return Analysis(timeline=timeline, epochs=ep, thigh=cal, trunk=trunk_cal)
