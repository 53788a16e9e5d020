"""Home Assistant, more complete (issue 17): battery, posture, sensor status and
calibration as diagnostic entities; ``origin.support_url``; configs that went away
cleared. Pure: the payloads against Home Assistant's own MQTT rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from analytics.alert_records import DataState
from analytics.records import POSTURE_WORDS
from collector.sinks.ha_discovery import discovery_messages, retired_config_topics
from collector.sinks.ha_registry import remember_configs, seed_legacy_default
from collector.sinks.mqtt_payloads import Topics, state_payload
from collector.sinks.settings import MqttSettings
from tests.collector.mqtt_harness import status

SETTINGS = MqttSettings(host="broker", user_id="p-017", expire_after_s=900)
TOPICS = Topics.of("sitload", "p-017")
SIMPLE = re.compile(r"^\{\{ value_json\.([a-z_]+) \}\}$")


def configs(**kw: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for topic, payload in discovery_messages(SETTINGS, sw_version="1.2.3", **kw):
        _prefix, component, object_id, _tail = topic.split("/")
        out[object_id.removeprefix("sitload_p-017_")] = (component, payload)
    return out


def check_like_home_assistant(component: str, p: dict[str, Any]) -> None:
    """The rules Home Assistant's MQTT sensor schema adds to the field types
    (homeassistant/components/mqtt/sensor.py, validate_sensor_state_and_device_class_config),
    and its entity categories (a sensor may only be ``diagnostic``)."""
    if "entity_category" in p:
        assert p["entity_category"] == "diagnostic"
    if component == "sensor" and "options" in p:
        assert p["options"], "an empty options list is not allowed"
        assert "state_class" not in p
        assert "unit_of_measurement" not in p
        assert p["device_class"] == "enum"
    if p.get("device_class") == "battery":
        assert p["unit_of_measurement"] == "%"


def test_every_config_follows_home_assistants_rules() -> None:
    for component, p in configs().values():
        check_like_home_assistant(component, p)


def test_battery_posture_status_and_calibration_are_diagnostics() -> None:
    c = configs()
    battery = c["battery"]
    assert battery[0] == "sensor"
    assert battery[1]["device_class"] == "battery"
    assert battery[1]["unit_of_measurement"] == "%"
    assert battery[1]["state_class"] == "measurement"
    posture = c["posture"][1]
    assert posture["device_class"] == "enum"
    assert posture["options"] == list(POSTURE_WORDS)
    sensor_status = c["sensor_status"][1]
    assert (
        sensor_status["options"] == [d.value for d in DataState] == ["ok", "no_data", "sensor_off"]
    )
    component, calibrated = c["calibrated"]
    assert component == "binary_sensor"
    assert (calibrated["payload_on"], calibrated["payload_off"]) == ("ON", "OFF")
    assert "value_json.calibrated" in calibrated["value_template"]
    assert calibrated["json_attributes_topic"] == TOPICS.state
    for key in ("battery", "posture", "sensor_status", "calibrated"):
        assert c[key][1]["entity_category"] == "diagnostic", key
        assert c[key][1]["state_topic"] == TOPICS.state, key
        assert c[key][1]["expire_after"] == 900, key
    # the person's own entities stay primary
    for key in ("bout_minutes", "sitting", "alert", "snooze"):
        assert "entity_category" not in c[key][1], key


def test_the_templates_read_fields_the_state_payload_has() -> None:
    state = json.loads(json.dumps(state_payload(status())))
    for key in ("battery", "posture", "sensor_status"):
        m = SIMPLE.match(configs()[key][1]["value_template"])
        assert m, key
        assert m.group(1) in state, key
    assert state["posture"] in POSTURE_WORDS
    assert state["data"] in [d.value for d in DataState]
    assert isinstance(state["calibrated"], bool)
    assert "calibration_source" in state
    assert "calibration_confidence" in state
    # no battery reading: null, which Home Assistant shows as unknown
    assert state_payload(status())["battery_pct"] == 80
    template = configs()["calibrated"][1]["json_attributes_template"]
    for field in ("calibration_source", "calibration_confidence"):
        assert f"value_json.{field}" in template


def test_origin_names_the_support_url() -> None:
    for _component, p in configs(support_url="https://example.org/sitload/issues").values():
        assert p["origin"] == {
            "name": "sitload",
            "sw_version": "1.2.3",
            "support_url": "https://example.org/sitload/issues",
        }
    for _component, p in configs().values():
        assert p["origin"] == {"name": "sitload", "sw_version": "1.2.3"}


def test_retired_topics_are_the_known_ones_no_longer_announced() -> None:
    assert retired_config_topics(["a", "b", "c"], ["b", "d"]) == ["a", "c"]
    assert retired_config_topics([], ["b"]) == []


def test_the_registry_keeps_every_topic_announced(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ha-discovery.json"
    assert remember_configs(path, ["ha/sensor/sitload_user_x/config"]) == []
    assert remember_configs(path, ["ha/sensor/sitload_u-1_x/config"]) == [
        "ha/sensor/sitload_user_x/config"
    ]
    # still listed: sent again on every start, in case a clear never reached the broker
    assert remember_configs(path, ["ha/sensor/sitload_u-1_x/config"]) == [
        "ha/sensor/sitload_user_x/config"
    ]
    # back to the old id: nothing of it is cleared
    assert remember_configs(path, ["ha/sensor/sitload_user_x/config"]) == [
        "ha/sensor/sitload_u-1_x/config"
    ]
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "topics": ["ha/sensor/sitload_u-1_x/config", "ha/sensor/sitload_user_x/config"]
    }


def test_a_damaged_registry_clears_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ha-discovery.json"
    path.write_text("{not json", encoding="utf-8")
    assert remember_configs(path, ["t"]) == []
    assert json.loads(path.read_text(encoding="utf-8")) == {"topics": ["t"]}


def test_an_upgraded_gateway_clears_the_old_default_users_entities(tmp_path: Path) -> None:
    path = tmp_path / "ha-discovery.json"
    derived = MqttSettings(host="broker", user_id="u-1a2b3c4d")
    # a new gateway: nothing to clear
    assert not seed_legacy_default(path, tmp_path, derived)
    assert not path.exists()
    # a gateway that ran as the old default "user" (its state file is there)
    (tmp_path / "user.state.json").write_text("{}", encoding="utf-8")
    assert not seed_legacy_default(path, tmp_path, MqttSettings(host="b", user_id="user"))
    assert seed_legacy_default(path, tmp_path, derived)
    current = [t for t, _ in discovery_messages(derived, sw_version="1")]
    retired = remember_configs(path, current)
    assert "homeassistant/sensor/sitload_user_bout_minutes/config" in retired
    assert len(retired) == len(current)
    assert all("/sitload_user_" in t for t in retired)
    # once: the registry exists from now on
    assert not seed_legacy_default(path, tmp_path, derived)
