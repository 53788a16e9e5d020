"""Writing sitload CSV recordings (``docs/recordings.md``): :func:`write_csv` for a
whole file, :func:`write_csv_chunk` for the rows of one chunk (``sitload record``
appends them). Rows are written by pyarrow, or line by line without it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np

from analytics.records import FloatArray, Recording
from collector.recordings.csv_reader import pyarrow_csv
from collector.recordings.csv_schema import TIME_COLUMN, recording_columns
from collector.recordings.errors import RecordingError

_CHUNK_ROWS: Final = 65_536

WRITE_DECIMALS: Final[Mapping[str, int]] = {
    "thigh_acc_g": 6,
    "trunk_acc_g": 6,
    "thigh_gyro_dps": 4,
    "seat_p": 4,
    "cadence_rpm": 3,
}
"""Decimals kept by :func:`write_csv`, by Recording field (1 µg, 0.0001 °/s, ...)."""


def write_csv(recording: Recording, path: str | os.PathLike[str]) -> None:
    """Write ``recording`` as a sitload CSV file (replacing ``path`` atomically).

    ``t_s`` is written in full precision (the shortest text that reads back to the
    same float). Sensor values are rounded to a fixed number of decimals per unit
    (:data:`WRITE_DECIMALS`, far below any sensor's resolution) and written in the
    shortest form; NaN (the sensor sent nothing) becomes an empty cell. Reading the
    file back gives exactly the rounded values, and writing those again gives the same
    file. Raises ``ValueError`` for a recording a reader would reject and
    :class:`RecordingError` when the file cannot be written.
    """
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            write_csv_chunk(f, recording, header=True)
        os.replace(tmp, target)
    except ValueError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordingError(
            path,
            f"cannot write the file ({exc.strerror or exc}); check that the directory "
            "exists and is writable",
        ) from exc


def write_csv_chunk(f: BinaryIO, recording: Recording, *, header: bool) -> tuple[str, ...]:
    """Write the rows of ``recording`` to an open binary file, after the comment
    lines and the header row when ``header``; returns the column names, so that a
    caller appending chunks (``sitload record``) can check they stay the same.
    Raises ``ValueError`` like :func:`write_csv`."""
    layout, columns = recording_columns(recording)
    names = layout.columns
    out: list[FloatArray] = [columns[TIME_COLUMN]]
    for group in layout.groups:
        decimals = WRITE_DECIMALS[group.field]
        out.extend(np.round(columns[c], decimals) for c in group.columns)
    if header:
        f.write(b"# sitload CSV recording (docs/recordings.md)\n")
        if recording.seat_p is not None:
            f.write(f"# seat_unit={recording.seat_unit}\n".encode())
        f.write((",".join(names) + "\n").encode())
    if not _write_rows_pyarrow(f, names, out):
        _write_rows_python(f, out)
    return names


def _write_rows_pyarrow(f: BinaryIO, names: Sequence[str], columns: Sequence[FloatArray]) -> bool:
    pa_csv = pyarrow_csv()
    if pa_csv is None:
        return False
    pa, pacsv = pa_csv
    table = pa.table(
        {
            name: pa.array(col, type=pa.float64(), from_pandas=True)
            for name, col in zip(names, columns, strict=True)
        }
    )
    pacsv.write_csv(
        table, f, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
    )
    return True


def _write_rows_python(f: BinaryIO, columns: Sequence[FloatArray]) -> None:
    matrix = np.column_stack(columns)
    row_format = ",".join(["%r"] * matrix.shape[1]) + "\n"
    for start in range(0, matrix.shape[0], _CHUNK_ROWS):
        chunk = matrix[start : start + _CHUNK_ROWS]
        text = "".join(map(row_format.__mod__, map(tuple, chunk.tolist())))
        if np.isnan(chunk).any():
            text = text.replace("nan", "")
        f.write(text.encode())
