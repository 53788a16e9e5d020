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

A sensor streams samples paced by its own rate (``speed`` > 1 runs faster than
real time), can drop its link and stay away for a while (:meth:`VirtualSensor.drop`),
skip packets (to emulate radio loss) and send arbitrary bytes (malformed payloads).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid as uuid_mod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
from bumble import gatt
from bumble.core import UUID
from bumble.device import Connection, Device

from analytics.records import FloatArray
from collector.ble import profile
from collector.ble.decoders import encode_sitload_imu, encode_witmotion
from collector.ble.virtual.radio import VirtualRadio

ADV_INTERVAL_MS = 20.0
"""Fast advertising (real sensors use 100 ms–1 s) keeps connecting quick."""

_PROPS = gatt.Characteristic.Properties
_PERMS = gatt.Characteristic.Permissions


def _uuid(text: str) -> UUID:
    return UUID(text.upper())


def _char(
    uuid: str,
    props: gatt.Characteristic.Properties,
    perms: gatt.Characteristic.Permissions,
    value: bytes | gatt.CharacteristicValue[bytes] = b"",
) -> gatt.Characteristic[bytes]:
    return gatt.Characteristic[bytes](_uuid(uuid), props, perms, value)


def advertising_data(name: str, service_uuids: Iterable[str]) -> tuple[bytes, bytes]:
    """Raw AD structures (advertisement, scan response): flags, the service UUID
    lists and as much of the name as fits in 31 bytes (a shortened local name if
    it must be cut); the complete name in the scan response. (bumble's virtual
    controller reports the advertisement again as the scan response, so only the
    advertisement is seen: keep virtual names within 8 characters.)"""
    short: list[bytes] = []
    long: list[bytes] = []
    for text in service_uuids:
        u = uuid_mod.UUID(text)
        if text.endswith("-0000-1000-8000-00805f9b34fb") and u.int >> 96 <= 0xFFFF:
            short.append((u.int >> 96).to_bytes(2, "little"))
        else:
            long.append(u.bytes[::-1])
    out = bytearray(b"\x02\x01\x06")
    if short:
        body = b"".join(short)
        out += bytes((len(body) + 1, 0x03)) + body
    if long:
        body = b"".join(long)
        out += bytes((len(body) + 1, 0x07)) + body
    encoded = name.encode()[:29]
    room = 31 - len(out) - 2
    if room > 0:
        ad_type = 0x09 if len(encoded) <= room else 0x08
        out += bytes((min(len(encoded), room) + 1, ad_type)) + encoded[:room]
    return bytes(out), bytes((len(encoded) + 1, 0x09)) + encoded


class VirtualSensor:
    """A bumble peripheral on a :class:`VirtualRadio` that advertises, accepts one
    central and sends notifications."""

    kind: ClassVar[str] = ""

    def __init__(self, radio: VirtualRadio, name: str, address: str | None = None) -> None:
        self.radio = radio
        self.name = name
        self.device: Device = radio.device(name, address)
        self.battery_pct = 87
        self.battery = _char(
            profile.BATTERY_LEVEL_UUID,
            _PROPS.READ | _PROPS.NOTIFY,
            _PERMS.READABLE,
            gatt.CharacteristicValue[bytes](read=lambda _c: bytes((self.battery_pct,))),
        )
        self._services: list[gatt.Service] = []
        self._advertised: list[str] = []
        self._online = False
        self._started = False
        self.sent_packets = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._adv_lock = asyncio.Lock()
        self.device.on("connection", self._on_connection)

    @property
    def address(self) -> str:
        return str(self.device.random_address).split("/")[0]

    def add_service(
        self, uuid: str, chars: Sequence[gatt.Characteristic[bytes]], advertise: bool = True
    ) -> None:
        self._services.append(gatt.Service(_uuid(uuid), list(chars)))
        if advertise:
            self._advertised.append(uuid)

    async def start(self) -> None:
        """Power on and advertise (connectable, every 20 ms)."""
        if not self._started:
            self._services.append(gatt.Service(_uuid(profile.BATTERY_SERVICE_UUID), [self.battery]))
            self.device.add_services(self._services)
            adv, scan_response = advertising_data(self.name, self._advertised)
            self.device.advertising_data = adv
            self.device.scan_response_data = scan_response
            await self.device.power_on()
            self._started = True
        self._online = True
        await self._advertise()

    async def _advertise(self) -> None:
        async with self._adv_lock:  # one HCI command at a time on this host
            if self._online and not self.connected:
                # the host may still believe it advertises after a connection ended it
                with contextlib.suppress(Exception):
                    await self.device.stop_advertising()
                await self.device.start_advertising(
                    advertising_interval_min=ADV_INTERVAL_MS,
                    advertising_interval_max=ADV_INTERVAL_MS,
                )

    def retire(self) -> None:
        """Do not advertise again after the next disconnection (end of a session)."""
        self._online = False

    def _on_connection(self, connection: Connection) -> None:
        connection.on("disconnection", self._on_disconnection)

    def _on_disconnection(self, *_: Any) -> None:
        if self._online:
            task = asyncio.get_running_loop().create_task(self._readvertise())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _readvertise(self) -> None:
        # the connection leaves device.connections after the event handlers ran
        for _ in range(100):
            if not self.connected:
                break
            await asyncio.sleep(0.002)
        await self._advertise()

    @property
    def connected(self) -> bool:
        return bool(self.device.connections)

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self.connected:
                await asyncio.sleep(0.005)

    async def wait_subscribed(
        self, char: gatt.Characteristic[bytes], timeout_s: float = 10.0
    ) -> None:
        """Until the central has written the CCCD of ``char`` (notifications on)."""
        async with asyncio.timeout(timeout_s):
            while not self.subscribed(char):
                await asyncio.sleep(0.005)

    def subscribed(self, char: gatt.Characteristic[bytes]) -> bool:
        """Whether a connected central has notifications of ``char`` on (its CCCD)."""
        for cccds in self.device.gatt_server.subscribers.values():
            if any(cccds.get(char.handle, b"")):
                return True
        return False

    async def drop(self, away_s: float) -> None:
        """Lose the link (as if walked out of range) and stay silent for ``away_s``."""
        self._online = False
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await connection.disconnect()
        await asyncio.sleep(away_s)
        self._online = True
        await self._advertise()

    async def stop(self) -> None:
        """Go away for good: disconnect and stop advertising."""
        self._online = False
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await connection.disconnect()

    async def notify(self, char: gatt.Characteristic[bytes], value: bytes) -> None:
        """Send ``value`` to subscribed centrals (nothing when none is connected)."""
        if self.connected:
            with contextlib.suppress(Exception):
                await self.device.notify_subscribers(char, value)
            self.sent_packets += 1

    async def set_battery(self, pct: int) -> None:
        self.battery_pct = pct
        await self.notify(self.battery, bytes((pct,)))


