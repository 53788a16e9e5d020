"""The MQTT alert sink publishing to a real Mosquitto (and amqtt for MQTT 3.1.1 only).

No mock of paho: every test runs the sink's real client against a broker process.
Outages are real (the broker is killed with SIGKILL and restarted on its port);
where a test must be sure its own subscriber is back before the sink, the sink
talks to the broker through a :class:`tests.tcp_gate.TcpGate` that the test keeps
closed (connections refused, as by a broker that is down) until then.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time

import pytest

from collector.sinks.mqtt import MqttSink
from collector.sinks.mqtt_payloads import (
    MAX_COMMAND_BYTES,
    CommandPayloadError,
    Topics,
    iso_utc,
    parse_command_payload,
)
from tests.brokers import Mosquitto
from tests.collector.mqtt_harness import (
    ISO,
    REPO,
    admin,
    alert,
    running,
    settings,
    status,
    wait_until,
)
from tests.tcp_gate import TcpGate

# --- pure parts ----------------------------------------------------------------------------


def test_topics_and_ids_are_validated() -> None:
    assert Topics.of("clinic/sitload", "p-017_a").alert == "clinic/sitload/p-017_a/alert"
    for user_id in ("Jane Doe", "a/b", "a+b", "", "ü"):
        with pytest.raises(ValueError, match=r"user_id .* letters, digits"):
            MqttSink(settings(None, user_id=user_id))
    for prefix, why in [
        ("sitload/#", "wildcard"),
        ("+/x", "wildcard"),
        ("/sitload", "starts with '/'"),
        ("sitload/", "ends with '/'"),
        ("a//b", "empty topic level"),
        ("$SYS", "reserved"),
        ("", "empty"),
    ]:
        with pytest.raises(ValueError, match=re.escape(why)):
            MqttSink(settings(None, prefix=prefix))
    with pytest.raises(ValueError, match="discovery_prefix"):
        MqttSink(settings(None, discovery=True, discovery_prefix="home/#"))


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        (b"snooze 15", "snooze 15"),
        (b"  ack\n", "ack"),
        (b"calibrate", "calibrate"),
        (b'{"command": "snooze", "minutes": 15}', "snooze 15"),
        (b'{"command": "snooze", "minutes": "7.5"}', "snooze 7.5"),
        (b'{"command": "ack"}', "ack"),
        (b'{"command": "snooze", "minutes": null}', "snooze"),
    ],
)
def test_command_payloads(payload: bytes, text: str) -> None:
    assert parse_command_payload(payload) == text


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"\xff\xfesnooze", "not UTF-8"),
        (b"{snooze", "not valid JSON"),
        (b"x" * (MAX_COMMAND_BYTES + 1), "1025 bytes"),
        (b'{"minutes": 5}', 'no string "command"'),
        (b'{"command": 5}', 'no string "command"'),
        (b'{"command": "snooze", "minutes": true}', '"minutes" must be a number'),
        (b"[1, 2]", "must be an object"),
        (b"   ", "empty"),
    ],
)
def test_payloads_that_are_not_commands(payload: bytes, why: str) -> None:
    got = parse_command_payload(payload)
    assert isinstance(got, CommandPayloadError)
    assert why in got.reason
    assert "snooze [minutes]" in got.reason  # says what is accepted


def test_iso_utc() -> None:
    assert iso_utc(0.25) == "1970-01-01T00:00:00.250Z"
    assert ISO.match(iso_utc(time.time()))


# --- alerts, state, availability -----------------------------------------------------------


def test_alert_state_and_availability(broker: Mosquitto) -> None:
    sink = MqttSink(settings(broker, alert_ttl_s=600.0))
    base = sink.topics.base
    with admin(broker, f"{base}/#") as sub:
        with running(sink):
            sub.wait_for(lambda ms: any(m.text == "online" for m in ms), what="online")
            sink.publish_status(status())
            t0 = time.time()
            sink.publish_alert(alert(1))
            got = sub.wait_topic(f"{base}/alert")[0]
            state = sub.wait_topic(f"{base}/state")[-1]
            wait_until(lambda: sink.counters().delivered == 1, what="PUBACK")

            a = got.json()
            assert got.qos == 1
            assert not got.retain
            assert a["id"] == alert(1).id
            assert a["kind"] == "prompt"
            assert a["level"] == 1
            assert a["t_s"] == alert(1).t_s
            assert a["t"] == iso_utc(alert(1).t_s)
            assert a["user"] == "alice"
            assert a["schema"] == 1
            assert ISO.match(a["raised_at"])
            assert ISO.match(a["sent_at"])
            assert a["late"] is False
            assert 0 <= a["delay_s"] < 1
            assert a["adherence"]["prompted"] == 2
            assert a["message"].startswith("You have")
            assert abs(time.time() - t0) < 5
            # MQTT 5: the message expires at the end of the alert's TTL
            assert 590 <= got.properties.MessageExpiryInterval <= 600

            st = state.json()
            assert st["sitting"] is True
            assert st["bout_minutes"] == 31.5
            assert st["adherence_pct"] == 75.0
            assert st["adherence"]["taken"] == 3
            assert st["t"] == iso_utc(status().t_s)
            assert st["schema"] == 1
            assert st["battery_pct"] == 80

            # a late-comer gets availability and state retained, never an alert
            with admin(broker, f"{base}/#") as late:
                retained = late.wait_for(lambda ms: len(ms) >= 2, what="retained")
                time.sleep(0.2)
                topics = {m.topic: m for m in late.snapshot()}
                assert set(topics) == {f"{base}/availability", f"{base}/state"}
                assert all(m.retain for m in retained)
                assert topics[f"{base}/availability"].text == "online"

            c = sink.counters()
            assert (c.published, c.sent, c.delivered, c.late, c.expired) == (1, 1, 1, 0, 0)
            assert c.connected
            assert c.protocol == "5"
            assert c.queued == 0
        # clean stop: offline, retained
        sub.wait_for(lambda ms: ms[-1].text == "offline", what="offline on stop")
        asyncio.run(sink.stop())  # idempotent
    with admin(broker, f"{base}/availability") as late:
        msg = late.wait_topic(f"{base}/availability")[0]
        assert msg.text == "offline"
        assert msg.retain


def test_status_while_offline_keeps_only_the_newest(broker: Mosquitto, gate: TcpGate) -> None:
    sink = MqttSink(settings(broker, port=gate.port))
    base = sink.topics.base
    with admin(broker, f"{base}/state") as sub, running(sink):
        for i in range(5):
            sink.publish_status(status(t_s=1_715_000_000.0 + i))
        time.sleep(0.2)
        gate.open()
        sub.wait_topic(f"{base}/state")
        time.sleep(0.3)
        states = sub.on(f"{base}/state")
        assert [m.json()["t_s"] for m in states] == [1_715_000_004.0]


WILL_SCRIPT = """
import asyncio, os, sys, time
from collector.sinks.mqtt import MqttSink
from collector.sinks.settings import MqttSettings

