"""Reading sitload CSV recordings (``docs/recordings.md``).

In short: optional ``#`` comment lines (``# seat_unit=kPa`` before the header sets the
seat-pressure unit), one header row naming the columns, then one row per sample.
``t_s`` is required and strictly increasing; sensors come in complete groups (all
three axes or none); an empty (or ``nan``) cell is an error unless the whole group is
empty in that row, which means "that sensor sent nothing in this sample" and is kept
as NaN.

One parser path: the header is read here (:func:`read_header`), the rows are parsed
in bulk, typed float64 columns with pyarrow (:func:`pyarrow_options`: the same
options for the whole file and for the blocks of :mod:`collector.recordings.chunked`),
else with ``numpy.loadtxt``. When the bulk parser rejects the file, or a row has empty
sensor groups that numpy cannot read, the line-by-line reader takes over; it is the
reference implementation and produces the error message naming the row and column.
All three walk the same data lines (:func:`data_lines`) and check the parsed columns
with the same rules (:func:`~collector.recordings.csv_schema.find_problem`).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from analytics.records import FloatArray
from collector.recordings.csv_schema import (
    LoadedRecording,
    assemble_recording,
    classify_columns,
    find_problem,
    parse_seat_unit,
)
from collector.recordings.errors import RecordingError
from collector.recordings.parquet_format import as_float

_META_SEAT_UNIT_RE: Final = re.compile(r"\bseat_unit\s*=\s*([^\s,;]*)")


@dataclass(frozen=True, slots=True)
class CsvHeader:
    """The header row of a file: its line, its column names, the seat unit above it."""

    row: int
    names: tuple[str, ...]
    seat_unit: str


def read_csv(path: str | os.PathLike[str]) -> LoadedRecording:
    """Read a sitload CSV recording.

    Raises :class:`RecordingError` naming the row and column of the first problem.
    Unknown columns are ignored and reported in ``warnings``.
    """
    header = read_header(path)
    layout, notes = classify_columns(header.names, path, row=header.row)
    used = layout.columns
    index_of = {name: i for i, name in enumerate(header.names)}
    used_idx = [index_of[c] for c in used]

    matrix = _parse_pyarrow(path, header, used)
    if matrix is None:
        matrix = _parse_numpy(path, header, used_idx)
    rows: Sequence[int] | None = None
    if matrix is None:
        matrix, rows = _parse_python(path, header, used_idx, used)

    if matrix.shape[0] == 0:
        raise RecordingError(
            path,
            f"no data rows after the header (row {header.row}); record some samples, or "
            "delete the file",
            row=header.row + 1,
        )
    columns = {name: matrix[:, j] for j, name in enumerate(used)}
    problem = find_problem(columns, layout)
    if problem is not None:
        if rows is not None:
            row = rows[problem.index]
        else:
            (row,) = data_rows(path, header, [problem.index])
        raise RecordingError(path, problem.message, row=row, column=problem.column)
    recording = assemble_recording(
        columns, layout, seat_unit=header.seat_unit, source=f"csv:{path}"
    )
    return LoadedRecording(recording=recording, warnings=tuple(notes), fmt="csv")


def open_text(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file; errors become RecordingError."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            try:
                yield from enumerate(f, start=1)
            except UnicodeDecodeError:
                raise RecordingError(
                    path,
                    "this is not UTF-8 text; is it a Parquet file (use --format parquet)?",
                ) from None
    except FileNotFoundError:
        raise RecordingError(path, "no such file; check the path") from None
    except IsADirectoryError:
        raise RecordingError(path, "this is a directory; name a recording file") from None
    except PermissionError:
        raise RecordingError(path, "permission denied; check the file's permissions") from None


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0].strip()


def data_lines(path: str | os.PathLike[str], header: CsvHeader) -> Iterator[tuple[int, str]]:
    """(line number, text without its comment) of every data row: the lines after the
    header that are not blank or comments only."""
    for lineno, line in open_text(path):
        if lineno <= header.row:
            continue
        body = _strip_comment(line)
        if body:
            yield lineno, body


def data_rows(path: str | os.PathLike[str], header: CsvHeader, indices: Sequence[int]) -> list[int]:
    """The file rows (line numbers) of data rows ``indices`` (0-based), in one pass
    that stops after the last one wanted."""
    wanted = sorted(set(indices))
    if not wanted:
        return []
    found: dict[int, int] = {}
    k = 0
    for seen, (lineno, _) in enumerate(data_lines(path, header)):
        if seen == wanted[k]:
            found[seen] = lineno
            k += 1
            if k == len(wanted):
                break
    return [found[i] for i in indices]


def read_header(path: str | os.PathLike[str]) -> CsvHeader:
    """The header row and the seat unit of the comments above it; RecordingError for
    an empty file, a file of comments only, or an unknown or repeated seat unit."""
    seat_unit: str | None = None
    last = 0
    for lineno, line in open_text(path):
        last = lineno
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _META_SEAT_UNIT_RE.search(stripped)
            if m is not None:
                unit = parse_seat_unit(m.group(1))
                if unit is None:
                    raise RecordingError(
                        path,
                        f"seat_unit={m.group(1)!r} is not a known unit; write "
                        "'# seat_unit=counts' or '# seat_unit=kPa'",
                        row=lineno,
                        column="seat_unit",
                    )
                if seat_unit is not None and unit != seat_unit:
                    raise RecordingError(
                        path,
                        f"seat_unit is given twice ({seat_unit} and {unit}); keep one",
                        row=lineno,
                        column="seat_unit",
                    )
                seat_unit = unit
            continue
        names = tuple(field.strip() for field in _strip_comment(line).split(","))
        return CsvHeader(row=lineno, names=names, seat_unit=seat_unit or "counts")
    if last == 0:
        raise RecordingError(
            path, "the file is empty; it needs a header row (t_s, ...) and data", row=1
        )
    raise RecordingError(
        path,
        "there is no header row, only comments or blank lines; add a header (t_s, ...) and data",
        row=last,
    )


def pyarrow_csv() -> tuple[Any, Any] | None:
    """(pyarrow, pyarrow.csv) when pyarrow is installed (the fast path), else None."""
    try:
        import pyarrow
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow, pyarrow.csv


def pyarrow_options(
    pa_csv: tuple[Any, Any],
    header: CsvHeader,
    used: Sequence[str],
    *,
    block_size: int | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``pyarrow.csv.read_csv`` / ``open_csv`` for the data
    rows of a sitload CSV: the header's names, no quoting, the ``used`` columns typed
    float64 (no type inference, no second look at the text), empty cells null."""
    pa, pacsv = pa_csv
    read = pacsv.ReadOptions(skip_rows=header.row, column_names=list(header.names))
    if block_size is not None:
        read.block_size = block_size
    return {
        "read_options": read,
        "parse_options": pacsv.ParseOptions(delimiter=",", quote_char=False),
        "convert_options": pacsv.ConvertOptions(
            include_columns=list(used),
            column_types={c: pa.float64() for c in used},
            null_values=[""],
            strings_can_be_null=False,
        ),
    }


