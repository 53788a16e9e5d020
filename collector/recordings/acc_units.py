"""Accelerometer units of a loaded recording: g as the format says, or m/s² by mistake.

The sitload formats store accelerations in g (gravity included, so a sensor at rest
reads a magnitude of 1). Recordings exported in m/s² (magnitude about 9.81 at rest) are
a common mistake: the posture core then finds no walking or standing to calibrate
from. Over a recording the median magnitude of a worn accelerometer stays close to
1 g whatever the person does (gravity dominates; movement adds and subtracts), so it
tells the unit: about 1 is g, about 9.81 is m/s² (converted, with a warning); anything
else is refused with a message that says what is expected.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Final

import numpy as np

from analytics.records import FloatArray, Recording
from collector.recordings.csv_schema import LoadedRecording
from collector.recordings.errors import RecordingError

__all__ = ["STANDARD_GRAVITY_M_S2", "acc_unit_factor", "checked_units"]

STANDARD_GRAVITY_M_S2: Final = 9.80665
"""m/s² per g."""
_BAND: Final = 1.3
"""A median magnitude within a factor of this of 1 g (or of 9.81 m/s²) is that unit:
wide enough for uncalibrated sensors and vigorous activity, far from the other unit."""

_DEAD_G: Final = 0.2
"""A median magnitude below this is a sensor that sends (mostly) zeros, dead or
disconnected, whatever its unit: left as it is, the posture core counts those
seconds as not worn."""

_SENSORS: Final = (("thigh_acc_g", "thigh"), ("trunk_acc_g", "trunk"))


def median_magnitude(acc: FloatArray) -> float:
    """Median of |a| over the samples with all three axes present (NaN if none)."""
    a = np.asarray(acc, dtype=np.float64)
    ok = np.isfinite(a).all(axis=1)
    if not np.any(ok):
        return math.nan
    return float(np.median(np.sqrt(np.einsum("ij,ij->i", a[ok], a[ok]))))


def acc_unit_factor(acc: FloatArray) -> tuple[float, float]:
    """``(factor, median magnitude)``: multiply by ``factor`` to get g (1 for data in g,
    without a valid sample or (mostly) zeros, 1/9.80665 for m/s²). ``factor`` is NaN
    when the median magnitude fits neither unit."""
    med = median_magnitude(acc)
    if not math.isfinite(med):
        return 1.0, med
    if med < _DEAD_G:  # no signal: not a unit question (those seconds are non-wear)
        return 1.0, med
    for unit_g, factor in ((1.0, 1.0), (STANDARD_GRAVITY_M_S2, 1.0 / STANDARD_GRAVITY_M_S2)):
        if unit_g / _BAND <= med <= unit_g * _BAND:
            return factor, med
    return math.nan, med


def checked_units(loaded: LoadedRecording, path: str | os.PathLike[str]) -> LoadedRecording:
    """The loaded recording with its accelerometers in g: m/s² is converted (a warning
    names the file, the sensor and the factor); a median magnitude that fits neither
    unit raises :class:`RecordingError`."""
    rec: Recording = loaded.recording
    changes: dict[str, FloatArray] = {}
    converted: list[str] = []
    levels: list[float] = []
    for field, label in _SENSORS:
        acc = getattr(rec, field)
        if acc is None:
            continue
        factor, med = acc_unit_factor(acc)
        if math.isnan(factor):
            raise RecordingError(
                path,
                f"the {label} accelerometer's median magnitude is {med:.3g}, but a worn "
                "sensor reads about 1 in g (the sitload unit) or 9.81 in m/s²; the units "
                "look wrong: export the acceleration in g (gravity included), or in m/s² "
                "to have it converted",
            )
        if factor != 1.0:
            changes[field] = np.asarray(acc, dtype=np.float64) * factor
            converted.append(label)
            levels.append(med)
    if not changes:
        return loaded
    sensors = " and ".join(converted) + (
        " accelerometers" if len(converted) > 1 else " accelerometer"
    )
    note = (
        f"{path}: the {sensors} read about {max(levels):.2f} (median magnitude): m/s², "
        f"not g; divided by {STANDARD_GRAVITY_M_S2} (export in g to silence this)"
    )
    return dataclasses.replace(
        loaded,
        recording=dataclasses.replace(rec, **changes),  # type: ignore[arg-type]
        warnings=(*loaded.warnings, note),
    )
