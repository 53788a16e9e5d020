"""The alert policy step by step: break feedback, gaps and status, adherence counters,
and its agreement with the exposure engine."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.alert_params import AlertParams
from analytics.alert_records import (
    STAND_PROMPTS,
    AlertInput,
    AlertKind,
    DataState,
    Status,
)
from analytics.alert_rules import run
from analytics.alert_schedule import local_clock
from analytics.alert_state import AlertState
from analytics.bouts import compression
from analytics.compression import EventKind, ExposureParams
from analytics.records import Posture, Timeline
from tests.analytics.alert_steps import (
    LENGTHS,
    NW,
    PARAMS,
    POSTURES,
    T0,
    S,
    U,
    build,
    drive,
    local_t,
    of,
    rel,
    scenarios,
)


def test_break_in_progress_then_complete_after_exactly_120_s() -> None:
    stt, alerts = drive(build([(S, 1800), (U, 120)]))
    assert rel(alerts) == [
        ("prompt", 1800.0),
        ("break_started", 1800.0),
        ("break_complete", 1920.0),
    ]
    done = alerts[-1]
    assert done.upright_s == 120.0
    assert done.bout_minutes == 30.0
    assert done.adherence is not None
    assert done.adherence.taken == 1
    assert stt.bout_start_t_s is None  # the clock starts again on the next seated step
    _, alerts = drive(build([(S, 1800), (U, 119), (S, 1)]))
    assert of(alerts, AlertKind.BREAK_COMPLETE) == []
    assert rel(of(alerts, AlertKind.BREAK_TOO_SHORT)) == [("break_too_short", 1919.0)]


def test_too_short_break_does_not_reset_the_clock() -> None:
    _, alerts = drive(build([(S, 1800), (U, 60), (S, 700)]))
    assert rel(alerts) == [
        ("prompt", 1800.0),
        ("break_started", 1800.0),
        ("break_too_short", 1860.0),
        ("escalation", 2400.0),  # 40 min after the bout started, not after the stand
    ]
    short = alerts[2]
    assert short.upright_s == 60.0
    assert short.message.startswith("Break too short (1 min up)")


def test_a_micro_break_before_the_prompt_keeps_the_bout_running() -> None:
    _, alerts = drive(build([(S, 1000), (U, 119), (S, 1000)]))
    assert rel(alerts) == [("prompt", 1800.0)]  # no feedback before the prompt time


def test_a_due_prompt_waits_for_the_person_to_sit_again() -> None:
    # standing across the 30-min mark (a micro-break): the prompt comes when they sit
    _, alerts = drive(build([(S, 1790), (U, 30), (S, 10)]))
    assert rel(alerts) == [("prompt", 1820.0)]
    assert alerts[0].message == "You have been sitting for 30 min: stand up for 2 min."


def test_natural_break_no_prompt_and_counted() -> None:
    stt, alerts = drive(build([(S, 20 * 60), (U, 180), (S, 1800)]))
    assert rel(alerts) == [("prompt", 1380.0 + 1800.0)]  # the new bout's own 30 min
    assert alerts[0].bout_start_t_s == T0 + 1380.0
    assert stt.adherence.natural == 1
    assert stt.adherence.taken == 0


def test_taken_within_10_minutes_of_a_prompt() -> None:
    stt, _ = drive(build([(S, 1800 + 470), (U, 120)]))  # complete 9:50 after the prompt
    assert (stt.taken, stt.late, stt.ignored, stt.prompted) == (1, 0, 0, 1)


def test_a_break_later_than_10_minutes_is_late_and_the_prompt_ignored() -> None:
    # standing at 39:10 keeps the escalation from firing; complete at 41:10
    stt, alerts = drive(build([(S, 2350), (U, 120)]))
    assert [a.kind for a in of(alerts, *STAND_PROMPTS)] == [AlertKind.PROMPT]
    assert (stt.taken, stt.late, stt.ignored, stt.prompted) == (0, 1, 1, 1)


def test_escalation_counts_the_prompt_as_ignored() -> None:
    stt, _ = drive(build([(S, 2400), (U, 120)]))
    assert (stt.prompted, stt.ignored, stt.taken) == (2, 1, 1)


def test_a_gap_while_standing_never_completes_a_break() -> None:
    for flags in ({"data": DataState.NO_DATA}, {"data": DataState.SENSOR_OFF}, {}):
        gap = (U, 300, flags) if flags else (NW, 300)
        stt, alerts = drive(build([(S, 2100), (U, 60), gap, (U, 300), (S, 60)]))
        kinds = [a.kind for a in alerts]
        assert AlertKind.BREAK_COMPLETE not in kinds
        assert AlertKind.BREAK_TOO_SHORT not in kinds
        assert (stt.taken, stt.natural, stt.late, stt.ignored) == (0, 0, 0, 1)
        assert stt.bout_start_t_s == T0 + 2100 + 60 + 300 + 300  # a new bout after the gap


def test_a_gap_yields_a_status_and_data_back() -> None:
    p = AlertParams(status_after_s=10.0, back_after_s=0.0)  # 10 s off; back at once
    _, alerts = drive(build([(S, 100), (S, 60, {"data": DataState.NO_DATA}), (S, 10)]), p)
    assert [(a.status, a.t_s - T0) for a in alerts] == [
        (Status.NO_DATA, 110.0),
        (Status.DATA_BACK, 160.0),
    ]
    assert alerts[0].kind == AlertKind.STATUS
    assert alerts[0].message == "No data from the sensor: breaks cannot be checked."
    _, alerts = drive(build([(S, 100), (NW, 60), (S, 10)]), p)
    assert [a.status for a in alerts] == [Status.SENSOR_OFF, Status.DATA_BACK]
    _, alerts = drive(build([(S, 100), (NW, 9), (S, 10)]), p)
    assert alerts == []  # shorter than status_after_s


def test_missing_steps_are_a_gap() -> None:
    first = build([(S, 1700)])
    later = build([(S, 200)], t0=T0 + 1700 + 120)  # 120 s lost: as long as a break
    _, alerts = drive(first + later)
    assert [a.status for a in alerts] == [Status.NO_DATA, Status.DATA_BACK]
    assert of(alerts, *STAND_PROMPTS) == []  # the bout restarted after the gap
    later = build([(S, 200)], t0=T0 + 1700 + 60)  # 60 s lost: a pause
    _, alerts = drive(first + later)
    assert rel(of(alerts, *STAND_PROMPTS)) == [("prompt", 1860.0)]


@pytest.mark.parametrize(
    "gap", [(S, 11, {"data": DataState.NO_DATA}), (NW, 11), (S, 11, {"data": DataState.SENSOR_OFF})]
)
def test_issue_16_an_11_s_dropout_pauses_the_prompt_clock(gap: Any) -> None:
    stt, alerts = drive(build([(S, 1500), gap, (S, 1020)]))
    prompts = of(alerts, *STAND_PROMPTS)
    # 30 and 40 min of bout time: the dropout is not counted, the bout not restarted
    assert rel(prompts) == [("prompt", 1811.0), ("escalation", 2411.0)]
    assert prompts[0].message == "You have been sitting for 30 min: stand up for 2 min."
    assert {a.bout_start_t_s for a in prompts} == {T0}
    assert stt.bout_start_t_s == T0
    # a dropout inside a stand: 60 s + 60 s upright seen is a break, completed 11 s late
    _, alerts = drive(build([(S, 1900), (U, 60), gap, (U, 60), (S, 10)]))
    assert rel(of(alerts, AlertKind.BREAK_COMPLETE)) == [("break_complete", 1900 + 131.0)]
    # a dropout as long as a break still ends the bout
    long_gap = (gap[0], 120, *gap[2:])
    stt, alerts = drive(build([(S, 1500), long_gap, (S, 1020)]))
    assert of(alerts, *STAND_PROMPTS) == []
    assert stt.bout_start_t_s == T0 + 1620


def test_low_battery_status_once_per_low_spell() -> None:
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]] = [
        (S, 10),
        (S, 600, {"battery_low": True}),
        (S, 10),
        (S, 5, {"battery_low": True}),
    ]
    _, alerts = drive(build(parts))
    assert rel(alerts) == [("status", 10.0), ("status", 620.0)]
    assert {a.status for a in alerts} == {Status.BATTERY_LOW}


def test_daily_counters_reset_at_local_midnight() -> None:
    off_h = 1.0
    start = local_t(2024, 1, 8, 23, 0, offset_h=off_h)
    # 23:00 sit 10 min, break (natural, done 23:12), stand till 23:52, sit 10 min,
    # break done at 00:04 the next day
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]] = [
        (S, 600),
        (U, 120),
        (U, 2400),
        (S, 600),
        (U, 120),
        (S, 10),
    ]
    inputs = build(parts, t0=start, offset_s=off_h * 3600)
    stt, _ = drive(inputs[:720])
    assert stt.adherence.natural == 1
    assert stt.adherence.date.isoformat() == "2024-01-08"
    stt, _ = drive(inputs[:3420])  # 23:57 local
    assert stt.adherence.date.isoformat() == "2024-01-08"
    stt, _ = drive(inputs)
    assert stt.adherence.date.isoformat() == "2024-01-09"
    assert stt.adherence.natural == 1  # reset at midnight, then the second break
    # the same instants at UTC+0 (22:00–23:04) are on the 8th: both breaks that day
    stt, _ = drive(build(parts, t0=start))
    assert (stt.adherence.date.isoformat(), stt.natural) == ("2024-01-08", 2)


def test_counters_snapshot_on_alerts() -> None:
    _, alerts = drive(build([(S, 1800), (U, 120)]))
    snap = alerts[-1].adherence
    assert snap is not None
    assert (snap.prompted, snap.taken, snap.ignored) == (1, 1, 0)
    payload = json.loads(json.dumps([a.to_dict() for a in alerts]))
    assert payload[-1]["kind"] == "break_complete"
    assert payload[-1]["adherence"]["date"] == "2024-01-08"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), params=PARAMS, data=st.data())
def test_batches_give_what_single_steps_give(
    scenario: tuple[list[AlertInput], dict[int, list[str]]],
    params: AlertParams,
    data: st.DataObject,
) -> None:
    inputs, _ = scenario
    one_state, one = drive(inputs, params)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(inputs)), max_size=5)))
    stt, alerts = AlertState(), []
    for lo, hi in zip([0, *cuts], [*cuts, len(inputs)], strict=True):
        stt, out = run(stt, params, inputs[lo:hi])
        alerts += out
    assert alerts == one
    assert stt == one_state


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.tuples(st.sampled_from(POSTURES), LENGTHS), min_size=1, max_size=20),
    break_s=st.sampled_from([120.0, 30.0, 300.0]),
)
def test_break_feedback_is_the_engine_s_break_events(
    parts: list[tuple[Posture, int]], break_s: float
) -> None:
    """With feedback on every upright spell (prompt after 1 s), BREAK_COMPLETE is the
    engine's break_taken, BREAK_TOO_SHORT its micro_break, to the second."""
    p = AlertParams(
        prompt_after_s=1.0, escalate_after_s=2.0, repeat_every_s=0.0,
        exposure=ExposureParams(break_s=break_s),
        stand_for_s=max(120.0, break_s),
    )  # fmt: skip
    inputs = build(list(parts))
    posture = np.array([int(i.posture) for i in inputs], dtype=np.int8)
    tl = Timeline(t0_s=int(T0), posture=posture, hip_flexion_deg=np.zeros(posture.shape[0]))
    engine = compression(tl, p.exposure)  # the policy's own exposure rules
    stt, alerts = drive(inputs, p)
    taken = [e.t_s for e in engine.events if e.kind == EventKind.BREAK_TAKEN]
    micro = [(e.t_s, e.value) for e in engine.events if e.kind == EventKind.MICRO_BREAK]
    assert [a.t_s for a in of(alerts, AlertKind.BREAK_COMPLETE)] == taken
    assert [(a.t_s, a.upright_s) for a in of(alerts, AlertKind.BREAK_TOO_SHORT)] == micro
    started = {a.t_s for a in of(alerts, AlertKind.BREAK_STARTED)}
    assert {b.start_s for b in engine.breaks} <= started
    open_bouts = [b.start_s for b in engine.bouts if b.ended_by == "open"]
    assert stt.bout_start_t_s == (open_bouts[0] if open_bouts else None)
    assert stt.natural + stt.taken + stt.late == len(taken)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), params=PARAMS)
def test_every_prompt_is_taken_or_ignored(
    scenario: tuple[list[AlertInput], dict[int, list[str]]], params: AlertParams
) -> None:
    """Within one local day: prompted = taken + ignored (+ 1 for the running bout's
    last prompt), and every completed break is natural, taken or late."""
    inputs, commands = scenario
    day = local_clock(inputs[0].t_s, inputs[0].local_offset_s)[0]
    inputs = [i for i in inputs if local_clock(i.t_s, i.local_offset_s)[0] == day]
    stt, alerts = drive(inputs, params, commands)
    pending = 1 if stt.bout_start_t_s is not None and stt.bout_phase > 0 else 0
    assert stt.prompted == stt.taken + stt.ignored + pending
    assert stt.prompted == len(of(alerts, *STAND_PROMPTS))
    assert stt.snoozed == len(of(alerts, AlertKind.SNOOZED)) <= params.snooze_daily_limit
    completed = len(of(alerts, AlertKind.BREAK_COMPLETE))
    assert completed <= stt.natural + stt.taken + stt.late
