"""The alert policy of the live service: what to tell the person, step by step (pure).

The live service calls :func:`step` once per step of the posture timeline (or
:func:`run` with a batch of steps) with an :class:`~analytics.alert_records.AlertInput`
for that step, and :func:`analytics.alert_commands.apply_command` when the person
snoozes or acknowledges; both return the new
:class:`~analytics.alert_state.AlertState` and the alerts to publish. No clock, no
I/O: time is the step's ``t_s`` (Unix seconds) and local time comes from the
``local_offset_s`` the caller passes in (the shell owns the time zone).

This module holds the compression bout, the break feedback, the stand prompts and
the sensor status; the posture and saddle prompts are in
:mod:`analytics.alert_hip_saddle`, when levels are due and the allowed hours in
:mod:`analytics.alert_schedule`, the wording in :mod:`analytics.alert_wording`.

**Why the policy follows the posture itself rather than the engine's events.**
:mod:`analytics.streaming` reports bouts as events (``bout_started``,
``bout_minutes``, ``micro_break``, ``break_taken``, ``gap_started`` …), but the
alert policy needs things those events do not carry, at the moment they happen:

* the moment the person *stands up* inside a bout ("break in progress"): the
  engine only reports a relief spell when it ends (``micro_break``) or reaches
  the break length (``break_taken``);
* a bout clock that a snooze can shift: ``bout_minutes`` come at fixed minutes;
* per-step facts the engine does not see (battery, the kind of gap, local time).

Events from a chunk also arrive together, some dated in the past (the hip
events are debounced). So the policy tracks the bout clock from the per-step
posture with the engine's own rules, helpers and parameters
(``AlertParams.exposure``), which keeps it exactly consistent with
:mod:`analytics.compression` (a property test checks that the break feedback
coincides with the engine's ``break_taken`` / ``micro_break`` events):

* step classes come from :func:`analytics.compression.step_classes` (sitting and
  seated riding compress; upright, standing on the pedals and lying relieve;
  non-wear is a gap), and a step whose ``data`` is not ``OK`` is a gap too;
* a bout starts on a seated step; an upright spell reaches a break after
  :func:`analytics.compression.break_steps` steps, at ``spell start +
  break_s``; sitting again earlier is a micro-break (the clock runs on);
* a gap (never a break, never "break complete") shorter than ``break_s``
  pauses the bout: the prompt schedule and an upright spell move on by its length
  (:mod:`analytics.pauses`); a gap of ``break_s`` ends the bout as interrupted.

Definitions (prompt schedule, adherence counters, commands) are in
``docs/alerts.md`` and on the fields of the records.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

import numpy as np

from analytics import alert_wording as wording
from analytics.adherence import (
    break_counts,
    break_done_s,
    break_outcome,
    gap_counts,
    prompt_counts,
    taken_by_s,
)
from analytics.alert_hip_saddle import (
    hip_prompt,
    hip_reset,
    in_ride,
    ride_view,
    saddle_prompt,
    saddle_track,
)
from analytics.alert_params import AlertParams
from analytics.alert_records import PROMPTS, Alert, AlertInput, AlertKind, DataState, Status
from analytics.alert_schedule import (
    EPS_S,
    prompts_allowed,
    stand_level,
    stand_offset_s,
    stand_phase,
)
from analytics.alert_state import AlertState, AlertWork
from analytics.compression import GAP, RELIEF, SEATED, break_steps, step_classes
from analytics.records import Posture

_CLASS_OF: dict[Posture, int] = dict(
    zip(
        Posture,
        step_classes(np.array([int(p) for p in Posture], dtype=np.int8)).tolist(),
        strict=True,
    )
)


# --- public functions ----------------------------------------------------------------


def step(state: AlertState, params: AlertParams, inp: AlertInput) -> tuple[AlertState, list[Alert]]:
    """Consume one step. A step that starts before the end of the last one is ignored
    (a replay overlapping the saved state); a step that starts later than that end
    makes the missing time a gap (no data)."""
    w = AlertWork.of(state)
    out: list[Alert] = []
    _consume(w, params, inp, out)
    return w.freeze(), out


def run(
    state: AlertState, params: AlertParams, inputs: Iterable[AlertInput]
) -> tuple[AlertState, list[Alert]]:
    """Consume a batch of steps: the same as :func:`step` on each, in order."""
    w = AlertWork.of(state)
    out: list[Alert] = []
    for inp in inputs:
        _consume(w, params, inp, out)
    return w.freeze(), out


def pause(state: AlertState, gap_s: float) -> AlertState:
    """Move the policy over ``gap_s`` seconds of the service's own downtime (a restart
    shorter than a break) without a gap: the running bout, upright spell, hip and
    saddle spans and the taken-break deadline all move on by ``gap_s``, so their
    clocks keep the length they had. Snoozes keep their end time. See
    :func:`analytics.stream_state.pause`."""
    if not (math.isfinite(gap_s) and gap_s >= 0):
        raise ValueError(f"gap_s must be a finite number >= 0, got {gap_s!r}")

    def later(t: float | None) -> float | None:
        return None if t is None else t + gap_s

    return dataclasses.replace(
        state,
        next_t_s=later(state.next_t_s),
        bout_start_t_s=later(state.bout_start_t_s),
        relief_start_t_s=later(state.relief_start_t_s),
        taken_deadline_t_s=later(state.taken_deadline_t_s),
        hip_span_start_t_s=later(state.hip_span_start_t_s),
        saddle_start_t_s=later(state.saddle_start_t_s),
        saddle_stand_t_s=later(state.saddle_stand_t_s),
        ride_end_t_s=later(state.ride_end_t_s),
        gap_start_t_s=later(state.gap_start_t_s),
        status_gap_t_s=later(state.status_gap_t_s),
        back_from_t_s=later(state.back_from_t_s),
    )


# --- one step ------------------------------------------------------------------------


def _consume(w: AlertWork, p: AlertParams, inp: AlertInput, out: list[Alert]) -> None:
    t = inp.t_s
    if w.next_t_s is not None:
        if t < w.next_t_s - EPS_S:
            return  # already consumed (a replay overlapping the saved state)
        if t > w.next_t_s + EPS_S:  # missing steps: a gap, never a break
            gap = AlertInput(
                t_s=w.next_t_s,
                posture=Posture.NONWEAR,
                dt_s=t - w.next_t_s,
                local_offset_s=inp.local_offset_s,
                data=DataState.NO_DATA,
                battery_low=w.battery_low,
            )
            _segment(w, p, gap, out)
    _segment(w, p, inp, out)


def _segment(w: AlertWork, p: AlertParams, inp: AlertInput, out: list[Alert]) -> None:
    inp = ride_view(w, p, inp)
    t, te = inp.t_s, inp.t_s + inp.dt_s
    w.local_offset_s = inp.local_offset_s
    w.roll_day(t)
    cls = GAP if inp.data != DataState.OK else _CLASS_OF[inp.posture]
    new: list[Alert] = []
    if inp.battery_low and not w.battery_low:
        msg = wording.STATUS[Status.BATTERY_LOW]
        new.append(w.alert(AlertKind.STATUS, t, t, msg, bout=False, n=1, status=Status.BATTERY_LOW))
    w.battery_low = inp.battery_low
    _gap_status(w, p, inp, cls, new)
    saddle_track(w, p, inp)
    if cls == SEATED:
        if w.bout_start_t_s is None:
            _new_bout(w, t)
        elif w.relief_start_t_s is not None:
            _micro_break(w, p, t, new)
        _stand_prompt(w, p, inp, new)
    elif cls == RELIEF:
        _relief_step(w, p, inp, new)
    elif w.bout_start_t_s is not None:  # a gap: a pause until it lasts a break
        gap_start = w.gap_start_t_s if w.gap_start_t_s is not None else t
        if te - gap_start < p.exposure.break_s - EPS_S:
            _pause_bout(w, inp.dt_s)
        else:
            w.count(gap_counts(prompted=w.bout_phase > 0))
            _end_bout(w)
    if cls == SEATED:
        hip_prompt(w, p, inp, new)
    else:
        hip_reset(w)
    if p.cyclist and inp.posture == Posture.RIDING_SEATED and cls == SEATED:
        saddle_prompt(w, p, inp, new)
    w.next_t_s = te
    if not new:
        return
    new = _one_prompt(w, new)
    new.sort(key=lambda a: a.t_s)  # stable: same-time alerts keep their order
    out.extend(new)


_LEAD = {AlertKind.SADDLE: 1, AlertKind.POSTURE: 2}
"""Which prompt leads a merged one: a stand prompt (0), then saddle, then posture."""


def _one_prompt(w: AlertWork, new: list[Alert]) -> list[Alert]:
    """The prompts raised in one step (each already spaced ``prompt_gap_s`` after the
    last prompt) become one alert: the leading prompt, with the others' messages."""
    prompts = sorted((a for a in new if a.kind in PROMPTS), key=lambda a: _LEAD.get(a.kind, 0))
    if not prompts:
        return new
    lead, rest = prompts[0], prompts[1:]
    w.last_prompt_t_s = lead.t_s
    if not rest:
        return new
    one = dataclasses.replace(
        lead,
        message=wording.merged([lead.message, *(a.message for a in rest)]),
        also=tuple(a.kind for a in rest),
        saddle_minutes=next((a.saddle_minutes for a in prompts if a.saddle_minutes), None),
    )
    return [one if a is lead else a for a in new if not any(a is r for r in rest)]


