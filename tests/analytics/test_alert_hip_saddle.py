"""The posture (hip past 90°) and saddle prompts."""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.alert_params import AlertParams
from analytics.alert_records import (
    AlertKind,
    hip_gt90_s_from_stream,
)
from analytics.compression import ExposureParams
from analytics.exposure import exposure_report
from analytics.records import Posture, Timeline
from analytics.stream_state import begin
from analytics.streaming import advance
from tests.analytics.alert_steps import RS, RU, T0, S, U, build, drive, of, rel


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
    assert alerts[0].message == (
        "45 min seated on the saddle: stand on the pedals for 10 s or take a break."
    )
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
    """Sitting still right after riding is freewheeling (issue 12) until
    ``freewheel_max_s`` has passed; sitting on, the overdue stand prompt comes."""
    p = AlertParams(cyclist=True, prompt_gap_s=300.0)  # the stand prompt 5 min after the saddle
    _, alerts = drive(build([(RS, 48 * 60), (S, 5)]), p)
    assert rel(alerts) == [("saddle", 2700.0)]
    _, alerts = drive(build([(RS, 48 * 60), (S, 301)]), p)
    assert rel(alerts) == [("saddle", 2700.0), ("escalation", 2880.0 + p.freewheel_max_s)]


def test_the_saddle_stand_is_the_exposure_rule_live_and_in_the_report() -> None:
    """A 15 s stand on the pedals: part of the saddle bout with a 20 s saddle stand,
    the end of it with the default 10 s; the live prompts and the batch report agree."""
    parts: list[tuple[Posture, int]] = [(RS, 1500), (RU, 15), (RS, 1300)]
    posture = np.array([int(p) for p, n in parts for _ in range(n)], dtype=np.int8)
    tl = Timeline(t0_s=int(T0), posture=posture, hip_flexion_deg=np.zeros(posture.size))
    for stand_s, bouts, prompts in ((20.0, 1, [("saddle", 2700.0)]), (10.0, 2, [])):
        exposure = ExposureParams(saddle_stand_s=stand_s)
        _, alerts = drive(build(list(parts)), AlertParams(cyclist=True, exposure=exposure))
        assert rel(alerts) == prompts
        assert exposure_report(tl, exposure).total.saddle.seated_bouts == bouts
