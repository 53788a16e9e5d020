"""Telling systemd the service is ready and alive (``Type=notify``, ``WatchdogSec=``).

The notification protocol is one datagram per message on the Unix socket named by
``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace): ``READY=1``
once the sinks are up and the sources started, ``WATCHDOG=1`` at half the
``$WATCHDOG_USEC`` interval *from the event loop* (a stuck loop stops the pings and
systemd restarts the service), ``STATUS=…`` for ``systemctl status`` and
``STOPPING=1`` on the way out. Without ``$NOTIFY_SOCKET`` (not under systemd) every
call does nothing. A failed send is logged once and never stops the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, address: str, watchdog_s: float | None) -> None:
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = watchdog_s
        """systemd's watchdog interval; pings go out at half of it."""
        self.sent = 0
        self._failed = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier | None:
        """The notifier systemd asked for, or ``None`` when not run by systemd."""
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        if not address:
            return None
        watchdog_s = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog_s = int(usec) / 1e6
        return cls(address, watchdog_s)

    def send(self, message: str) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode("utf-8"), self.address)
            self.sent += 1
        except OSError as exc:
            if not self._failed:
                log.warning("systemd notification to %r failed: %s", self.address, exc)
            self._failed = True

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def stopping(self, reason: str) -> None:
        self.send(f"STOPPING=1\nSTATUS=stopping: {reason}")

    async def keep_alive(self, stop: asyncio.Event) -> None:
        """Ping the watchdog from the event loop until ``stop`` is set."""
        if self.watchdog_s is None:
            return
        every_s = self.watchdog_s / 2
        while not stop.is_set():
            self.send("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
