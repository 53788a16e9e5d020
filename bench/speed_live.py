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
import gc
import itertools
import logging
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from analytics.live import LiveParams
from analytics.records import Recording
from bench.live_support import HOST, LAG_LIMIT_S, SENSOR_TARGET, Broker, NullSink, pct
from bench.speed_live_latency import latency
from collector.service.engine import LiveEngine, zone_offset
from collector.service.plans import local_zone, slice_recording
from collector.service.runner import QUEUE_SIZE
from collector.sinks.base import AlertSink
from collector.sinks.mqtt import MqttSink
from collector.sinks.settings import MqttSettings
from collector.sources.messages import Message, Role, SampleBlock
from collector.sources.replay import ReplaySource
from collector.sources.simulator import simulate


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
    held = [b.merged() for b in people[0].engine._buffers.values()]
    mb = sum(t.nbytes + (0 if v is None else v.nbytes) for t, v in held) / 1e6
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
