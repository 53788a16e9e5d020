"""collector.sinks.mqtt_payloads: the numbers of alert payloads are rounded, under the
key names Home Assistant's templates read."""

from __future__ import annotations

import json

from analytics.alert_records import Alert, AlertKind
from collector.sinks.ha_discovery import discovery_messages
from collector.sinks.mqtt_payloads import alert_payload, reply_payload, to_json
from collector.sinks.settings import MqttSettings

T0 = 1_746_523_800.0


def _alert() -> Alert:
    return Alert(
        id="prompt-1",
        kind=AlertKind.BREAK_COMPLETE,
        t_s=T0 + 0.123456789,
        message="Break complete",
        bout_start_t_s=T0 - 3073.0000001,
        bout_minutes=51.21666666666667,
        stand_for_s=120.00000000001,
        upright_s=131.33333333333,
        level=1,
    )


def test_alert_payload_numbers_are_rounded() -> None:
    d = json.loads(
        to_json(
            alert_payload(
                _alert(), user_id="p17", raised_at_s=T0, sent_at_s=T0 + 0.05, late_after_s=5.0
            )
        )
    )
    assert d["bout_minutes"] == 51.22
    assert d["t_s"] == round(T0 + 0.123, 3)
    assert d["bout_start_t_s"] == T0 - 3073.0
    assert d["stand_for_s"] == 120.0
    assert d["upright_s"] == 131.3
    assert d["level"] == 1
    assert "51.2166" not in to_json(d).decode()


def test_command_replies_round_their_alerts_too() -> None:
    d = reply_payload("ack", [_alert()])
    assert d["results"][0]["bout_minutes"] == 51.22


def test_the_home_assistant_event_reads_the_rounded_keys() -> None:
    payload = alert_payload(_alert(), user_id="p17", raised_at_s=T0, sent_at_s=T0, late_after_s=5.0)
    configs = [
        body
        for topic, body in discovery_messages(
            MqttSettings(host="localhost", user_id="p17"), sw_version="0"
        )
        if topic.endswith("_alert/config")
    ]
    assert configs
    template = configs[0]["value_template"]
    for key in ("bout_minutes", "stand_for_s", "level", "late", "t", "id", "message"):
        assert f"value_json.{key}" in template
        assert key in payload
