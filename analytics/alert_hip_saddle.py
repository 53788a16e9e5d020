"""The posture prompt (hip flexion past 90° sustained while seated), the cyclist's
ride and saddle prompt (continuous seated riding), each repeated per span.

Hip flexion is the one input taken from the engine: ``AlertInput.hip_gt90_s`` is the
time the hip has stayed above 90° while seated, from the engine's debounced state
(:func:`analytics.alert_records.hip_gt90_s_from_stream`). Saddle time follows
:mod:`analytics.saddle`: seated riding joined through stands on the pedals shorter
than ``ExposureParams.saddle_stand_s``.

The ride (cyclist profile, :func:`ride_view`): it starts at a riding step and goes on
through what the posture alone would not call riding. Sitting still on the saddle
after the last pedal stroke (freewheeling downhill, waiting at a light seated) is
seated riding up to ``freewheel_max_s``; an upright spell (a stop at a light,
standing astride the bike) keeps the ride going but gets no break feedback, and ends
the ride once it lasts ``exposure.break_s``: off the bike for a break (a café stop).
"""

from __future__ import annotations

import dataclasses

from analytics import alert_wording as wording
from analytics.alert_params import AlertParams
from analytics.alert_records import Alert, AlertInput, AlertKind, DataState
from analytics.alert_schedule import EPS_S, next_stand_offset_s, points, prompts_allowed
from analytics.alert_state import AlertWork
from analytics.records import Posture

_RIDING = (Posture.RIDING_SEATED, Posture.RIDING_STANDING)

# --- hip flexion ---------------------------------------------------------------------


def hip_reset(w: AlertWork) -> None:
    w.hip_span_start_t_s = None
    w.hip_last_s = 0.0
    w.hip_level = 0
    w.hip_acked = False


