"""Streaming reads of long recordings: a sitload CSV is read in blocks and reduced to
per-second epochs as it goes (:class:`analytics.epoch_stream.EpochBuilder`), so the
memory of ``sitload analyze`` follows the number of seconds, not the number of
samples: a week of 50 Hz thigh + trunk samples is 2.3 GB of CSV and 0.85 GB as
float32 arrays, its epochs about 60 MB.

Same checks and the same error messages as :func:`collector.recordings.read_csv`:
every block goes through :func:`~collector.recordings.csv_schema.find_problem` (with
the previous block's last row in front, so a time that goes backwards across a block
boundary is found too) and a problem names its file row. A Parquet file is read in
batches of rows the same way (errors name the record). The thigh's rhythm features
are worked out while reading too (:class:`analytics.rhythm_stream.RhythmStream`,
each window once its seconds and samples are there), so the file is parsed once.

Not streamed (:func:`stream_epochs` returns None and the caller reads the file
whole): accelerations that are not certainly in g (the whole-file reader converts
m/s² or refuses, :mod:`collector.recordings.acc_units`), files the block reader
cannot parse (comment lines between data rows, cells pyarrow rejects, no pyarrow)
and files with seat-mat cells (the seat features need the samples).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Final, NoReturn

import numpy as np

from analytics.epoch_stream import EpochBuilder, EpochSegment
from analytics.records import FloatArray
from analytics.rhythm_stream import RhythmStream
from analytics.segments import TimeJumpParams
from collector.recordings.acc_units import _BAND, _DEAD_G
from collector.recordings.csv_blocks import BlockReaderError, parsed_blocks
from collector.recordings.csv_reader import (
    data_rows,
    pyarrow_csv,
    read_header,
)
from collector.recordings.csv_schema import (
    TIME_COLUMN,
    ColumnLayout,
    Problem,
    classify_columns,
    find_problem,
)
from collector.recordings.errors import RecordingError
from collector.recordings.heap import heap_kept
from collector.recordings.parquet_format import as_float, parquet_layout
from collector.recordings.read_ahead import read_ahead

CHUNK_BYTES: Final = 2 << 20
"""CSV bytes parsed at once (:mod:`collector.recordings.csv_blocks`): about 28,000
rows of thigh + trunk, 1.5 MB of float64 columns. Each pyarrow parse costs about
half a millisecond besides its rows: blocks of 1 MB made a day's ``analyze`` 5 %
slower than one stream, 256 kB 50 %; 4 MB held 30 MB more of a day at 50 Hz."""
CHUNK_ROWS: Final = 65_536
"""Parquet rows converted at once."""


@dataclass(frozen=True, slots=True)
class StreamedRecording:
    """A recording reduced to per-second epochs, segment by segment, while reading.
    ``first_rows`` are the file rows of the segments' first samples."""

    segments: tuple[EpochSegment, ...]
    first_rows: tuple[int, ...]
    warnings: tuple[str, ...]
    fmt: str = "csv"


