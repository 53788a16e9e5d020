"""The alert policy's parameters and their checks."""

from __future__ import annotations

import dataclasses

import pytest

from analytics.alert_params import AlertParams
from analytics.alert_records import AlertKind
from analytics.compression import ExposureParams
from analytics.rules import RULES
from tests.analytics.alert_steps import S, U, build, drive, rel


def test_stand_for_is_in_the_message_and_validated() -> None:
    _, alerts = drive(build([(S, 1800)]), AlertParams(stand_for_s=300.0))
    assert alerts[0].message == "You have been sitting for 30 min: stand up for 5 min."
    assert alerts[0].stand_for_s == 300.0
    with pytest.raises(ValueError, match="stand_for_s"):
        AlertParams(stand_for_s=60.0)
    with pytest.raises(ValueError, match="stand_for_s"):
        AlertParams(stand_for_s=301.0)


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
        AlertParams(exposure=ExposureParams(break_s=200.0), stand_for_s=150.0)
    with pytest.raises(ValueError, match="finite"):
        AlertParams(taken_within_s=float("inf"))


def test_the_break_and_the_saddle_stand_have_one_owner() -> None:
    """The policy has no break length or saddle stand of its own: it reads them from
    the ExposureParams it holds (defaults from RULES), the record the engine runs on."""
    fields = {f.name for f in dataclasses.fields(AlertParams)}
    assert not fields & {"break_s", "saddle_stand_s"}
    assert AlertParams().exposure == ExposureParams()
    assert (ExposureParams().break_s, ExposureParams().saddle_stand_s) == (
        RULES.break_s,
        RULES.saddle_stand_s,
    )
    p = AlertParams(stand_for_s=180.0, exposure=ExposureParams(break_s=150.0))
    _, alerts = drive(build([(S, 1800), (U, 149), (S, 1)]), p)
    assert [a.kind for a in alerts][-1] == AlertKind.BREAK_TOO_SHORT
    assert alerts[-1].message.endswith("Stand for at least 2 min 30 s.")
    _, alerts = drive(build([(S, 1800), (U, 150)]), p)
    assert rel(alerts)[-1] == ("break_complete", 1950.0)
    with pytest.raises(ValueError, match="finite"):
        AlertParams(exposure=ExposureParams(saddle_stand_s=float("nan")))
    with pytest.raises(ValueError, match="saddle_stand_s"):
        ExposureParams(saddle_stand_s=0.0)
