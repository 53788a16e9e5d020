"""A BLE source per configured device: scan, connect, subscribe, decode, timestamp,
and keep doing it for weeks.

* **Discovery** by address, advertised name or advertised service UUID
  (:class:`DeviceSpec`), with ``BleakScanner.find_device_by_filter``.
* **Connection** with bleak-retry-connector's ``establish_connection``; a new
  ``BleakClient`` for every reconnection, re-subscription after it, and a capped,
  jittered exponential backoff between failed rounds (:class:`Backoff`).
  Connections of all devices are serialised by the shared :class:`BleContext`
  lock (BlueZ and most adapters handle one pending connection at a time).
* **Disconnect handling is idempotent**: BlueZ calls the disconnected callback
  even after our own ``disconnect()``, and sometimes twice; a callback from an
  old client or during our own close is ignored, and "link lost" is an event
  that can only be set.
* A link that stays connected but silent for ``stale_after_s`` is treated as lost.
* **Notify callbacks only enqueue** ``(uuid, bytes, arrival time)`` into a bounded
  queue (a full queue is a counted drop); one consumer task decodes with the
  device's :mod:`~collector.ble.drivers` driver, so decoding never runs inside
  the BLE stack's callback. Malformed payloads are counted and dropped.
* Everything downstream gets :mod:`collector.sources.messages`: sample blocks,
  explicit gaps (lost packets from sequence numbers, disconnections, device
  restarts) and device status (link up/down, battery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError
from bleak_retry_connector import BleakNotFoundError, establish_connection

from collector.ble import decoders, profile
from collector.ble.drivers import (
    ADVERTISED_SERVICE,
    DeviceCounters,
    Driver,
    SensorKind,
    make_driver,
)
from collector.sources.messages import DeviceStatus, Message, Role, SampleBlock

log = logging.getLogger(__name__)

Emit = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One configured sensor. Matched by ``address`` if given, else by advertised
    ``name``, else by the advertised service of its kind (or ``service_uuid``)."""

    label: str
    kind: SensorKind
    address: str | None = None
    name: str | None = None
    service_uuid: str | None = None
    role: Role | None = None
    rate_hz: float | None = None

    def matches(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        if self.address is not None:
            return device.address.upper() == self.address.upper()
        if self.name is not None:
            return (adv.local_name or device.name or "") == self.name
        service = (self.service_uuid or ADVERTISED_SERVICE[self.kind]).lower()
        return service in (u.lower() for u in adv.service_uuids)

    def describe(self) -> str:
        how = self.address or (f"name {self.name!r}" if self.name else "its advertised service")
        return f"{self.label} ({self.kind}, {how})"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter: ``initial_s · factor^(n-1)``, at most
    ``max_s``, each delay scaled by a random factor in ``[1 - jitter, 1]``."""

    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    jitter: float = 0.2

    def delay_s(self, failures: int, rng: random.Random) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** max(0, failures - 1))
        return base * (1.0 - self.jitter * rng.random())


@dataclass
class BleContext:
    """What all BLE sources of one process share: the connection lock, the bleak
    backend arguments (empty for the platform's adapter) and the clock."""

    scanner_kwargs: dict[str, Any] = field(default_factory=dict)
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    connect_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    scan_timeout_s: float = 10.0
    connect_attempts: int = 3


class BleSource:
    """Reads one device until :meth:`stop`; hands messages to ``emit``."""

    def __init__(
        self,
        spec: DeviceSpec,
        ctx: BleContext,
        emit: Emit,
        *,
        backoff: Backoff | None = None,
        queue_size: int = 4096,
        stale_after_s: float = 15.0,
        seed: int | None = None,
    ) -> None:
        self.spec = spec
        self.ctx = ctx
        self.emit = emit
        self.backoff = backoff or Backoff()
        self.stale_after_s = stale_after_s
        self.counters = DeviceCounters()
        self.driver: Driver = make_driver(
            spec.kind, spec.label, self.counters, role=spec.role, rate_hz=spec.rate_hz
        )
        self.connected = False
        self.last_error = ""
        self._rng = random.Random(seed)
        self._raw: asyncio.Queue[tuple[str, bytes, float]] = asyncio.Queue(queue_size)
        self._client: BleakClient | None = None
        self._closing = False
        self._lost = asyncio.Event()
        self._stop = asyncio.Event()
        self._last_packet_mono = 0.0

    # ------------------------------------------------------------------ callbacks (enqueue only)

    def _on_notify(self, char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            self._raw.put_nowait((char.uuid, bytes(data), self.ctx.clock()))
        except asyncio.QueueFull:
            self.counters.dropped += 1
        self._last_packet_mono = time.monotonic()

    def _on_disconnect(self, client: BleakClient) -> None:
        # BlueZ calls this after our own disconnect too, and may call it twice
        if client is self._client and not self._closing:
            self._lost.set()

    # ------------------------------------------------------------------ main loop

    async def run(self) -> None:
        consumer = asyncio.create_task(self._consume(), name=f"{self.spec.label}-decode")
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    client = await self._connect()
                except (BleakError, TimeoutError, OSError) as exc:
                    failures += 1
                    self.last_error = str(exc) or type(exc).__name__
                    delay = self.backoff.delay_s(failures, self._rng)
                    log.warning(
                        "%s: not connected (%s); retrying in %.1f s",
                        self.spec.describe(),
                        self.last_error,
                        delay,
                    )
                    await self._sleep(delay)
                    continue
                failures = 0
                await self._session(client)
                if not self._stop.is_set():
                    self.counters.reconnects += 1
                    self.driver.reconnected()
                    await self._sleep(self.backoff.delay_s(1, self._rng) * 0.1)
        finally:
            await self._raw.put(("", b"", 0.0))  # the consumer drains, then stops
            await consumer

    async def stop(self) -> None:
        self._stop.set()

    @property
    def can_buzz(self) -> bool:
        return self.driver.haptic_uuid is not None

    async def write_haptic(self, command: bytes, timeout_s: float = 3.0) -> bool:
        """Write a vibration command (a write with response, so the device confirms);
        False when not connected, the device has no haptic output, or the write failed."""
        uuid, client = self.driver.haptic_uuid, self._client
        if uuid is None or client is None or not self.connected:
            return False
        try:
            await asyncio.wait_for(client.write_gatt_char(uuid, command, response=True), timeout_s)
        except (BleakError, TimeoutError, OSError) as exc:
            log.warning("%s: the vibration command failed (%s)", self.spec.label, exc)
            return False
        return True

    async def _sleep(self, delay_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), delay_s)

    async def _connect(self) -> BleakClient:
        async with self.ctx.connect_lock:
            device = await BleakScanner.find_device_by_filter(
                self.spec.matches, timeout=self.ctx.scan_timeout_s, **self.ctx.scanner_kwargs
            )
            if device is None:
                raise BleakNotFoundError(
                    f"{self.spec.describe()} was not found in {self.ctx.scan_timeout_s:g} s of "
                    "scanning; check that it is on, charged and in range"
                )
            self._lost.clear()
            self._closing = False
            client = await establish_connection(
                BleakClient,
                device,
                self.spec.label,
                disconnected_callback=self._on_disconnect,
                max_attempts=self.ctx.connect_attempts,
                **self.ctx.client_kwargs,
            )
            self._client = client
            try:
                await self.driver.setup(client)
                for uuid in self.driver.notify_uuids:
                    await client.start_notify(uuid, self._on_notify)
                await self._battery(client)
            except (BleakError, TimeoutError, decoders.DecodeError) as exc:
                await self._close(client)
                raise BleakError(f"{self.spec.describe()}: setup failed: {exc}") from exc
            return client

    async def _battery(self, client: BleakClient) -> None:
        char = client.services.get_characteristic(profile.BATTERY_LEVEL_UUID)
        if char is None:
            return
        with contextlib.suppress(BleakError, decoders.DecodeError):
            self.counters.battery_pct = decoders.decode_battery(
                bytes(await client.read_gatt_char(char))
            )
        if "notify" in char.properties:
            with contextlib.suppress(BleakError):
                await client.start_notify(char, self._on_notify)

    async def _session(self, client: BleakClient) -> None:
        self.connected = True
        self.counters.connects += 1
        self._last_packet_mono = time.monotonic()
        await self.emit(
            DeviceStatus(
                self.spec.label, self.ctx.clock(), True, self.counters.battery_pct, "connected"
            )
        )
        lost = asyncio.create_task(self._lost.wait())
        stop = asyncio.create_task(self._stop.wait())
        try:
            while not (lost.done() or stop.done()):
                await asyncio.wait({lost, stop}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                if time.monotonic() - self._last_packet_mono > self.stale_after_s:
                    log.warning(
                        "%s: no data for %.0f s; reconnecting", self.spec.label, self.stale_after_s
                    )
                    break
        finally:
            for task in (lost, stop):
                task.cancel()
            await self._close(client)
            self.connected = False
            detail = "stopped" if self._stop.is_set() else "link lost"
            await self.emit(
                DeviceStatus(
                    self.spec.label, self.ctx.clock(), False, self.counters.battery_pct, detail
                )
            )

    async def _close(self, client: BleakClient) -> None:
        self._closing = True
        with contextlib.suppress(BleakError, TimeoutError, OSError):
            await client.disconnect()
        if self._client is client:
            self._client = None

    # ------------------------------------------------------------------ consumer

    async def _consume(self) -> None:
        while True:
            uuid, data, arrival = await self._raw.get()
            if not uuid:
                return
            self.counters.packets += 1
            self.counters.last_seen_t_s = arrival
            if uuid == profile.BATTERY_LEVEL_UUID:
                try:
                    self.counters.battery_pct = decoders.decode_battery(data)
                except decoders.DecodeError:
                    self.counters.decode_errors += 1
                    continue
                await self.emit(
                    DeviceStatus(
                        self.spec.label,
                        arrival,
                        self.connected,
                        self.counters.battery_pct,
                        "battery",
                    )
                )
                continue
            try:
                messages = self.driver.parse(uuid, data, arrival)
            except decoders.DecodeError as exc:
                self.counters.decode_errors += 1
                if (
                    self.counters.decode_errors in (1, 10, 100)
                    or self.counters.decode_errors % 1000 == 0
                ):
                    log.warning(
                        "%s: dropped a malformed notification (%s); %d so far",
                        self.spec.label,
                        exc,
                        self.counters.decode_errors,
                    )
                continue
            for message in messages:
                if isinstance(message, SampleBlock):
                    self.counters.samples += message.n
                await self.emit(message)
