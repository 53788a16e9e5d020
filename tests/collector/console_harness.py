"""Shared helpers of the console sink tests (test_console_*.py): a plain console to
print to, alert and status builders, and a fake desktop notifier."""

from __future__ import annotations

import asyncio
import datetime
import io
from collections.abc import Coroutine
from typing import Any, TypeVar

from rich.console import Console

from analytics.alert_records import Adherence, Alert, AlertKind
from collector.sinks.base import LiveStatus
from collector.sinks.console import (
    Button,
    ConsoleSink,
)

T = TypeVar("T")
UTC = datetime.UTC
T0 = datetime.datetime(2024, 3, 5, 12, 34, 56, tzinfo=UTC).timestamp()
MODULE_LOG = "collector.sinks.console"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def alert(kind: AlertKind, message: str = "Sitting for 30 min: stand up", t_s: float = T0) -> Alert:
    return Alert(id=f"{kind.value}-1", kind=kind, t_s=t_s, message=message)


def plain_console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=100, color_system=None, force_terminal=False), buf


def status(**kw: object) -> LiveStatus:
    base: dict[str, object] = {
        "t_s": T0,
        "sitting": True,
        "posture": "sitting",
        "data": "ok",
        "bout_minutes": 12.0,
        "today_sitting_min": 205.0,
        "today_bouts_over_30": 2,
        "today_hip_gt90_min": 14.0,
        "adherence": Adherence(day=19787, prompted=3, taken=2),
    }
    base.update(kw)
    return LiveStatus(**base)  # type: ignore[arg-type]


class FakeNotifier:
    """Records notifications; fails or hangs when told to."""

    def __init__(self, fail: BaseException | None = None, hang: bool = False) -> None:
        self.calls: list[tuple[str, str, list[Button]]] = []
        self.fail = fail
        self.hang = hang

    async def notify(self, title: str, message: str, buttons: list[Button]) -> None:
        self.calls.append((title, message, buttons))
        if self.hang:
            await asyncio.Event().wait()
        if self.fail is not None:
            raise self.fail


async def settle(sink: ConsoleSink) -> None:
    """Let the background task take everything queued."""
    for _ in range(50):
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