async def _pace(start: float, due_s: float, speed: float) -> None:
    loop = asyncio.get_running_loop()
    delay = start + due_s / speed - loop.time()
    await asyncio.sleep(max(0.0, delay))


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
        self.imu = _char(profile.IMU_UUID, _PROPS.NOTIFY, _PERMS.READABLE, b"")
        self.config_char = _char(
            profile.CONFIG_UUID,
            _PROPS.READ | _PROPS.WRITE,
            _PERMS.READABLE | _PERMS.WRITEABLE,
            gatt.CharacteristicValue[bytes](
                read=lambda _c: self.config.encode(), write=self._on_config
            ),
        )
        self.haptic_char = _char(
            profile.HAPTIC_UUID,
            _PROPS.WRITE,
            _PERMS.WRITEABLE,
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
            await _pace(start, j / rate, speed)
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
        self.pressure = _char(profile.PRESSURE_UUID, _PROPS.NOTIFY, _PERMS.READABLE, b"")
        self.config_char = _char(
            profile.CONFIG_UUID,
            _PROPS.READ,
            _PERMS.READABLE,
            gatt.CharacteristicValue[bytes](read=lambda _c: self.config.encode()),
        )
        self.add_service(profile.SERVICE_UUID, [self.pressure, self.config_char])

    async def stream(self, cells: FloatArray, *, speed: float = 1.0) -> None:
        start = asyncio.get_running_loop().time()
        rate = self.config.rate_hz
        for i in range(cells.shape[0]):
            await _pace(start, (i + 1) / rate, speed)
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
        self.out = _char(profile.WITMOTION_NOTIFY_UUID, _PROPS.NOTIFY, _PERMS.READABLE, b"")
        self.write = _char(
            profile.WITMOTION_WRITE_UUID,
            _PROPS.WRITE | _PROPS.WRITE_WITHOUT_RESPONSE,
            _PERMS.WRITEABLE,
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
            await _pace(start, j / self.rate_hz, speed)
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
        self.measurement = _char(profile.CSC_MEASUREMENT_UUID, _PROPS.NOTIFY, _PERMS.READABLE, b"")
        feature = _char(
            "00002a5c-0000-1000-8000-00805f9b34fb", _PROPS.READ, _PERMS.READABLE, b"\x02\x00"
        )
        self.add_service(profile.CSC_SERVICE_UUID, [self.measurement, feature])

    async def stream(self, cadence_rpm: Sequence[float], *, speed: float = 1.0) -> None:
        start = asyncio.get_running_loop().time()
        for k, (revs, event) in enumerate(_crank_stream(cadence_rpm)):
            await _pace(start, k + 1.0, speed)
            await self.notify(self.measurement, struct.pack("<BHH", 0x02, revs, event))


class CyclingPower(VirtualSensor):
    """A Bluetooth SIG Cycling Power meter with crank data, one measurement per second."""

    kind = "cycling-power"

    def __init__(
        self, radio: VirtualRadio, name: str = "POWER-1", address: str | None = None
    ) -> None:
        super().__init__(radio, name, address)
        self.measurement = _char(
            profile.POWER_MEASUREMENT_UUID, _PROPS.NOTIFY, _PERMS.READABLE, b""
        )
        feature = _char(
            "00002a65-0000-1000-8000-00805f9b34fb",
            _PROPS.READ,
            _PERMS.READABLE,
            b"\x08\x00\x00\x00",
        )
        self.add_service(profile.POWER_SERVICE_UUID, [self.measurement, feature])

    async def stream(
        self, cadence_rpm: Sequence[float], power_w: Sequence[float], *, speed: float = 1.0
    ) -> None:
        start = asyncio.get_running_loop().time()
        cranks = _crank_stream(cadence_rpm)
        for k, ((revs, event), watts) in enumerate(zip(cranks, power_w, strict=True)):
            await _pace(start, k + 1.0, speed)
            await self.notify(
                self.measurement, struct.pack("<HhHH", 0x20, round(watts), revs, event)
            )
