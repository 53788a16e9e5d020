"""Shared helpers of the MQTT sink tests (test_mqtt_*.py): the sink's settings for a
broker, an admin subscriber, a fake service answering commands, a running sink, waits,
and small builders of alerts and statuses. The ``broker`` and ``gate`` fixtures are in
conftest.py."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import queue
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from analytics.alert_records import Adherence, Alert, AlertKind
from collector.sinks.base import CommandRequest, LiveStatus
from collector.sinks.mqtt import MqttSink
from collector.sinks.settings import MqttSettings
from tests.brokers import (
    ADMIN,
    HOST,
    Mosquitto,
    Received,
    Subscriber,
)
from tests.loop_thread import LoopThread, on_loop

REPO = Path(__file__).resolve().parents[2]

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- helpers -------------------------------------------------------------------------------


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
            with on_loop(loop, sink, "publish_alert", "publish_status", "publish_day", "counters"):
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