def _gap_status(w: AlertWork, p: AlertParams, inp: AlertInput, cls: int, new: list[Alert]) -> None:
    t, te = inp.t_s, inp.t_s + inp.dt_s
    if cls != GAP:
        w.gap_start_t_s = None
        if w.gap_status is not None:
            _data_back(w, p, t, te, new)
        return
    # a gap while "back" is pending: the data did not last, it is the same gap
    w.back_from_t_s = None
    if w.gap_start_t_s is None:
        w.gap_start_t_s = t
    status = Status.NO_DATA if inp.data == DataState.NO_DATA else Status.SENSOR_OFF
    ready = w.gap_start_t_s + p.status_after_s
    at = max(ready, t)
    # reported once the gap has lasted status_after_s and still goes on a second later
    # ("off" and "back" never share a second), once per gap: a gap that turns from no
    # data to non-wear (or back) is not reported again (the live status shows which)
    if te >= at + 1.0 - EPS_S and w.gap_status is None:
        w.gap_reports += 1
        w.gap_status = status.value
        w.status_gap_t_s = w.gap_start_t_s
        new.append(
            w.alert(
                AlertKind.STATUS,
                at,
                w.gap_start_t_s,
                wording.STATUS[status],
                bout=False,
                n=w.gap_reports,
                status=status,
            )
        )