settings = MqttSettings(
    host="127.0.0.1", port=int(sys.argv[1]), username="alice",
    password=os.environ["SITLOAD_TEST_MQTT_PASSWORD"], user_id="alice", discovery=False,
)
sink = MqttSink(settings)

async def main():
    await sink.start(lambda request: None)
    while not sink.counters().connected:
        await asyncio.sleep(0.01)
    print("connected", flush=True)
    sys.stdin.readline()
    os._exit(0)  # no DISCONNECT: the OS closes the socket

asyncio.run(main())
"""


def test_last_will_says_offline_when_the_process_dies(broker: Mosquitto) -> None:
    base = "sitload/alice"
    with admin(broker, f"{base}/availability") as sub:
        env = {**os.environ, "SITLOAD_TEST_MQTT_PASSWORD": broker.users["alice"]}
        proc = subprocess.Popen(
            [sys.executable, "-c", WILL_SCRIPT, str(broker.port)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdin is not None
            assert proc.stdout.readline().strip() == "connected"
            sub.wait_for(lambda ms: any(m.text == "online" for m in ms), what="online")
            proc.stdin.write("die\n")
            proc.stdin.flush()
            assert proc.wait(timeout=10) == 0
            sub.wait_for(lambda ms: ms[-1].text == "offline", what="Last Will")
        finally:
            proc.kill()
            proc.wait()
    with admin(broker, f"{base}/availability") as late:
        msg = late.wait_topic(f"{base}/availability")[0]
        assert msg.text == "offline"
        assert msg.retain


# --- Home Assistant discovery on the broker --------------------------------------------------


def test_discovery_is_announced_and_announced_again(broker: Mosquitto) -> None:
    sink = MqttSink(settings(broker, discovery=True))
    with admin(broker, "homeassistant/+/+/config") as sub, running(sink):
        configs = sub.wait_for(lambda ms: len(ms) >= 21, what="discovery configs")
        assert len({m.topic for m in configs}) == 21
        assert all(m.qos == 1 for m in configs)
        with admin(broker, "homeassistant/#") as late:  # retained for Home Assistant restarts
            retained = late.wait_for(lambda ms: len(ms) >= 21, what="retained configs")
            assert all(m.retain for m in retained)
        for m in configs:
            _component, object_id = m.topic.split("/")[1:3]
            assert re.fullmatch(r"[a-zA-Z0-9_-]+", object_id)
            assert m.json()["unique_id"] == object_id
        sub.clear()
        sub.publish("homeassistant/status", "online")
        again = sub.wait_for(lambda ms: len(ms) >= 21, what="configs after HA restart")
        assert {m.topic for m in again} == {m.topic for m in configs}
