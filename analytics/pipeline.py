"""From a recording to the per-second timeline: calibration, posture, hip angle."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analytics import posture_codes as code
from analytics.epoch_terms import EpochTerms
from analytics.epochs import epochs_from_recording, with_trunk_deviation
from analytics.geometry import unit_rows
from analytics.hip_angle import hip_flexion_deg, uses_trunk
from analytics.orientation import PEDALLING_SOURCE, calibrate_thigh, calibrate_trunk
from analytics.params import PostureParams
from analytics.posture import (
    OffBodySeconds,
    apply_lying,
    classify_thigh,
    off_body_candidates,
    off_body_runs,
    off_body_seconds,
    smooth,
    whole_blocks,
)
from analytics.records import (
    BoolArray,
    Epochs,
    Recording,
    SeatLayout,
    ThighCalibration,
    Timeline,
    TrunkCalibration,
)
from analytics.seat_pressure import SeatParams, SeatSeconds, seat_posture, seat_seconds
from analytics.smoothing import enforce_posture_hold


@dataclass(frozen=True, slots=True)
class Analysis:
    """A recording's timeline and how it was obtained. ``thigh`` is None for seat-only
    data; ``seat`` holds the seat-mat features when a mat was recorded."""

    timeline: Timeline
    epochs: Epochs | None
    thigh: ThighCalibration | None
    trunk: TrunkCalibration | None
    seat: SeatSeconds | None = None
    terms: EpochTerms | None = None
    """What the thigh's rules shared (see :mod:`analytics.epoch_terms`)."""
    off_body: OffBodySeconds | None = None
    """The seconds the off-body test marks once a run lasts long enough (see
    :func:`analytics.posture.off_body_seconds`)."""


TrunkDeviation = Callable[[Epochs, BoolArray], Epochs]
"""Fills ``Epochs.trunk_std_g`` for the given seconds (NaN elsewhere): from the raw
samples (:func:`analytics.epochs.with_trunk_deviation`) or from a precomputed array."""


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
    if rec.thigh_acc_g is None:
        raise ValueError("the recording has no thigh accelerometer")
    ep = epochs_from_recording(rec)
    return analyze_epochs(
        ep, lambda e, seconds: with_trunk_deviation(rec, e, seconds), params, thigh, trunk
    )


def analyze_epochs(
    ep: Epochs,
    trunk_deviation: TrunkDeviation,
    params: PostureParams | None = None,
    thigh: ThighCalibration | None = None,
    trunk: TrunkCalibration | None = None,
) -> Analysis:
    """:func:`analyze_thigh` from the per-second epochs of the thigh (and trunk)."""
    p = params or PostureParams()
    cal = thigh or calibrate_thigh(ep, p)
    d = unit_rows(ep.thigh_mean_g)
    raw = classify_thigh(ep, cal, p, d=d)
    trunk_cal = trunk
    if trunk_cal is None and ep.trunk_mean_g is not None:
        trunk_cal = calibrate_trunk(ep, smooth(raw.posture, p), p)
    terms = EpochTerms.of(ep, p, cal, trunk_cal, thigh_dir=d)
    ep_off, candidates = ep, None
    if ep.trunk_mean_g is not None:
        candidates = off_body_candidates(ep, p, still_limit_g=terms.still_limit_g)
        blocks = whole_blocks(candidates, p.frozen_block_s)
        ep_off = trunk_deviation(ep, blocks)
    # (the deviation only adds trunk_std_g: the terms hold for ep_off too)
    off_body = off_body_seconds(ep_off, cal, trunk_cal, p, candidates, terms=terms)
    marked = off_body_runs(raw.posture, off_body, p)
    posture = smooth(apply_lying(marked, ep, trunk_cal, p, terms=terms), p)
    hip = hip_flexion_deg(ep, cal, posture, trunk_cal, terms=terms)
    if cal.source == PEDALLING_SOURCE:  # which way is up is unknown: no hip angle
        hip = np.full(ep.n, np.nan)
    reclined = raw.reclined & (posture == code.SITTING)
    timeline = Timeline(
        t0_s=ep.t0_s,
        posture=posture,
        hip_flexion_deg=np.asarray(hip, dtype=np.float64),
        reclined=reclined,
        hip_from_trunk=uses_trunk(ep, trunk_cal),
    )
    return Analysis(
        timeline=timeline,
        epochs=ep,
        thigh=cal,
        trunk=trunk_cal,
        terms=terms,
        off_body=off_body,
    )


def analyze_recording(
    rec: Recording,
    params: PostureParams | None = None,
    *,
    seat_layout: SeatLayout | None = None,
    seat_params: SeatParams | None = None,
    thigh: ThighCalibration | None = None,
    trunk: TrunkCalibration | None = None,
) -> Analysis:
    """Thigh (and trunk) when present, else the seat mat; seat features either way.

    Seat-only posture: occupied → sitting, empty → upright (off this seat), no data →
    non-wear, with the same 10 s rule; no hip angle.
    """
    p = params or PostureParams()
    seat = None
    if rec.seat_p is not None:
        layout = seat_layout or default_layout(rec.seat_p.shape[1])
        seat = seat_seconds(rec.t_s, rec.seat_p, layout, seat_params or SeatParams())
    if rec.thigh_acc_g is not None:
        a = analyze_thigh(rec, p, thigh, trunk)
        return dataclasses.replace(a, seat=seat)
    if seat is None:
        raise ValueError("the recording has neither a thigh accelerometer nor seat cells")
    posture = enforce_posture_hold(seat_posture(seat), p.posture_hold_s)
    tl = Timeline(
        t0_s=seat.t0_s,
        posture=posture,
        hip_flexion_deg=np.full(seat.n, np.nan),
        reclined=np.zeros(seat.n, dtype=np.bool_),
    )
    return Analysis(tl, None, None, None, seat)


def default_layout(n_cells: int) -> SeatLayout:
    """A square grid when the cell count is a square number (8×8 = 64 …)."""
    side = math.isqrt(n_cells)
    if side * side != n_cells:
        raise ValueError(
            f"{n_cells} seat cells do not form a square grid; give the layout "
            "(rows x columns) in the configuration or with --seat-layout"
        )
    return SeatLayout.grid(side, side)
