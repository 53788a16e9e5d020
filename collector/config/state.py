"""The ``[state]``, ``[console]`` and ``[haptic]`` tables: where the service keeps its
state, the console alerts and the vibrations on the sensor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

from collector.config.errors import ConfigError
from collector.config.schema import TABLE, NonNegative
from collector.sinks.settings import Buzz, ConsoleSettings, HapticPattern, HapticSettings

_CONSOLE = ConsoleSettings()


class StateTable(BaseModel):
    model_config = TABLE
    dir: Annotated[str, Field(min_length=1)] | None = None


class ConsoleTable(BaseModel):
    model_config = TABLE
    enabled: bool = _CONSOLE.enabled
    desktop: bool = _CONSOLE.desktop
    status_every_s: NonNegative = _CONSOLE.status_every_s


_HAPTIC = HapticSettings()


class BuzzTable(BaseModel):
    model_config = TABLE
    pattern: HapticPattern
    ms: Annotated[int, Field(ge=10, le=5000)]
    """Length of the vibration, milliseconds (the sensor takes 10–5000)."""


class HapticTable(BaseModel):
    model_config = TABLE
    enabled: bool = _HAPTIC.enabled
    prompt: BuzzTable = BuzzTable(pattern=_HAPTIC.prompt.pattern, ms=_HAPTIC.prompt.duration_ms)
    escalation: BuzzTable = BuzzTable(
        pattern=_HAPTIC.escalation.pattern, ms=_HAPTIC.escalation.duration_ms
    )
    break_complete: BuzzTable = BuzzTable(
        pattern=_HAPTIC.break_complete.pattern, ms=_HAPTIC.break_complete.duration_ms
    )


def haptic_settings(h: HapticTable) -> HapticSettings:
    def buzz(b: BuzzTable) -> Buzz:
        return Buzz(b.pattern, b.ms)

    return HapticSettings(h.enabled, buzz(h.prompt), buzz(h.escalation), buzz(h.break_complete))


def console_settings(c: ConsoleTable) -> ConsoleSettings:
    return ConsoleSettings(enabled=c.enabled, desktop=c.desktop, status_every_s=c.status_every_s)


def check_state_dir(path: Path, where: str) -> Path:
    """``path`` unless it (or the first of its parents that exists) is not a folder."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "it" if p == path else f"{str(p)!r}"
                raise ConfigError(
                    f"{where}: {str(path)!r}: {what} is not a directory; give a folder "
                    "for the service's state (e.g. /var/lib/sitload or ~/.local/state/sitload)"
                )
            break
    return path
