"""A bleak backend over :class:`~collector.ble.virtual.radio.VirtualRadio`.

``BleakScanner(backend=VirtualScanner, radio=radio)`` and
``BleakClient(device, backend=VirtualClient)`` (or bleak-retry-connector's
``establish_connection(BleakClient, device, name, backend=VirtualClient)``) behave
like bleak on a real adapter: the scanner reports advertisements with name,
service UUIDs, manufacturer and service data and RSSI; the client connects,
exchanges the MTU, discovers the GATT database, reads, writes and subscribes
(through the peer's CCCD), and calls the disconnected callback.

Like BlueZ, the disconnected callback also fires after our own ``disconnect()``:
callers must handle it idempotently. bumble's own exceptions are translated to
the ones bleak's backends raise (``asyncio.TimeoutError``,
``BleakDeviceNotFoundError``, ``BleakError``) so bleak-retry-connector classifies
them as it does on hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid as uuid_mod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import core as bumble_core
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt_client import CharacteristicProxy, DescriptorProxy
from bumble.hci import Address

from collector.ble.virtual.radio import VirtualRadio

CONNECT_TIMEOUT_S: Final = 5.0
MTU: Final = 247
_PROPERTY_NAMES: Final = (
    (0x01, "broadcast"),
    (0x02, "read"),
    (0x04, "write-without-response"),
    (0x08, "write"),
    (0x10, "notify"),
    (0x20, "indicate"),
    (0x40, "authenticated-signed-writes"),
    (0x80, "extended-properties"),
)
_SIG_BASE: Final = "-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True, slots=True)
class VirtualDetails:
    """``BLEDevice.details`` for a virtual peripheral: where to connect."""

    radio: VirtualRadio
    address: Address


# --------------------------------------------------------------------------- advertising data


def _uuid_list(data: bytes, size: int) -> list[str]:
    out = []
    for i in range(0, len(data) - size + 1, size):
        chunk = data[i : i + size]
        if size == 16:
            out.append(str(uuid_mod.UUID(bytes=chunk[::-1])))
        else:
            out.append(f"{int.from_bytes(chunk, 'little'):08x}{_SIG_BASE}")
    return out


def parse_advertising(data: bytes, rssi: int, tx: int | None) -> AdvertisementData:
    """bleak's ``AdvertisementData`` from raw AD structures (length, type, value)."""
    name: str | None = None
    services: list[str] = []
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    structures: list[tuple[int, bytes]] = []
    i = 0
    while i + 1 < len(data):
        length = data[i]
        if length == 0:
            break
        ad_type, value = data[i + 1], bytes(data[i + 2 : i + 1 + length])
        i += 1 + length
        structures.append((ad_type, value))
        if ad_type in (0x08, 0x09):  # shortened / complete local name
            name = value.decode("utf-8", "replace")
        elif ad_type in (0x02, 0x03):
            services += _uuid_list(value, 2)
        elif ad_type in (0x04, 0x05):
            services += _uuid_list(value, 4)
        elif ad_type in (0x06, 0x07):
            services += _uuid_list(value, 16)
        elif ad_type == 0xFF and len(value) >= 2:
            manufacturer[int.from_bytes(value[:2], "little")] = value[2:]
        elif ad_type == 0x16 and len(value) >= 2:
            service_data[_uuid_list(value[:2], 2)[0]] = value[2:]
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(services)),
        tx_power=tx,
        rssi=rssi,
        platform_data=tuple(structures),
    )


