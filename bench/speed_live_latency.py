"""Threshold -> alert latency of the real service over MQTT (part 1 of
bench/speed_live.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from analytics.alert_records import Alert
from analytics.live import LiveParams
from analytics.live_steps import EngineOutput
from bench.live_support import (
    ALERT_TOPIC,
    BASELINE_TOPIC,
    HOST,
    RemoteSubscriber,
    paho_baseline,
    pct,
    short_alert_params,
)
from collector.config import Overrides, load_settings
from collector.service.plans import RecordingPlan
from collector.service.runner import QUEUE_SIZE, Service
from collector.sinks.mqtt import MqttSink
from collector.sinks.mqtt_payloads import alert_payload, to_json
from collector.sources.messages import Message, SampleBlock
from collector.sources.simulator import simulate


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
