"""The ``[state]`` and ``[console]`` tables: where the service keeps its state, and
the console alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

from collector.config.errors import ConfigError
from collector.config.schema import TABLE, NonNegative
from collector.sinks.settings import ConsoleSettings

_CONSOLE = ConsoleSettings()


class StateTable(BaseModel):
    model_config = TABLE
    dir: Annotated[str, Field(min_length=1)] | None = None


class ConsoleTable(BaseModel):
    model_config = TABLE
    enabled: bool = _CONSOLE.enabled
    desktop: bool = _CONSOLE.desktop
    status_every_s: NonNegative = _CONSOLE.status_every_s


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
