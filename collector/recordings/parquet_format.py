"""The sitload recording as a Parquet file (optional: needs pyarrow, the ``[parquet]``
extra).

Same columns, units and rules as the CSV format (``docs/recordings.md``); every
column is a number column (float64 when written here; any integer or float type is
read), a null or NaN cell means "missing" exactly like an empty CSV cell, and the
seat unit is stored in the file's key-value metadata under ``sitload.seat_unit``.
Errors name the record (1-based) instead of a text line.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np

from analytics.records import FloatArray, Recording
from collector.extras import is_missing, missing_message
from collector.recordings.csv_schema import (
    ColumnLayout,
    LoadedRecording,
    assemble_recording,
    classify_columns,
    find_problem,
    parse_seat_unit,
    recording_columns,
)
from collector.recordings.errors import RecordingError

SEAT_UNIT_KEY: Final = b"sitload.seat_unit"
FORMAT_KEY: Final = b"sitload.format"


def _pyarrow(path: str | os.PathLike[str]) -> tuple[ModuleType, ModuleType]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        if not is_missing(exc, "pyarrow"):
            raise
        raise RecordingError(
            path, missing_message("pyarrow", "reading or writing Parquet")
        ) from None
    return pyarrow, pyarrow.parquet


def read_parquet(path: str | os.PathLike[str]) -> LoadedRecording:
    """Read a sitload recording from a Parquet file.

    Raises :class:`RecordingError` naming the column (and the record, 1-based) of the
    first problem; unknown columns are ignored and reported in ``warnings``.
    """
    pa, pq = _pyarrow(path)
    layout, notes, seat_unit = parquet_layout(path)
    try:
        table = pq.read_table(os.fspath(path), columns=list(layout.columns))
    except (pa.ArrowException, OSError) as exc:
        raise RecordingError(
            path, f"cannot read the data ({_first_line(exc)}); check the file"
        ) from None
    if table.num_rows == 0:
        raise RecordingError(
            path, "the file has no records; record some samples", row=1, row_word="record"
        )
    columns = {name: as_float(pa, table.column(name)) for name in layout.columns}
    problem = find_problem(columns, layout)
    if problem is not None:
        raise RecordingError(
            path, problem.message, row=problem.index + 1, column=problem.column, row_word="record"
        )
    recording = assemble_recording(columns, layout, seat_unit=seat_unit, source=f"parquet:{path}")
    return LoadedRecording(recording=recording, warnings=tuple(notes), fmt="parquet")


def parquet_layout(path: str | os.PathLike[str]) -> tuple[ColumnLayout, list[str], str]:
    """The checked columns of a sitload Parquet file, a warning per ignored column and
    the seat unit; raises :class:`RecordingError` like :func:`read_parquet`."""
    pa, pq = _pyarrow(path)
    p = Path(path)
    if p.is_dir():
        raise RecordingError(path, "this is a directory; name a recording file")
    try:
        schema = pq.read_schema(os.fspath(path))
    except FileNotFoundError:
        raise RecordingError(path, "no such file; check the path") from None
    except (pa.ArrowException, OSError) as exc:
        raise RecordingError(
            path, f"not a readable Parquet file ({_first_line(exc)}); check the file and --format"
        ) from None
    names = [str(n) for n in schema.names]
    layout, notes = classify_columns(names, path)
    for name in layout.columns:
        kind = schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise RecordingError(
                path,
                f"the column has type {kind}, not a number; store it as float64",
                column=name,
            )
    metadata: dict[bytes, bytes] = dict(schema.metadata or {})
    seat_unit = "counts"
    if SEAT_UNIT_KEY in metadata:
        raw_unit = metadata[SEAT_UNIT_KEY].decode("utf-8", "replace")
        unit = parse_seat_unit(raw_unit)
        if unit is None:
            raise RecordingError(
                path,
                f"metadata {SEAT_UNIT_KEY.decode()}={raw_unit!r} is not a known unit; "
                "use counts or kPa",
                column="seat_unit",
            )
        seat_unit = unit
    return layout, notes, seat_unit


def as_float(pa: Any, column: Any) -> FloatArray:
    """A pyarrow number column as float64, null → NaN. A float64 column (what the CSV
    readers ask pyarrow for) is converted without pyarrow.compute, whose import alone
    costs a fifth of a second."""
    if column.type == pa.float64():  # to_numpy turns a float's nulls into NaN
        return np.ascontiguousarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    column = column.cast(pa.float64())
    if column.null_count:
        column = column.fill_null(math.nan)
    return np.ascontiguousarray(column.to_numpy(), dtype=np.float64)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def write_parquet(recording: Recording, path: str | os.PathLike[str]) -> None:
    """Write ``recording`` as a Parquet file (float64 columns, zstd, exact values).

    NaN values (a sensor that sent nothing) are stored as NaN. Raises ``ValueError``
    for a recording a reader would reject and :class:`RecordingError` when pyarrow is
    missing or the file cannot be written.
    """
    pa, pq = _pyarrow(path)
    layout, columns = recording_columns(recording)
    metadata = {FORMAT_KEY: b"1"}
    if recording.seat_p is not None:
        metadata[SEAT_UNIT_KEY] = recording.seat_unit.encode()
    table = pa.table(
        {name: pa.array(columns[name], type=pa.float64()) for name in layout.columns}
    ).replace_schema_metadata(metadata)
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        pq.write_table(table, os.fspath(tmp), compression="zstd")
        os.replace(tmp, target)
    except (pa.ArrowException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise RecordingError(
            path,
            f"cannot write the file ({_first_line(exc)}); check that the directory exists "
            "and is writable",
        ) from exc
