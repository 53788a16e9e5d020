"""When stand prompts are due (prompt, escalation, repeats) and the hours in which
prompts may be raised, with a UTC offset."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from analytics.alert_params import AlertParams, working_week
from analytics.alert_records import (
    STAND_PROMPTS,
    AlertKind,
)
from analytics.alert_schedule import local_clock, prompts_allowed, stand_level, stand_offset_s
from analytics.bouts import compression
from analytics.compression import EventKind, ExposureParams
from analytics.records import Timeline
from tests.analytics.alert_steps import MIN, T0, S, U, build, drive, local_t, of, rel


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


def test_schedule_levels_and_offsets() -> None:
    p = AlertParams(repeat_every_s=300.0)  # 30, 35 | 40, 45, 50 …
    assert [stand_offset_s(p, k) / MIN for k in range(1, 6)] == [30, 35, 40, 45, 50]
    assert [stand_level(p, m * MIN) for m in (29, 30, 34, 35, 39, 40, 44, 45)] == [
        0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    p0 = AlertParams(repeat_every_s=0.0)  # prompt and escalation only
    assert [stand_level(p0, m * MIN) for m in (30, 39, 40, 400)] == [1, 1, 2, 2]


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
