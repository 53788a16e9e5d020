"""Home Assistant MQTT discovery configs of the sink's entities (pure).

:func:`discovery_messages` gives the retained ``(topic, payload)`` pairs the sink
publishes at ``<discovery_prefix>/<component>/<object_id>/config``; the entities
read the sink's own topics (``docs/mqtt.md`` lists them). Ids are
``sitload_<user_id>_<key>``, so they hold only ``[A-Za-z0-9_-]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analytics.alert_records import AlertKind, DataState
from analytics.records import POSTURE_WORDS
from collector.sinks.mqtt_payloads import (
    OFFLINE,
    ONLINE,
    Topics,
    validate_topic_prefix,
    validate_user_id,
)
from collector.sinks.settings import MqttSettings

MODEL = "sitload collector"
MANUFACTURER = "sitload"

SENSOR = "sensor"
BINARY_SENSOR = "binary_sensor"
EVENT = "event"
BUTTON = "button"
DIAGNOSTIC = "diagnostic"
"""``entity_category`` of the entities about the sensors rather than the person."""


@dataclass(frozen=True, slots=True)
class _Entity:
    component: str
    key: str
    name: str
    fields: dict[str, Any]
    expires: bool = True
    """Gets ``expire_after`` (sensors and binary sensors)."""


def _duration_sensor(key: str, name: str, field: str, state_class: str, icon: str) -> _Entity:
    return _Entity(
        SENSOR,
        key,
        name,
        {
            "value_template": "{{ value_json." + field + " }}",
            "unit_of_measurement": "min",
            "device_class": "duration",
            "state_class": state_class,
            "suggested_display_precision": 0,
            "icon": icon,
        },
    )


def _diagnostics(topics: Topics) -> list[_Entity]:
    """Battery, posture, sensor status and calibration: shown under the device's
    diagnostics in Home Assistant. ``null`` renders ``None``: unknown."""
    calibration_attributes = (
        "{{ {'source': value_json.calibration_source, "
        "'confidence': value_json.calibration_confidence} | tojson }}"
    )
    return [
        _Entity(
            SENSOR,
            "battery",
            "Sensor battery",
            {
                "value_template": "{{ value_json.battery_pct }}",
                "unit_of_measurement": "%",
                "device_class": "battery",
                "state_class": "measurement",
                "entity_category": DIAGNOSTIC,
            },
        ),
        _Entity(
            SENSOR,
            "posture",
            "Posture",
            {
                "value_template": "{{ value_json.posture }}",
                "device_class": "enum",
                "options": list(POSTURE_WORDS),
                "entity_category": DIAGNOSTIC,
                "icon": "mdi:human-male",
            },
        ),
        _Entity(
            SENSOR,
            "sensor_status",
            "Sensor status",
            {
                "value_template": "{{ value_json.data }}",
                "device_class": "enum",
                "options": [d.value for d in DataState],
                "entity_category": DIAGNOSTIC,
                "icon": "mdi:access-point-network",
            },
        ),
        _Entity(
            BINARY_SENSOR,
            "calibrated",
            "Thigh sensor calibrated",
            {
                "value_template": "{{ 'ON' if value_json.calibrated else 'OFF' }}",
                "payload_on": "ON",
                "payload_off": "OFF",
                "entity_category": DIAGNOSTIC,
                "icon": "mdi:tune-vertical",
                "json_attributes_topic": topics.state,
                "json_attributes_template": calibration_attributes,
            },
        ),
    ]


def _daily_sensor(
    key: str, name: str, field: str, icon: str, daily: str, *, minutes: bool
) -> _Entity:
    """A figure of the last day summary (``<base>/daily``, retained: it never expires;
    its attributes say which day and where its history is)."""
    fields: dict[str, Any] = {
        "state_topic": daily,
        "value_template": "{{ value_json." + field + " }}",
        "state_class": "measurement",
        "icon": icon,
        "json_attributes_topic": daily,
        "json_attributes_template": DAILY_ATTRIBUTES,
    }
    if minutes:
        fields |= {
            "unit_of_measurement": "min",
            "device_class": "duration",
            "suggested_display_precision": 0,
        }
    return _Entity(SENSOR, key, name, fields, expires=False)


DAILY_ATTRIBUTES = (
    "{{ {'date': value_json.date, 'complete': value_json.complete, "
    "'history': value_json.history, 'user': value_json.user} | tojson }}"
)


def _daily(topics: Topics) -> list[_Entity]:
    """The day summary's figures (docs/mqtt.md, ``daily``)."""
    d = topics.daily
    return [
        _daily_sensor("day_sitting", "Day: sitting", "sitting_min", "mdi:chair-rolling", d,
                      minutes=True),
        _daily_sensor("day_bouts_gt30", "Day: bouts over 30 min", "bouts_gt30min",
                      "mdi:timer-alert-outline", d, minutes=False),
        _daily_sensor("day_bouts_gt60", "Day: bouts over 60 min", "bouts_gt60min",
                      "mdi:timer-alert", d, minutes=False),
        _daily_sensor("day_longest_bout", "Day: longest bout", "longest_bout_min",
                      "mdi:seat-recline-normal", d, minutes=True),
        _daily_sensor("day_breaks_after_prompts", "Day: breaks after prompts",
                      "breaks_after_prompts", "mdi:human-handsup", d, minutes=False),
        _daily_sensor("day_micro_breaks", "Day: micro-breaks", "micro_breaks",
                      "mdi:human-handsdown", d, minutes=False),
        _daily_sensor("day_hip_gt90", "Day: hip flexion over 90°", "hip_gt90_min",
                      "mdi:angle-acute", d, minutes=True),
        _Entity(
            BINARY_SENSOR,
            "day_valid",
            "Day: valid (worn long enough)",
            {
                "state_topic": d,
                "value_template": "{{ 'ON' if value_json.valid_day else 'OFF' }}",
                "payload_on": "ON",
                "payload_off": "OFF",
                "icon": "mdi:calendar-check",
                "json_attributes_topic": d,
                "json_attributes_template": DAILY_ATTRIBUTES,
            },
            expires=False,
        ),
    ]  # fmt: skip


