"""The live engine's classification step as it was before it shared work between its
rules and across steps (for the tests only): every window analysed whole, each rule
computing its own directions, angles and limits, the rhythm of every window computed
afresh, the hold check marking the off-body candidates again and the calibration
evidence gathered over the whole window. The tests check that the engine gives
exactly what this gives."""

from __future__ import annotations

import dataclasses

import numpy as np

from analytics.calibration_evidence import gather
from analytics.epoch_terms import dead_still_limit_g
from analytics.epochs import moving_seconds, with_trunk_deviation
from analytics.hip_angle import hip_flexion_deg, uses_trunk
from analytics.hip_revision import directions_of
from analytics.live import DATA_NONE, DATA_OFF, DATA_OK, Decided, LiveParams, WindowSeconds
from analytics.live import _has_data as has_data
from analytics.live_hold import offbody_undecided_from, ride_undecided_from
from analytics.live_window import WindowSamples
from analytics.orientation import PEDALLING_SOURCE, calibrate_thigh, calibrate_trunk
from analytics.params import PostureParams
from analytics.pipeline import Analysis, TrunkDeviation, analyze_recording
from analytics.posture import (
    apply_lying,
    classify_thigh,
    coasted_seconds,
    mark_off_body,
    off_body_candidates,
    smooth,
    whole_blocks,
)
from analytics.records import (
    BoolArray,
    Epochs,
    Posture,
    Recording,
    SeatLayout,
    ThighCalibration,
    Timeline,
    TrunkCalibration,
)
from analytics.rhythm import rhythm_features
from analytics.seat_pressure import SeatParams


def analyze_epochs(
    ep: Epochs,
    trunk_deviation: TrunkDeviation,
    p: PostureParams,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
) -> Analysis:
    cal = thigh or calibrate_thigh(ep, p)
    raw = classify_thigh(ep, cal, p)
    trunk_cal = trunk
    if trunk_cal is None and ep.trunk_mean_g is not None:
        trunk_cal = calibrate_trunk(ep, smooth(raw.posture, p), p)
    ep_off, candidates = ep, None
    if ep.trunk_mean_g is not None:
        candidates = off_body_candidates(ep, p)
        ep_off = trunk_deviation(ep, whole_blocks(candidates, p.frozen_block_s))
    marked = mark_off_body(raw.posture, ep_off, cal, trunk_cal, p, candidates)
    posture = smooth(apply_lying(marked, ep, trunk_cal, p), p)
    hip = hip_flexion_deg(ep, cal, posture, trunk_cal)
    if cal.source == PEDALLING_SOURCE:
        hip = np.full(ep.n, np.nan)
    timeline = Timeline(
        t0_s=ep.t0_s,
        posture=posture,
        hip_flexion_deg=np.asarray(hip, dtype=np.float64),
        reclined=raw.reclined & (posture == Posture.SITTING),
        hip_from_trunk=uses_trunk(ep, trunk_cal),
    )
    return Analysis(timeline=timeline, epochs=ep, thigh=cal, trunk=trunk_cal)


def analyze_window(
    ws: WindowSamples,
    p: PostureParams,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
) -> Analysis:
    ep, rec = ws.epochs, ws.thigh
    assert rec.thigh_acc_g is not None
    rp = PostureParams()
    share, stride, steady = rhythm_features(
        rec.t_s,
        rec.thigh_acc_g,
        ep.t0_s,
        ep.count,
        rp.rhythm_window_s,
        rp.gait_step_floor_hz,
        rp.rhythm_peak_min,
        wanted=moving_seconds(ep, rp),
    )
    ep = dataclasses.replace(
        ep, thigh_pedal_share=share, thigh_stride_ratio=stride, thigh_rhythm_steady=steady
    )
    trunk_rec = ws.trunk

    def deviation(e: Epochs, seconds: BoolArray) -> Epochs:
        return e if trunk_rec is None else with_trunk_deviation(trunk_rec, e, seconds)

    return analyze_epochs(ep, deviation, p, thigh, trunk)


