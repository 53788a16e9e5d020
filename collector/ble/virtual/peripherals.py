"""Emulated sensors: bumble GATT peripherals with the real services, UUIDs,
notifications and writes of the sensors sitload reads.

* :class:`SitloadImu` / :class:`SitloadPressure`: the sitload profile
  (docs/ble-profile.md): IMU or pressure notifications with sequence numbers and
  sample counters, the configuration characteristic (read / write), the haptic
  characteristic (write; received commands are kept in ``haptic``), Battery.
* :class:`WitMotion`: WT901BLE frames on ``ffe4`` (``9a34fb`` base), rate command
  on ``ffe9``.
* :class:`CyclingSpeedCadence` (0x1816 / 0x2A5B) and :class:`CyclingPower`
  (0x1818 / 0x2A63).

Each is a :class:`~collector.ble.virtual.sensor.VirtualSensor` (advertising, one
central, pacing, link drops, lost packets, raw bytes).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable, Sequence

import numpy as np
from bumble import gatt
from bumble.device import Connection

from analytics.records import FloatArray
from collector.ble import profile
from collector.ble.decoders import encode_sitload_imu, encode_witmotion
from collector.ble.virtual.radio import VirtualRadio
from collector.ble.virtual.sensor import PERMS, PROPS, VirtualSensor, char, pace


class SitloadImu(VirtualSensor):
    """A sitload-profile IMU (thigh or trunk): batches of samples with a sequence
    number and the device's sample counter."""

    kind = "sitload-imu"

    def __init__(
        self,
        radio: VirtualRadio,
        name: str = "SL-THIGH",
        *,
        role: profile.Role = profile.Role.THIGH,
        rate_hz: int = 50,
        batch: int = 5,
        address: str | None = None,
    ) -> None:
        super().__init__(radio, name, address)
        self.config = profile.SensorConfig(rate_hz=rate_hz, role=role)
        self.batch = batch
        self.haptic: list[bytes] = []
        self.seq = 0
        self.counter = 0
        self.imu = char(profile.IMU_UUID, PROPS.NOTIFY, PERMS.READABLE, b"")
        self.config_char = char(
            profile.CONFIG_UUID,
            PROPS.READ | PROPS.WRITE,
            PERMS.READABLE | PERMS.WRITEABLE,
            gatt.CharacteristicValue[bytes](
                read=lambda _c: self.config.encode(), write=self._on_config
            ),
        )
        self.haptic_char = char(
            profile.HAPTIC_UUID,
            PROPS.WRITE,
            PERMS.WRITEABLE,
            gatt.CharacteristicValue[bytes](write=lambda _c, v: self.haptic.append(bytes(v))),
        )
        self.add_service(profile.SERVICE_UUID, [self.imu, self.config_char, self.haptic_char])

    def _on_config(self, _connection: Connection, value: bytes) -> None:
        self.config = profile.SensorConfig.decode(bytes(value))

    async def stream(
        self,
        acc_g: FloatArray,
        gyro_dps: FloatArray | None = None,
        *,
        speed: float = 1.0,
        skip_packets: Iterable[int] = (),
    ) -> None:
        """Send the samples in batches at the configured rate (``speed``× real time).

        Packets whose index (from 0) is in ``skip_packets`` are "lost on air": their
        sequence number and samples are used up but nothing is sent."""
        skip = set(skip_packets)
        start = asyncio.get_running_loop().time()
        rate = self.config.rate_hz
        for k, i in enumerate(range(0, acc_g.shape[0], self.batch)):
            j = min(i + self.batch, acc_g.shape[0])
            await pace(start, j / rate, speed)
            packet = encode_sitload_imu(
                self.seq, self.counter, acc_g[i:j], None if gyro_dps is None else gyro_dps[i:j]
            )
            self.seq = (self.seq + 1) & 0xFFFF
            self.counter = (self.counter + j - i) & 0xFFFFFFFF
            if k not in skip:
                await self.notify(self.imu, packet)


class SitloadPressure(VirtualSensor):
    """A sitload-profile seat mat: one frame of ``rows × cols`` cells per sample."""

    kind = "sitload-pressure"

    def __init__(
        self,
        radio: VirtualRadio,
        name: str = "SL-SEAT",
        *,
        rows: int = 8,
        cols: int = 8,
        rate_hz: int = 10,
        address: str | None = None,
    ) -> None:
        super().__init__(radio, name, address)
        self.config = profile.SensorConfig(
            rate_hz=rate_hz, rows=rows, cols=cols, role=profile.Role.SEAT
        )
        self.seq = 0
        self.counter = 0
        self.pressure = char(profile.PRESSURE_UUID, PROPS.NOTIFY, PERMS.READABLE, b"")
        self.config_char = char(
            profile.CONFIG_UUID,
            PROPS.READ,
            PERMS.READABLE,
            gatt.CharacteristicValue[bytes](read=lambda _c: self.config.encode()),
        )
        self.add_service(profile.SERVICE_UUID, [self.pressure, self.config_char])

    async def stream(self, cells: FloatArray, *, speed: float = 1.0) -> None:
        start = asyncio.get_running_loop().time()
        rate = self.config.rate_hz
        for i in range(cells.shape[0]):
            await pace(start, (i + 1) / rate, speed)
            values = np.clip(np.rint(cells[i]), 0, 65535).astype("<u2")
            packet = struct.pack("<HIB", self.seq, self.counter, values.shape[0]) + values.tobytes()
            self.seq = (self.seq + 1) & 0xFFFF
            self.counter = (self.counter + 1) & 0xFFFFFFFF
            await self.notify(self.pressure, packet)