def _saddle(topics: Topics) -> list[_Entity]:
    """The cyclist's: the running saddle bout (the saddle prompt's clock) and the
    stands on the pedals of the ride."""
    return [
        _duration_sensor(
            "saddle_bout_minutes",
            "Saddle bout",
            "saddle_bout_minutes",
            "measurement",
            "mdi:bicycle",
        ),
        _Entity(
            SENSOR,
            "ride_stands",
            "Stands this ride",
            {
                "value_template": "{{ value_json.ride_stands }}",
                "state_class": "measurement",
                "icon": "mdi:bike-fast",
            },
        ),
    ]


def _entities(topics: Topics, *, saddle: bool) -> list[_Entity]:
    adherence_attributes = (
        "{{ {'date': value_json.adherence.date, "
        "'prompted': value_json.adherence.prompted, "
        "'taken': value_json.adherence.taken, "
        "'natural': value_json.adherence.natural, "
        "'late': value_json.adherence.late, "
        "'snoozed': value_json.adherence.snoozed, "
        "'ignored': value_json.adherence.ignored} | tojson }}"
    )
    event_template = (
        "{{ {'event_type': value_json.kind, 'id': value_json.id, "
        "'message': value_json.message, 'level': value_json.level, "
        "'bout_minutes': value_json.bout_minutes, 'stand_for_s': value_json.stand_for_s, "
        "'late': value_json.late, 't': value_json.t} | tojson }}"
    )
    return [
        _duration_sensor(
            "bout_minutes", "Sitting bout", "bout_minutes", "measurement", "mdi:seat-recline-normal"
        ),
        _duration_sensor(
            "today_sitting",
            "Sitting today",
            "today_sitting_min",
            "total_increasing",
            "mdi:chair-rolling",
        ),
        _Entity(
            SENSOR,
            "bouts_over_30",
            "Bouts over 30 min today",
            {
                "value_template": "{{ value_json.today_bouts_over_30 }}",
                "state_class": "total_increasing",
                "icon": "mdi:timer-alert-outline",
            },
        ),
        _duration_sensor(
            "hip_gt90_minutes",
            "Hip flexion over 90° today",
            "today_hip_gt90_min",
            "total_increasing",
            "mdi:angle-acute",
        ),
        _Entity(
            SENSOR,
            "adherence",
            "Breaks taken after prompts",
            {
                "value_template": "{{ value_json.adherence_pct }}",
                "unit_of_measurement": "%",
                "state_class": "measurement",
                "suggested_display_precision": 0,
                "icon": "mdi:human-handsup",
                "json_attributes_topic": topics.state,
                "json_attributes_template": adherence_attributes,
            },
        ),
        _Entity(
            BINARY_SENSOR,
            "sitting",
            "Sitting",
            {
                # null (no valid data) renders 'None': Home Assistant shows unknown
                "value_template": (
                    "{{ 'None' if value_json.sitting is none "
                    "else ('ON' if value_json.sitting else 'OFF') }}"
                ),
                "payload_on": "ON",
                "payload_off": "OFF",
                "device_class": "occupancy",
                "icon": "mdi:seat",
            },
        ),
        _Entity(
            EVENT,
            "alert",
            "Alert",
            {
                "state_topic": topics.alert,
                "event_types": [k.value for k in AlertKind],
                "value_template": event_template,
                "icon": "mdi:bell-ring-outline",
            },
            expires=False,
        ),
        _Entity(
            BUTTON,
            "snooze",
            "Snooze prompts",
            {
                "command_topic": topics.command,
                "payload_press": "snooze",
                "qos": 1,
                "retain": False,
                "icon": "mdi:alarm-snooze",
            },
            expires=False,
        ),
        _Entity(
            BUTTON,
            "acknowledge",
            "Acknowledge prompt",
            {
                "command_topic": topics.command,
                "payload_press": "ack",
                "qos": 1,
                "retain": False,
                "icon": "mdi:check-circle-outline",
            },
            expires=False,
        ),
        *_daily(topics),
        *(_saddle(topics) if saddle else []),
        *_diagnostics(topics),
    ]