def _parse_pyarrow(
    path: str | os.PathLike[str], header: CsvHeader, used: Sequence[str]
) -> FloatArray | None:
    """Bulk parse with pyarrow; None when pyarrow is missing or rejects the file."""
    pa_csv = pyarrow_csv()
    if pa_csv is None:
        return None
    pa, pacsv = pa_csv
    try:
        table = pacsv.read_csv(os.fspath(path), **pyarrow_options(pa_csv, header, used))
    except (pa.ArrowException, ValueError, OSError):
        return None
    matrix = np.empty((table.num_rows, len(used)), dtype=np.float64)
    for j, name in enumerate(used):
        matrix[:, j] = as_float(pa, table.column(name))
    return matrix


def _parse_numpy(
    path: str | os.PathLike[str], header: CsvHeader, used_idx: Sequence[int]
) -> FloatArray | None:
    """Bulk parse with numpy.loadtxt; None when it rejects the file (empty cells too)."""
    all_used = sorted(used_idx) == list(range(len(header.names)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            loaded = np.loadtxt(
                os.fspath(path),
                dtype=np.float64,
                delimiter=",",
                comments="#",
                skiprows=header.row,
                usecols=None if all_used else list(used_idx),
                ndmin=2,
                encoding="utf-8",
            )
    except (ValueError, IndexError):
        return None
    if loaded.shape[0] == 0:
        return np.empty((0, len(used_idx)), dtype=np.float64)
    if all_used:
        loaded = loaded[:, list(used_idx)]
    elif not _field_counts_ok(path, header):
        return None
    return np.ascontiguousarray(loaded, dtype=np.float64)


def _field_counts_ok(path: str | os.PathLike[str], header: CsvHeader) -> bool:
    commas = len(header.names) - 1
    return all(body.count(",") == commas for _, body in data_lines(path, header))


def _parse_python(
    path: str | os.PathLike[str],
    header: CsvHeader,
    used_idx: Sequence[int],
    used: Sequence[str],
) -> tuple[FloatArray, Sequence[int]]:
    """The reference line-by-line parser: exact errors, and empty cells as NaN."""
    n_fields = len(header.names)
    values = array("d")
    rows = array("q")
    picks = list(zip(used_idx, used, strict=True))
    for lineno, body in data_lines(path, header):
        fields = body.split(",")
        if len(fields) != n_fields:
            if len(fields) < n_fields:
                what = (
                    f"{len(fields)} fields but the header (row {header.row}) has {n_fields}; "
                    "the row is cut short (an interrupted recording?), so complete or delete it"
                )
            else:
                what = (
                    f"{len(fields)} fields but the header (row {header.row}) has {n_fields}; "
                    "remove the extra fields or name them in the header"
                )
            raise RecordingError(path, what, row=lineno)
        try:
            values.extend([float(fields[j]) for j in used_idx])
        except ValueError:
            for j, name in picks:
                cell = fields[j].strip()
                if not cell:
                    values.append(math.nan)
                    continue
                try:
                    values.append(float(cell))
                except ValueError:
                    raise RecordingError(
                        path,
                        f"{cell!r} is not a number; fix or delete the row",
                        row=lineno,
                        column=name,
                    ) from None
        rows.append(lineno)
    matrix = np.frombuffer(values, dtype=np.float64).reshape(-1, len(used)).copy()
    return matrix, rows