class VirtualScanner(BaseBleakScanner):
    """bleak scanner backend: ``BleakScanner(backend=VirtualScanner, radio=radio)``."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: VirtualRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._token: int | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        if self._token is None:
            self._token = await self._radio.start_scan(self._on_advertisement)

    async def stop(self) -> None:
        if self._token is not None:
            token, self._token = self._token, None
            await self._radio.stop_scan(token)

    def _on_advertisement(self, adv: Advertisement) -> None:
        tx = None if adv.tx_power == Advertisement.TX_POWER_NOT_AVAILABLE else adv.tx_power
        data = parse_advertising(adv.data_bytes, adv.rssi, tx)
        address = str(adv.address).split("/")[0]
        previous = self.seen_devices.get(address)
        if previous is not None:  # like BlueZ: scan responses add to what is known
            old = previous[1]
            data = data._replace(
                local_name=data.local_name or old.local_name,
                service_uuids=list(dict.fromkeys([*old.service_uuids, *data.service_uuids])),
                manufacturer_data={**old.manufacturer_data, **data.manufacturer_data},
                service_data={**old.service_data, **data.service_data},
            )
        if not self.is_allowed_uuid(data.service_uuids):
            return
        details = VirtualDetails(self._radio, adv.address)
        device = self.create_or_update_device(address, address, data.local_name, details, data)
        self.call_detection_callbacks(device, data)


# --------------------------------------------------------------------------- client


def _properties(bits: int) -> list[Any]:
    return [name for bit, name in _PROPERTY_NAMES if bits & bit]


def _uuid_str(u: bumble_core.UUID) -> str:
    raw = u.to_bytes(force_128=True)
    return str(uuid_mod.UUID(bytes=raw[::-1]))


class VirtualClient(BaseBleakClient):
    """bleak client backend for devices found by :class:`VirtualScanner`."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = CONNECT_TIMEOUT_S,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        details = (
            address_or_ble_device.details
            if isinstance(address_or_ble_device, BLEDevice)
            else kwargs.get("details")
        )
        if not isinstance(details, VirtualDetails):
            raise BleakError(
                f"{self.address}: not a virtual device; scan with the virtual radio first"
            )
        self._details = details
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._mtu = 23
        self._name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )

    @property
    def name(self) -> str:
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if self._connection is not None:
            return
        radio = self._details.radio
        timeout = float(kwargs.get("timeout", self._timeout))
        await radio.power_on()
        async with radio.connect_lock:  # bumble: one pending LE connection at a time
            try:
                connection = await asyncio.wait_for(
                    radio.central.connect(self._details.address, timeout=None), timeout
                )
            except (TimeoutError, bumble_core.TimeoutError) as exc:
                # bumble's virtual controller keeps the pending connection after a
                # cancel: clear it, or every later attempt is refused
                with contextlib.suppress(Exception):
                    await radio.central.cancel_connection()  # type: ignore[no-untyped-call]
                radio.central_controller.pending_le_connection = None
                raise BleakDeviceNotFoundError(
                    self.address, f"device {self.address} not found (no connectable advertising)"
                ) from exc
            except bumble_core.BaseBumbleError as exc:
                raise BleakError(f"{self.address}: connection failed: {exc}") from exc
        self._connection = connection
        connection.on("disconnection", self._on_disconnection)
        try:
            peer = Peer(connection)
            self._mtu = await peer.request_mtu(MTU)
            self.services = await self._discover(peer)
        except Exception as exc:
            await self.disconnect()
            if isinstance(exc, bumble_core.BaseBumbleError):
                raise BleakError(f"{self.address}: service discovery failed: {exc}") from exc
            raise
        self._peer = peer

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._peer = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for svc in await peer.discover_services():
            service = BleakGATTService(svc, svc.handle, _uuid_str(svc.uuid))
            collection.add_service(service)
            for ch in await peer.discover_characteristics(service=svc):
                char = BleakGATTCharacteristic(
                    ch,
                    ch.handle,
                    _uuid_str(ch.uuid),
                    _properties(int(ch.properties)),
                    lambda: self._mtu - 3,
                    service,
                )
                collection.add_characteristic(char)
                for d in await peer.discover_descriptors(ch):
                    desc = BleakGATTDescriptor(d, d.handle, _uuid_str(d.type), char)
                    collection.add_descriptor(desc)
        return collection

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        with contextlib.suppress(bumble_core.BaseBumbleError, asyncio.TimeoutError):
            await asyncio.wait_for(connection.disconnect(), CONNECT_TIMEOUT_S)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("virtual sensors do not pair")

    async def unpair(self) -> None:
        raise NotImplementedError("virtual sensors do not pair")

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"{self.address}: not connected")
        return self._peer

    async def _guard(self, what: str, coro: Any) -> Any:
        try:
            return await asyncio.wait_for(coro, CONNECT_TIMEOUT_S)
        except bumble_core.BaseBumbleError as exc:
            raise BleakError(f"{self.address}: {what} failed: {exc}") from exc

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        self._require_peer()
        return bytearray(await self._guard("read", proxy.read_value()))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        proxy: DescriptorProxy = descriptor.obj
        self._require_peer()
        return bytearray(await self._guard("read", proxy.read_value()))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        self._require_peer()
        await self._guard("write", proxy.write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        proxy: DescriptorProxy = descriptor.obj
        self._require_peer()
        await self._guard("write", proxy.write_value(bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        peer = self._require_peer()

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        await self._guard("subscribe", peer.subscribe(characteristic.obj, deliver))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        await self._guard("unsubscribe", peer.unsubscribe(characteristic.obj))
