"""Streaming reads of long recordings: a sitload CSV is read in blocks and reduced to
per-second epochs as it goes (:class:`analytics.epoch_stream.EpochBuilder`), so the
memory of ``sitload analyze`` follows the number of seconds, not the number of
samples: a week of 50 Hz thigh + trunk samples is 2.3 GB of CSV and 0.85 GB as
float32 arrays, its epochs about 60 MB.

Same checks and the same error messages as :func:`collector.recordings.read_csv`:
every block goes through :func:`~collector.recordings.csv_format.find_problem` (with
the previous block's last row in front, so a time that goes backwards across a block
boundary is found too) and a problem names its file row. Files the block reader
cannot parse (comment lines between data rows, cells pyarrow rejects, no pyarrow) and
files with seat-mat cells (the seat features need the samples) are not streamed:
:func:`stream_epochs` returns None and the caller reads them whole.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from analytics.epoch_stream import EpochBuilder, EpochSegment
from analytics.records import FloatArray
from analytics.segments import TimeJumpParams
from collector.recordings.csv_format import (
    TIME_COLUMN,
    ColumnLayout,
    _open_text,
    _pyarrow_csv,
    _read_header,
    _strip_comment,
    classify_columns,
    find_problem,
)
from collector.recordings.csv_format import _Header as Header
from collector.recordings.errors import RecordingError

CHUNK_BYTES: Final = 1 << 20
"""CSV bytes parsed at once: about 150,000 rows of thigh + trunk, 8 MB of float64
columns; large enough that the per-block overhead is negligible."""


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
    chunk_bytes: int = CHUNK_BYTES,
) -> StreamedRecording | None:
    """The epochs of a sitload CSV read block by block, or None when this file must be
    read whole (see the module notes). Raises :class:`RecordingError` like
    :func:`~collector.recordings.read_csv` for a problem in the file."""
    pyarrow_csv = _pyarrow_csv()
    if pyarrow_csv is None:
        return None
    header = _read_header(path)
    layout, notes = classify_columns(header.names, path, row=header.row)
    fields = {g.field for g in layout.groups}
    if "seat_p" in fields or "thigh_acc_g" not in fields:
        return None
    builder = EpochBuilder(jumps)
    seen = 0
    previous: dict[str, FloatArray] | None = None
    blocks = _blocks(pyarrow_csv, path, header, layout.columns, chunk_bytes)
    try:
        for columns in blocks:
            _check(path, header, layout, columns, previous, seen)
            builder.add(
                columns[TIME_COLUMN],
                _group(columns, layout, "thigh_acc_g"),
                _group(columns, layout, "trunk_acc_g"),
                columns.get("cadence_rpm"),
            )
            seen += int(columns[TIME_COLUMN].shape[0])
            previous = {name: col[-1:] for name, col in columns.items()}
    except _BlockReaderError:
        return None
    if seen == 0:
        return None  # the whole-file reader words the "no data rows" error
    segments = builder.finish()
    rows = data_rows(path, header, [s.segment.first_sample for s in segments])
    return StreamedRecording(tuple(segments), tuple(rows), tuple(notes))


class _BlockReaderError(Exception):
    """The block reader rejected the file; the whole-file reader knows why."""


def _blocks(
    pyarrow_csv: tuple[Any, Any],
    path: str | os.PathLike[str],
    header: Header,
    used: Sequence[str],
    chunk_bytes: int,
) -> Iterator[dict[str, FloatArray]]:
    pa, pacsv = pyarrow_csv
    try:
        reader = pacsv.open_csv(
            os.fspath(path),
            read_options=pacsv.ReadOptions(
                skip_rows=header.row, column_names=list(header.names), block_size=chunk_bytes
            ),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(used),
                column_types={c: pa.float64() for c in used},
                null_values=[""],
                strings_can_be_null=False,
            ),
        )
        for batch in reader:
            if batch.num_rows == 0:
                continue
            out: dict[str, FloatArray] = {}
            for name in used:
                column = batch.column(name)
                if column.null_count:
                    column = column.fill_null(math.nan)
                out[name] = np.ascontiguousarray(column.to_numpy(), dtype=np.float64)
            yield out
    except (pa.ArrowException, ValueError, OSError):
        raise _BlockReaderError from None


def _group(columns: dict[str, FloatArray], layout: ColumnLayout, field: str) -> FloatArray | None:
    for g in layout.groups:
        if g.field == field:
            return np.column_stack([columns[c] for c in g.columns])
    return None


def _check(
    path: str | os.PathLike[str],
    header: Header,
    layout: ColumnLayout,
    columns: dict[str, FloatArray],
    previous: dict[str, FloatArray] | None,
    seen: int,
) -> None:
    """find_problem on the block, with the previous block's last row in front."""
    offset = seen
    if previous is not None:
        columns = {k: np.concatenate((previous[k], v)) for k, v in columns.items()}
        offset -= 1
    problem = find_problem(columns, layout)
    if problem is not None:
        (row,) = data_rows(path, header, [offset + problem.index])
        raise RecordingError(path, problem.message, row=row, column=problem.column)


def data_rows(path: str | os.PathLike[str], header: Header, indices: Sequence[int]) -> list[int]:
    """The file rows (line numbers) of data rows ``indices`` (0-based, skipping
    comments and blank lines), in one pass over the file."""
    wanted = sorted(set(indices))
    if not wanted:
        return []
    found: dict[int, int] = {}
    seen = -1
    k = 0
    for lineno, line in _open_text(path):
        if lineno <= header.row or not _strip_comment(line):
            continue
        seen += 1
        if seen == wanted[k]:
            found[seen] = lineno
            k += 1
            if k == len(wanted):
                break
    return [found[i] for i in indices]
