"""The cyclist's ride in the alert policy: coasting, freewheeling downhill and stops at
lights are part of the ride (no desk prompt, no break feedback), a café stop is a
break, and the stands on the pedals of the ride are counted as the report counts them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.alert_params import AlertParams
from analytics.alert_records import PROMPTS, AlertKind
from analytics.records import Posture, Timeline
from analytics.rules import RULES
from analytics.saddle import SaddleContext, saddle
from tests.analytics.alert_steps import RS, RU, T0, S, U, build, drive, of, rel

CYCLIST = AlertParams(cyclist=True)
DESK_KINDS = (
    AlertKind.PROMPT,
    AlertKind.ESCALATION,
    AlertKind.REPEAT,
    AlertKind.BREAK_STARTED,
    AlertKind.BREAK_TOO_SHORT,
    AlertKind.BREAK_COMPLETE,
)


def test_freewheeling_downhill_is_seated_riding() -> None:
    """Four minutes still on the saddle between pedalling (longer than the posture
    rules' coasting, so the posture reads sitting): no "you have been sitting"
    prompt, and the saddle clock runs on through it."""
    assert RULES.freewheel_max_s >= 240.0
    _, alerts = drive(build([(RS, 35 * 60), (S, 240), (RS, 15 * 60)]), CYCLIST)
    assert rel(alerts) == [("saddle", 2700.0)]


def test_a_stop_at_lights_gets_no_break_feedback() -> None:
    """Standing astride the bike for a minute at a light, 35 min into a ride: no
    "break started" / "break too short"; the saddle is unloaded, so the saddle bout
    starts again (as the report counts it)."""
    _, alerts = drive(build([(RS, 35 * 60), (U, 60), (RS, 44 * 60)]), CYCLIST)
    assert alerts == []
    _, alerts = drive(build([(RS, 35 * 60), (U, 60), (RS, 45 * 60)]), CYCLIST)
    assert rel(alerts) == [("saddle", 35 * 60 + 60 + 2700.0)]


def test_a_cafe_stop_is_a_break() -> None:
    """Off the bike for 150 s (walking into the café), then sitting at a table: the
    break ended the compression bout, so the stand prompt comes 30 min after sitting
    down, and no saddle prompt ever comes for the chair."""
    st, alerts = drive(build([(RS, 40 * 60), (U, 150), (S, 35 * 60)]), CYCLIST)
    assert rel(of(alerts, *PROMPTS, *DESK_KINDS)) == [("prompt", 40 * 60 + 150 + 1800.0)]
    assert st.natural == 1
    assert st.ride_end_t_s is None


def test_the_saddle_prompt_says_how_long_to_stand_on_the_pedals() -> None:
    _, alerts = drive(build([(RS, 46 * 60)]), CYCLIST)
    assert [a.message for a in alerts] == [
        "45 min seated on the saddle: stand on the pedals for 10 s or take a break."
    ]
    assert alerts[0].saddle_minutes == 45.0
    assert alerts[0].to_dict()["saddle_minutes"] == 45.0


def test_a_saddle_prompt_merged_with_a_posture_prompt_keeps_its_minutes() -> None:
    """Riding 50 min with the hip past 90°: the posture prompt due at 45 min comes
    with the saddle prompt, as one alert led by the saddle prompt."""
    _, alerts = drive(build([(RS, 50 * 60, {"hip": True})]), CYCLIST)
    (one,) = [a for a in alerts if a.kind == AlertKind.SADDLE]
    assert (one.t_s - T0, one.also) == (2700.0, (AlertKind.POSTURE,))
    assert one.saddle_minutes == 45.0


def test_stands_this_ride_are_counted_and_a_new_ride_starts_at_zero() -> None:
    parts = [(RS, 600), (RU, 15), (RS, 600), (RU, 5), (RS, 600), (RU, 30), (RS, 60)]
    st, _ = drive(build(parts), CYCLIST)
    assert st.ride_stands == 2
    assert st.saddle_start_t_s == T0 + 600 + 15 + 600 + 5 + 600 + 30
    st, _ = drive(build([*parts, (U, 200), (RS, 60)]), CYCLIST)
    assert st.ride_stands == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([RS, RU]), st.integers(1, 40)), min_size=1))
def test_stands_and_saddle_bout_as_the_report_counts_them(
    parts: list[tuple[Posture, int]],
) -> None:
    posture = np.array([int(p) for p, n in parts for _ in range(n)], dtype=np.int8)
    tl = Timeline(t0_s=int(T0), posture=posture, hip_flexion_deg=np.zeros(posture.size))
    report = saddle(tl)
    st, _ = drive(build(list(parts)), CYCLIST)
    assert st.ride_stands == report.stands
    if posture[-1] == RS:
        # the running bout is the report's last one
        first, _end, _hip = SaddleContext(tl).bouts()
        assert st.saddle_start_t_s == T0 + int(first[-1])


def test_the_saddle_prompt_keeps_its_minute_when_a_posture_prompt_is_near() -> None:
    """Hip past 90° from 3 min into the saddle bout: the posture prompt due at 38 min
    waits for the saddle prompt at 45 min and comes with it (rather than pushing it
    to 48 min by the prompt spacing)."""
    _, alerts = drive(build([(RS, 180), (RS, 50 * 60, {"hip": True})]), CYCLIST)
    assert [(k, t) for k, t in rel(alerts)] == [
        ("posture", 480.0),
        ("posture", 1080.0),
        ("posture", 1680.0),
        ("saddle", 2700.0),
    ]
    assert alerts[-1].also == (AlertKind.POSTURE,)
