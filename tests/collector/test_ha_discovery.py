"""Home Assistant discovery configs of the MQTT sink (pure: no broker)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from analytics.alert_records import AlertKind
from collector.sinks.ha_discovery import discovery_messages, status_topic
from collector.sinks.ha_registry import remember_configs
from collector.sinks.mqtt_payloads import Topics
from collector.sinks.settings import MqttSettings

ID = re.compile(r"^[a-zA-Z0-9_-]+$")
SETTINGS = MqttSettings(host="broker", user_id="p-017", expire_after_s=900)
TOPICS = Topics.of("sitload", "p-017")
DAILY = {
    "day_sitting": "sensor",
    "day_bouts_gt30": "sensor",
    "day_bouts_gt60": "sensor",
    "day_longest_bout": "sensor",
    "day_breaks_after_prompts": "sensor",
    "day_micro_breaks": "sensor",
    "day_hip_gt90": "sensor",
    "day_valid": "binary_sensor",
}


def configs(settings: MqttSettings = SETTINGS) -> dict[str, tuple[str, dict[str, Any]]]:
    """key (the part after sitload_<user>_) → (component, payload)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for topic, payload in discovery_messages(settings, sw_version="1.2.3"):
        prefix, component, object_id, tail = topic.split("/")
        assert (prefix, tail) == (settings.discovery_prefix, "config")
        assert object_id.startswith(f"sitload_{settings.user_id}_")
        out[object_id.removeprefix(f"sitload_{settings.user_id}_")] = (component, payload)
    return out


def test_topics_and_ids() -> None:
    messages = discovery_messages(SETTINGS, sw_version="1.2.3")
    pattern = re.compile(r"^homeassistant/(sensor|binary_sensor|event|button)/([^/]+)/config$")
    unique_ids = []
    for topic, payload in messages:
        m = pattern.match(topic)
        assert m, topic
        component, object_id = m.groups()
        assert ID.match(object_id)
        assert payload["unique_id"] == payload["object_id"] == object_id
        assert payload["default_entity_id"] == f"{component}.{object_id}"
        unique_ids.append(payload["unique_id"])
        json.dumps(payload, allow_nan=False)  # serialisable
    assert len(unique_ids) == len(set(unique_ids)) == 21
    assert {k: c for k, (c, _) in configs().items()} == {
        "bout_minutes": "sensor",
        "today_sitting": "sensor",
        "bouts_over_30": "sensor",
        "hip_gt90_minutes": "sensor",
        "adherence": "sensor",
        "sitting": "binary_sensor",
        "alert": "event",
        "snooze": "button",
        "acknowledge": "button",
        "battery": "sensor",
        "posture": "sensor",
        "sensor_status": "sensor",
        "calibrated": "binary_sensor",
        **DAILY,
    }


def test_common_fields() -> None:
    for key, (component, p) in configs().items():
        assert p["name"]
        assert p["availability_topic"] == TOPICS.availability
        assert (p["payload_available"], p["payload_not_available"]) == ("online", "offline")
        assert p["device"] == {
            "identifiers": ["sitload_p-017"],
            "name": "sitload p-017",
            "manufacturer": "sitload",
            "model": "sitload collector",
            "sw_version": "1.2.3",
        }
        if key in DAILY:  # the day summary: retained, it never expires
            assert p["state_topic"] == TOPICS.daily == "sitload/p-017/daily", key
            assert "expire_after" not in p, key
            assert "value_json." in p["value_template"], key
        elif component in ("sensor", "binary_sensor"):
            assert p["state_topic"] == TOPICS.state, key
            assert p["expire_after"] == 900, key
            assert "value_json." in p["value_template"], key
        else:
            assert "expire_after" not in p, key


def test_sensors() -> None:
    c = configs()
    assert c["bout_minutes"][1]["unit_of_measurement"] == "min"
    assert c["bout_minutes"][1]["state_class"] == "measurement"
    assert c["bout_minutes"][1]["icon"].startswith("mdi:")
    for key in ("today_sitting", "hip_gt90_minutes"):
        assert c[key][1]["unit_of_measurement"] == "min"
        assert c[key][1]["state_class"] == "total_increasing"
    assert c["bouts_over_30"][1]["state_class"] == "total_increasing"
    assert "today_bouts_over_30" in c["bouts_over_30"][1]["value_template"]
    adherence = c["adherence"][1]
    assert adherence["unit_of_measurement"] == "%"
    assert "adherence_pct" in adherence["value_template"]
    assert adherence["json_attributes_topic"] == TOPICS.state
    for counter in ("prompted", "taken", "natural", "late", "snoozed", "ignored"):
        assert f"value_json.adherence.{counter}" in adherence["json_attributes_template"]


