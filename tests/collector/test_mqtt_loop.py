"""The MQTT sink lives in the service's event loop: no thread of its own, and the
loop never waits for the network (a broker that does not answer, at TCP, TLS or
MQTT level, costs the loop nothing)."""

from __future__ import annotations

import asyncio
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analytics.alert_records import Alert, AlertKind
from collector.sinks.base import CommandRequest
from collector.sinks.mqtt import MqttSink
from collector.sinks.settings import MqttSettings
from tests.brokers import ADMIN, HOST, Mosquitto, Subscriber, mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with mosquitto(tmp_path / "mosquitto") as b:
        yield b


async def until(predicate: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.01)


async def max_lag_s(seconds: float, every_s: float = 0.01) -> float:
    """How late a timer of ``every_s`` fired at worst over ``seconds``: the longest
    the event loop was kept from its other work."""
    worst = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        await asyncio.sleep(every_s)
        worst = max(worst, time.monotonic() - t0 - every_s)
    return worst


def test_the_sink_adds_no_thread(broker: Mosquitto) -> None:
    """Connection, an alert and its PUBACK, a command and its reply, the stop: all in
    the event loop's thread (paho's own network thread is not used)."""
    user, password = broker.credentials(ADMIN)
    requests: queue.Queue[CommandRequest] = queue.Queue()
    sink = MqttSink(
        MqttSettings(
            host=HOST,
            port=broker.port,
            username="alice",
            password=broker.users["alice"],
            user_id="alice",
        )
    )
    t = sink.topics
    acked = Alert("acknowledged-1", AlertKind.ACKNOWLEDGED, 1.0, "Acknowledged.")

    async def main() -> tuple[set[threading.Thread], set[threading.Thread]]:
        before = set(threading.enumerate())
        await sink.start(requests.put)
        await until(lambda: sink.counters().connected, "connected")
        sub.client.publish(t.command, "ack", qos=1)  # from the subscriber's own thread
        await until(lambda: not requests.empty(), "the command")
        request = requests.get()
        assert request.reply is not None
        request.reply([acked])
        sink.publish_alert(Alert("prompt-1", AlertKind.PROMPT, 1.0, "Stand up."))
        await until(lambda: sink.counters().delivered == 1, "the PUBACK")
        during = set(threading.enumerate())
        await sink.stop()
        return before, during

    with Subscriber(broker.port, [f"{t.base}/#"], username=user, password=password) as sub:
        before, during = asyncio.run(main())
        sub.wait_topic(t.command_reply)
        sub.wait_topic(t.alert)
    assert during - before == set()


@pytest.mark.parametrize("tls", [False, True])
def test_a_silent_broker_never_blocks_the_loop(tls: bool, caplog: pytest.LogCaptureFixture) -> None:
    """A listener that takes the TCP connection and then says nothing: the TLS
    handshake or the CONNACK never comes. The loop keeps its timers on time while the
    sink waits, gives up after keepalive_s and tries again."""
    caplog.set_level(logging.DEBUG, logger="collector.sinks.mqtt")
    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(8)  # never accepted: the kernel completes the handshakes
    settings = MqttSettings(
        host=HOST,
        port=silent.getsockname()[1],
        tls=tls,
        user_id="alice",
        keepalive_s=1,
        reconnect_first_s=0.05,
        reconnect_max_s=0.1,
        protocol="5",
    )
    sink = MqttSink(settings, flush_timeout_s=0.2)

    async def main() -> float:
        await sink.start(lambda request: None)
        lag_s = await max_lag_s(3.0)
        assert not sink.counters().connected
        await sink.stop()
        return lag_s

    try:
        lag_s = asyncio.run(main())
    finally:
        silent.close()
    assert lag_s < 0.5
    text = "\n".join(r.getMessage() for r in caplog.records)
    if tls:
        assert "no TLS handshake" in text
    else:
        assert "connection closed before CONNACK" in text
