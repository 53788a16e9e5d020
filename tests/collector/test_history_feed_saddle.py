"""The history's record of a saddle prompt (pure: no store)."""

from __future__ import annotations

from analytics.alert_params import AlertParams
from analytics.alert_records import AlertKind
from collector.service.history_feed import alert_record
from tests.analytics.alert_steps import RS, S, build, drive, of

CYCLIST = AlertParams(cyclist=True)


def test_the_history_keeps_the_saddle_bout_of_a_saddle_prompt() -> None:
    """The history event's value (Grafana's saddle panel): the saddle bout's minutes,
    not the compression bout's (here 20 min longer: sitting on a chair first)."""
    _, alerts = drive(build([(S, 20 * 60), (RS, 46 * 60)]), CYCLIST)
    (saddle_prompt,) = of(alerts, AlertKind.SADDLE)
    assert saddle_prompt.bout_minutes == 65.0
    assert alert_record("u", saddle_prompt).value == 45.0