def offbody_candidates(
    rec: Recording | WindowSamples, a: Analysis, p: PostureParams, last_i: int
) -> BoolArray:
    ep = a.epochs
    assert ep is not None
    assert a.thigh is not None
    n = ep.n
    if not float(ep.thigh_std_g[last_i]) < max(p.nonwear_std_g, 1.5 * p.still_std_g):
        return np.zeros(n, dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        dead = ep.thigh_std_g < dead_still_limit_g(ep, p)
    if not dead[last_i]:
        return np.zeros(n, dtype=np.bool_)
    ep_off, candidates = ep, None
    if ep.trunk_mean_g is not None:
        candidates = off_body_candidates(ep, p)
        trunk_rec = rec.trunk if isinstance(rec, WindowSamples) else rec
        if trunk_rec is not None:
            ep_off = with_trunk_deviation(trunk_rec, ep, whole_blocks(candidates, p.frozen_block_s))
    any_length = dataclasses.replace(p, nonwear_after_s=1)
    marked = mark_off_body(
        np.full(n, Posture.SITTING, dtype=np.int8), ep_off, a.thigh, a.trunk, any_length, candidates
    )
    cand = np.asarray(marked == Posture.NONWEAR, dtype=np.bool_)
    tail = (n // p.frozen_block_s) * p.frozen_block_s
    if 0 < tail < n and n - tail < p.frozen_block_s // 2:
        for i in range(tail, n):
            if not (dead[i] and cand[i - 1]):
                break
            cand[i] = True
    return cand


def classify(
    rec: Recording | WindowSamples,
    from_s: int,
    to_s: int,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
    p: PostureParams,
    seat_layout: SeatLayout | None,
    seat_params: SeatParams | None,
) -> tuple[WindowSeconds, Analysis | None]:
    n = to_s - from_s
    posture = np.full(n, Posture.NONWEAR, dtype=np.int8)
    hip = np.full(n, np.nan)
    data = np.full(n, DATA_NONE, dtype=np.int8)
    has = has_data(rec, from_s, n)
    if not has.any():
        return WindowSeconds(from_s, posture, hip, data), None
    if isinstance(rec, WindowSamples):
        a = analyze_window(rec, p, thigh, trunk)
    else:
        a = analyze_recording(
            rec, p, seat_layout=seat_layout, seat_params=seat_params, thigh=thigh, trunk=trunk
        )
    tl, seat = a.timeline, a.seat
    baseline = None
    if seat is not None and seat.baseline_source != "none":
        baseline = seat.end_baseline
    lo, hi = max(from_s, int(tl.t0_s)), min(to_s, int(tl.t0_s) + tl.n)
    if hi > lo:
        src = slice(lo - int(tl.t0_s), hi - int(tl.t0_s))
        posture[lo - from_s : hi - from_s] = tl.posture[src]
        hip[lo - from_s : hi - from_s] = tl.hip_flexion_deg[src]
    posture[~has] = Posture.NONWEAR
    hip[~has] = np.nan
    data[has] = np.where(posture[has] == Posture.NONWEAR, DATA_OFF, DATA_OK)
    return WindowSeconds(from_s, posture, hip, data, baseline), a


def decide_window(
    rec: Recording | WindowSamples,
    from_s: int,
    to_s: int,
    *,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
    params: PostureParams | None = None,
    live: LiveParams | None = None,
    seat_layout: SeatLayout | None = None,
    seat_params: SeatParams | None = None,
    end_s: int | None = None,
) -> Decided:
    """:func:`analytics.live.decide_window` the whole-window way."""
    p = params or PostureParams()
    lp = live or LiveParams()
    sec, a = classify(rec, from_s, to_s, thigh, trunk, p, seat_layout, seat_params)
    if a is None or a.epochs is None:
        return Decided(sec, None)
    t0 = int(a.timeline.t0_s)
    keep_i = to_s - t0
    tl = a.timeline.posture
    if end_s is not None and keep_i <= tl.shape[0]:
        end_i = end_s - t0
        coasting = None
        if a.thigh is not None and a.thigh.source == PEDALLING_SOURCE:
            coasting = coasted_seconds(tl, a.epochs, a.thigh, p)
        keep_i = min(keep_i, ride_undecided_from(tl, keep_i, end_i, lp.lag_s, p, coasting=coasting))
        if keep_i > 0 and a.thigh is not None:
            cand = offbody_candidates(rec, a, p, keep_i - 1)
            keep_i = min(keep_i, offbody_undecided_from(cand, tl, keep_i, end_i, lp.lag_s, p))
    keep_to = max(from_s, min(to_s, t0 + keep_i))
    n = keep_to - from_s
    sec = WindowSeconds(
        from_s, sec.posture[:n], sec.hip_flexion_deg[:n], sec.data[:n], sec.seat_baseline
    )
    evidence = None
    if a.thigh is not None and n > 0:
        lo, hi = max(0, from_s - t0), max(0, keep_to - t0)
        evidence = gather(a.epochs, a.timeline.posture, a.thigh, a.trunk, lo, hi, p)
    return Decided(sec, evidence, directions_of(a.epochs, from_s, n))