def _data_back(w: AlertWork, p: AlertParams, t: float, te: float, new: list[Alert]) -> None:
    """Data after a reported gap: "back" once it has flowed ``back_after_s`` and still
    flows a second later (never in the second of the "off", one per gap)."""
    if w.back_from_t_s is None:
        w.back_from_t_s = t
    at = max(w.back_from_t_s + p.back_after_s, t)
    if te < at + 1.0 - EPS_S:
        return
    anchor = w.status_gap_t_s if w.status_gap_t_s is not None else w.back_from_t_s
    back = Status.DATA_BACK
    msg = wording.STATUS[back]
    new.append(w.alert(AlertKind.STATUS, at, anchor, msg, bout=False, n=0, status=back))
    w.gap_status, w.gap_reports, w.status_gap_t_s, w.back_from_t_s = None, 0, None, None


# --- compression bout ----------------------------------------------------------------


def _new_bout(w: AlertWork, t: float) -> None:
    _end_bout(w)
    w.bout_start_t_s = t


def _pause_bout(w: AlertWork, dt_s: float) -> None:
    """A gap step shorter than a break: the bout clock, the upright spell and the
    taken-break deadline move on by it (as analytics.streaming does)."""
    w.bout_delay_s += dt_s
    if w.relief_start_t_s is not None:
        w.relief_start_t_s += dt_s
    if w.taken_deadline_t_s is not None:
        w.taken_deadline_t_s += dt_s


