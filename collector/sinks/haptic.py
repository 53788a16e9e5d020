"""Prompts felt on the leg: a vibration on the sensor for the alerts that ask for, or
confirm, a stand (the sitload profile's haptic characteristic, docs/ble-profile.md).

Each kind has its own pattern (prompt: one buzz; escalation: a double buzz; break
complete: one long buzz; ``[haptic]`` sets them, or switches them off); nothing in
quiet hours or outside working hours. The writes run as tasks on the event loop and never block the
engine; a failed write is retried once and counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from analytics.alert_records import Alert, AlertKind
from collector.ble.profile import haptic_command
from collector.sinks.base import CommandCallback, LiveStatus
from collector.sinks.day_report import DayReport
from collector.sinks.settings import HAPTIC_PATTERN_CODE, Buzz, HapticSettings

log = logging.getLogger(__name__)


@runtime_checkable
class HapticTarget(Protocol):
    @property
    def can_buzz(self) -> bool: ...

    async def write_haptic(self, command: bytes, timeout_s: float = ...) -> bool: ...


def patterns(settings: HapticSettings) -> dict[AlertKind, Buzz]:
    """The buzz of each alert kind that buzzes."""
    return {
        AlertKind.PROMPT: settings.prompt,
        AlertKind.REPEAT: settings.prompt,
        AlertKind.SADDLE: settings.prompt,
        AlertKind.ESCALATION: settings.escalation,
        AlertKind.BREAK_COMPLETE: settings.break_complete,
    }


@dataclass
class HapticCounters:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    quiet: int = 0
    """Alerts that would have buzzed but fell in quiet hours."""
    no_device: int = 0
    """Alerts with no connected device able to buzz."""


@dataclass
class HapticSink:
    allowed: Callable[[float], bool]
    """Whether a buzz may be felt at ``t_s`` (quiet hours, working hours)."""
    patterns: dict[AlertKind, Buzz] = field(default_factory=lambda: patterns(HapticSettings()))
    name: str = "haptic"
    counters: HapticCounters = field(default_factory=HapticCounters)
    targets: Sequence[HapticTarget] = ()
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def attach(self, sources: Sequence[object]) -> None:
        """The run's sources: those with a haptic output take the buzzes."""
        self.targets = [s for s in sources if isinstance(s, HapticTarget) and s.can_buzz]

    async def start(self, on_command: CommandCallback) -> None:
        return None

    def publish_alert(self, alert: Alert) -> None:
        buzz = self.patterns.get(alert.kind)
        if buzz is None:
            return
        if not self.allowed(alert.t_s):
            self.counters.quiet += 1
            return
        task = asyncio.get_running_loop().create_task(self._buzz(buzz))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def publish_status(self, status: LiveStatus) -> None:
        return None

    def publish_day(self, report: DayReport) -> None:
        return None

    async def _buzz(self, buzz: Buzz) -> None:
        command = haptic_command(HAPTIC_PATTERN_CODE[buzz.pattern], buzz.duration_ms)
        if not self.targets:
            self.counters.no_device += 1
            return
        for target in self.targets:
            if await target.write_haptic(command):
                self.counters.sent += 1
                continue
            self.counters.retried += 1
            if await target.write_haptic(command):
                self.counters.sent += 1
            else:
                self.counters.failed += 1
                log.warning("a vibration was not delivered (%d so far)", self.counters.failed)

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5.0)
