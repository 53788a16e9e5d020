"""An in-process Bluetooth LE "air" for sensors without hardware.

Google's bumble runs complete Bluetooth stacks (host and a virtual controller)
in this process; its ``LocalLink`` carries advertising PDUs, connections and ACL
data between the controllers. :class:`VirtualRadio` owns one link, one central
(the side sitload's bleak backend drives) and the peripherals added to it
(:mod:`collector.ble.virtual.peripherals`). Everything above the radio is the
real path: bleak's client API, GATT discovery, CCCD writes, notifications, MTU
exchange and disconnections all cross real ATT/L2CAP PDUs.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from bumble.controller import Controller
from bumble.device import Advertisement, Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

CENTRAL_ADDRESS = "F0:5E:00:00:00:01"


def make_device(link: LocalLink, name: str, address: str) -> tuple[Device, Controller]:
    """A bumble device with its own virtual controller on ``link``."""
    controller = Controller(name, link=link, public_address=address)
    host = Host(controller, AsyncPipeSink(controller))
    return Device(name=name, address=Address(address), host=host), controller


class VirtualRadio:
    """One in-process link with a central host; peripherals join with :meth:`device`.

    bumble allows one pending LE connection per central, so connections are
    serialised by :attr:`connect_lock`; scanning is reference-counted so that
    several bleak scanners can share the central.
    """

    def __init__(self, central_address: str = CENTRAL_ADDRESS) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self.central, self.central_controller = make_device(
            self.link, "sitload-central", central_address
        )
        self.connect_lock = asyncio.Lock()
        self._powered = False
        self._scan_users = 0
        self._listeners: dict[int, Callable[[Advertisement], None]] = {}
        self._tokens = itertools.count()
        self._addresses = itertools.count(1)
        self.central.on("advertisement", self._on_advertisement)

    async def power_on(self) -> None:
        if not self._powered:
            await self.central.power_on()
            self._powered = True

    def device(self, name: str, address: str | None = None) -> Device:
        """A new (powered-off) peripheral device on this radio's link."""
        if address is None:
            n = next(self._addresses)
            address = f"C0:5E:00:00:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}"
        return make_device(self.link, name, address)[0]

    # ------------------------------------------------------------------ scanning

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        for listener in list(self._listeners.values()):
            listener(advertisement)

    async def start_scan(self, listener: Callable[[Advertisement], None]) -> int:
        await self.power_on()
        token = next(self._tokens)
        self._listeners[token] = listener
        self._scan_users += 1
        if self._scan_users == 1:
            await self.central.start_scanning(filter_duplicates=False)
        return token

    async def stop_scan(self, token: int) -> None:
        if self._listeners.pop(token, None) is None:
            return
        self._scan_users -= 1
        if self._scan_users == 0:
            await self.central.stop_scanning()
