"""The base of the emulated sensors: a bumble GATT peripheral on a
:class:`~collector.ble.virtual.radio.VirtualRadio` that advertises, accepts one
central and sends notifications (:class:`VirtualSensor`), and the helpers the
sensors of :mod:`collector.ble.virtual.peripherals` build their services with.

A sensor streams samples paced by its own rate (``speed`` > 1 runs faster than
real time), can drop its link and stay away for a while (:meth:`VirtualSensor.drop`),
skip packets (to emulate radio loss) and send arbitrary bytes (malformed payloads).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid as uuid_mod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from bumble import gatt
from bumble.core import UUID
from bumble.device import Connection, Device

from collector.ble import profile
from collector.ble.virtual.radio import VirtualRadio

ADV_INTERVAL_MS = 20.0
"""Fast advertising (real sensors use 100 ms–1 s) keeps connecting quick."""

PROPS = gatt.Characteristic.Properties
PERMS = gatt.Characteristic.Permissions


def _uuid(text: str) -> UUID:
    return UUID(text.upper())


def char(
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
        self.battery = char(
            profile.BATTERY_LEVEL_UUID,
            PROPS.READ | PROPS.NOTIFY,
            PERMS.READABLE,
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
        await self.stop()
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


async def pace(start: float, due_s: float, speed: float) -> None:
    loop = asyncio.get_running_loop()
    delay = start + due_s / speed - loop.time()
    await asyncio.sleep(max(0.0, delay))
