"""The sitload CSV recording format: reader, writer and the shared column schema.

The format is specified in ``docs/recordings.md``. In short: optional ``#`` comment
lines (``# seat_unit=kPa`` before the header sets the seat-pressure unit), one header
row naming the columns, then one row per sample. ``t_s`` is required and strictly
increasing; sensors come in complete groups (all three axes or none); an empty (or
``nan``) cell is an error unless the whole group is empty in that row, which means
"that sensor sent nothing in this sample" and is kept as NaN.

Parsing is done in bulk: with pyarrow (when installed, the fastest), else with
``numpy.loadtxt``. When the bulk parser rejects the file, or a row has empty sensor
groups that numpy cannot read, a line-by-line reader takes over; it is the reference
implementation and produces the error message naming the row and column.

The column schema and the checks on parsed columns are shared with the Parquet format.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

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
_META_SEAT_UNIT_RE: Final = re.compile(r"\bseat_unit\s*=\s*([^\s,;]*)")
_CHUNK_ROWS: Final = 65_536

WRITE_DECIMALS: Final[Mapping[str, int]] = {
    "thigh_acc_g": 6,
    "trunk_acc_g": 6,
    "thigh_gyro_dps": 4,
    "seat_p": 4,
    "cadence_rpm": 3,
}
"""Decimals kept by :func:`write_csv`, by Recording field (1 µg, 0.0001 °/s, ...)."""

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


# --------------------------------------------------------------------------- schema


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


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Header:
    row: int
    names: tuple[str, ...]
    seat_unit: str


def read_csv(path: str | os.PathLike[str]) -> LoadedRecording:
    """Read a sitload CSV recording.

    Raises :class:`RecordingError` naming the row and column of the first problem.
    Unknown columns are ignored and reported in ``warnings``.
    """
    header = _read_header(path)
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
        row = rows[problem.index] if rows is not None else _data_row(path, header, problem.index)
        raise RecordingError(path, problem.message, row=row, column=problem.column)
    recording = assemble_recording(
        columns, layout, seat_unit=header.seat_unit, source=f"csv:{path}"
    )
    return LoadedRecording(recording=recording, warnings=tuple(notes), fmt="csv")


def _open_text(path: str | os.PathLike[str]) -> Iterable[tuple[int, str]]:
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


def _read_header(path: str | os.PathLike[str]) -> _Header:
    seat_unit: str | None = None
    last = 0
    for lineno, line in _open_text(path):
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
        return _Header(row=lineno, names=names, seat_unit=seat_unit or "counts")
    if last == 0:
        raise RecordingError(
            path, "the file is empty; it needs a header row (t_s, ...) and data", row=1
        )
    raise RecordingError(
        path,
        "there is no header row, only comments or blank lines; add a header (t_s, ...) and data",
        row=last,
    )


def _pyarrow_csv() -> tuple[Any, Any] | None:
    """(pyarrow, pyarrow.csv) when pyarrow is installed (the fast path), else None."""
    try:
        import pyarrow
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow, pyarrow.csv


def _parse_pyarrow(
    path: str | os.PathLike[str], header: _Header, used: Sequence[str]
) -> FloatArray | None:
    """Bulk parse with pyarrow; None when pyarrow is missing or rejects the file."""
    pyarrow_csv = _pyarrow_csv()
    if pyarrow_csv is None:
        return None
    pa, pacsv = pyarrow_csv
    try:
        table = pacsv.read_csv(
            os.fspath(path),
            read_options=pacsv.ReadOptions(skip_rows=header.row, column_names=list(header.names)),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(used),
                column_types={c: pa.float64() for c in used},
                null_values=[""],
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError, OSError):
        return None
    matrix = np.empty((table.num_rows, len(used)), dtype=np.float64)
    for j, name in enumerate(used):
        column = table.column(name)
        if column.null_count:
            column = column.fill_null(math.nan)
        matrix[:, j] = column.to_numpy()
    return matrix


def _parse_numpy(
    path: str | os.PathLike[str], header: _Header, used_idx: Sequence[int]
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


def _field_counts_ok(path: str | os.PathLike[str], header: _Header) -> bool:
    commas = len(header.names) - 1
    for lineno, line in _open_text(path):
        if lineno <= header.row:
            continue
        body = _strip_comment(line)
        if body and body.count(",") != commas:
            return False
    return True


def _parse_python(
    path: str | os.PathLike[str],
    header: _Header,
    used_idx: Sequence[int],
    used: Sequence[str],
) -> tuple[FloatArray, Sequence[int]]:
    """The reference line-by-line parser: exact errors, and empty cells as NaN."""
    n_fields = len(header.names)
    values = array("d")
    rows = array("q")
    picks = list(zip(used_idx, used, strict=True))
    for lineno, line in _open_text(path):
        if lineno <= header.row:
            continue
        body = _strip_comment(line)
        if not body:
            continue
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


def _data_row(path: str | os.PathLike[str], header: _Header, index: int) -> int:
    """The line number of data row ``index`` (0-based), skipping comments and blanks."""
    seen = -1
    for lineno, line in _open_text(path):
        if lineno <= header.row or not _strip_comment(line):
            continue
        seen += 1
        if seen == index:
            return lineno
    raise AssertionError(f"data row {index} not found in {path}")  # pragma: no cover


# --------------------------------------------------------------------------- writing


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
    pyarrow_csv = _pyarrow_csv()
    if pyarrow_csv is None:
        return False
    pa, pacsv = pyarrow_csv
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
