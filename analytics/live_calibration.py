"""Calibrating the live engine: automatically while it holds the first seconds, and
on the person's ``calibrate`` command (answered in words)."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from analytics import alert_wording as wording
from analytics import posture_codes as code
from analytics.alert_records import Alert, AlertKind
from analytics.calibration_errors import CalibrationError
from analytics.calibration_evidence import Evidence
from analytics.live import analyze_calibrating, calibrate_window
from analytics.live_buffers import THIGH
from analytics.live_steps import EngineOutput
from analytics.live_window import WindowSamples
from analytics.orientation import PEDALLING_SOURCE
from analytics.records import Recording, ThighCalibration, TrunkCalibration

if TYPE_CHECKING:
    from analytics.live_engine import LiveEngine

log = logging.getLogger(__name__)


def recalibrate(engine: LiveEngine, t: float) -> Alert:
    """The person's ``calibrate`` command at data time ``t``: the automatic
    calibration again, from the last ``context_s`` of data; the answer in words."""
    ident = f"calibrate-{round(t * 1000)}"
    if engine.primary != THIGH:
        return Alert(
            ident,
            AlertKind.REJECTED,
            t,
            wording.calibration_needs_no_mat(),
            command="calibrate",
        )
    wm = engine._watermark()
    rec = None if wm is None else engine._window(wm - engine.live.context_s, wm + 1)
    try:
        if rec is None:
            raise CalibrationError("no thigh data yet; wear the sensor and try again")
        thigh, trunk = calibrate_window(rec, engine.posture_params)
    except CalibrationError as exc:
        return Alert(
            ident,
            AlertKind.REJECTED,
            t,
            wording.calibration_failed(str(exc)),
            command="calibrate",
        )
    # the day's stored hip angles so far, with the calibration they belong to (the
    # sensor may have moved): revised now, not later with the new one
    engine._revisions += engine.revise_day()
    engine.hip_day.clear()
    engine.thigh, engine.trunk = thigh, trunk
    engine.evidence = Evidence.empty()
    minutes = engine.live.context_s // 60
    return Alert(
        ident,
        AlertKind.STATUS,
        t,
        wording.calibrated_from(minutes),
        command="calibrate",
    )


CALIBRATION_TRY_S = 60.0
"""Seconds of data between two tries of the automatic calibration."""


def calibrate_or_hold(engine: LiveEngine, wm: float, final_to: int) -> int:
    """Try the automatic calibration (once a minute of data: it used to be tried at
    every call too once ten minutes were held, which for a sensor sending sample by
    sample was dozens of tries a second); the seconds that may be made final now
    (without a calibration: held, but no longer than ``calibration_hold_s``)."""
    assert engine.emitted_to is not None
    if wm - engine.last_calibration_try_s >= CALIBRATION_TRY_S:
        engine.last_calibration_try_s = wm
        # the step's window: per-second statistics kept across tries (a day that
        # never shows walking tries once a minute all day)
        rec = engine._step_window(engine.emitted_to, wm)
        if rec is not None:
            try:
                thigh, trunk = calibrate_window(rec, engine.posture_params)
                _adopt(engine, thigh, trunk, f"thigh sensor calibrated ({thigh.source})")
                return final_to
            except CalibrationError as exc:
                engine.counters.calibration_failures += 1
                engine.calibration_note = str(exc)
    return min(final_to, math.floor(wm) - engine.live.calibration_hold_s)


SEATED_NEEDED_S = 30
"""Seconds of sitting a window needs before the calibration is taken again from it
(the support the still-direction clusters need, ``analytics.orientation``)."""
ANCHOR_WAIT_MAX_S = 1800.0
"""The longest wait between two tries of :func:`anchor_up` (each failed try doubles
the wait from a minute: a day that never shows standing and sitting, a cyclist's,
costs a few tries, not one a minute)."""


def anchor_up(engine: LiveEngine, wm: float, window: WindowSamples | Recording | None) -> None:
    """Take the automatic calibration again, as at first, from the first window that
    shows standing still and sitting, when it was taken from walking alone (the
    first window is usually a walk): ``up`` is then the walking's mean direction,
    which a phone in a pocket tilts by up to 50° from the standing one, and the
    sitting threshold the default, where the batch pipeline, seeing the whole
    recording, takes the standing cluster near the walking direction and a
    threshold from the seated cluster. The learning from the seconds cannot correct
    that much: it judges what is upright by the calibration it refines. Tried once
    a minute of data (``wm``: the watermark), then after twice as long after each
    failed try, until such a window comes. ``window``: the step's window (its
    per-second statistics and rhythm windows are the step's own: a try costs the
    rules once more, not the epochs of the raw samples again).

    A calibration from pedalling alone (a day that starts on the bike) knows no
    "up": neither seated from standing nor the hip angle. It is taken again from
    the first window with walking, tried once a minute of data; it was
    kept all day, hip angles unknown, where the batch pipeline calibrates from the
    day's walking."""
    thigh = engine.thigh
    if thigh is None or engine.emitted_to is None:
        return
    pedalling = thigh.source == PEDALLING_SOURCE
    if not pedalling and (thigh.source != "auto" or thigh.upright_refs is not None):
        return
    wait = CALIBRATION_TRY_S if pedalling else engine.anchor_wait_s
    if wm - engine.last_calibration_try_s < wait:
        return
    engine.last_calibration_try_s = wm
    if not pedalling:
        engine.anchor_wait_s = min(2.0 * engine.anchor_wait_s, ANCHOR_WAIT_MAX_S)
    if window is None:
        return
    try:
        a = analyze_calibrating(window, engine.posture_params)
    except CalibrationError:
        return
    if a.thigh is None:  # pragma: no cover - a calibrating analysis has one
        return
    if pedalling:
        if a.thigh.source == "auto":  # walking, at last
            _adopt(
                engine,
                a.thigh,
                a.trunk,
                "thigh sensor calibrated from walking (it was from pedalling alone)",
            )
        return
    seated_s = int(np.count_nonzero(a.timeline.posture == code.SITTING))
    if a.thigh.upright_refs is not None and seated_s >= SEATED_NEEDED_S:
        _adopt(
            engine,
            a.thigh,
            a.trunk,
            "thigh sensor calibrated again, from standing still and sitting this time",
        )


def _adopt(
    engine: LiveEngine, thigh: ThighCalibration, trunk: TrunkCalibration | None, note: str
) -> None:
    """Use an automatic calibration from now on; what was learnt on the old one starts
    afresh."""
    engine.thigh, engine.trunk = thigh, trunk
    engine.evidence = Evidence.empty()
    log.info(note)


def held_status(engine: LiveEngine, final_to: int) -> EngineOutput:
    """The live status while the calibration holds every second: once a step of new
    data (``final_to``: where the step would end), not at every call (a sensor that
    sends sample by sample is processed after each message, and each status is a
    retained MQTT state and a Home Assistant state change)."""
    if final_to < engine._held_status_to + engine.live.step_s:
        return EngineOutput()
    engine._held_status_to = final_to
    return EngineOutput(status=engine.status())
