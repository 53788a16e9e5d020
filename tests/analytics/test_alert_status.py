"""The sensor status: "off" after ``status_after_s`` of gap, "back" only after data has
flowed ``back_after_s`` (issue 18): one off/back pair per gap, never in one second."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.alert_params import AlertParams
from analytics.alert_records import Alert, AlertInput, AlertKind, DataState, Status
from analytics.records import Posture
from tests.analytics.alert_steps import NW, T0, S, build, drive

ND = {"data": DataState.NO_DATA}
OFF = (Status.NO_DATA, Status.SENSOR_OFF)


def statuses(alerts: list[Alert]) -> list[tuple[str, float]]:
    return [
        ("off" if a.status in OFF else "back", a.t_s - T0)
        for a in alerts
        if a.kind == AlertKind.STATUS and a.status != Status.BATTERY_LOW
    ]


def test_back_waits_until_data_has_flowed_back_after_s() -> None:
    """A sensor that reconnects for a few seconds and drops again: one "off", and one
    "back" once data has flowed 30 s (before: "back" 5 s after each reconnect)."""
    parts = [(S, 100), (S, 120, ND), (S, 5), (S, 70, ND), (S, 5), (NW, 30), (S, 60)]
    _, alerts = drive(build(parts))
    # off at 100 + 60; data from 330 flows on: back at 330 + 30
    assert statuses(alerts) == [("off", 160.0), ("back", 360.0)]
    assert AlertParams().back_after_s == 30.0


def test_back_after_s_is_a_setting() -> None:
    parts = [(S, 100), (S, 90, ND), (S, 20)]
    _, alerts = drive(build(parts), AlertParams(back_after_s=10.0))
    assert statuses(alerts) == [("off", 160.0), ("back", 200.0)]
    _, alerts = drive(build(parts), AlertParams(back_after_s=0.0))
    assert statuses(alerts) == [("off", 160.0), ("back", 190.0)]
    _, alerts = drive(build(parts), AlertParams(back_after_s=20.0))
    assert statuses(alerts) == [("off", 160.0)]  # 20 s of data, not a second more


# --- property: random gap patterns -----------------------------------------------------

KINDS = ("ok", "no_data", "off_body")


@st.composite
def patterns(draw: st.DrawFn) -> tuple[list[tuple[str, int]], int, int, bool]:
    """Runs of data and gaps (kind, seconds), ``status_after_s``, ``back_after_s``, and
    whether gap runs come as one step (as the live engine gives them) or per second."""
    runs = draw(
        st.lists(st.tuples(st.sampled_from(KINDS), st.integers(1, 150)), min_size=1, max_size=14)
    )
    return runs, draw(st.integers(0, 90)), draw(st.integers(0, 60)), draw(st.booleans())


def inputs_of(runs: list[tuple[str, int]], whole_gaps: bool) -> list[AlertInput]:
    out: list[AlertInput] = []
    t = T0
    for kind, n in runs:
        data = DataState.NO_DATA if kind == "no_data" else DataState.OK
        posture = Posture.NONWEAR if kind == "off_body" else Posture.SITTING
        if kind != "ok" and whole_gaps:
            out.append(AlertInput(t_s=t, posture=posture, dt_s=float(n), data=data))
        else:
            out += [AlertInput(t_s=t + i, posture=posture, data=data) for i in range(n)]
        t += n
    return out


def expected(runs: list[tuple[str, int]], off_s: int, back_s: int) -> list[tuple[str, float]]:
    """The rule second by second: "off" at the second a gap has lasted ``off_s`` and goes
    on; then "back" at the second data has flowed ``back_s`` and goes on (a gap in
    between keeps the gap open: no second "off")."""
    seconds = [kind == "ok" for kind, n in runs for _ in range(n)]
    out: list[tuple[str, float]] = []
    reported, gap, flowing = False, 0, 0
    for i, ok in enumerate(seconds):
        if ok:
            gap, flowing = 0, flowing + 1
            if reported and flowing == back_s + 1:
                out.append(("back", float(i)))
                reported = False
        else:
            gap, flowing = gap + 1, 0
            if not reported and gap == off_s + 1:
                out.append(("off", float(i)))
                reported = True
    return out


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_random_gaps_give_one_off_and_one_back_each_never_in_one_second(
    case: tuple[list[tuple[str, int]], int, int, bool],
) -> None:
    runs, off_s, back_s, whole_gaps = case
    p = AlertParams(status_after_s=float(off_s), back_after_s=float(back_s))
    _, alerts = drive(inputs_of(runs, whole_gaps), p)
    got = statuses(alerts)
    assert got == expected(runs, off_s, back_s)
    # off, back, off, back …: one pair per gap
    assert [k for k, _ in got] == ["off", "back"] * (len(got) // 2) + ["off"] * (len(got) % 2)
    # never "off" and "back" in the same second
    assert all(b - a >= 1.0 for (_, a), (_, b) in itertools.pairwise(got))
    offs = {int(t) for k, t in got if k == "off"}
    assert not offs & {int(t) for k, t in got if k == "back"}
