"""Live service benchmark: threshold → alert latency over MQTT, and how many 50 Hz
thigh sensors one process sustains in real time.

1. **Threshold → alert latency.** The real :class:`Service` (replay source, live
   engine, state saving, the real :class:`MqttSink`) runs a simulated thigh-only desk
   day ``--speed`` times faster than real time, with short alert times (prompt after
   1 min of sitting, escalation after 1.5 min, repeats every 30 s) so that alerts
   come often. Latency of one alert = wall time at which an MQTT subscriber (a
   separate process, its own paho client, on the same loopback Mosquitto) receives
   it − wall time at which the source handed the service the sample block that made
   it decidable (the block whose processing emitted it). Baseline in the same run:
   a bare paho client publishing the same number of QoS 1 messages of the same size
   to the same broker and subscriber; printed as a ratio. The engine also waits for
   data: a second is final ``lag_s`` (15 s) of data after it, classified every
   ``step_s`` (10 s); that *decision delay* is in data time, printed separately.
2. **Sensors sustained.** N people, each one 50 Hz thigh sensor = one
   :class:`LiveEngine` fed by its own :class:`ReplaySource` at real time in blocks of
   1 s (what a BLE sensor gives per second), through a queue and a consumer task as
   in ``Service``, all in one asyncio loop; a null sink (and the real MQTT sink for
   ``--mqtt-sensors`` of them). Engines start with a full context window (11 min of
   data fed beforehand), and the sensors start spread over one classification step,
   as sensors switched on at different moments are. Lag of a processed block = wall
   now − wall time at which its newest sample was due. Per N: CPU % of one core and
   lag p50 / p99 / max. Baseline in the same run: the same N sources into consumers
   that only count samples (measured for at most 20 s); its lag (~10 ms) is the
   sources' own granularity. Stepping stops when the p99 lag exceeds 1 s.

    python bench/speed_live.py [--alerts 1000] [--seconds 60] [--sensors 50,100,200,300]
                               [--only latency|sensors] [--spread 10] [--speed 300]

``--spread 0`` starts every sensor at once: their classification steps then coincide
(the worst case, e.g. after a restart with fresh state).

Target (sensors): ≥ 200 sensors in one process with < 1 s lag (p99). Defaults take
about 9–10 minutes; ``--seconds 15 --alerts 200`` is a quick check.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import gc
import itertools
import json
import logging
import math
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from analytics.alerts import Alert, AlertParams
from analytics.compression import ExposureParams
from analytics.live import LiveParams
from analytics.records import Recording
from collector.config import Overrides, load_settings
from collector.service.engine import EngineOutput, LiveEngine, zone_offset
from collector.service.plans import RecordingPlan, local_zone, slice_recording
from collector.service.runner import QUEUE_SIZE, Service
from collector.sinks.base import AlertSink, LiveStatus
from collector.sinks.mqtt import MqttSink
from collector.sinks.mqtt_payloads import alert_payload, to_json
from collector.sinks.settings import MqttSettings
from collector.sources.messages import Message, Role, SampleBlock
from collector.sources.replay import ReplaySource
from collector.sources.simulator import simulate

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
    alerts = AlertParams(prompt_after_s=60.0, escalate_after_s=90.0, repeat_every_s=30.0)
    exposure = ExposureParams(  # consistent with the alerts, as collector.config builds it
        break_s=alerts.break_s,
        milestones_min=(alerts.prompt_after_s / 60.0, alerts.escalate_after_s / 60.0),
        repeat_every_min=alerts.repeat_every_s / 60.0,
    )
    return alerts, exposure


class _TracingQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The service's queue, remembering the emit stamp of the newest block taken."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.stamps: dict[int, tuple[float, float]] = {}
        self.current: tuple[float, float] | None = None
        self.ended = False

    def get_nowait(self) -> Any:
        item = super().get_nowait()
        if item is None:
            self.ended = True
        stamp = self.stamps.pop(id(item), None)
        if stamp is not None:
            self.current = stamp
        return item


@dataclass(frozen=True)
class AlertTrace:
    id: str
    kind: str
    t_s: float
    """Data time the alert was raised at."""
    emitted_at: float
    """Wall time the deciding block was handed to the service."""
    deciding_t_s: float
    """Data time of the deciding block's newest sample."""
    handed_at: float
    """Wall time the service handed the alert to the sinks."""


