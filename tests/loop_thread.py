"""An asyncio event loop in a thread of its own, for synchronous tests of objects that
live in an event loop (the MQTT sink).

The service calls its sinks from its event loop; a synchronous test that waits with
``time.sleep`` or a :class:`tests.brokers.Subscriber` cannot run that loop itself.
:class:`LoopThread` runs it in a thread, and :meth:`LoopThread.call` /
:func:`on_loop` make the test's calls run there, as the service's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT_S = 60.0


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="test-event-loop", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> LoopThread:
        self._thread.start()
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = TIMEOUT_S) -> T:
        """Run ``coro`` in the loop; its result (or exception)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the loop's thread; its result (or exception)."""
        if threading.current_thread() is self._thread:
            return fn(*args)

        async def call() -> T:
            return fn(*args)

        return self.run(call())

    def stop(self) -> None:
        """Cancel what still runs in the loop, stop and close it."""
        if self._thread.is_alive():

            async def cancel_the_rest() -> None:
                me = asyncio.current_task()
                rest = [t for t in asyncio.all_tasks() if t is not me]
                for task in rest:
                    task.cancel()
                await asyncio.gather(*rest, return_exceptions=True)

            self.run(cancel_the_rest())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(TIMEOUT_S)
        self.loop.close()

    def __enter__(self) -> LoopThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def on_loop(loop: LoopThread, obj: Any, *methods: str) -> Iterator[None]:
    """While inside, ``obj``'s ``methods`` called from any thread run in ``loop``'s."""
    for name in methods:
        setattr(obj, name, functools.partial(loop.call, getattr(obj, name)))
    try:
        yield
    finally:
        for name in methods:
            delattr(obj, name)  # the class's method again
