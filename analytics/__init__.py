"""sitload's pure core: posture, hip flexion and compression exposure from sensor
samples (numpy and the standard library only; no I/O, no clock).

The front door, for use from Python::

    from analytics import analyze_recording, exposure_report
    report = exposure_report(analyze_recording(recording).timeline, tz="Europe/London")

Each name is imported on first use, so ``import analytics`` (and any import of a
submodule such as :mod:`analytics.rules`) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analytics.compression import ExposureParams
    from analytics.exposure import ExposureReport, exposure_report
    from analytics.params import PostureParams
    from analytics.pipeline import Analysis, analyze_recording, analyze_thigh
    from analytics.records import Recording, Timeline
    from analytics.summary import summarize

_HOMES = {
    "Analysis": "analytics.pipeline",
    "ExposureParams": "analytics.compression",
    "ExposureReport": "analytics.exposure",
    "PostureParams": "analytics.params",
    "Recording": "analytics.records",
    "Timeline": "analytics.records",
    "analyze_recording": "analytics.pipeline",
    "analyze_thigh": "analytics.pipeline",
    "exposure_report": "analytics.exposure",
    "summarize": "analytics.summary",
}
"""Each exported name -> the module that defines it."""

__all__ = [
    "Analysis",
    "ExposureParams",
    "ExposureReport",
    "PostureParams",
    "Recording",
    "Timeline",
    "analyze_recording",
    "analyze_thigh",
    "exposure_report",
    "summarize",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