def stream_epochs(
    path: str | os.PathLike[str],
    jumps: TimeJumpParams | None = None,
    *,
    fmt: str = "csv",
    chunk_bytes: int = CHUNK_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> StreamedRecording | None:
    """The epochs of a sitload CSV (read in blocks of ``chunk_bytes``) or Parquet file
    (in batches of ``chunk_rows``), or None when this file must be read whole (see
    the module notes). Raises :class:`RecordingError` like the whole-file readers
    for a problem in the file."""
    if fmt == "parquet":
        return _stream_parquet(path, jumps, chunk_rows)
    pa_csv = pyarrow_csv()
    if pa_csv is None:
        return None
    header = read_header(path)
    layout, notes = classify_columns(header.names, path, row=header.row)
    if not _streamable(layout):
        return None

    def at(index: int, problem: Problem) -> NoReturn:
        (row,) = data_rows(path, header, [index])
        raise RecordingError(path, problem.message, row=row, column=problem.column)

    def blocks() -> Generator[dict[str, FloatArray], None, None]:
        return parsed_blocks(pa_csv, path, header, layout.columns, chunk_bytes)

    segments = _reduce(blocks, layout, jumps, at)
    if segments is None:
        return None
    rows = data_rows(path, header, [s.segment.first_sample for s in segments])
    return StreamedRecording(tuple(segments), tuple(rows), tuple(notes))


def _stream_parquet(
    path: str | os.PathLike[str], jumps: TimeJumpParams | None, chunk_rows: int
) -> StreamedRecording | None:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        return None
    layout, notes, _ = parquet_layout(path)
    if not _streamable(layout):
        return None

    def at(index: int, problem: Problem) -> NoReturn:
        raise RecordingError(
            path, problem.message, row=index + 1, column=problem.column, row_word="record"
        )

    def parsed() -> Iterator[dict[str, FloatArray]]:
        try:
            # read column chunks through a small buffer instead of a row group at once
            reader = pyarrow.parquet.ParquetFile(
                os.fspath(path), pre_buffer=False, buffer_size=CHUNK_BYTES
            )
            for batch in reader.iter_batches(batch_size=chunk_rows, columns=list(layout.columns)):
                if batch.num_rows:
                    yield {n: as_float(pyarrow, batch.column(n)) for n in layout.columns}
        except (pyarrow.ArrowException, OSError):
            raise BlockReaderError from None

    def batches() -> Generator[dict[str, FloatArray], None, None]:
        return read_ahead(parsed)

    segments = _reduce(batches, layout, jumps, at)
    if segments is None:
        return None
    rows = [s.segment.first_sample + 1 for s in segments]
    return StreamedRecording(tuple(segments), tuple(rows), tuple(notes), fmt="parquet")


def _streamable(layout: ColumnLayout) -> bool:
    fields = {g.field for g in layout.groups}
    return "seat_p" not in fields and "thigh_acc_g" in fields


def _reduce(
    blocks: Callable[[], Generator[dict[str, FloatArray], None, None]],
    layout: ColumnLayout,
    jumps: TimeJumpParams | None,
    problem_at: Callable[[int, Problem], NoReturn],
) -> list[EpochSegment] | None:
    """Check every block and feed it to the epoch builder and the rhythm windows;
    None when the block reader gave up or there was no data (the whole-file reader
    words that). The blocks' reader is stopped on the way out (a problem row)."""
    rhythm = RhythmStream()
    builder = EpochBuilder(jumps, rhythm.on_epochs, rhythm.on_samples)
    units = {"thigh_acc_g": _UnitCounts(), "trunk_acc_g": _UnitCounts()}
    seen = 0
    previous: dict[str, FloatArray] | None = None
    try:
        # each block's temporaries: the same pages again, not new ones (heap_kept)
        with heap_kept(), contextlib.closing(blocks()) as source:
            for columns in source:
                _check(layout, columns, previous, seen, problem_at)
                t_s = columns[TIME_COLUMN]
                thigh = _group(columns, layout, "thigh_acc_g")
                trunk = _group(columns, layout, "trunk_acc_g")
                for g in layout.groups:
                    if g.field in units:
                        x, y, z = (columns[c] for c in g.columns)
                        units[g.field].add(x, y, z)
                builder.add(t_s, thigh, trunk, columns.get("cadence_rpm"))
                seen += int(t_s.shape[0])
                previous = {name: col[-1:] for name, col in columns.items()}
    except BlockReaderError:
        return None
    if not seen or not all(u.surely_g() for u in units.values()):
        return None  # the whole-file reader converts m/s² or refuses, exactly
    return rhythm.finish(builder.finish())


_LOOSE: Final = 1e-9
"""Relative slack of the unit counts' squared bounds: far beyond the rounding of a
square root, so a magnitude near a bound is counted on the side that keeps the
whole-file check's word."""
_BELOW_DEAD_SQ: Final = _DEAD_G**2 * (1.0 - _LOOSE)
_BELOW_G_SQ: Final = _BAND**-2 * (1.0 + _LOOSE)
_ABOVE_G_SQ: Final = _BAND**2 * (1.0 - _LOOSE)


class _UnitCounts:
    """Where the median magnitude of an accelerometer lies, from counts (the unit check
    of :mod:`collector.recordings.acc_units` without keeping the samples).

    The counts compare squared magnitudes with squared bounds (no square root, no
    stacked copy: those took a sixth of the main thread's reduction of a day at
    25 Hz; the whole command is hardly faster, the parse sets its pace), loosened
    by :data:`_LOOSE` so that they can only err towards "not sure": a magnitude
    that may be below ``1 / band`` or above ``band`` is counted there, one that may
    not be below the dead level is not counted below it. "Not sure" reads the file
    whole, where :func:`~collector.recordings.acc_units.acc_unit_factor` decides
    exactly."""

    def __init__(self) -> None:
        self.n = 0
        self.below_dead = 0
        self.below_g = 0
        self.above_g = 0

    def add(self, x: FloatArray, y: FloatArray, z: FloatArray) -> None:
        """One block's three axes. A row with a missing axis is left out, as the
        whole-file check does (an infinite value never comes here: the block's check
        refuses it first; a finite one too large to square counts above)."""
        sq = x * x
        sq += y * y
        sq += z * z
        self.n += int(sq.shape[0]) - int(np.count_nonzero(np.isnan(sq)))
        self.below_dead += int(np.count_nonzero(sq < _BELOW_DEAD_SQ))
        self.below_g += int(np.count_nonzero(sq < _BELOW_G_SQ))
        self.above_g += int(np.count_nonzero(sq > _ABOVE_G_SQ))

    def surely_g(self) -> bool:
        """True when the check certainly keeps the data as it is: no valid sample, a
        median in the band around 1 g, or a dead sensor. The sorted magnitudes'
        middle ones are ``(n - 1) // 2`` and ``n // 2``; the median lies between."""
        n = self.n
        if n == 0:
            return True
        low_mid_ok = self.below_g <= (n - 1) // 2  # a[(n - 1) // 2] >= 1 / band
        high_mid_ok = self.above_g <= n - n // 2 - 1  # a[n // 2] <= band
        dead = self.below_dead >= n // 2 + 1  # a[n // 2] < dead
        return (low_mid_ok and high_mid_ok) or dead


def _group(columns: dict[str, FloatArray], layout: ColumnLayout, field: str) -> FloatArray | None:
    for g in layout.groups:
        if g.field == field:
            return np.column_stack([columns[c] for c in g.columns])
    return None


def _check(
    layout: ColumnLayout,
    columns: dict[str, FloatArray],
    previous: dict[str, FloatArray] | None,
    seen: int,
    problem_at: Callable[[int, Problem], NoReturn],
) -> None:
    """find_problem on the block with the previous block's last row in front. The
    rules within a row were checked with that row's block, so the previous row and
    the block's first row are checked together (the step in time between them, and
    any problem of that first row, in find_problem's order), then the block alone."""
    if previous is not None:
        edge = {k: np.concatenate((previous[k], v[:1])) for k, v in columns.items()}
        problem = find_problem(edge, layout)
        if problem is not None:
            problem_at(seen - 1 + problem.index, problem)
    problem = find_problem(columns, layout)
    if problem is not None:
        problem_at(seen + problem.index, problem)
