"""sitload's runtime shell: recordings, sensors, the live service, its sinks and
history stores, the configuration and the command line (everything that does I/O).

The front door, for use from Python::

    from collector import load_recording, load_settings, open_store, run_service
    recording = load_recording("day.csv").recording        # CSV, WISDM or Parquet
    settings = load_settings(Path("config/desk-worker.toml"))
    asyncio.run(run_service(settings))                      # the live service

Each name is imported on first use, so ``import collector`` (and so the start of
``sitload``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collector.lazy_names import lazy_name

if TYPE_CHECKING:
    from collector.config import load_settings
    from collector.recordings import load_recording
    from collector.service.app import make_service, open_history, run_service
    from collector.sinks.history.factory import open_store

_HOMES = {
    "load_recording": "collector.recordings",
    "load_settings": "collector.config",
    "make_service": "collector.service.app",
    "open_history": "collector.service.app",
    "open_store": "collector.sinks.history.factory",
    "run_service": "collector.service.app",
}
"""Each exported name -> the module that defines it."""

__all__ = [
    "load_recording",
    "load_settings",
    "make_service",
    "open_history",
    "open_store",
    "run_service",
]


def __getattr__(name: str) -> Any:
    return lazy_name(__name__, _HOMES, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
