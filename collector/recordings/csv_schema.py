"""The sitload CSV recording format's column schema: the column names, how a header's
columns sort into sensor groups (:func:`classify_columns`), the rules of the values
(:func:`find_problem`) and the records the readers return.

The format is specified in ``docs/recordings.md``. Shared by the CSV reader and
writer (:mod:`collector.recordings.csv_reader`, :mod:`collector.recordings.csv_writer`),
the block reader (:mod:`collector.recordings.chunked`) and the Parquet format.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from analytics.records import FloatArray, Recording
from collector.recordings.errors import RecordingError

TIME_COLUMN: Final = "t_s"
THIGH_ACC_COLUMNS: Final = ("thigh_ax_g", "thigh_ay_g", "thigh_az_g")
THIGH_GYRO_COLUMNS: Final = ("thigh_gx_dps", "thigh_gy_dps", "thigh_gz_dps")
TRUNK_ACC_COLUMNS: Final = ("trunk_ax_g", "trunk_ay_g", "trunk_az_g")
CADENCE_COLUMN: Final = "cadence_rpm"
SEAT_UNITS: Final = ("counts", "kPa")
"""Seat-pressure units, as stored in :attr:`Recording.seat_unit`."""

_SEAT_RE: Final = re.compile(r"seat_p(\d{2,})")

# Fixed groups in canonical column order: (Recording field, human name, columns).
_FIXED_GROUPS: Final = (
    ("thigh_acc_g", "thigh accelerometer", THIGH_ACC_COLUMNS),
    ("thigh_gyro_dps", "thigh gyroscope", THIGH_GYRO_COLUMNS),
    ("trunk_acc_g", "trunk accelerometer", TRUNK_ACC_COLUMNS),
)


def seat_column(index: int, n_cells: int) -> str:
    """The column name of seat cell ``index`` when there are ``n_cells`` cells.

    Two digits at least, more when needed so that all names have the same width
    (``seat_p00`` ... ``seat_p99``, ``seat_p000`` ... ``seat_p143``).
    """
    width = max(2, len(str(max(n_cells - 1, 0))))
    return f"seat_p{index:0{width}d}"


@dataclass(frozen=True, slots=True)
class SensorGroup:
    """Columns that are present or absent, and empty or filled, together.

    ``field`` is the :class:`~analytics.records.Recording` attribute they fill.
    """

    field: str
    label: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """The recognised columns of a file, in canonical order, and the ignored ones."""

    groups: tuple[SensorGroup, ...]
    ignored: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """``t_s`` then every sensor column, in canonical order."""
        return (TIME_COLUMN, *(c for g in self.groups for c in g.columns))


@dataclass(frozen=True, slots=True)
class LoadedRecording:
    """What a reader returns: the recording, warnings for the caller to show, and the
    format that was read (``csv``, ``wisdm``, ``parquet``)."""

    recording: Recording
    warnings: tuple[str, ...] = ()
    fmt: str = "csv"


@dataclass(frozen=True, slots=True)
class Problem:
    """The first bad value found in parsed columns (``index`` is the 0-based sample)."""

    index: int
    column: str
    message: str


def classify_columns(
    names: Sequence[str], path: str | os.PathLike[str], *, row: int | None = None
) -> tuple[ColumnLayout, list[str]]:
    """Check a header and sort its columns into sensor groups.

    Raises :class:`RecordingError` (with ``row`` when given: the header's line) for a
    missing ``t_s``, a duplicate or unnamed column, an incomplete sensor group,
    non-contiguous seat cells, or no thigh accelerometer and no seat cells. Returns
    the layout and one warning per ignored column.
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            raise RecordingError(
                path,
                f"header field {i + 1} has no name; name the column or delete it",
                row=row,
            )
        if name in seen:
            raise RecordingError(
                path,
                f"the column name appears twice in the header (fields {seen[name] + 1} "
                f"and {i + 1}); rename or delete one of them",
                row=row,
                column=name,
            )
        seen[name] = i
    if TIME_COLUMN not in seen:
        raise RecordingError(
            path,
            "the header has no t_s column; name the time column (seconds) t_s",
            row=row,
            column=TIME_COLUMN,
        )

    known: set[str] = {TIME_COLUMN}
    groups: list[SensorGroup] = []
    for field_name, label, columns in _FIXED_GROUPS:
        present = [c for c in columns if c in seen]
        known.update(present)
        if present and len(present) < len(columns):
            missing = next(c for c in columns if c not in seen)
            raise RecordingError(
                path,
                f"the {label} needs all of {', '.join(columns)} but {missing} is missing; "
                f"add it or remove the other {label} columns",
                row=row,
                column=missing,
            )
        if present:
            groups.append(SensorGroup(field_name, label, columns))

    seat_by_index: dict[int, str] = {}
    for name in names:
        m = _SEAT_RE.fullmatch(name)
        if m is None:
            continue
        index = int(m.group(1))
        if index in seat_by_index:
            raise RecordingError(
                path,
                f"seat cell {index} is named twice ({seat_by_index[index]} and {name}); "
                "rename or delete one of them",
                row=row,
                column=name,
            )
        seat_by_index[index] = name
        known.add(name)
    if seat_by_index:
        n_cells = max(seat_by_index) + 1
        for index in range(n_cells):
            if index not in seat_by_index:
                expected = seat_column(index, n_cells)
                raise RecordingError(
                    path,
                    f"seat cells must be numbered without gaps from seat_p00, but {expected} "
                    f"is missing (the highest is {seat_by_index[n_cells - 1]}); add the "
                    "column or renumber the cells",
                    row=row,
                    column=expected,
                )
        seat_columns = tuple(seat_by_index[i] for i in range(n_cells))
        groups.append(SensorGroup("seat_p", "seat-pressure mat", seat_columns))

    if CADENCE_COLUMN in seen:
        known.add(CADENCE_COLUMN)
        groups.append(SensorGroup("cadence_rpm", "cadence", (CADENCE_COLUMN,)))

    if not any(g.field in ("thigh_acc_g", "seat_p") for g in groups):
        raise RecordingError(
            path,
            "no thigh accelerometer (thigh_ax_g, thigh_ay_g, thigh_az_g) and no seat cells "
            "(seat_p00, seat_p01, ...); a recording needs at least one of them",
            row=row,
        )

    ignored = tuple(n for n in names if n not in known)
    notes = [
        f"{path}: column {n!r} is not a sitload column and was ignored{_hint(n)}" for n in ignored
    ]
    return ColumnLayout(groups=tuple(groups), ignored=ignored), notes


def _hint(name: str) -> str:
    if re.fullmatch(r"seat_p\d", name):
        return " (seat cells have at least two digits: seat_p00, seat_p01, ...)"
    lowered = name.strip().lower()
    all_known = (TIME_COLUMN, CADENCE_COLUMN, *(c for _, _, cols in _FIXED_GROUPS for c in cols))
    if lowered in all_known and lowered != name:
        return f" (column names are lower case: {lowered})"
    return ""


def find_problem(columns: Mapping[str, FloatArray], layout: ColumnLayout) -> Problem | None:
    """The first sample (in file order) that breaks the rules of the format, or None.

    ``columns`` maps every name of ``layout.columns`` to a 1-D float64 array. Rules:
    ``t_s`` finite and strictly increasing; no infinite values; a sensor group is
    either all NaN (nothing sent) or has no NaN in a sample.
    """
    found: list[Problem] = []
    t_s = columns[TIME_COLUMN]
    n = int(t_s.shape[0])
    if n == 0 or _all_good(columns, layout):
        return None

    bad_t = ~np.isfinite(t_s)
    if bad_t.any():
        i = int(np.argmax(bad_t))
        what = (
            "the time is missing; every row needs a t_s value"
            if math.isnan(t_s[i])
            else f"{float(t_s[i])!r} is not a finite time; fix or delete the row"
        )
        found.append(Problem(i, TIME_COLUMN, what))
    if n > 1:
        with np.errstate(invalid="ignore"):
            step = np.diff(t_s)
        bad_step = step <= 0
        if bad_step.any():
            i = int(np.argmax(bad_step)) + 1
            if t_s[i] == t_s[i - 1]:
                what = (
                    f"time {float(t_s[i])!r} repeats the time of the previous row; times must be "
                    "strictly increasing, so delete the duplicate row"
                )
            else:
                now, before = float(t_s[i]), float(t_s[i - 1])
                what = (
                    f"time goes backwards ({now!r} after {before!r}); times must be strictly "
                    "increasing, so sort the rows by t_s or fix the clock"
                )
            found.append(Problem(i, TIME_COLUMN, what))

    for group in layout.groups:
        block = np.column_stack([columns[c] for c in group.columns])
        nan = np.isnan(block)
        inf = np.isinf(block)
        if inf.any():
            i, j = (int(k) for k in np.unravel_index(int(np.argmax(inf)), inf.shape))
            found.append(
                Problem(
                    i,
                    group.columns[j],
                    f"{float(block[i, j])!r} is not a finite number; fix or delete the row",
                )
            )
        if len(group.columns) > 1:
            partial = nan.any(axis=1) & ~nan.all(axis=1)
            if partial.any():
                i = int(np.argmax(partial))
                j = int(np.argmax(nan[i]))
                present = group.columns[int(np.argmin(nan[i]))]
                found.append(
                    Problem(
                        i,
                        group.columns[j],
                        f"the value is missing (empty or NaN) while {present} of the same "
                        f"{group.label} is present; fill it in, or leave all of "
                        f"{', '.join(_short(group.columns))} empty when that sensor sent "
                        "nothing in this sample",
                    )
                )
    if not found:
        return None
    return min(found, key=lambda p: p.index)


def _all_good(columns: Mapping[str, FloatArray], layout: ColumnLayout) -> bool:
    """The quick answer for most blocks: every value finite and time strictly
    increasing (then no rule can be broken)."""
    t_s = columns[TIME_COLUMN]
    if t_s.shape[0] > 1 and not bool((t_s[1:] > t_s[:-1]).all()):
        return False
    return all(bool(np.isfinite(columns[c]).all()) for c in layout.columns)


def _short(columns: Sequence[str]) -> list[str]:
    if len(columns) <= 4:
        return list(columns)
    return [columns[0], columns[1], "...", columns[-1]]


def assemble_recording(
    columns: Mapping[str, FloatArray], layout: ColumnLayout, *, seat_unit: str, source: str
) -> Recording:
    """Build a :class:`Recording` from checked 1-D columns."""
    fields: dict[str, FloatArray] = {}
    for group in layout.groups:
        if len(group.columns) == 1 and group.field == "cadence_rpm":
            fields[group.field] = np.ascontiguousarray(columns[group.columns[0]], np.float64)
        else:
            fields[group.field] = np.ascontiguousarray(
                np.column_stack([columns[c] for c in group.columns]), dtype=np.float64
            )
    return Recording(
        t_s=np.ascontiguousarray(columns[TIME_COLUMN], dtype=np.float64),
        thigh_acc_g=fields.get("thigh_acc_g"),
        thigh_gyro_dps=fields.get("thigh_gyro_dps"),
        trunk_acc_g=fields.get("trunk_acc_g"),
        seat_p=fields.get("seat_p"),
        cadence_rpm=fields.get("cadence_rpm"),
        seat_unit=seat_unit,
        source=source,
    )


def recording_columns(recording: Recording) -> tuple[ColumnLayout, dict[str, FloatArray]]:
    """The columns of a recording as 1-D float64 arrays, checked like a file would be.

    Raises ``ValueError`` for arrays of the wrong shape, an unknown seat unit, or
    values a reader would reject (so that a writer never writes an unreadable file).
    """
    t_s = np.asarray(recording.t_s, dtype=np.float64)
    if t_s.ndim != 1:
        raise ValueError(f"t_s must be 1-D, got shape {t_s.shape}")
    n = t_s.shape[0]
    if n == 0:
        raise ValueError("the recording has no samples; there is nothing to write")
    if recording.seat_unit not in SEAT_UNITS:
        raise ValueError(f"seat_unit {recording.seat_unit!r} is not one of {', '.join(SEAT_UNITS)}")
    out: dict[str, FloatArray] = {TIME_COLUMN: t_s}
    groups: list[SensorGroup] = []
    for field_name, label, names in _FIXED_GROUPS:
        value = getattr(recording, field_name)
        if value is None:
            continue
        block = np.asarray(value, dtype=np.float64)
        if block.shape != (n, 3):
            raise ValueError(f"{field_name} must have shape ({n}, 3), got {block.shape}")
        groups.append(SensorGroup(field_name, label, names))
        out.update({c: block[:, j] for j, c in enumerate(names)})
    if recording.seat_p is not None:
        seat = np.asarray(recording.seat_p, dtype=np.float64)
        if seat.ndim != 2 or seat.shape[0] != n or seat.shape[1] == 0:
            raise ValueError(f"seat_p must have shape ({n}, k) with k >= 1, got {seat.shape}")
        k = seat.shape[1]
        seat_names = tuple(seat_column(j, k) for j in range(k))
        groups.append(SensorGroup("seat_p", "seat-pressure mat", seat_names))
        out.update({c: seat[:, j] for j, c in enumerate(seat_names)})
    if recording.cadence_rpm is not None:
        cadence = np.asarray(recording.cadence_rpm, dtype=np.float64)
        if cadence.shape != (n,):
            raise ValueError(f"cadence_rpm must have shape ({n},), got {cadence.shape}")
        groups.append(SensorGroup("cadence_rpm", "cadence", (CADENCE_COLUMN,)))
        out[CADENCE_COLUMN] = cadence
    if not any(g.field in ("thigh_acc_g", "seat_p") for g in groups):
        raise ValueError("the recording has neither thigh_acc_g nor seat_p; a file needs one")
    layout = ColumnLayout(groups=tuple(groups))
    problem = find_problem(out, layout)
    if problem is not None:
        raise ValueError(f"sample {problem.index}, {problem.column}: {problem.message}")
    return layout, out


def parse_seat_unit(value: str) -> str | None:
    """``counts`` or ``kPa`` for a unit written in any letter case, else None."""
    for unit in SEAT_UNITS:
        if value.lower() == unit.lower():
            return unit
    return None
