"""amqtt's broker (MQTT 3.1.1 only) in a thread of its own, for the sink's protocol
fallback tests."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from tests.server_process import HOST, free_port, port_open


def wait_port(port: int, timeout_s: float) -> bool:
    """True once ``HOST:port`` accepts TCP connections (False on timeout)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(port):
            return True
        time.sleep(0.01)
    return False


class Amqtt:
    """amqtt's broker on a free loopback port, anonymous, in its own thread and loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout_s: float = 10.0) -> Amqtt:
        import amqtt.broker as broker_mod  # a test dependency: pip install -e '.[test]'

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._broker = broker_mod.Broker(config, loop=loop)
                loop.run_until_complete(self._broker.start())
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._broker.shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="amqtt", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._error is not None:
            raise RuntimeError(f"amqtt broker did not start: {self._error!r}")
        if not wait_port(self.port, timeout_s):
            raise RuntimeError(f"amqtt broker does not accept connections on {self.port}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    def __enter__(self) -> Amqtt:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