def hip_prompt(w: AlertWork, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
    """A seated step: a POSTURE prompt when the span above 90° reaches
    ``hip_prompt_after_s``, then every ``repeat_every_s`` (until acknowledged)."""
    h = inp.hip_gt90_s
    if h <= 0 or h < w.hip_last_s - EPS_S:
        hip_reset(w)  # not above, or a new span
    if h <= 0:
        return
    t, te = inp.t_s, inp.t_s + inp.dt_s
    if w.hip_span_start_t_s is None:
        w.hip_span_start_t_s = te - h
    w.hip_last_s = h
    level = points(p.hip_prompt_after_s, p.repeat_every_s, h)
    if level <= w.hip_level or w.hip_acked:
        return
    span = w.hip_span_start_t_s
    due = span + p.hip_prompt_after_s + (level - 1) * p.repeat_every_s
    at = w.earliest(due, t, p.prompt_gap_s)
    if at > te + EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
        return
    if _stand_prompt_soon(w, p, inp, at) or _saddle_prompt_soon(w, p, at, te):
        return  # it waits for that prompt and comes with it, as one message
    w.hip_level = level
    msg = wording.hip_posture(at - span)
    new.append(w.alert(AlertKind.POSTURE, at, span, msg, n=level, level=level))


def _stand_prompt_soon(w: AlertWork, p: AlertParams, inp: AlertInput, at_s: float) -> bool:
    """A stand prompt of the running bout is due after ``at_s`` but within
    ``prompt_gap_s`` of it (not while riding: the saddle prompts replace it)."""
    start = w.bout_start_t_s
    if start is None or (p.cyclist and inp.posture == Posture.RIDING_SEATED):
        return False
    offset = next_stand_offset_s(p, w.bout_level, w.acked_phase)
    if offset is None:
        return False
    due = start + w.bout_delay_s + offset
    return at_s + EPS_S < due < at_s + p.prompt_gap_s - EPS_S


def _saddle_prompt_soon(w: AlertWork, p: AlertParams, at_s: float, step_end_s: float) -> bool:
    """The running saddle bout's next saddle prompt is due after this step but within
    ``prompt_gap_s`` of ``at_s``: the saddle prompt keeps its minute."""
    start = w.saddle_start_t_s
    if not p.cyclist or start is None or w.saddle_acked:
        return False
    if w.saddle_level > 0 and p.repeat_every_s <= 0:
        return False
    due = start + p.saddle_prompt_after_s + w.saddle_level * p.repeat_every_s
    return step_end_s + EPS_S < due < at_s + p.prompt_gap_s - EPS_S


# --- ride and saddle -----------------------------------------------------------------


def ride_view(w: AlertWork, p: AlertParams, inp: AlertInput) -> AlertInput:
    """The step as the ride sees it (cyclist profile): sitting within
    ``freewheel_max_s`` of the last riding step is seated riding. Tracks the ride
    (:attr:`AlertWork.ride_end_t_s`; :func:`in_ride`)."""
    if not p.cyclist:
        return inp
    te = inp.t_s + inp.dt_s
    ok = inp.data == DataState.OK
    if ok and inp.posture in _RIDING:
        if w.ride_end_t_s is None:
            w.ride_stands = 0  # a new ride
        w.ride_end_t_s = te
        return inp
    if w.ride_end_t_s is None:
        return inp
    sitting = ok and inp.posture == Posture.SITTING
    limit = p.freewheel_max_s if sitting else p.exposure.break_s
    if te - w.ride_end_t_s > limit + EPS_S:
        w.ride_end_t_s = None  # off the bike
        return inp
    return dataclasses.replace(inp, posture=Posture.RIDING_SEATED) if sitting else inp


def in_ride(w: AlertWork, p: AlertParams) -> bool:
    """On a ride (after :func:`ride_view` of the step): an upright spell here is a
    stop, not a break being taken, until it lasts a break."""
    return p.cyclist and w.ride_end_t_s is not None


def saddle_end(w: AlertWork) -> None:
    w.saddle_start_t_s = None
    w.saddle_level = 0
    w.saddle_acked = False


def saddle_track(w: AlertWork, p: AlertParams, inp: AlertInput) -> None:
    """Seated riding bouts as analytics.saddle: joined through short stands on the
    pedals, ended by a long stand (counted in ``ride_stands``) or by anything that is
    not riding."""
    t, te = inp.t_s, inp.t_s + inp.dt_s
    ok = inp.data == DataState.OK
    if ok and inp.posture == Posture.RIDING_STANDING:
        if w.saddle_stand_t_s is None:
            w.saddle_stand_t_s = t
        long_s = p.exposure.saddle_stand_s - EPS_S
        if te - w.saddle_stand_t_s >= long_s:
            if t - w.saddle_stand_t_s < long_s:
                w.ride_stands += 1
            saddle_end(w)
        return
    w.saddle_stand_t_s = None
    if ok and inp.posture == Posture.RIDING_SEATED:
        if w.saddle_start_t_s is None:
            w.saddle_start_t_s = t
    else:
        saddle_end(w)


def saddle_prompt(w: AlertWork, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
    """A seated riding step (cyclist profile): a SADDLE prompt when the saddle bout
    reaches ``saddle_prompt_after_s``, then every ``repeat_every_s``."""
    start = w.saddle_start_t_s
    assert start is not None
    t, te = inp.t_s, inp.t_s + inp.dt_s
    level = points(p.saddle_prompt_after_s, p.repeat_every_s, te - start)
    if level <= w.saddle_level or w.saddle_acked:
        return
    due = start + p.saddle_prompt_after_s + (level - 1) * p.repeat_every_s
    at = w.earliest(due, t, p.prompt_gap_s)
    if at > te + EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
        return
    w.saddle_level = level
    msg = wording.saddle(at - start, p.exposure.saddle_stand_s)
    saddle_min = (at - start) / 60.0
    new.append(
        w.alert(AlertKind.SADDLE, at, start, msg, n=level, level=level, saddle_minutes=saddle_min)
    )
