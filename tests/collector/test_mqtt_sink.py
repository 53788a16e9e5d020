"""The MQTT alert sink against a real Mosquitto (and amqtt for MQTT 3.1.1 only).

No mock of paho: every test runs the sink's real client against a broker process.
Outages are real (the broker is killed with SIGKILL and restarted on its port);
where a test must be sure its own subscriber is back before the sink, the sink
talks to the broker through a :class:`tests.brokers.TcpGate` that the test keeps
closed (connections refused, as by a broker that is down) until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import queue
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from analytics.alert_records import Adherence, Alert, AlertKind
from collector.sinks.base import CommandRequest, LiveStatus
from collector.sinks.mqtt import MqttSink
from collector.sinks.mqtt_payloads import (
    MAX_COMMAND_BYTES,
    CommandPayloadError,
    Topics,
    iso_utc,
    parse_command_payload,
)
from collector.sinks.settings import MqttSettings
from tests.brokers import (
    ADMIN,
    HOME_ASSISTANT,
    HOST,
    Amqtt,
    Mosquitto,
    Received,
    Subscriber,
    TcpGate,
    make_test_certs,
    mosquitto,
)
from tests.loop_thread import LoopThread, on_loop

REPO = Path(__file__).resolve().parents[2]

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with mosquitto(tmp_path / "mosquitto") as b:
        yield b


@pytest.fixture
def gate(broker: Mosquitto) -> Iterator[TcpGate]:
    g = TcpGate(broker.port)
    try:
        yield g
    finally:
        g.shutdown()


def settings(broker: Mosquitto | None, user: str = "alice", **kw: Any) -> MqttSettings:
    values: dict[str, Any] = {
        "host": HOST,
        "port": broker.port if broker is not None else 1,
        "username": user if broker is not None else None,
        "password": broker.users[user] if broker is not None else None,
        "user_id": user,
        "reconnect_first_s": 0.05,
        "reconnect_max_s": 0.2,
        "keepalive_s": 5,
        "discovery": False,
    }
    values.update(kw)
    return MqttSettings(**values)


def admin(broker: Mosquitto, *topics: str, **kw: Any) -> Subscriber:
    user, password = broker.credentials(ADMIN)
    return Subscriber(broker.port, list(topics), username=user, password=password, **kw)


class Service:
    """Stands in for the live service: records commands, answers when told."""

    def __init__(self) -> None:
        self.requests: queue.Queue[CommandRequest] = queue.Queue()

    def __call__(self, request: CommandRequest) -> None:
        self.requests.put(request)

    def next(self, timeout_s: float = 5.0) -> CommandRequest:
        return self.requests.get(timeout=timeout_s)


def replies_on_loop(
    loop: LoopThread, service: Callable[[CommandRequest], None]
) -> Callable[[CommandRequest], None]:
    """``service`` with the requests' ``reply`` run in ``loop`` (the test calls it)."""

    def on_command(request: CommandRequest) -> None:
        reply = request.reply
        on_loop = None if reply is None else functools.partial(loop.call, reply)
        service(dataclasses.replace(request, reply=on_loop))

    return on_command


@contextlib.contextmanager
def running(
    sink: MqttSink, service: Callable[[CommandRequest], None] | None = None
) -> Iterator[MqttSink]:
    """The sink started in an event loop (in a thread, as the service's loop); the
    test's calls of the sink and of a command's reply run in that loop."""
    with LoopThread() as loop:
        loop.run(sink.start(replies_on_loop(loop, service or Service())))
        try:
            with on_loop(loop, sink, "publish_alert", "publish_status", "counters"):
                yield sink
        finally:
            loop.run(sink.stop())


def wait_online(sub: Subscriber, sink: MqttSink) -> None:
    """Until the sink said online (its command subscription is then in place)."""
    topic = sink.topics.availability
    sub.wait_for(lambda ms: any(m.topic == topic and m.text == "online" for m in ms), 5, "online")


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or predicate}")
        time.sleep(0.01)


def alert(n: int, kind: AlertKind = AlertKind.PROMPT, message: str = "") -> Alert:
    return Alert(
        id=f"{kind.value}-{1_715_000_000 + n}-{n}",
        kind=kind,
        t_s=1_715_000_000.0 + n,
        message=message or f"You have been sitting for {30 + n} min: stand up for 2 min.",
        bout_start_t_s=1_714_998_200.0,
        bout_minutes=30.0 + n,
        stand_for_s=120.0,
        level=1,
        adherence=Adherence(day=19_850, prompted=n + 1, taken=n),
    )


def status(t_s: float = 1_715_000_100.5, sitting: bool | None = True) -> LiveStatus:
    return LiveStatus(
        t_s=t_s,
        sitting=sitting,
        posture="sitting",
        data="ok",
        bout_minutes=31.5,
        today_sitting_min=212.0,
        today_bouts_over_30=3,
        today_hip_gt90_min=12.5,
        adherence=Adherence(day=19_850, prompted=4, taken=3, natural=2, snoozed=1),
        battery_pct=80,
    )


def ids(messages: list[Received], topic: str) -> list[str]:
    return [m.json()["id"] for m in messages if m.topic == topic]


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


# --- security ------------------------------------------------------------------------------