class TimedService(Service):
    """The real service; stamps each block when the source hands it over and each
    alert with the block whose processing emitted it. Stops after ``target`` alerts."""

    def __init__(self, *args: Any, target: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._queue = self.tracing = _TracingQueue(QUEUE_SIZE)
        self.target = target
        self.traces: list[AlertTrace] = []
        self.alert_objects: list[Alert] = []
        self.max_queue = 0

    async def _emit(self, message: Message) -> None:
        if isinstance(message, SampleBlock):
            self.tracing.stamps[id(message)] = (time.time(), float(message.t_s[-1]))
        self.max_queue = max(self.max_queue, self.tracing.qsize())
        await super()._emit(message)

    def _publish(self, out: EngineOutput) -> None:
        cur = self.tracing.current
        if out.alerts and cur is not None and not self.tracing.ended:
            handed = time.time()
            self.traces += [
                AlertTrace(a.id, a.kind.value, a.t_s, cur[0], cur[1], handed) for a in out.alerts
            ]
            self.alert_objects += out.alerts
        super()._publish(out)
        if len(self.traces) >= self.target:
            self.stop("enough alerts")


@dataclass
class ServiceRun:
    traces: list[AlertTrace]
    payload_bytes: int
    """Median size of the alerts' JSON payloads."""
    wall_s: float
    cpu_s: float
    data_s: float
    max_queue: int
    delivered: int


async def run_service(port: int, alerts: int, speed: float, workdir: Path) -> ServiceRun:
    alert_params, exposure = short_alert_params()
    base = load_settings(
        None,
        Overrides(mqtt_url=f"mqtt://{HOST}:{port}", state_dir=workdir / "state", user_id="bench"),
    )
    assert base.mqtt is not None
    settings = dataclasses.replace(base, alerts=alert_params, exposure=exposure)
    # a desk day gives ~120 alerts an hour with these times: simulate plenty
    rec = simulate("desk", max(1.0, math.ceil(alerts / 60.0)), 7, trunk=False).recording
    plan = RecordingPlan(lambda _extra: rec, speed=speed, label="sim")
    sink = MqttSink(settings.mqtt)
    service = TimedService(settings, plan, [sink], target=alerts)
    cpu0, w0 = time.process_time(), time.monotonic()
    summary = await service.run(handle_signals=False)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - w0
    now = time.time()
    sizes = [
        len(
            to_json(
                alert_payload(a, user_id="bench", raised_at_s=now, sent_at_s=now, late_after_s=5.0)
            )
        )
        for a in service.alert_objects
    ]
    return ServiceRun(
        service.traces,
        int(np.median(sizes)) if sizes else 500,
        wall,
        cpu,
        float(summary.seconds),
        service.max_queue,
        sink.counters().delivered,
    )


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


def latency(port: int, workdir: Path, alerts: int, speed: float) -> None:
    live = LiveParams()
    print(
        f"1. threshold → alert latency: the service replays a simulated thigh-only desk day "
        f"at {speed:g}× real time\n   (prompt 1 min, escalation 1.5 min, repeats 30 s) until "
        f"{alerts:,} alerts;\n   MQTT QoS 1 to a subscriber in another process, loopback mosquitto"
    )
    interval_s = 0.01
    sub = RemoteSubscriber(port, [ALERT_TOPIC, BASELINE_TOPIC]).start()
    try:
        run = asyncio.run(run_service(port, alerts, speed, workdir))
        n = len(run.traces)
        seen = sub.wait_count(n, 10.0)
        sent = paho_baseline(port, n, run.payload_bytes, interval_s)
        sub.wait_count(seen + n, 10.0)
    finally:
        got = sub.finish()
    received: dict[str, float] = {}
    base_ms: list[float] = []
    for topic, t, payload in got:
        ident = json.loads(payload)["id"]
        if topic == BASELINE_TOPIC:
            if ident in sent:
                base_ms.append((t - sent.pop(ident)) * 1e3)
        else:
            received.setdefault(ident, t)
    ours_ms: list[float] = []
    mqtt_ms: list[float] = []
    missing = 0
    for tr in run.traces:
        t = received.get(tr.id)
        if t is None:
            missing += 1
            continue
        ours_ms.append((t - tr.emitted_at) * 1e3)
        mqtt_ms.append((t - tr.handed_at) * 1e3)
    engine_ms = [(tr.handed_at - tr.emitted_at) * 1e3 for tr in run.traces]
    decision = [tr.deciding_t_s - tr.t_s for tr in run.traces]
    inherent = live.lag_s + live.step_s + 1.0
    waited = [tr for tr in run.traces if tr.deciding_t_s - tr.t_s > inherent]
    kinds = Counter(tr.kind for tr in run.traces)
    print(
        f"   {run.data_s / 3600:.1f} h of data in {run.wall_s:.1f} s "
        f"({run.data_s / run.wall_s:.0f}× real time achieved), "
        f"CPU {100 * run.cpu_s / run.wall_s:.0f} % of a core, "
        f"queue peak {run.max_queue} of {QUEUE_SIZE}"
    )
    print(
        f"   {len(run.traces):,} alerts ("
        + ", ".join(f"{k} {v}" for k, v in kinds.most_common())
        + f");\n   received {len(ours_ms):,}, missing {missing}, acknowledged by the broker "
        f"{run.delivered:,}; median payload {run.payload_bytes} B"
    )
    print("\n   wall-clock latency, ms                                 p50      p99      max")
    rows = [
        ("deciding sample handed over → subscriber has alert", ours_ms),
        ("  of which: handed over → alert given to the sink", engine_ms),
        ("            sink → subscriber", mqtt_ms),
        ("baseline: bare paho publish → subscriber", base_ms),
    ]
    for label, values in rows:
        top = max(values) if values else math.nan
        print(f"   {label:52s} {pct(values, 50):6.2f}   {pct(values, 99):6.2f}   {top:6.2f}")
    r50 = pct(ours_ms, 50) / pct(base_ms, 50)
    r99 = pct(ours_ms, 99) / pct(base_ms, 99)
    print(f"   {'ratio to the baseline':52s} {r50:5.1f}×   {r99:5.1f}×")
    print(
        f"   (baseline: {len(base_ms):,} QoS 1 messages of {run.payload_bytes} B, one every "
        f"{interval_s * 1e3:g} ms,\n    same broker and subscriber, after the service run)"
    )
    print(
        f"\n   decision delay in DATA time (not wall time), alert second → deciding sample: "
        f"p50 {pct(decision, 50):.0f} s, p99 {pct(decision, 99):.0f} s, max {max(decision):.0f} s"
        f"\n   (inherent: lag_s {live.lag_s} s + up to step_s {live.step_s} s; at real time "
        f"these are wall seconds, here ÷ {speed:g})"
    )
    if waited:
        print(
            f"   {len(waited)} alert(s) waited longer ("
            + ", ".join(f"{k} {v}" for k, v in Counter(t.kind for t in waited).items())
            + "): decided only when data came back after a gap"
        )
    print(
        f"   => alert latency p50 {pct(ours_ms, 50):.1f} ms, p99 {pct(ours_ms, 99):.1f} ms "
        f"from the deciding sample to the subscriber\n      ({r50:.1f}× / {r99:.1f}× a bare paho "
        f"publish), on top of the data's {live.lag_s}–{live.lag_s + live.step_s} s "
        f"decision delay"
    )


# --- 2. sensors sustained --------------------------------------------------------------------


class NullSink:
    """An :class:`AlertSink` that only counts."""

    name = "null"

    def __init__(self) -> None:
        self.alerts = 0
        self.statuses = 0

    async def start(self, on_command: Any) -> None:
        return None

    def publish_alert(self, alert: Alert) -> None:
        self.alerts += 1

    def publish_status(self, status: LiveStatus) -> None:
        self.statuses += 1

    async def stop(self) -> None:
        return None


@dataclass
class Person:
    engine: LiveEngine
    """Fed with the first ``prefeed_s`` of the recording (its context window full)."""
    rest: Recording
    """What the sensor streams in real time."""


def make_people(k: int, stream_s: float) -> list[Person]:
    live = LiveParams()
    prefeed_s = live.context_s + live.lag_s + 2 * live.step_s
    hours = (prefeed_s + stream_s + 60.0) / 3600.0
    offset = zone_offset(local_zone(None))
    people = []
    for seed in range(1, k + 1):
        rec = simulate("desk", hours, 100 + seed, trunk=False, seat=False).recording
        t0 = float(rec.t_s[0])
        engine = LiveEngine({Role.THIGH}, utc_offset_s=offset)
        assert rec.thigh_acc_g is not None
        cuts = np.searchsorted(rec.t_s, t0 + np.arange(prefeed_s + 1))
        for lo, hi in itertools.pairwise(cuts):
            if hi > lo:
                engine.accept(
                    SampleBlock(
                        "pre",
                        "replay-imu",
                        Role.THIGH,
                        rec.t_s[lo:hi],
                        acc_g=rec.thigh_acc_g[lo:hi],
                    )
                )
                engine.process()
        for buf in engine._buffers.values():
            buf.merged()
        people.append(Person(engine, slice_recording(rec, t0 + prefeed_s)))
    return people


@dataclass
class SustainResult:
    n: int
    cpu_pct: float
    lags_s: list[float]
    samples_per_s: float
    alerts: int = 0

    @property
    def p50(self) -> float:
        return pct(self.lags_s, 50)

    @property
    def p99(self) -> float:
        return pct(self.lags_s, 99)

    @property
    def max(self) -> float:
        return max(self.lags_s) if self.lags_s else math.nan


@dataclass
class _Sensor:
    queue: asyncio.Queue[Message | None]
    engine: LiveEngine | None
    sink: AlertSink | None
    t0: float
    start: float | None = None
    source: ReplaySource | None = None


@dataclass
class _Window:
    measuring: bool = False
    lags: list[float] = field(default_factory=list)
    samples: int = 0


async def sustain(
    people: list[Person],
    n: int,
    warm_s: float,
    seconds: float,
    *,
    engine: bool,
    spread_s: float,
    mqtt_port: int | None = None,
    mqtt_sensors: int = 0,
) -> SustainResult:
    loop = asyncio.get_running_loop()
    win = _Window()
    sensors: list[_Sensor] = []
    for i in range(n):
        p = people[i % len(people)]
        sink: AlertSink | None = None
        if engine:
            if mqtt_port is not None and i < mqtt_sensors:
                sink = MqttSink(MqttSettings(host=HOST, port=mqtt_port, user_id=f"s{i:03d}"))
            else:
                sink = NullSink()
        s = _Sensor(
            asyncio.Queue(QUEUE_SIZE),
            copy.deepcopy(p.engine) if engine else None,
            sink,
            float(p.rest.t_s[0]),
        )

        async def emit(m: Message, s: _Sensor = s) -> None:
            if s.start is None:
                s.start = loop.time()  # ReplaySource.run took its start just now
            await s.queue.put(m)

        s.source = ReplaySource(p.rest, emit, label=f"s{i}", speed=1.0, block_s=1.0)
        sensors.append(s)

    async def consume(s: _Sensor) -> None:
        while (item := await s.queue.get()) is not None:
            if s.engine is not None:
                s.engine.accept(item)
                out = s.engine.process()
                assert s.sink is not None
                for alert in out.alerts:
                    s.sink.publish_alert(alert)
                if out.status is not None:
                    s.sink.publish_status(out.status)
            if isinstance(item, SampleBlock) and win.measuring:
                assert s.start is not None
                due = s.start + (float(item.t_s[-1]) - s.t0)
                win.lags.append(loop.time() - due)
                win.samples += item.n

    async def run_source(i: int, s: _Sensor) -> None:
        await asyncio.sleep(i * spread_s / n)
        assert s.source is not None
        await s.source.run()

    for s in sensors:
        if s.sink is not None:
            await s.sink.start(lambda _req: None)
    consumers = [asyncio.create_task(consume(s)) for s in sensors]
    sources = [asyncio.create_task(run_source(i, s)) for i, s in enumerate(sensors)]
    try:
        await asyncio.sleep(spread_s + warm_s)
        win.measuring = True
        cpu0, w0 = time.process_time(), loop.time()
        await asyncio.sleep(seconds)
        win.measuring = False
        cpu, wall = time.process_time() - cpu0, loop.time() - w0
    finally:
        for s in sensors:
            assert s.source is not None
            await s.source.stop()
        failed = await asyncio.gather(*sources, return_exceptions=True)
        for s in sensors:
            await s.queue.put(None)
        failed += await asyncio.gather(*consumers, return_exceptions=True)
        for s in sensors:
            if s.sink is not None:
                await s.sink.stop()
    for exc in failed:
        if isinstance(exc, BaseException):
            raise exc
    alerts = sum(getattr(s.sink, "alerts", 0) for s in sensors)
    return SustainResult(n, 100.0 * cpu / wall, win.lags, win.samples / wall, alerts)


def sensors(
    port: int, counts: list[int], seconds: float, warm_s: float, spread: float, mqtt_sensors: int
) -> None:
    base_s = min(seconds, 20.0)
    print(
        f"\n2. sensors sustained: N simulated 50 Hz thigh sensors, one LiveEngine each, "
        f"real time, 1 s blocks, one asyncio loop;\n   started spread over {spread:g} s, "
        f"{warm_s:g} s warm-up, then {seconds:g} s measured ({base_s:g} s for the baseline); "
        f"{mqtt_sensors} of them on the real MQTT sink"
    )
    t = time.perf_counter()
    people = make_people(8, spread + warm_s + max(seconds, base_s) + 10.0)
    mb = (
        sum(
            b.t_s.nbytes + (0 if b.values is None else b.values.nbytes)
            for b in people[0].engine._buffers.values()
        )
        / 1e6
    )
    print(
        f"   (8 simulated people, engines fed {LiveParams().context_s} s of context first: "
        f"{time.perf_counter() - t:.1f} s; each engine holds {mb:.1f} MB of samples)"
    )
    print(
        "\n            baseline: count only           live engines"
        "\n       N    CPU %  lag p50   p99   max    CPU %  lag p50   p99   max  (ms)"
        "   engine's CPU per sensor"
    )
    best, last = 0, None
    for n in counts:
        gc.collect()
        bare = asyncio.run(sustain(people, n, 1.0, base_s, engine=False, spread_s=spread))
        gc.collect()
        full = asyncio.run(
            sustain(
                people,
                n,
                warm_s,
                seconds,
                engine=True,
                spread_s=spread,
                mqtt_port=port,
                mqtt_sensors=mqtt_sensors,
            )
        )
        ok = full.p99 < LAG_LIMIT_S
        expected = 50.0 * n
        short = (
            ""
            if full.samples_per_s > 0.98 * expected
            else f"  only {full.samples_per_s:,.0f} of {expected:,.0f} samples/s!"
        )
        per = max(0.0, full.cpu_pct - bare.cpu_pct) / n
        print(
            f"   {n:5d}   {bare.cpu_pct:6.1f}  {bare.p50 * 1e3:7.1f} {bare.p99 * 1e3:5.0f}"
            f" {bare.max * 1e3:5.0f}   {full.cpu_pct:6.1f}  {full.p50 * 1e3:7.1f} "
            f"{full.p99 * 1e3:5.0f} {full.max * 1e3:5.0f}  {'ok ' if ok else 'LAG'}"
            f"    {per:.3f} %  ({full.cpu_pct / bare.cpu_pct:.1f}× baseline CPU){short}"
        )
        last = full
        if not ok:
            break
        best = n
    verdict = "met" if best >= SENSOR_TARGET else "NOT met"
    more = ""
    if last is not None and best == last.n:
        more = (
            f";\n      every N passed, so the limit is higher (at N = {best} the process used "
            f"{last.cpu_pct:.0f} % of a core)"
        )
    print(
        f"   => {best} sensors sustained in one process with p99 lag < {LAG_LIMIT_S:g} s "
        f"(target ≥ {SENSOR_TARGET}: {verdict}){more}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=1000, help="alerts to time (≥ 1000)")
    ap.add_argument("--speed", type=float, default=300.0, help="replay speed for the alerts")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured wall time per N")
    ap.add_argument("--warmup", type=float, default=2.0, help="warm-up after the start spread")
    ap.add_argument("--sensors", default="50,100,200,300", help="comma-separated N to step")
    ap.add_argument(
        "--spread",
        type=float,
        default=float(LiveParams().step_s),
        help="seconds over which the sensors start (0: all at once, the worst case)",
    )
    ap.add_argument("--mqtt-sensors", type=int, default=10, help="sensors on the MQTT sink")
    ap.add_argument("--only", choices=("latency", "sensors"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # records a filter downgraded (paho's)
        handler.setLevel(logging.WARNING)
    counts = [int(x) for x in args.sensors.split(",") if x.strip()]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp, Broker(Path(tmp)) as broker:
        if args.only != "sensors":
            latency(broker.port, Path(tmp), args.alerts, args.speed)
        if args.only != "latency":
            sensors(broker.port, counts, args.seconds, args.warmup, args.spread, args.mqtt_sensors)
    print(f"\n(total {time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
