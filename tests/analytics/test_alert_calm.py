"""Calm defaults: no prompts at night, one prompt per ``prompt_gap_s`` whatever its
kind (posture and stand prompts due together come as one), and a sensor status that
never flaps."""

from __future__ import annotations

import itertools

from hypothesis import given, settings

from analytics.alert_params import DESK_QUIET_HOURS_S, AlertParams
from analytics.alert_records import PROMPTS, Alert, AlertInput, AlertKind, DataState, Status
from analytics.alert_schedule import local_clock
from tests.analytics.alert_steps import (
    NW,
    PARAMS,
    RS,
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

ND = {"data": DataState.NO_DATA}


def _spaced(alerts: list[Alert], gap_s: float) -> bool:
    times = [a.t_s for a in alerts if a.kind in PROMPTS]
    return all(b - a >= gap_s - 1e-6 for a, b in itertools.pairwise(times))


def _quiet(t_s: float, offset_s: float) -> bool:
    _day, _wd, sec = local_clock(t_s, offset_s)
    return sec >= 22 * 3600 or sec < 7 * 3600


# --- quiet hours --------------------------------------------------------------------


def test_the_desk_default_has_quiet_hours_at_night_the_cyclist_none() -> None:
    assert AlertParams().quiet_hours_s == DESK_QUIET_HOURS_S == ((22 * 3600.0, 7 * 3600.0),)
    assert AlertParams(cyclist=True).quiet_hours_s == ()
    assert AlertParams(quiet_hours_s=()).quiet_hours_s == ()


def test_no_prompt_at_night_by_default() -> None:
    """Sitting from 21:00 to 08:00: prompted at 21:30, 21:40, 21:50 then nothing until
    the quiet hours end at 07:00 (one repeat, no burst)."""
    start = local_t(2024, 1, 8, 21)
    _, alerts = drive(build([(S, 11 * 3600)], t0=start))
    prompts = [a for a in alerts if a.kind in PROMPTS]
    assert prompts
    assert not any(_quiet(a.t_s, 0.0) for a in prompts)
    night = [a for a in prompts if a.t_s > start + 3600]
    assert [(a.kind, a.t_s - start) for a in night][:1] == [(AlertKind.REPEAT, 10 * 3600.0)]
    # the cyclist (and anyone with quiet_hours_s=()) is prompted at night
    _, cyc = drive(build([(S, 11 * 3600)], t0=start), AlertParams(cyclist=True))
    assert any(_quiet(a.t_s, 0.0) for a in cyc if a.kind in PROMPTS)


# --- one prompt per gap ---------------------------------------------------------------


def test_a_long_bout_with_the_hip_bent_gets_one_message_every_10_min() -> None:
    """Sitting with the hip past 90° from the start: posture prompts at 5 and 15 min;
    the one due at 25 min waits for the stand prompt at 30 min and comes with it, and
    from then on the stand prompts carry the posture repeats."""
    _, alerts = drive(build([(S, 90 * 60, {"hip": True})]))
    prompts = of(alerts, *PROMPTS)
    assert _spaced(prompts, 600.0)
    assert rel(prompts)[:5] == [
        ("posture", 300.0),
        ("posture", 900.0),
        ("prompt", 1800.0),
        ("escalation", 2400.0),
        ("repeat", 3000.0),
    ]
    merged = [a for a in prompts if a.also]
    assert merged
    assert all(a.also == (AlertKind.POSTURE,) for a in merged)
    first = merged[0]
    assert first.message.startswith("You have been sitting for 30 min")
    assert "Hip bent past 90°" in first.message
    # without the spacing: posture and stand prompts alternate (the old behaviour)
    _, noisy = drive(build([(S, 90 * 60, {"hip": True})]), AlertParams(prompt_gap_s=0.0))
    assert not _spaced(of(noisy, *PROMPTS), 600.0)


def test_a_prompt_due_within_the_gap_waits() -> None:
    """The overdue stand prompt after a ride comes 10 min after the saddle prompt
    (sitting from 48 min: freewheeling until 53 min, then sitting)."""
    _, alerts = drive(build([(RS, 48 * 60), (S, 700)]), AlertParams(cyclist=True))
    assert rel(alerts) == [("saddle", 2700.0), ("escalation", 3300.0)]


@settings(max_examples=60, deadline=None)
@given(scenarios(), PARAMS)
def test_prompts_are_always_spaced_and_never_in_quiet_hours(
    scenario: tuple[list[AlertInput], dict[int, list[str]]], p: AlertParams
) -> None:
    inputs, commands = scenario
    _, alerts = drive(inputs, p, commands)
    assert _spaced(alerts, p.prompt_gap_s)
    offset = inputs[0].local_offset_s
    quiet = p.quiet_hours_s or ()
    for a in alerts:
        if a.kind in PROMPTS:
            sec = local_clock(a.t_s, offset)[2]
            assert not any((x <= sec < y) if x < y else (sec >= x or sec < y) for x, y in quiet)


# --- sensor status ---------------------------------------------------------------------


def test_short_dropouts_stay_silent() -> None:
    """Four 15 s dropouts in the first 70 s (calibration, a reconnect): no status."""
    parts = [(U, 2), (U, 15, ND), (U, 2), (NW, 15), (U, 2), (U, 15, ND), (U, 2), (NW, 15)]
    _, alerts = drive(build([*parts, (S, 100)]))
    assert of(alerts, AlertKind.STATUS) == []


def test_off_only_after_status_after_s_and_never_with_back_in_the_same_second() -> None:
    p = AlertParams()
    assert p.status_after_s == 60.0
    _, alerts = drive(build([(S, 100), (S, 60, ND), (S, 10)]))
    assert of(alerts, AlertKind.STATUS) == []  # back as "off" would be due
    _, alerts = drive(build([(S, 100), (S, 61, ND), (S, 40)]))
    assert p.back_after_s == 30.0
    assert [(a.status, a.t_s - T0) for a in alerts] == [
        (Status.NO_DATA, 160.0),
        (Status.DATA_BACK, 191.0),  # data for back_after_s first
    ]


@settings(max_examples=60, deadline=None)
@given(scenarios(), PARAMS)
def test_off_and_back_never_share_a_second(
    scenario: tuple[list[AlertInput], dict[int, list[str]]], p: AlertParams
) -> None:
    inputs, commands = scenario
    _, alerts = drive(inputs, p, commands)
    status = [a for a in alerts if a.kind == AlertKind.STATUS and a.status != Status.BATTERY_LOW]
    for a, b in itertools.pairwise(status):
        assert b.t_s - a.t_s >= 1.0 - 1e-6, (a, b)


def test_one_status_per_gap_even_when_it_changes_kind() -> None:
    """No data for 2 min, then the sensor is seen but not worn: one "off", one "back"."""
    _, alerts = drive(build([(S, 100), (S, 120, ND), (NW, 120), (S, 40)]))
    assert [(a.status, a.t_s - T0) for a in alerts] == [
        (Status.NO_DATA, 160.0),
        (Status.DATA_BACK, 370.0),
    ]
