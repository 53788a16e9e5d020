"""Commands to the MQTT sink through a real Mosquitto: replies, garbage, retained
commands, forged pain, range checks and floods (issue 16)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from analytics.alert_records import AlertKind
from collector.sinks.base import CommandRequest
from collector.sinks.mqtt import MqttSink
from collector.sinks.mqtt_payloads import (
    CommandPayloadError,
    parse_command_payload,
)
from tests.brokers import (
    HOME_ASSISTANT,
    Mosquitto,
    Subscriber,
)
from tests.collector.mqtt_harness import (
    Service,
    admin,
    alert,
    running,
    settings,
    wait_online,
    wait_until,
)

# --- commands ------------------------------------------------------------------------------


def test_commands_reach_the_service_and_get_replies(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        sub.publish(t.command, "snooze 15")
        req = service.next()
        assert (req.text, req.source) == ("snooze 15", "mqtt")
        snoozed = alert(2, AlertKind.SNOOZED, "Prompts snoozed for 15 min (1 of 3 today).")
        assert req.reply is not None
        req.reply([snoozed])
        reply = sub.wait_topic(t.command_reply)[0]
        assert reply.qos == 1
        assert not reply.retain
        assert reply.json() == {
            "ok": True,
            "command": "snooze 15",
            "results": [snoozed.to_dict()],
            "error": None,
            "schema": 1,
        }

        sub.publish(t.command, json.dumps({"command": "snooze", "minutes": 15}))
        assert service.next().text == "snooze 15"
        sub.publish(t.command, '{"command": "ack"}')
        req = service.next()
        assert req.text == "ack"
        rejected = alert(3, AlertKind.REJECTED, "Command rejected: nothing to acknowledge.")
        assert req.reply is not None
        req.reply([rejected])
        reply = sub.wait_topic(t.command_reply, 2)[-1].json()
        assert reply["ok"] is False
        assert reply["error"] == rejected.message
        assert reply["command"] == "ack"
        assert sink.counters().commands == 3


def test_command_with_a_response_topic_is_answered_there(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    response_topic = f"{t.base}/replies/phone-1"
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ResponseTopic = response_topic
        props.CorrelationData = b"req-42"
        sub.publish(t.command, "ack", properties=props)
        req = service.next()
        assert req.reply is not None
        req.reply([alert(4, AlertKind.ACKNOWLEDGED, "Acknowledged.")])
        reply = sub.wait_topic(response_topic)[0]
        assert reply.properties.CorrelationData == b"req-42"
        assert reply.json()["ok"] is True
        assert reply.json()["command"] == "ack"
        time.sleep(0.1)
        assert sub.on(t.command_reply) == []


def test_garbage_on_the_command_topic_is_answered_and_harmless(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    garbage = [b"\xff\xfe\xfd", b"{snooze: 15", b"s" * 5 * 1024, b'{"minutes": 15}', b""]
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        for payload in garbage:
            sub.publish(t.command, payload)
        replies = [m.json() for m in sub.wait_topic(t.command_reply, len(garbage))]
        assert all(r["ok"] is False and r["results"] == [] for r in replies)
        assert all("snooze [minutes]" in r["error"] for r in replies)
        assert "not UTF-8" in replies[0]["error"]
        assert replies[0]["command"] is None
        assert "not valid JSON" in replies[1]["error"]
        assert "5120 bytes" in replies[2]["error"]
        assert 'no string "command"' in replies[3]["error"]
        assert service.requests.empty()
        assert sink.counters().rejected_commands == len(garbage)
        # still working
        sub.publish(t.command, "ack")
        assert service.next().text == "ack"
        sink.publish_alert(alert(1))
        sub.wait_topic(t.alert)


def test_a_retained_command_is_not_replayed(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    with admin(broker, sink.topics.availability) as sub:
        sub.publish(sink.topics.command, "snooze 120", retain=True)
        with running(sink, service):
            wait_online(sub, sink)
            sub.publish(sink.topics.command, "ack")
            assert service.next().text == "ack"
            time.sleep(0.2)
            assert service.requests.empty()


def test_a_service_error_does_not_break_the_sink(broker: Mosquitto) -> None:
    def broken(request: CommandRequest) -> None:
        raise RuntimeError("boom")

    sink = MqttSink(settings(broker))
    t = sink.topics
    with admin(broker, f"{t.base}/#") as sub, running(sink, broken):
        wait_online(sub, sink)
        sub.publish(t.command, "ack")
        reply = sub.wait_topic(t.command_reply)[0].json()
        assert reply["ok"] is False
        assert "internal error" in reply["error"]
        sink.publish_alert(alert(1))
        sub.wait_topic(t.alert)


# --- issue 16: forged pain, command floods, retained commands ----------------------------


def test_pain_only_on_the_pain_topic_and_only_from_the_person(broker: Mosquitto) -> None:
    """Home Assistant (the documented ACL) may snooze and acknowledge but not enter a
    pain score: pain on the command topic is refused by the sink, and the broker drops
    Home Assistant's publishes on the pain topic; the person's own user may."""
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    ha_user, ha_pw = broker.credentials(HOME_ASSISTANT)
    me, my_pw = broker.credentials("alice")
    with (
        admin(broker, f"{t.base}/#") as watcher,
        Subscriber(broker.port, [], username=ha_user, password=ha_pw) as ha,
        Subscriber(broker.port, [], username=me, password=my_pw) as patient,
        running(sink, service),
    ):
        wait_online(watcher, sink)
        ha.publish(t.command, "pain 9 morning")
        reply = watcher.wait_topic(t.command_reply)[0].json()
        assert reply["ok"] is False
        assert t.pain in reply["error"]
        ha.publish(t.command, json.dumps({"command": "pain", "minutes": 9}))
        assert watcher.wait_topic(t.command_reply, 2)[-1].json()["ok"] is False
        ha.publish(t.pain, "9 morning")  # not authorised: the broker drops it
        ha.publish(t.command, "ack")  # allowed
        req = service.next()
        assert (req.text, req.pain_allowed) == ("ack", False)
        patient.publish(t.pain, "3 morning stiff back")
        req = service.next()
        assert (req.text, req.source, req.pain_allowed) == (
            "pain 3 morning stiff back",
            "mqtt-pain",
            True,
        )
        patient.publish(t.pain, json.dumps({"score": 4, "when": "evening", "note": "ok"}))
        assert service.next().text == "pain 4 evening ok"
        patient.publish(t.pain, "pain 5")
        assert service.next().text == "pain 5"
        patient.publish(t.pain, json.dumps({"score": "lots"}))
        bad = watcher.wait_topic(f"{t.pain}/reply")[0].json()
        assert bad["ok"] is False
        assert "score" in bad["error"]
        time.sleep(0.2)
        assert service.requests.empty()


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"command": "snooze", "minutes": int("9" * 400)}).encode(),
        b'{"command": "snooze", "minutes": 1e999}',
        b'{"command": "snooze", "minutes": -5}',
        b'{"command": "snooze", "minutes": 100000}',
        b'{"command": "snooze", "minutes": "1e400"}',
        b"snooze 99999999999999999999999999999999999999",
        b"snooze -3",
    ],
)
def test_command_numbers_are_range_checked(payload: bytes) -> None:
    parsed = parse_command_payload(payload)
    assert isinstance(parsed, CommandPayloadError)
    assert "minutes" in parsed.reason


def test_a_huge_minutes_number_is_answered(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        sub.publish(t.command, json.dumps({"command": "snooze", "minutes": int("9" * 400)}))
        reply = sub.wait_topic(t.command_reply)[0].json()
        assert reply["ok"] is False
        assert "minutes" in reply["error"]
        assert service.requests.empty()


def test_a_command_flood_is_rate_limited_with_one_warning(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collector")
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    n = 3000
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        for _ in range(n):
            sub.client.publish(t.command, "ack", qos=0)
        sub.publish(t.command, "ack")  # the last one, acknowledged
        wait_until(
            lambda: sink.counters().commands + sink.counters().dropped_commands == n + 1,
            20,
            "every command counted",
        )
        c = sink.counters()
        assert c.commands <= 20
        assert c.dropped_commands >= n - 20
        assert service.requests.qsize() == c.commands
        while not service.requests.empty():
            req = service.next()
            assert req.reply is not None
            req.reply([alert(1, AlertKind.ACKNOWLEDGED, "Acknowledged.")])
        sub.wait_topic(t.command_reply, c.commands)
        time.sleep(0.3)
        assert len(sub.on(t.command_reply)) == c.commands  # dropped ones get no reply
    warnings = [r for r in caplog.records if "faster than" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_a_retained_command_published_live_is_not_applied(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker))
    t = sink.topics
    with admin(broker, f"{t.base}/#") as sub, running(sink, service):
        wait_online(sub, sink)
        sub.publish(t.command, "snooze 60", retain=True)
        sub.publish(t.command, "ack")
        assert service.next().text == "ack"
        time.sleep(0.2)
        assert service.requests.empty()
        assert sink.counters().rejected_commands == 1
        sub.publish(t.command, "", retain=True)  # clears it
