"""The alert policy on synthetic per-second posture sequences."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.alerts import (
    STAND_PROMPTS,
    Alert,
    AlertInput,
    AlertKind,
    AlertParams,
    AlertState,
    Command,
    CommandKind,
    DataState,
    Status,
    _Work,
    apply_command,
    hip_gt90_s_from_stream,
    local_clock,
    parse_command,
    prompts_allowed,
    run,
    stand_level,
    stand_offset_s,
    step,
    working_week,
)
from analytics.compression import EventKind, ExposureParams, compression
from analytics.records import Posture, Timeline
from analytics.stream_state import begin
from analytics.streaming import advance

S, U, L = Posture.SITTING, Posture.UPRIGHT, Posture.LYING
RS, RU, NW = Posture.RIDING_SEATED, Posture.RIDING_STANDING, Posture.NONWEAR
MIN = 60.0


def local_t(y: int, mo: int, d: int, h: int, mi: int = 0, *, offset_h: float = 0.0) -> float:
    """Unix time of a local wall-clock time at a fixed UTC offset."""
    tz = timezone(timedelta(hours=offset_h))
    return datetime(y, mo, d, h, mi, tzinfo=tz).timestamp()


T0 = local_t(2024, 1, 8, 8)  # Monday 08:00 UTC


def build(
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]],
    t0: float = T0,
    offset_s: float = 0.0,
) -> list[AlertInput]:
    """Per-second inputs. Extras per part: ``data``, ``battery_low``, ``hip`` (hip above
    90° on those steps: the sustained time counts up over consecutive hip steps)."""
    out: list[AlertInput] = []
    t = t0
    hip_s = 0.0
    for part in parts:
        posture, n = part[0], part[1]
        extra: dict[str, Any] = part[2] if len(part) == 3 else {}
        for _ in range(n):
            hip = bool(extra.get("hip", False)) and posture in (S, RS)
            hip_s = hip_s + 1.0 if hip else 0.0
            out.append(
                AlertInput(
                    t_s=t,
                    posture=posture,
                    local_offset_s=offset_s,
                    data=extra.get("data", DataState.OK),
                    battery_low=bool(extra.get("battery_low", False)),
                    hip_gt90_s=hip_s,
                )
            )
            t += 1.0
    return out


def drive(
    inputs: list[AlertInput],
    params: AlertParams | None = None,
    commands: dict[int, list[str]] | None = None,
    state: AlertState | None = None,
    *,
    split: int | None = None,
) -> tuple[AlertState, list[Alert]]:
    """Step through the inputs; ``commands[i]`` are applied just before step i (at its
    time); at ``split`` the state goes through JSON."""
    p = params or AlertParams()
    stt = state or AlertState()
    alerts: list[Alert] = []
    for i, inp in enumerate(inputs):
        if i == split:
            stt = AlertState.from_dict(json.loads(json.dumps(stt.to_dict())))
        for text in (commands or {}).get(i, []):
            stt, out = apply_command(stt, p, text, inp.t_s, local_offset_s=inp.local_offset_s)
            alerts += out
        stt, out = step(stt, p, inp)
        alerts += out
    return stt, alerts


def of(alerts: list[Alert], *kinds: AlertKind) -> list[Alert]:
    return [a for a in alerts if a.kind in kinds]


def rel(alerts: list[Alert], t0: float = T0) -> list[tuple[str, float]]:
    return [(a.kind.value, a.t_s - t0) for a in alerts]


# --- the stand-prompt schedule ------------------------------------------------------


def test_prompt_at_exactly_30_minutes_not_before() -> None:
    _, alerts = drive(build([(S, 1800)]))
    assert rel(alerts) == [("prompt", 1800.0)]
    a = alerts[0]
    assert a.message == "You have been sitting for 30 min: stand up for 2 min."
    assert a.stand_for_s == 120.0
    assert a.bout_start_t_s == T0
    assert a.bout_minutes == 30.0
    assert a.level == 1
    assert a.adherence is not None
    assert a.adherence.prompted == 1
    _, alerts = drive(build([(S, 1799)]))
    assert alerts == []
    _, alerts = drive(build([(S, 1799), (U, 600)]))
    assert of(alerts, *STAND_PROMPTS) == []


def test_escalation_at_40_then_repeats_every_10_minutes() -> None:
    _, alerts = drive(build([(S, 3600 + 599)]))
    assert rel(alerts) == [
        ("prompt", 1800.0),
        ("escalation", 2400.0),
        ("repeat", 3000.0),
        ("repeat", 3600.0),
    ]
    assert [a.level for a in alerts] == [1, 2, 3, 4]
    assert alerts[1].message == "Still sitting after 40 min: please stand up now for 2 min."
    assert alerts[3].message == "Still sitting after 60 min: stand up for 2 min."


def test_prompt_times_coincide_with_the_engine_bout_minutes() -> None:
    n = 2 * 3600 + 1
    tl = Timeline(
        t0_s=int(T0), posture=np.full(n, int(S), dtype=np.int8), hip_flexion_deg=np.zeros(n)
    )
    minutes = [
        e.t_s for e in compression(tl, ExposureParams()).events if e.kind == EventKind.BOUT_MINUTES
    ]
    _, alerts = drive(build([(S, n)]))
    assert [a.t_s for a in alerts] == minutes


def test_stand_for_is_in_the_message_and_validated() -> None:
    _, alerts = drive(build([(S, 1800)]), AlertParams(stand_for_s=300.0))
    assert alerts[0].message == "You have been sitting for 30 min: stand up for 5 min."
    assert alerts[0].stand_for_s == 300.0
    with pytest.raises(ValueError, match="stand_for_s"):
        AlertParams(stand_for_s=60.0)
    with pytest.raises(ValueError, match="stand_for_s"):
        AlertParams(stand_for_s=301.0)


def test_schedule_levels_and_offsets() -> None:
    p = AlertParams(repeat_every_s=300.0)  # 30, 35 | 40, 45, 50 …
    assert [stand_offset_s(p, k) / MIN for k in range(1, 6)] == [30, 35, 40, 45, 50]
    assert [stand_level(p, m * MIN) for m in (29, 30, 34, 35, 39, 40, 44, 45)] == [
        0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    p0 = AlertParams(repeat_every_s=0.0)  # prompt and escalation only
    assert [stand_level(p0, m * MIN) for m in (30, 39, 40, 400)] == [1, 1, 2, 2]


# --- break feedback ------------------------------------------------------------------


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


# --- commands -------------------------------------------------------------------------


def test_snooze_delays_the_next_prompt_by_its_length() -> None:
    stt, alerts = drive(build([(S, 3600)]), commands={1800: ["snooze 15"]})
    assert rel(alerts) == [("prompt", 1800.0), ("snoozed", 1800.0), ("escalation", 3300.0)]
    assert alerts[1].message == "Prompts snoozed for 15 min (1 of 3 today)."
    assert alerts[1].command == "snooze 15"
    assert stt.snoozed == 1
    # a snooze before the first prompt moves it too
    _, alerts = drive(build([(S, 3000)]), commands={600: ["snooze 15"]})
    assert rel(of(alerts, *STAND_PROMPTS)) == [("prompt", 2700.0)]
    assert alerts[-1].message == "You have been sitting for 45 min: stand up for 2 min."


def test_snooze_extends_the_taken_window() -> None:
    # prompt at 30:00, snoozed 15 min: a break completed at 50:00 is still taken
    stt, _ = drive(build([(S, 2880), (U, 120)]), commands={1800: ["snooze 15"]})
    assert (stt.taken, stt.late, stt.ignored) == (1, 0, 0)


def test_the_fourth_snooze_of_a_day_is_rejected_and_the_limit_resets_at_midnight() -> None:
    p = AlertParams()
    stt, _ = drive(build([(S, 10)]), p)
    kinds = []
    for k in range(4):
        stt, out = apply_command(stt, p, "snooze 5", T0 + 10 + k)
        kinds += [a.kind for a in out]
    assert kinds == [AlertKind.SNOOZED] * 3 + [AlertKind.REJECTED]
    assert stt.snoozed == 3
    stt2, out = apply_command(stt, p, "snooze 5", T0 + 20)
    assert "daily limit of 3 snoozes" in out[0].message
    assert stt2.snoozed == 3
    midnight = local_t(2024, 1, 9, 0)
    stt3, out = apply_command(stt2, p, "snooze 5", midnight + 1)
    assert out[0].kind == AlertKind.SNOOZED
    assert stt3.snoozed == 1


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("dance", "unknown command"),
        ("", "empty command"),
        ("snooze -5", "positive number"),
        ("snooze 0", "positive number"),
        ("snooze nan", "positive number"),
        ("snooze inf", "positive number"),
        ("snooze abc", "not a number"),
        ("snooze 1000", "at most 120 min"),
        ("ack", "nothing to acknowledge"),
        (Command(CommandKind.SNOOZE, -1.0), "positive number"),
    ],
)
def test_bad_commands_are_rejected_never_raised(command: str | Command, reason: str) -> None:
    p = AlertParams()
    stt, _ = drive(build([(S, 100)]), p)
    after, out = apply_command(stt, p, command, T0 + 100)
    assert [a.kind for a in out] == [AlertKind.REJECTED]
    assert reason in out[0].message, out[0].message
    assert dataclasses.replace(after, commands=stt.commands) == stt


def test_a_non_finite_command_time_is_rejected() -> None:
    stt, out = apply_command(AlertState(), AlertParams(), "snooze 5", float("nan"))
    assert out[0].kind == AlertKind.REJECTED
    assert stt.snoozed == 0


def test_parse_command() -> None:
    assert parse_command("Snooze 15min") == Command(CommandKind.SNOOZE, 15.0)
    assert parse_command(" snooze ") == Command(CommandKind.SNOOZE)
    assert parse_command("acknowledge") == Command(CommandKind.ACKNOWLEDGE)
    assert isinstance(parse_command("ack now"), str)


def test_snooze_without_minutes_uses_the_default() -> None:
    _, alerts = drive(build([(S, 3700)]), commands={1800: ["snooze"]})
    assert rel(of(alerts, *STAND_PROMPTS)) == [("prompt", 1800.0), ("escalation", 3300.0)]


def test_acknowledge_stops_repeats_until_escalation() -> None:
    p = AlertParams(repeat_every_s=300.0)  # prompt 30, repeat 35, escalation 40, repeats
    _, plain = drive(build([(S, 3001)]), p)
    assert rel(plain) == [
        ("prompt", 1800.0),
        ("repeat", 2100.0),
        ("escalation", 2400.0),
        ("repeat", 2700.0),
        ("repeat", 3000.0),
    ]
    _, alerts = drive(build([(S, 3001)]), p, commands={1850: ["ack"]})
    assert rel(alerts) == [
        ("prompt", 1800.0),
        ("acknowledged", 1850.0),
        ("escalation", 2400.0),
        ("repeat", 2700.0),
        ("repeat", 3000.0),
    ]
    assert alerts[1].message == "Acknowledged: no repeats until the prompt escalates."
    # acknowledging the escalation silences the rest of the bout
    _, alerts = drive(build([(S, 5000)]), p, commands={2450: ["ack"]})
    assert rel(alerts)[-2:] == [("escalation", 2400.0), ("acknowledged", 2450.0)]


def test_default_acknowledge_after_escalation_stops_repeats() -> None:
    _, alerts = drive(build([(S, 4000)]), commands={2401: ["ack"]})
    assert [a.kind.value for a in alerts] == ["prompt", "escalation", "acknowledged"]
    # a new bout prompts again
    _, alerts = drive(build([(S, 2500), (U, 120), (S, 1800)]), commands={2401: ["ack"]})
    assert rel(of(alerts, *STAND_PROMPTS))[-1] == ("prompt", 2620.0 + 1800.0)


# --- time of day ----------------------------------------------------------------------


def test_local_clock() -> None:
    t = local_t(2024, 1, 8, 23, 30, offset_h=2.0)  # Monday 23:30 at UTC+2
    day, weekday, sec = local_clock(t, 7200.0)
    assert weekday == 0
    assert sec == 23.5 * 3600
    assert day == (datetime(2024, 1, 8) - datetime(1970, 1, 1)).days
    _, weekday, _ = local_clock(t, 0.0)  # 21:30 UTC, still Monday
    assert weekday == 0
    _, weekday, sec = local_clock(t + 3600, 7200.0)  # 00:30 Tuesday local
    assert (weekday, sec) == (1, 1800.0)


def test_quiet_hours_respected_with_a_utc_offset() -> None:
    p = AlertParams(quiet_hours_s=((22 * 3600, 7 * 3600),))
    offset = 2 * 3600.0
    start = local_t(2024, 1, 8, 5, 50, offset_h=2.0)  # 05:50 local = 03:50 UTC
    inputs = build([(S, 99 * 60)], t0=start, offset_s=offset)
    _, alerts = drive(inputs, p)
    seven = local_t(2024, 1, 8, 7, 0, offset_h=2.0)
    # 06:20 and 06:30 … fall in quiet hours: one alert when they end, at the current level
    assert [(a.kind, a.t_s) for a in alerts] == [
        (AlertKind.ESCALATION, seven),
        (AlertKind.REPEAT, seven + 600),
        (AlertKind.REPEAT, seven + 1200),
    ]
    assert alerts[0].message == "Still sitting after 70 min: please stand up now for 2 min."
    # the same instants read as UTC are all inside quiet hours
    _, alerts = drive(build([(S, 99 * 60)], t0=start, offset_s=0.0), p)
    assert alerts == []


def test_working_hours_per_weekday_with_a_utc_offset() -> None:
    p = AlertParams(working_hours_s=working_week(9 * 3600, 17 * 3600))  # Mon–Fri 9–17
    off_h = -5.0
    monday = local_t(2024, 1, 8, 9, 0, offset_h=off_h)
    _, alerts = drive(build([(S, 1800)], t0=monday, offset_s=off_h * 3600), p)
    assert [(a.kind, a.t_s) for a in alerts] == [(AlertKind.PROMPT, monday + 1800)]
    saturday = local_t(2024, 1, 13, 9, 0, offset_h=off_h)
    _, alerts = drive(build([(S, 3 * 3600)], t0=saturday, offset_s=off_h * 3600), p)
    assert alerts == []
    late = local_t(2024, 1, 8, 16, 40, offset_h=off_h)  # due 17:10: after hours
    _, alerts = drive(build([(S, 3600)], t0=late, offset_s=off_h * 3600), p)
    assert alerts == []
    # the offset decides what an instant is in local time
    assert prompts_allowed(p, monday + 1800, off_h * 3600)  # 09:30 local
    assert not prompts_allowed(p, monday + 1800, 4 * 3600.0)  # the same instant: 18:30
    assert not prompts_allowed(p, late + 1800, off_h * 3600)  # 17:10 local
    assert prompts_allowed(p, late + 1800, -8 * 3600.0)  # the same instant: 14:10


def test_working_hours_validation_names_the_key() -> None:
    with pytest.raises(ValueError, match="7 entries"):
        AlertParams(working_hours_s=(((0.0, 10.0),),))
    with pytest.raises(ValueError, match=r"working_hours_s\[0\]"):
        AlertParams(working_hours_s=(((17 * 3600.0, 9 * 3600.0),),) + ((),) * 6)
    with pytest.raises(ValueError, match="quiet_hours_s"):
        AlertParams(quiet_hours_s=((3600.0, 3600.0),))
    with pytest.raises(ValueError, match="escalate_after_s"):
        AlertParams(prompt_after_s=2400.0, escalate_after_s=1800.0)
    with pytest.raises(ValueError, match="break_s"):
        AlertParams(break_s=200.0, stand_for_s=150.0)
    with pytest.raises(ValueError, match="finite"):
        AlertParams(taken_within_s=float("inf"))


# --- hip flexion and saddle ---------------------------------------------------------


def test_hip_over_90_sustained_gives_a_posture_prompt_and_repeats() -> None:
    _, alerts = drive(build([(S, 120), (S, 20 * 60, {"hip": True})]))
    posture = of(alerts, AlertKind.POSTURE)
    assert rel(posture) == [("posture", 120.0 + 300.0), ("posture", 120.0 + 900.0)]
    assert posture[0].message.startswith("Hip bent past 90° for 5 min")
    assert posture[0].id != posture[1].id


def test_hip_prompt_once_per_span_and_a_new_span_starts_over() -> None:
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]] = [
        (S, 299, {"hip": True}),
        (S, 30),
        (S, 400, {"hip": True}),
    ]
    _, alerts = drive(build(parts))
    assert rel(of(alerts, AlertKind.POSTURE)) == [("posture", 329.0 + 300.0)]


def test_hip_gt90_s_from_the_streaming_engine() -> None:
    st0 = begin(T0)
    posture = np.full(400, int(S), dtype=np.int8)
    st1, _ = advance(st0, posture, np.full(400, 100.0))
    assert hip_gt90_s_from_stream(st1) == 400.0
    st2, _ = advance(st1, np.full(30, int(U), dtype=np.int8), np.full(30, np.nan))
    assert hip_gt90_s_from_stream(st2) == 0.0


def test_saddle_prompt_for_the_cyclist_profile() -> None:
    ride = build([(RS, 50 * 60)])
    _, alerts = drive(ride, AlertParams(cyclist=True))
    assert rel(alerts) == [("saddle", 2700.0)]
    assert alerts[0].message == "45 min seated on the saddle: stand on the pedals or take a break."
    # without the profile: the ordinary stand prompts, no saddle prompts
    _, alerts = drive(ride)
    assert [a.kind.value for a in alerts] == ["prompt", "escalation", "repeat"]


def test_short_stands_on_the_pedals_keep_the_saddle_clock_long_ones_reset_it() -> None:
    p = AlertParams(cyclist=True)
    _, alerts = drive(build([(RS, 1500), (RU, 9), (RS, 1300)]), p)
    assert rel(alerts) == [("saddle", 2700.0)]
    _, alerts = drive(build([(RS, 1500), (RU, 10), (RS, 2700)]), p)
    assert rel(alerts) == [("saddle", 1510.0 + 2700.0)]


def test_after_the_ride_a_cyclist_gets_the_overdue_stand_prompt() -> None:
    _, alerts = drive(build([(RS, 50 * 60), (S, 5)]), AlertParams(cyclist=True))
    assert rel(alerts) == [("saddle", 2700.0), ("escalation", 3000.0)]


# --- gaps, non-wear, battery ----------------------------------------------------------


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
    _, alerts = drive(build([(S, 100), (S, 60, {"data": DataState.NO_DATA}), (S, 10)]))
    assert [(a.status, a.t_s - T0) for a in alerts] == [
        (Status.NO_DATA, 110.0),
        (Status.DATA_BACK, 160.0),
    ]
    assert alerts[0].kind == AlertKind.STATUS
    assert alerts[0].message == "No data from the sensor: breaks cannot be checked."
    _, alerts = drive(build([(S, 100), (NW, 60), (S, 10)]))
    assert [a.status for a in alerts] == [Status.SENSOR_OFF, Status.DATA_BACK]
    _, alerts = drive(build([(S, 100), (NW, 9), (S, 10)]))
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


# --- adherence --------------------------------------------------------------------------


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


# --- restart, ids, batch ----------------------------------------------------------------


def test_replayed_steps_are_ignored() -> None:
    inputs = build([(S, 2000)])
    stt, _ = drive(inputs)
    again, out = run(stt, AlertParams(), inputs[1500:])
    assert out == []
    assert again == stt


def test_a_damaged_state_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="version"):
        AlertState.from_dict({"day": 3})
    with pytest.raises(ValueError, match="damaged"):
        AlertState.from_dict({"version": 1, "bogus": 3})


def test_the_working_copy_mirrors_the_state() -> None:
    assert [f.name for f in dataclasses.fields(_Work)] == [
        f.name for f in dataclasses.fields(AlertState)
    ]


def test_ids_are_deterministic() -> None:
    inputs = build([(S, 1800), (U, 60), (S, 1000), (U, 130), (S, 100, {"battery_low": True})])
    _, a = drive(inputs, commands={1900: ["snooze 5"]})
    _, b = drive(inputs, commands={1900: ["snooze 5"]})
    assert [x.id for x in a] == [x.id for x in b]
    assert len({x.id for x in a}) == len(a)
    assert a[0].id == f"prompt-{round(T0 * 1000)}-1"


POSTURES = [S, S, S, U, U, L, RS, RU, NW]
LENGTHS = st.one_of(
    st.integers(1, 30),
    st.sampled_from([9, 10, 119, 120, 121, 300, 1799, 1800]),
    st.integers(30, 2500),
)
COMMANDS = ["snooze 15", "snooze", "snooze 5", "ack", "bogus", "snooze -1"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[AlertInput], dict[int, list[str]]]:
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]] = []
    for _ in range(draw(st.integers(1, 14))):
        extra: dict[str, Any] = {
            "hip": draw(st.booleans()),
            "battery_low": draw(st.integers(0, 5)) == 0,
            "data": draw(st.sampled_from([DataState.OK] * 9 + [DataState.NO_DATA])),
        }
        parts.append((draw(st.sampled_from(POSTURES)), draw(LENGTHS), extra))
    offset_h = draw(st.sampled_from([0.0, 2.0, -5.0, 5.5]))
    inputs = build(parts, t0=T0 + draw(st.integers(0, 86400)), offset_s=offset_h * 3600)
    n_cmd = draw(st.integers(0, 6))
    commands: dict[int, list[str]] = {}
    for _ in range(n_cmd):
        i = draw(st.integers(0, len(inputs) - 1))
        commands.setdefault(i, []).append(draw(st.sampled_from(COMMANDS)))
    return inputs, commands


PARAMS = st.sampled_from(
    [
        AlertParams(),
        AlertParams(cyclist=True, repeat_every_s=300.0, quiet_hours_s=((20 * 3600, 8 * 3600),)),
        AlertParams(
            prompt_after_s=600.0,
            escalate_after_s=900.0,
            break_s=30.0,
            working_hours_s=working_week(8 * 3600, 18 * 3600),
        ),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), params=PARAMS, data=st.data())
def test_a_restart_anywhere_gives_the_same_alerts(
    scenario: tuple[list[AlertInput], dict[int, list[str]]],
    params: AlertParams,
    data: st.DataObject,
) -> None:
    inputs, commands = scenario
    split = data.draw(st.integers(0, len(inputs) - 1))
    whole_state, whole = drive(inputs, params, commands)
    split_state, parts = drive(inputs, params, commands, split=split)
    assert parts == whole
    assert split_state == whole_state


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
        prompt_after_s=1.0, escalate_after_s=2.0, repeat_every_s=0.0, break_s=break_s,
        stand_for_s=max(120.0, break_s),
    )  # fmt: skip
    inputs = build(list(parts))
    posture = np.array([int(i.posture) for i in inputs], dtype=np.int8)
    tl = Timeline(t0_s=int(T0), posture=posture, hip_flexion_deg=np.zeros(posture.shape[0]))
    engine = compression(tl, ExposureParams(break_s=break_s))
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