def device_block(user_id: str, sw_version: str) -> dict[str, Any]:
    return {
        "identifiers": [f"sitload_{user_id}"],
        "name": f"sitload {user_id}",
        "manufacturer": MANUFACTURER,
        "model": MODEL,
        "sw_version": sw_version,
    }


def status_topic(discovery_prefix: str) -> str:
    """Where Home Assistant announces itself (``online`` after a restart)."""
    return f"{discovery_prefix}/status"


def origin_block(sw_version: str, support_url: str | None) -> dict[str, Any]:
    """Who publishes the configs (Home Assistant logs it with each entity)."""
    origin: dict[str, Any] = {"name": "sitload", "sw_version": sw_version}
    if support_url is not None:
        origin["support_url"] = support_url
    return origin


def discovery_messages(
    settings: MqttSettings, *, sw_version: str, support_url: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The retained discovery configs, as ``(topic, payload)`` pairs."""
    user_id = validate_user_id(settings.user_id)
    prefix = validate_topic_prefix(settings.discovery_prefix, key="discovery_prefix")
    topics = Topics.of(settings.prefix, user_id)
    device = device_block(user_id, sw_version)
    out: list[tuple[str, dict[str, Any]]] = []
    for entity in _entities(topics, saddle=settings.saddle):
        object_id = f"sitload_{user_id}_{entity.key}"
        payload: dict[str, Any] = {
            "name": entity.name,
            "unique_id": object_id,
            "object_id": object_id,
            # Home Assistant 2025.10+ reads default_entity_id; older ones object_id
            "default_entity_id": f"{entity.component}.{object_id}",
            "availability_topic": topics.availability,
            "payload_available": ONLINE,
            "payload_not_available": OFFLINE,
            "device": device,
            "origin": origin_block(sw_version, support_url),
        }
        if entity.component in (SENSOR, BINARY_SENSOR):
            payload["state_topic"] = topics.state  # unless the entity names its own
        payload.update(entity.fields)
        if entity.expires:
            payload["expire_after"] = settings.expire_after_s
        out.append((f"{prefix}/{entity.component}/{object_id}/config", payload))
    return out


def retired_config_topics(known: Iterable[str], current: Iterable[str]) -> list[str]:
    """Config topics announced before (``known``) that are no longer announced: an
    empty retained payload on each removes the entity from Home Assistant and the
    retained config from the broker (e.g. after a user id change)."""
    return sorted(set(known) - set(current))