WITMOTION_RATES_HZ = {
    0x01: 0.2,
    0x02: 0.5,
    0x03: 1,
    0x04: 2,
    0x05: 5,
    0x06: 10,
    0x07: 20,
    0x08: 50,
    0x09: 100,
    0x0B: 200,
}


class WitMotion(VirtualSensor):
    """A WitMotion WT901BLE: ``55 61`` frames, 10 Hz until told otherwise."""

    kind = "witmotion"

    def __init__(
        self, radio: VirtualRadio, name: str = "WT901BLE", address: str | None = None
    ) -> None:
        super().__init__(radio, name, address)
        self.rate_hz = 10.0
        self.commands: list[bytes] = []
        self.frames_per_notification = 1
        self.out = char(profile.WITMOTION_NOTIFY_UUID, PROPS.NOTIFY, PERMS.READABLE, b"")
        self.write = char(
            profile.WITMOTION_WRITE_UUID,
            PROPS.WRITE | PROPS.WRITE_WITHOUT_RESPONSE,
            PERMS.WRITEABLE,
            gatt.CharacteristicValue[bytes](write=self._on_write),
        )
        self.add_service(profile.WITMOTION_SERVICE_UUID, [self.out, self.write])

    def _on_write(self, _connection: Connection, value: bytes) -> None:
        value = bytes(value)
        self.commands.append(value)
        if len(value) == 5 and value[:3] == b"\xff\xaa\x03" and value[3] in WITMOTION_RATES_HZ:
            self.rate_hz = float(WITMOTION_RATES_HZ[value[3]])

    async def stream(self, acc_g: FloatArray, *, speed: float = 1.0, split: bool = False) -> None:
        """Frames at the current rate, ``frames_per_notification`` per notification;
        ``split`` cuts every notification in two at an odd byte."""
        start = asyncio.get_running_loop().time()
        n = acc_g.shape[0]
        zeros = np.zeros((n, 3))
        per = self.frames_per_notification
        for i in range(0, n, per):
            j = min(i + per, n)
            await pace(start, j / self.rate_hz, speed)
            data = encode_witmotion(acc_g[i:j], zeros[i:j], zeros[i:j])
            if split:
                await self.notify(self.out, data[:7])
                await self.notify(self.out, data[7:])
            else:
                await self.notify(self.out, data)


def _crank_stream(cadence_rpm: Sequence[float]) -> list[tuple[int, int]]:
    """Cumulative crank revolutions and last event times (1/1024 s), uint16, one per second."""
    out: list[tuple[int, int]] = []
    revs, revs_f, event_1024 = 0, 0.0, 0
    for t, rpm in enumerate(cadence_rpm):
        revs_f += rpm / 60.0
        whole = int(revs_f)
        if whole > revs and rpm > 0:
            revs = whole
            event_1024 = round((t + 1 - (revs_f - whole) * 60.0 / rpm) * 1024)
        out.append((revs & 0xFFFF, event_1024 & 0xFFFF))
    return out


class CyclingSpeedCadence(VirtualSensor):
    """A Bluetooth SIG CSC sensor with crank data, one measurement per second."""

    kind = "csc"

    def __init__(
        self, radio: VirtualRadio, name: str = "CADENCE-1", address: str | None = None
    ) -> None:
        super().__init__(radio, name, address)
        self.measurement = char(profile.CSC_MEASUREMENT_UUID, PROPS.NOTIFY, PERMS.READABLE, b"")
        feature = char(
            "00002a5c-0000-1000-8000-00805f9b34fb", PROPS.READ, PERMS.READABLE, b"\x02\x00"
        )
        self.add_service(profile.CSC_SERVICE_UUID, [self.measurement, feature])

    async def stream(self, cadence_rpm: Sequence[float], *, speed: float = 1.0) -> None:
        start = asyncio.get_running_loop().time()
        for k, (revs, event) in enumerate(_crank_stream(cadence_rpm)):
            await pace(start, k + 1.0, speed)
            await self.notify(self.measurement, struct.pack("<BHH", 0x02, revs, event))


class CyclingPower(VirtualSensor):
    """A Bluetooth SIG Cycling Power meter with crank data, one measurement per second."""

    kind = "cycling-power"

    def __init__(
        self, radio: VirtualRadio, name: str = "POWER-1", address: str | None = None
    ) -> None:
        super().__init__(radio, name, address)
        self.measurement = char(profile.POWER_MEASUREMENT_UUID, PROPS.NOTIFY, PERMS.READABLE, b"")
        feature = char(
            "00002a65-0000-1000-8000-00805f9b34fb",
            PROPS.READ,
            PERMS.READABLE,
            b"\x08\x00\x00\x00",
        )
        self.add_service(profile.POWER_SERVICE_UUID, [self.measurement, feature])

    async def stream(
        self, cadence_rpm: Sequence[float], power_w: Sequence[float], *, speed: float = 1.0
    ) -> None:
        start = asyncio.get_running_loop().time()
        cranks = _crank_stream(cadence_rpm)
        for k, ((revs, event), watts) in enumerate(zip(cranks, power_w, strict=True)):
            await pace(start, k + 1.0, speed)
            await self.notify(
                self.measurement, struct.pack("<HhHH", 0x20, round(watts), revs, event)
            )
