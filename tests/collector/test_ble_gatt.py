"""The BLE collector against emulated peripherals over real GATT.

Each sensor is a bumble peripheral with its real services and UUIDs on an
in-process link; sitload's bleak backend drives a bumble central, so scanning,
connection, MTU exchange, discovery, CCCD writes, notifications, writes and
disconnections all cross real ATT PDUs. The data clock is scaled (``speed``) so
a test streams seconds of sensor time in a fraction of that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak_retry_connector import establish_connection

from collector.ble import profile
from collector.ble.drivers import SensorKind
from collector.ble.source import Backoff, BleContext, BleSource, DeviceSpec
from collector.ble.virtual.backend import VirtualClient, VirtualScanner
from collector.ble.virtual.peripherals import (
    CyclingPower,
    CyclingSpeedCadence,
    SitloadImu,
    SitloadPressure,
    WitMotion,
)
from collector.ble.virtual.radio import VirtualRadio
from collector.ble.virtual.sensor import VirtualSensor
from collector.recorder import Recorder
from collector.recordings import load_recording
from collector.sources.messages import DeviceStatus, Gap, GapReason, Message, Role, SampleBlock

SPEED = 5.0
FAST = Backoff(initial_s=0.05, factor=2.0, max_s=0.4, jitter=0.0)


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


def scaled_clock(speed: float) -> Callable[[], float]:
    """A wall clock running ``speed`` times faster, as the data clock of a test."""
    t0, m0 = 1_790_000_000.0, time.monotonic()
    return lambda: t0 + (time.monotonic() - m0) * speed


class Harness:
    def __init__(self, radio: VirtualRadio, speed: float = SPEED) -> None:
        self.radio = radio
        self.ctx = BleContext(
            scanner_kwargs={"backend": VirtualScanner, "radio": radio},
            client_kwargs={"backend": VirtualClient},
            clock=scaled_clock(speed),
            scan_timeout_s=0.5,
        )
        self.messages: list[Message] = []
        self.sources: list[BleSource] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.recorder: Recorder | None = None

    async def emit(self, message: Message) -> None:
        self.messages.append(message)
        if self.recorder is not None:
            await self.recorder.accept(message)

    def start(self, spec: DeviceSpec, **kwargs: Any) -> BleSource:
        source = BleSource(spec, self.ctx, self.emit, backoff=FAST, seed=1, **kwargs)
        self.sources.append(source)
        self.tasks.append(asyncio.create_task(source.run()))
        return source

    async def stop(self) -> None:
        for s in self.sources:
            await s.stop()
        await asyncio.gather(*self.tasks)

    def blocks(self, device: str) -> list[SampleBlock]:
        return [m for m in self.messages if isinstance(m, SampleBlock) and m.device == device]

    def gaps(self, device: str) -> list[Gap]:
        return [m for m in self.messages if isinstance(m, Gap) and m.device == device]

    def times(self, device: str) -> np.ndarray:
        return np.concatenate([b.t_s for b in self.blocks(device)])


def still(n: int, tilt: float = 0.0) -> np.ndarray:
    acc = np.zeros((n, 3))
    acc[:, 0] = np.sin(np.radians(tilt))
    acc[:, 2] = np.cos(np.radians(tilt))
    return acc


async def settle(sensor: VirtualSensor, char: Any) -> None:
    await sensor.wait_subscribed(char)


# --------------------------------------------------------------------------- discovery


def test_scan_finds_sensors_by_service_and_reports_name_and_rssi() -> None:
    async def main() -> None:
        radio = VirtualRadio()
        sensors = [
            SitloadImu(radio),
            WitMotion(radio),
            CyclingSpeedCadence(radio),
            CyclingPower(radio),
        ]
        for s in sensors:
            await s.start()
        found = await BleakScanner.discover(
            timeout=0.3, return_adv=True, backend=VirtualScanner, radio=radio
        )
        by_name = {adv.local_name: adv for _, adv in found.values()}
        assert set(by_name) == {"SL-THIGH", "WT901BLE", "CADENCE-1", "POWER-1"}
        assert profile.SERVICE_UUID in by_name["SL-THIGH"].service_uuids
        assert profile.WITMOTION_SERVICE_UUID in by_name["WT901BLE"].service_uuids
        assert all(adv.rssi < 0 for adv in by_name.values())
        only = await BleakScanner.discover(
            timeout=0.3,
            service_uuids=[profile.CSC_SERVICE_UUID],
            backend=VirtualScanner,
            radio=radio,
        )
        assert [d.name for d in only] == ["CADENCE-1"]

    run(main())


def test_gatt_database_reads_and_writes_cross_the_link() -> None:
    async def main() -> None:
        radio = VirtualRadio()
        imu = SitloadImu(radio, rate_hz=25)
        await imu.start()
        device = await BleakScanner.find_device_by_address(
            imu.address, timeout=1, backend=VirtualScanner, radio=radio
        )
        assert device is not None
        client = await establish_connection(BleakClient, device, "t", backend=VirtualClient)
        assert client.mtu_size == 247
        config = profile.SensorConfig.decode(
            bytes(await client.read_gatt_char(profile.CONFIG_UUID))
        )
        assert config.rate_hz == 25
        await client.write_gatt_char(
            profile.HAPTIC_UUID, profile.haptic_command(2, 400), response=True
        )
        assert imu.haptic == [profile.haptic_command(2, 400)]
        assert bytes(await client.read_gatt_char(profile.BATTERY_LEVEL_UUID)) == bytes((87,))
        await client.disconnect()
        assert not client.is_connected

    run(main())


# --------------------------------------------------------------------------- streams


def test_sitload_imu_stream_decoded_with_counter_times() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        imu = SitloadImu(h.radio, rate_hz=50, batch=5)
        await imu.start()
        source = h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU))
        await settle(imu, imu.imu)
        acc = still(500, tilt=80.0)
        await imu.stream(acc, speed=SPEED)
        await asyncio.sleep(0.1)
        await h.stop()
        t = h.times("thigh")
        assert t.shape == (500,)
        steps = np.diff(t)
        assert np.all(steps > 0)
        # times come from the counter: 1/50 s apart to within the clamp of a latency drop
        assert np.median(steps) == pytest.approx(0.02, abs=1e-6)
        assert t[-1] - t[0] == pytest.approx(499 / 50, abs=0.15)
        got = np.concatenate([b.acc_g for b in h.blocks("thigh") if b.acc_g is not None])
        assert np.allclose(got, acc, atol=1 / 4096)
        assert source.counters.packets == 100
        assert source.counters.lost_packets == 0
        assert source.counters.decode_errors == 0

    run(main())


def test_peripheral_drops_mid_stream_reconnects_and_the_gap_is_reported() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        imu = SitloadImu(h.radio)
        await imu.start()
        source = h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU, name="SL-THIGH"))
        await settle(imu, imu.imu)
        await imu.stream(still(100), speed=SPEED)
        await asyncio.sleep(0.05)
        await imu.drop(away_s=0.6)  # about 3 s of data time away
        await settle(imu, imu.imu)  # re-subscribed on a new client
        imu.counter += 150  # the device kept sampling while out of range
        await imu.stream(still(100), speed=SPEED)
        await asyncio.sleep(0.1)
        await h.stop()
        assert source.counters.connects == 2
        assert source.counters.reconnects == 1
        gaps = h.gaps("thigh")
        assert [g.reason for g in gaps] == [GapReason.DISCONNECTED]
        t = h.times("thigh")
        assert t.shape == (200,)
        assert np.all(np.diff(t) > 0)
        before, after = t[99], t[100]
        assert gaps[0].start_t_s == before
        assert gaps[0].end_t_s == after
        assert gaps[0].duration_s > 2.0
        links = [
            m.connected for m in h.messages if isinstance(m, DeviceStatus) and m.device == "thigh"
        ]
        assert links == [True, False, True, False]

    run(main())


def test_lost_packets_are_detected_from_sequence_numbers() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        imu = SitloadImu(h.radio, batch=5)
        await imu.start()
        source = h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU))
        await settle(imu, imu.imu)
        await imu.stream(still(200), speed=SPEED, skip_packets=[7, 20, 21])
        await asyncio.sleep(0.1)
        await h.stop()
        assert source.counters.lost_packets == 3
        assert source.counters.lost_samples == 15
        gaps = h.gaps("thigh")
        assert [(g.reason, g.lost_samples) for g in gaps] == [
            (GapReason.LOST_PACKETS, 5),
            (GapReason.LOST_PACKETS, 10),
        ]
        for g in gaps:  # the gap spans exactly the missing samples
            lost = g.lost_samples or 0
            # from the last sample before to the first after: lost + 1 intervals at 50 Hz
            assert g.duration_s == pytest.approx((lost + 1) / 50, abs=0.01)
        assert h.times("thigh").shape == (185,)

    run(main())


def test_witmotion_packed_and_split_frames_and_rate_command() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        wit = WitMotion(h.radio)
        await wit.start()
        source = h.start(DeviceSpec("trunk", SensorKind.WITMOTION, role=Role.TRUNK, rate_hz=50))
        await settle(wit, wit.out)
        assert wit.commands == [bytes.fromhex("ffaa030800")]  # 50 Hz
        assert wit.rate_hz == 50
        acc = still(60, tilt=30.0)
        wit.frames_per_notification = 2  # two frames in one notification
        await wit.stream(acc[:30], speed=SPEED)
        wit.frames_per_notification = 1
        await wit.stream(acc[30:], speed=SPEED, split=True)  # one frame across two
        await asyncio.sleep(0.1)
        await h.stop()
        got = np.concatenate([b.acc_g for b in h.blocks("trunk") if b.acc_g is not None])
        assert got.shape == (60, 3)
        assert np.allclose(got, acc, atol=16 / 32768)
        assert all(b.role is Role.TRUNK for b in h.blocks("trunk"))
        assert np.all(np.diff(h.times("trunk")) > 0)
        assert source.counters.decode_errors == 0

    run(main())


def test_malformed_payloads_are_counted_and_dropped() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        imu = SitloadImu(h.radio)
        csc = CyclingSpeedCadence(h.radio)
        for s in (imu, csc):
            await s.start()
        thigh = h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU))
        bike = h.start(DeviceSpec("bike", SensorKind.CSC))
        await settle(imu, imu.imu)
        await settle(csc, csc.measurement)
        await imu.stream(still(20), speed=SPEED)
        for junk in (b"", b"\x01\x02", b"\x00" * 9 + b"\xff", bytes(range(40))):
            await imu.notify(imu.imu, junk)
        await csc.notify(csc.measurement, b"\x03\x01")  # flags promise wheel and crank data
        await imu.stream(still(20), speed=SPEED)
        await asyncio.sleep(0.1)
        await h.stop()
        assert thigh.counters.decode_errors == 4
        assert bike.counters.decode_errors == 1
        assert h.times("thigh").shape == (40,)  # the good data on both sides is kept

    run(main())


def test_three_sensors_at_once_and_the_recording_reads_back(tmp_path: Path) -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        thigh = SitloadImu(h.radio, "SL-THIGH")
        trunk = SitloadImu(h.radio, "SL-TRUNK", role=profile.Role.TRUNK)
        power = CyclingPower(h.radio)
        for s in (thigh, trunk, power):
            await s.start()
        out = tmp_path / "ride.csv"
        recorder = h.recorder = Recorder(out, {Role.THIGH, Role.TRUNK, Role.BIKE})
        sources = [
            h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU, name="SL-THIGH")),
            h.start(DeviceSpec("trunk", SensorKind.SITLOAD_IMU, name="SL-TRUNK")),
            h.start(DeviceSpec("bike", SensorKind.CYCLING_POWER)),
        ]
        for s, ch in ((thigh, thigh.imu), (trunk, trunk.imu), (power, power.measurement)):
            await settle(s, ch)
        await asyncio.gather(
            thigh.stream(still(250, 60.0), speed=SPEED),
            trunk.stream(still(250, 10.0), speed=SPEED),
            power.stream([85.0] * 5, [180.0] * 5, speed=SPEED),
        )
        await asyncio.sleep(0.1)
        await h.stop()
        recorder.close({s.spec.label: s.counters.as_dict() for s in sources})
        assert [h.times(d).shape[0] for d in ("thigh", "trunk", "bike")] == [250, 250, 5]
        assert h.blocks("trunk")[0].role is Role.TRUNK  # from the configuration characteristic
        cadence = np.concatenate(
            [b.cadence_rpm for b in h.blocks("bike") if b.cadence_rpm is not None]
        )
        assert cadence[-1] == pytest.approx(85.0, rel=0.05)
        loaded = load_recording(out).recording
        assert loaded.thigh_acc_g is not None
        assert loaded.trunk_acc_g is not None
        assert int((~np.isnan(loaded.thigh_acc_g[:, 0])).sum()) == 250
        assert int((~np.isnan(loaded.trunk_acc_g[:, 0])).sum()) == 250
        assert (out.parent / "ride.csv.session.json").exists()

    run(main())


def test_missing_device_backs_off_and_connects_when_it_appears() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        h.ctx.scan_timeout_s = 0.1
        source = h.start(DeviceSpec("seat", SensorKind.SITLOAD_PRESSURE))
        await asyncio.sleep(0.8)
        assert not source.connected
        assert "not found" in source.last_error
        seat = SitloadPressure(h.radio)
        await seat.start()
        await settle(seat, seat.pressure)
        cells = np.full((20, 64), 100.0)
        await seat.stream(cells, speed=SPEED)
        await asyncio.sleep(0.1)
        await h.stop()
        blocks = h.blocks("seat")
        assert sum(b.n for b in blocks) == 20
        assert blocks[0].seat_p is not None
        assert blocks[0].seat_p.shape == (1, 64)

    run(main())


def test_backoff_is_capped_and_jittered() -> None:
    import random

    b = Backoff(initial_s=1.0, factor=2.0, max_s=60.0, jitter=0.2)
    rng = random.Random(3)
    delays = [b.delay_s(n, rng) for n in range(1, 12)]
    assert 0.8 <= delays[0] <= 1.0
    assert all(d <= 60.0 for d in delays)
    assert delays[-1] >= 48.0


def test_disconnect_callback_is_idempotent_and_own_disconnect_is_not_a_loss() -> None:
    async def main() -> None:
        h = Harness(VirtualRadio())
        imu = SitloadImu(h.radio)
        await imu.start()
        source = h.start(DeviceSpec("thigh", SensorKind.SITLOAD_IMU))
        await settle(imu, imu.imu)
        client = source._client
        assert client is not None
        # BlueZ may call back twice, and for a client that is no longer current
        source._on_disconnect(client)
        source._on_disconnect(client)
        await asyncio.sleep(0.5)
        await settle(imu, imu.imu)
        assert source.counters.reconnects == 1
        await h.stop()  # our own disconnect: the callback fires but is ignored
        assert source.counters.reconnects == 1
        assert not source.connected

    run(main())