def _end_bout(w: AlertWork) -> None:
    w.bout_start_t_s = None
    w.bout_delay_s = 0.0
    w.bout_level = w.bout_phase = w.acked_phase = 0
    w.taken_deadline_t_s = None
    w.relief_start_t_s = None
    w.relief_feedback = False


def _micro_break(w: AlertWork, p: AlertParams, t: float, new: list[Alert]) -> None:
    assert w.relief_start_t_s is not None
    up = t - w.relief_start_t_s
    if w.relief_feedback:
        msg = wording.break_too_short(up, p.exposure.break_s)
        new.append(
            w.alert(
                AlertKind.BREAK_TOO_SHORT,
                t,
                w.relief_start_t_s,
                msg,
                upright_s=up,
                minutes_at_s=w.relief_start_t_s,
            )
        )
    w.relief_start_t_s = None
    w.relief_feedback = False


def _relief_step(w: AlertWork, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
    start = w.bout_start_t_s
    if start is None:
        return
    t, te = inp.t_s, inp.t_s + inp.dt_s
    if w.relief_start_t_s is None:
        w.relief_start_t_s = t
        on_bike = in_ride(w, p)  # standing on the pedals, or a stop at a light
        due = w.bout_phase > 0 or (
            t - start >= p.prompt_after_s - EPS_S and prompts_allowed(p, t, inp.local_offset_s)
        )
        w.relief_feedback = due and not on_bike
        if w.relief_feedback:
            msg = wording.break_started(p.stand_for_s)
            new.append(w.alert(AlertKind.BREAK_STARTED, t, t, msg, stand_for_s=p.stand_for_s))
    rs = w.relief_start_t_s
    if round((te - rs) / inp.dt_s) < break_steps(p.exposure, inp.dt_s):
        return
    break_s = p.exposure.break_s
    done = break_done_s(rs, break_s)
    deadline = w.taken_deadline_t_s if w.bout_phase > 0 else None
    w.count(break_counts(break_outcome(done, deadline)))
    if w.relief_feedback:
        msg = wording.break_complete(break_s)
        new.append(
            w.alert(AlertKind.BREAK_COMPLETE, done, rs, msg, upright_s=break_s, minutes_at_s=rs)
        )
    _end_bout(w)


def _stand_prompt(w: AlertWork, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
    start = w.bout_start_t_s
    assert start is not None
    if p.cyclist and inp.posture == Posture.RIDING_SEATED:
        return  # the saddle prompts cover riding
    t, te = inp.t_s, inp.t_s + inp.dt_s
    level = stand_level(p, te - start - w.bout_delay_s)
    if level <= w.bout_level:
        return
    phase = stand_phase(p, level)
    if phase == w.acked_phase:
        return
    at = w.earliest(start + w.bout_delay_s + stand_offset_s(p, level), t, p.prompt_gap_s)
    if at > te + EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
        return
    if phase == 1:
        kind = AlertKind.PROMPT if w.bout_phase == 0 else AlertKind.REPEAT
    else:
        kind = AlertKind.ESCALATION if w.bout_phase < 2 else AlertKind.REPEAT
    w.count(prompt_counts(after_prompt=w.bout_phase > 0))  # the last one passed unheeded
    w.bout_level, w.bout_phase = level, phase
    w.taken_deadline_t_s = taken_by_s(at, p.taken_within_s)
    msg = wording.stand_prompt(kind, at - start, p.stand_for_s)
    new.append(w.alert(kind, at, start, msg, n=level, level=level, stand_for_s=p.stand_for_s))
