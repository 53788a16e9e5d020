"""The MQTT sink through outages and across protocol versions: a broker killed and
restarted, resent and expired alerts, a full outbox, MQTT 5 refused and 3.1.1 fallback."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from collector.sinks.mqtt import MqttSink
from tests.amqtt_broker import Amqtt
from tests.brokers import Mosquitto, Subscriber, mosquitto
from tests.collector.mqtt_harness import (
    Service,
    admin,
    alert,
    ids,
    running,
    settings,
    wait_until,
)
from tests.loop_thread import LoopThread, on_loop
from tests.tcp_gate import TcpGate

# --- delivery through outages --------------------------------------------------------------


def test_broker_crash_and_restart_mid_stream(broker: Mosquitto, gate: TcpGate) -> None:
    """Alerts every 50 ms; the broker is killed (SIGKILL) and restarted: every id
    arrives, those raised while it was down are marked late."""
    sink = MqttSink(settings(broker, port=gate.port, late_after_s=0.15))
    t = sink.topics
    sent: list[str] = []

    def publish(n0: int, count: int) -> None:
        for n in range(n0, n0 + count):
            sink.publish_alert(alert(n))
            sent.append(alert(n).id)
            time.sleep(0.05)

    with admin(broker, t.alert) as sub, running(sink):
        gate.open()
        wait_until(lambda: sink.counters().connected)
        publish(0, 10)
        gate.close()  # the broker's port stays "down" for the sink until the test opens it
        broker.stop(kill=True)
        wait_until(lambda: not sink.counters().connected, what="the sink to notice")
        down = sent[:]
        publish(10, 10)
        broker.start()  # same port, nothing remembered (persistence false)
        sub.wait_subscribed(2)  # the subscriber reconnected by itself
        time.sleep(0.2)
        gate.open()
        publish(20, 10)
        got = sub.wait_for(lambda ms: set(sent) <= set(ids(ms, t.alert)), 10, "every alert id")

    by_id: dict[str, list[dict[str, Any]]] = {}
    for m in got:
        by_id.setdefault(m.json()["id"], []).append(m.json())
    assert set(by_id) == set(sent)
    while_down = [i for i in sent if i not in down][:10]
    assert all(p["late"] and p["delay_s"] > 0.15 for i in while_down for p in by_id[i])
    # before the crash they went out at once (the last ones may have been resent)
    assert all(not by_id[i][0]["late"] for i in down[:-3])
    # at most one copy from before the crash and one resend
    assert max(len(v) for v in by_id.values()) <= 2
    c = sink.counters()
    assert c.reconnects == 1
    assert c.expired == 0
    assert c.queued == 0
    assert c.delivered == 30
    assert c.late >= 10


def test_unacknowledged_alerts_are_resent_once_after_reconnection(
    broker: Mosquitto, gate: TcpGate
) -> None:
    """The broker got the alerts but its PUBACKs were lost with the connection:
    the sink sends each again exactly once (its outbox), not twice (paho would
    also resend its own in-flight messages if its client were reused)."""
    sink = MqttSink(settings(broker, port=gate.port))
    t = sink.topics
    with admin(broker, t.alert) as sub, running(sink):
        gate.open()
        wait_until(lambda: sink.counters().connected)
        gate.stall = True  # the broker's answers (PUBACKs) no longer reach the sink
        for n in range(5):
            sink.publish_alert(alert(n))
        sub.wait_for(lambda ms: len(ms) == 5, what="first copies")
        assert sink.counters().delivered == 0
        gate.stall = False
        gate.cut()
        sub.wait_for(lambda ms: len(ms) == 10, what="resent copies")
        wait_until(lambda: sink.counters().delivered == 5, what="PUBACKs")
        time.sleep(0.5)
        copies = Counter(ids(sub.snapshot(), t.alert))
        assert copies == {alert(n).id: 2 for n in range(5)}
        c = sink.counters()
        assert (c.sent, c.delivered, c.reconnects, c.queued) == (10, 5, 1, 0)


def test_alerts_older_than_the_ttl_expire_unsent(
    broker: Mosquitto, gate: TcpGate, caplog: pytest.LogCaptureFixture
) -> None:
    """A long outage (its length simulated by the sink's clock: the broker is
    really down): alerts older than alert_ttl_s are counted and logged, not sent."""
    offset = [0.0]

    def clock() -> float:
        return time.time() + offset[0]

    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    sink = MqttSink(settings(broker, port=gate.port, alert_ttl_s=0.5), clock=clock)
    t = sink.topics
    with admin(broker, t.alert) as sub, running(sink):
        gate.open()
        wait_until(lambda: sink.counters().connected)
        gate.close()
        broker.stop(kill=True)
        wait_until(lambda: not sink.counters().connected)
        for n in range(5):
            sink.publish_alert(alert(n))
        offset[0] += 3600.0  # an hour later …
        for n in range(5, 8):
            sink.publish_alert(alert(n))
        broker.start()
        sub.wait_subscribed(2)
        gate.open()
        got = sub.wait_for(lambda ms: len(ms) >= 3, what="the fresh alerts")
        time.sleep(0.3)
        assert ids(sub.snapshot(), t.alert) == [alert(n).id for n in range(5, 8)]
        assert all(m.json()["late"] is False for m in got)
        c = sink.counters()
        assert (c.expired, c.alerts_expired, c.delivered, c.queued) == (5, 5, 3, 0)
    expired_logs = [r for r in caplog.records if "expired" in r.getMessage()]
    assert any(
        r.levelno == logging.WARNING and "5 alert(s)" in r.getMessage() for r in expired_logs
    )
    assert any("is back after" in r.getMessage() for r in caplog.records)


def test_broker_down_at_start_and_a_full_outbox(
    broker: Mosquitto, gate: TcpGate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    sink = MqttSink(settings(broker, port=gate.port, outbox_max=3, late_after_s=0.1))
    t = sink.topics
    with admin(broker, t.alert) as sub:
        t0 = time.monotonic()
        with running(sink):
            assert time.monotonic() - t0 < 0.5  # start() does not wait for the broker
            for n in range(5):
                sink.publish_alert(alert(n))
            c = sink.counters()
            assert (c.connected, c.queued, c.expired) == (False, 3, 2)
            time.sleep(0.3)
            gate.open()
            got = sub.wait_for(lambda ms: len(ms) >= 3, what="queued alerts")
            assert [m.json()["id"] for m in got] == [alert(n).id for n in (2, 3, 4)]
            assert all(m.json()["late"] for m in got)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot connect" in m for m in messages) == 1  # warned once, not per retry
    assert any("outbox is full" in m for m in messages)
    assert all(broker.users["alice"] not in m for m in messages)


def test_stop_is_bounded_when_the_broker_is_gone(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MqttSink(settings(broker), flush_timeout_s=0.5)
    with LoopThread() as loop, on_loop(loop, sink, "publish_alert", "counters"):
        loop.run(sink.start(Service()))
        wait_until(lambda: sink.counters().connected)
        broker.stop(kill=True)
        wait_until(lambda: not sink.counters().connected)
        sink.publish_alert(alert(1))
        t0 = time.monotonic()
        loop.run(sink.stop())
        assert time.monotonic() - t0 < 2.5
    assert any("not delivered" in r.getMessage() for r in caplog.records)


# --- protocol versions ---------------------------------------------------------------------


def test_mqtt_311_forced(broker: Mosquitto) -> None:
    sink = MqttSink(settings(broker, protocol="3.1.1"))
    t = sink.topics
    with admin(broker, f"{t.base}/#") as sub, running(sink, Service()):
        wait_until(lambda: sink.counters().connected)
        assert sink.counters().protocol == "3.1.1"
        sink.publish_alert(alert(1))
        got = sub.wait_topic(t.alert)[0]
        assert got.json()["id"] == alert(1).id
        assert not hasattr(got.properties, "MessageExpiryInterval")
        wait_until(lambda: sink.counters().delivered == 1)


def test_auto_falls_back_to_311_on_a_broker_without_mqtt5(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    with Amqtt() as amqtt:
        # amqtt misreads an MQTT 5 CONNECT with a Will and waits for more bytes: the
        # sink gives up after keepalive_s without CONNACK and falls back
        sink = MqttSink(settings(None, port=amqtt.port, keepalive_s=1))
        t = sink.topics
        sub = Subscriber(amqtt.port, [f"{t.base}/#"], protocol=MQTTProtocolVersion.MQTTv311)
        with sub, running(sink, Service()):
            wait_until(lambda: sink.counters().connected, 10, "a connection over 3.1.1")
            assert sink.counters().protocol == "3.1.1"
            sink.publish_alert(alert(1))
            got = sub.wait_for(lambda ms: any(m.topic == t.alert for m in ms), 10, "alert")
            assert ids(got, t.alert) == [alert(1).id]
            wait_until(lambda: sink.counters().delivered == 1)
    assert any("falling back to MQTT 3.1.1" in r.getMessage() for r in caplog.records)


def test_mqtt5_forced_never_falls_back() -> None:
    with Amqtt() as amqtt:
        sink = MqttSink(settings(None, port=amqtt.port, protocol="5"), flush_timeout_s=0.2)
        with running(sink):
            time.sleep(0.5)
            c = sink.counters()
            assert not c.connected
            assert c.protocol == "5"


@pytest.mark.parametrize("refusal", ["close", "connack"])
def test_auto_falls_back_when_the_broker_refuses_mqtt5(
    broker: Mosquitto, gate: TcpGate, refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    gate.reject_v5 = refusal  # connection closed, or CONNACK "Unsupported protocol version"
    gate.open()
    sink = MqttSink(settings(broker, port=gate.port))
    with admin(broker, sink.topics.alert) as sub, running(sink):
        wait_until(lambda: sink.counters().connected)
        assert sink.counters().protocol == "3.1.1"
        assert gate.rejected >= 1
        sink.publish_alert(alert(1))
        sub.wait_topic(sink.topics.alert)
    why = "Unsupported protocol version" if refusal == "connack" else "closed the connection"
    assert any(why in r.getMessage() and "falling back" in r.getMessage() for r in caplog.records)


def test_counters_are_true_when_alerts_outrun_the_broker(tmp_path: Path) -> None:
    """Many alerts at once while connected: each one the subscriber gets is counted
    delivered, none of them expired; the outbox and the client's queue stay bounded."""
    n = 20_000
    with contextlib.ExitStack() as stack:
        # the subscriber's queue at the broker unbounded: it sees all that was delivered
        broker = stack.enter_context(
            mosquitto(tmp_path / "mosquitto", extra_config="max_queued_messages 0")
        )
        sink = MqttSink(settings(broker, outbox_max=500))
        t = sink.topics
        sub = stack.enter_context(admin(broker, t.alert))
        stack.enter_context(running(sink))
        wait_until(lambda: sink.counters().connected, what="connected")
        for i in range(n):
            sink.publish_alert(alert(i))
            assert sink.counters().queued <= 500
        wait_until(lambda: sink.counters().queued == 0, 30, "the outbox drained")
        c = sink.counters()
        wait_until(lambda: len({m.json()["id"] for m in sub.snapshot()}) >= c.delivered, 10)
        time.sleep(0.3)
        got = {m.json()["id"] for m in sub.snapshot()}
    assert len(got) == c.delivered
    assert c.delivered + c.expired + c.refused == n