def test_day_summary_sensors() -> None:
    """Each figure of the ``daily`` message (collector.sinks.day_report) has a sensor,
    minutes as durations; the date, history and user are attributes."""
    c = configs()
    fields = {
        "day_sitting": "sitting_min",
        "day_bouts_gt30": "bouts_gt30min",
        "day_bouts_gt60": "bouts_gt60min",
        "day_longest_bout": "longest_bout_min",
        "day_breaks_after_prompts": "breaks_after_prompts",
        "day_micro_breaks": "micro_breaks",
        "day_hip_gt90": "hip_gt90_min",
        "day_valid": "valid_day",
    }
    assert set(fields) == set(DAILY)
    for key, field in fields.items():
        p = c[key][1]
        assert f"value_json.{field} " in p["value_template"], key
        assert p["json_attributes_topic"] == TOPICS.daily
        for attr in ("date", "complete", "history", "user"):
            assert f"value_json.{attr}" in p["json_attributes_template"]
        minutes = field.endswith("_min") and not field.startswith("bouts")
        assert (p.get("unit_of_measurement") == "min") == minutes, key
        assert (p.get("device_class") == "duration") == minutes, key


def test_sitting_is_unknown_without_data() -> None:
    p = configs()["sitting"][1]
    assert (p["payload_on"], p["payload_off"]) == ("ON", "OFF")
    template = p["value_template"]
    assert "'None' if value_json.sitting is none" in template  # unknown, not OFF


def test_alert_event_and_buttons() -> None:
    c = configs()
    event = c["alert"][1]
    assert event["state_topic"] == TOPICS.alert
    assert event["event_types"] == [k.value for k in AlertKind]
    assert "'event_type': value_json.kind" in event["value_template"]
    for key, press in (("snooze", "snooze"), ("acknowledge", "ack")):
        button = c[key][1]
        assert button["command_topic"] == TOPICS.command
        assert button["payload_press"] == press
        assert button["retain"] is False


def test_other_prefixes() -> None:
    s = MqttSettings(host="b", prefix="clinic/sitload", user_id="u1", discovery_prefix="ha")
    c = configs(s)
    assert c["bout_minutes"][1]["state_topic"] == "clinic/sitload/u1/state"
    assert status_topic("ha") == "ha/status"
    with pytest.raises(ValueError, match="discovery_prefix"):
        discovery_messages(MqttSettings(host="b", discovery_prefix="/ha"), sw_version="1")
    with pytest.raises(ValueError, match="user_id"):
        discovery_messages(MqttSettings(host="b", user_id="Jane Doe"), sw_version="1")


def test_the_cyclist_gets_saddle_entities() -> None:
    """The cyclist profile adds the running saddle bout and the stands of the ride;
    the desk profile announces neither."""
    rider = dataclasses.replace(SETTINGS, saddle=True)
    c = configs(rider)
    assert set(c) - set(configs()) == {"saddle_bout_minutes", "ride_stands"}
    component, bout = c["saddle_bout_minutes"]
    assert component == "sensor"
    assert bout["value_template"] == "{{ value_json.saddle_bout_minutes }}"
    assert (bout["unit_of_measurement"], bout["state_class"]) == ("min", "measurement")
    component, stands = c["ride_stands"]
    assert component == "sensor"
    assert stands["value_template"] == "{{ value_json.ride_stands }}"
    assert stands["state_class"] == "measurement"
    assert stands["state_topic"] == TOPICS.state


def test_a_rider_turned_desk_worker_clears_the_saddle_entities(tmp_path: Path) -> None:
    registry = tmp_path / "ha-discovery.json"
    rider = [
        t for t, _ in discovery_messages(dataclasses.replace(SETTINGS, saddle=True), sw_version="1")
    ]
    desk = [t for t, _ in discovery_messages(SETTINGS, sw_version="1")]
    assert remember_configs(registry, rider) == []
    retired = remember_configs(registry, desk)
    assert [t.split("/")[2].removeprefix("sitload_p-017_") for t in retired] == [
        "ride_stands",
        "saddle_bout_minutes",
    ]
