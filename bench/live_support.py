"""What the live service benchmarks share: a loopback Mosquitto broker, an MQTT
subscriber in a process of its own, a bare paho baseline, a null sink and short alert
times (see bench/speed_live.py)."""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from analytics.alert_params import AlertParams
from analytics.alert_records import Alert
from analytics.compression import ExposureParams
from collector.sinks.base import LiveStatus

HOST = "127.0.0.1"
BASELINE_TOPIC = "bench/baseline"
ALERT_TOPIC = "sitload/bench/alert"
LAG_LIMIT_S = 1.0
SENSOR_TARGET = 200


def pct(values: list[float] | np.ndarray, q: float) -> float:
    return (
        float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else math.nan
    )


# --- the broker and a subscriber in a process of its own ---------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Broker:
    """Debian's mosquitto on a free loopback port, anonymous, no persistence."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.access(binary, os.X_OK):
            raise SystemExit("needs mosquitto (sudo apt-get install mosquitto)")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Broker:
        conf = self.workdir / "mosquitto.conf"
        lines = [
            f"listener {self.port} {HOST}",
            "allow_anonymous true",
            "persistence false",
            "log_type error",
            "log_type warning",
        ]
        if os.geteuid() == 0:
            lines.insert(0, "user root")
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with (self.workdir / "mosquitto.log").open("ab") as log_file:
            self.proc = subprocess.Popen(
                [self.binary, "-c", str(conf)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and self.proc.poll() is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                if s.connect_ex((HOST, self.port)) == 0:
                    return self
            time.sleep(0.02)
        self.__exit__()
        raise SystemExit(f"mosquitto did not start; see {self.workdir / 'mosquitto.log'}")

    def __exit__(self, *exc: object) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _subscriber_main(
    port: int, topics: list[str], ready: Any, stop: Any, count: Any, out: Any
) -> None:
    """In its own process: subscribe, stamp every message on arrival, hand them back."""
    got: list[tuple[str, float, bytes]] = []
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="bench-sub", protocol=MQTTProtocolVersion.MQTTv5
    )

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            c.subscribe([(t, 1) for t in topics])

    def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        t = time.time()
        got.append((msg.topic, t, bytes(msg.payload)))
        with count.get_lock():
            count.value += 1

    client.on_connect = on_connect
    client.on_subscribe = lambda *_a: ready.set()
    client.on_message = on_message
    client.connect(HOST, port, keepalive=30)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()
    out.put(got)


class RemoteSubscriber:
    """A paho subscriber in another process (no GIL shared with the service)."""

    def __init__(self, port: int, topics: list[str]) -> None:
        ctx = mp.get_context("spawn")
        self.ready, self.stop_event = ctx.Event(), ctx.Event()
        self.count = ctx.Value("i", 0)
        self.out: Any = ctx.Queue()
        self.proc = ctx.Process(
            target=_subscriber_main,
            args=(port, topics, self.ready, self.stop_event, self.count, self.out),
            daemon=True,
        )

    def start(self) -> RemoteSubscriber:
        self.proc.start()
        if not self.ready.wait(20):
            self.proc.kill()
            raise SystemExit("the subscriber process did not subscribe within 20 s")
        return self

    def wait_count(self, n: int, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        while self.count.value < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return int(self.count.value)

    def finish(self) -> list[tuple[str, float, bytes]]:
        self.stop_event.set()
        got: list[tuple[str, float, bytes]] = self.out.get(timeout=30)
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
        return got


# --- 1. threshold -> alert latency ---------------------------------------------------------


def short_alert_params() -> tuple[AlertParams, ExposureParams]:
    """Prompts after 60 s, escalation at 90 s, repeats every 30 s (spaced 30 s, at any
    hour); the engine's milestones at the same times, as collector.config builds them."""
    exposure = ExposureParams(milestones_min=(1.0, 1.5), repeat_every_min=0.5)
    alerts = AlertParams(
        prompt_after_s=60.0,
        escalate_after_s=90.0,
        repeat_every_s=30.0,
        prompt_gap_s=30.0,
        quiet_hours_s=(),
        exposure=exposure,
    )
    return alerts, exposure


def paho_baseline(port: int, n: int, size: int, interval_s: float) -> dict[str, float]:
    """A bare paho client publishes ``n`` QoS 1 messages of ``size`` bytes, one every
    ``interval_s``; returns the wall time of each publish call by id."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=MQTTProtocolVersion.MQTTv5
    )
    connected = threading.Event()
    client.on_connect = lambda *_a: connected.set()
    client.connect(HOST, port, keepalive=30)
    client.loop_start()
    try:
        if not connected.wait(10):
            raise SystemExit("the baseline publisher did not connect")
        payloads = []
        for i in range(n):
            ident = f"base-{i:06d}"
            pad = max(0, size - len(json.dumps({"id": ident, "pad": ""})))
            payloads.append((ident, json.dumps({"id": ident, "pad": "x" * pad}).encode()))
        sent: dict[str, float] = {}
        info = None
        for ident, payload in payloads:
            sent[ident] = time.time()
            info = client.publish(BASELINE_TOPIC, payload, qos=1)
            time.sleep(interval_s)
        if info is not None:
            info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
    return sent


class NullSink:
    """An :class:`AlertSink` that only counts."""

    name = "null"

    def __init__(self) -> None:
        self.alerts = 0
        self.statuses = 0
        self.days = 0

    async def start(self, on_command: Any) -> None:
        return None

    def publish_alert(self, alert: Alert) -> None:
        self.alerts += 1

    def publish_status(self, status: LiveStatus) -> None:
        self.statuses += 1

    def publish_day(self, report: Any) -> None:
        self.days += 1

    async def stop(self) -> None:
        return None