def test_acl_keeps_each_person_to_their_own_topics(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker, user="bob"))
    t = sink.topics
    alice, alice_pw = broker.credentials("alice")
    with (
        admin(broker, f"{t.base}/#") as watcher,
        Subscriber(broker.port, [f"{t.base}/#"], username=alice, password=alice_pw) as spy,
        running(sink, service),
    ):
        wait_online(watcher, sink)
        sink.publish_status(status())
        sink.publish_alert(alert(1))
        watcher.wait_topic(t.alert)
        watcher.wait_topic(t.state)
        spy.publish(t.command, "snooze 120")  # alice may not command bob's sink either
        watcher.publish(t.command, "ack")  # admin may
        assert service.next().text == "ack"
        time.sleep(0.2)
        assert spy.snapshot() == []  # Mosquitto grants the subscription, delivers nothing
        assert service.requests.empty()


def test_wrong_password_is_reported_not_logged(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="collector.sinks.mqtt")
    secret = "not-the-password-123"
    sink = MqttSink(settings(broker, password=secret))
    with running(sink):
        wait_until(lambda: any("refused" in r.getMessage() for r in caplog.records), what="refusal")
        assert not sink.counters().connected
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Not authorized" in text or "Bad user name or password" in text
    assert secret not in text
    assert secret not in repr(sink._settings)


@pytest.mark.parametrize("san", ["IP:127.0.0.1", "DNS:broker.example"])
def test_tls(tmp_path: Path, san: str) -> None:
    """TLS with the broker's CA; a certificate for another name is refused unless
    tls_insecure (self-signed test brokers only)."""
    certs = make_test_certs(tmp_path / "certs", san)
    with mosquitto(tmp_path / "mosquitto", tls=certs) as broker:
        sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca), flush_timeout_s=0.3)
        if san.startswith("DNS:"):
            with running(sink):
                time.sleep(0.5)
                assert not sink.counters().connected  # the host name check failed
            sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca, tls_insecure=True))
        with running(sink):
            wait_until(lambda: sink.counters().connected)
            sink.publish_alert(alert(1))
            wait_until(lambda: sink.counters().delivered == 1)


def test_tls_ca_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ca_file"):
        MqttSink(settings(None, tls=True, ca_file=tmp_path / "missing.crt"))


# --- Home Assistant discovery on the broker --------------------------------------------------


def test_discovery_is_announced_and_announced_again(broker: Mosquitto) -> None:
    sink = MqttSink(settings(broker, discovery=True))
    with admin(broker, "homeassistant/+/+/config") as sub, running(sink):
        configs = sub.wait_for(lambda ms: len(ms) >= 9, what="discovery configs")
        assert len({m.topic for m in configs}) == 9
        assert all(m.qos == 1 for m in configs)
        with admin(broker, "homeassistant/#") as late:  # retained for Home Assistant restarts
            retained = late.wait_for(lambda ms: len(ms) >= 9, what="retained configs")
            assert all(m.retain for m in retained)
        for m in configs:
            _component, object_id = m.topic.split("/")[1:3]
            assert re.fullmatch(r"[a-zA-Z0-9_-]+", object_id)
            assert m.json()["unique_id"] == object_id
        sub.clear()
        sub.publish("homeassistant/status", "online")
        again = sub.wait_for(lambda ms: len(ms) >= 9, what="configs after HA restart")
        assert {m.topic for m in again} == {m.topic for m in configs}


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


# --- issue 16: forged pain, command floods, retained commands, TLS, counters ----------------


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


def test_a_certificate_failure_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    certs = make_test_certs(tmp_path / "certs", "DNS:broker.example")
    with mosquitto(tmp_path / "mosquitto", tls=certs) as broker:
        sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca), flush_timeout_s=0.3)
        with running(sink):
            wait_until(
                lambda: any("certificate" in r.getMessage() for r in caplog.records),
                what="the TLS failure",
            )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "broker down or unreachable" not in text
    assert "ca_file" in text  # what to do


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


def test_the_deployed_acl_keeps_pain_to_the_person(tmp_path: Path) -> None:
    """deploy/mosquitto/acl as shipped: Home Assistant reads, snoozes and acknowledges,
    but its pain scores never reach the sink; the person's own user's do."""
    b = Mosquitto(tmp_path / "mosquitto", {"p17": "p17-test-pw"})
    acl = (REPO / "deploy" / "mosquitto" / "acl").read_text(encoding="utf-8")
    (b.workdir / "acl").write_text(f"{acl}\nuser {ADMIN}\ntopic readwrite #\n", encoding="utf-8")
    service = Service()
    with contextlib.ExitStack() as stack:
        broker = b.start()
        stack.callback(broker.stop, kill=True)
        sink = MqttSink(settings(broker, user="p17"))
        t = sink.topics
        ha_user, ha_pw = broker.credentials(HOME_ASSISTANT)
        ha = stack.enter_context(
            Subscriber(broker.port, [f"{t.base}/#"], username=ha_user, password=ha_pw)
        )
        patient = stack.enter_context(
            Subscriber(broker.port, [], username="p17", password="p17-test-pw")
        )
        stack.enter_context(running(sink, service))
        wait_online(ha, sink)  # Home Assistant reads the person's topics
        ha.publish(t.pain, "9 morning")  # dropped by the broker
        ha.publish(t.command, "ack")
        assert service.next().text == "ack"
        patient.publish(t.pain, "2 morning")
        req = service.next()
        assert (req.text, req.pain_allowed) == ("pain 2 morning", True)
        time.sleep(0.2)
        assert service.requests.empty()
