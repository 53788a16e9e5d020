"""BLE collector benchmark: decode throughput, and the CPU cost of 50 Hz sensors
end to end through a source.

1. **Decode throughput** (frames/s) of each decoder on realistic packets.
   Baseline in the same run: ``struct.unpack`` of the same packets into tuples
   (the least any decoder must do); printed as a ratio.
2. **CPU per 50 Hz sensor, end to end**: virtual sitload IMUs (batches of 5
   samples, 10 notifications/s) stream through the in-process radio (bumble
   peripheral and central stacks, real ATT notifications) into bleak, the
   sitload source (enqueue, decode, sample clock, gaps) and a counting sink,
   ``--speed`` times faster than real time. CPU seconds of the process per
   second of sensor data, per sensor, is the cost of one sensor at 50 Hz.
   Baseline in the same run: the same stream into a bare bleak client that only
   counts notifications (the emulated radio's own cost); the difference is
   sitload's own share.

    python bench/speed_ble.py [--seconds 120] [--sensors 3] [--speed 20]

Target (issue 4): sitload's share < 1 % of one core per 50 Hz sensor.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bleak import BleakClient, BleakScanner

from collector.ble import decoders, profile
from collector.ble.drivers import SensorKind
from collector.ble.source import BleContext, BleSource, DeviceSpec
from collector.ble.virtual.backend import VirtualClient, VirtualScanner
from collector.ble.virtual.peripherals import SitloadImu
from collector.ble.virtual.radio import VirtualRadio
from collector.sources.messages import Message, SampleBlock


def best_of(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def decode_throughput(n: int = 20_000) -> None:
    rng = np.random.default_rng(1)
    acc = rng.normal(0, 0.5, (5, 3))
    imu = [decoders.encode_sitload_imu(i, 5 * i, acc) for i in range(n)]
    wit = decoders.encode_witmotion(rng.normal(0, 0.5, (n, 3)), np.zeros((n, 3)), np.zeros((n, 3)))
    wit_notes = [wit[i : i + 20] for i in range(0, len(wit), 20)]
    csc = [struct.pack("<BHH", 2, i & 0xFFFF, (i * 700) & 0xFFFF) for i in range(n)]
    power = [struct.pack("<HhHH", 0x20, 200, i & 0xFFFF, (i * 700) & 0xFFFF) for i in range(n)]
    header = struct.Struct("<HIBB")
    body = struct.Struct("<15h")

    def baseline() -> None:
        for p in imu:
            header.unpack_from(p)
            body.unpack_from(p, header.size)

    def sitload() -> None:
        for p in imu:
            decoders.decode_sitload_imu(p)

    def witmotion() -> None:
        stream = decoders.WitMotionStream()
        for p in wit_notes:
            stream.feed(p)

    def sig_csc() -> None:
        for p in csc:
            decoders.decode_csc(p)

    def sig_power() -> None:
        for p in power:
            decoders.decode_cycling_power(p)

    base = best_of(baseline)
    print(
        f"decode throughput ({n:,} notifications each; baseline struct.unpack "
        f"{n / base:,.0f} packets/s):"
    )
    for name, fn, frames in (
        ("sitload IMU (5 samples)", sitload, 5 * n),
        ("WitMotion stream (1 frame)", witmotion, n),
        ("CSC", sig_csc, n),
        ("Cycling Power", sig_power, n),
    ):
        t = best_of(fn)
        print(
            f"  {name:28s} {n / t:>10,.0f} notifications/s  {frames / t:>11,.0f} samples/s"
            f"  ({t / base:.1f}× the baseline's time)"
        )


async def stream_cost(seconds: float, sensors: int, speed: float, bare: bool) -> float:
    """CPU seconds per second of sensor data, per sensor."""
    radio = VirtualRadio()
    imus = [SitloadImu(radio, f"SL-T{i}", batch=5) for i in range(sensors)]
    for imu in imus:
        await imu.start()
    samples = [0]

    async def sink(m: Message) -> None:
        if isinstance(m, SampleBlock):
            samples[0] += m.n

    t0, m0 = 1_790_000_000.0, time.monotonic()
    ctx = BleContext(
        scanner_kwargs={"backend": VirtualScanner, "radio": radio},
        client_kwargs={"backend": VirtualClient},
        clock=lambda: t0 + (time.monotonic() - m0) * speed,
        scan_timeout_s=2.0,
    )
    clients: list[BleakClient] = []
    tasks = []
    sources = []
    for imu in imus:
        if bare:
            dev = await BleakScanner.find_device_by_address(
                imu.address, timeout=2, backend=VirtualScanner, radio=radio
            )
            assert dev is not None
            client = BleakClient(dev, backend=VirtualClient)
            await client.connect()

            def count(_c: object, data: bytearray) -> None:
                samples[0] += data[6]

            await client.start_notify(profile.IMU_UUID, count)
            clients.append(client)
        else:
            src = BleSource(DeviceSpec(imu.name, SensorKind.SITLOAD_IMU, name=imu.name), ctx, sink)
            sources.append(src)
            tasks.append(asyncio.create_task(src.run()))
    for imu in imus:
        await imu.wait_subscribed(imu.imu)
    n = int(seconds * 50)
    acc = np.tile([0.0, 0.0, 1.0], (n, 1))
    cpu0 = time.process_time()
    await asyncio.gather(*(imu.stream(acc, speed=speed) for imu in imus))
    await asyncio.sleep(0.2)
    cpu = time.process_time() - cpu0
    for imu in imus:
        imu.retire()
    for s in sources:
        await s.stop()
    await asyncio.gather(*tasks)
    for c in clients:
        await c.disconnect()
    assert samples[0] == n * sensors, (samples[0], n * sensors)
    return cpu / seconds / sensors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="sensor data per run (s)")
    ap.add_argument("--sensors", type=int, default=3)
    ap.add_argument("--speed", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    decode_throughput()
    print(
        f"\nend to end: {args.sensors} sitload IMUs at 50 Hz, {args.seconds:g} s of data each, "
        f"{args.speed:g}× real time, best of {args.repeats}:"
    )
    bare = min(
        asyncio.run(stream_cost(args.seconds, args.sensors, args.speed, True))
        for _ in range(args.repeats)
    )
    full = min(
        asyncio.run(stream_cost(args.seconds, args.sensors, args.speed, False))
        for _ in range(args.repeats)
    )
    own = max(0.0, full - bare)
    print(
        f"  baseline, emulated radio + bare bleak client: {bare * 100:.2f} % of a core per sensor"
    )
    print(
        f"  radio + bleak + sitload source:               {full * 100:.2f} % of a core per sensor"
        f"  ({full / bare:.2f}× the baseline)"
    )
    verdict = "met" if own < 0.01 else "NOT met"
    print(
        f"  sitload's own share: {own * 100:.3f} % of a core per 50 Hz sensor "
        f"(target < 1 %: {verdict})"
    )


if __name__ == "__main__":
    main()
