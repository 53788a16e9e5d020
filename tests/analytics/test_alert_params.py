"""The alert policy's parameters and their checks."""

from __future__ import annotations

import pytest

from analytics.alert_params import AlertParams
from analytics.compression import ExposureParams
from tests.analytics.alert_steps import S, build, drive


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
