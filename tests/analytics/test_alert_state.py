"""The policy's saved state: replays, restarts anywhere, damaged states, ids."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.alert_params import AlertParams
from analytics.alert_records import (
    AlertInput,
)
from analytics.alert_rules import run
from analytics.alert_state import AlertState, AlertWork
from tests.analytics.alert_steps import PARAMS, T0, S, U, build, drive, scenarios


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
    assert [f.name for f in dataclasses.fields(AlertWork)] == [
        f.name for f in dataclasses.fields(AlertState)
    ]


def test_ids_are_deterministic() -> None:
    inputs = build([(S, 1800), (U, 60), (S, 1000), (U, 130), (S, 100, {"battery_low": True})])
    _, a = drive(inputs, commands={1900: ["snooze 5"]})
    _, b = drive(inputs, commands={1900: ["snooze 5"]})
    assert [x.id for x in a] == [x.id for x in b]
    assert len({x.id for x in a}) == len(a)
    assert a[0].id == f"prompt-{round(T0 * 1000)}-1"


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
