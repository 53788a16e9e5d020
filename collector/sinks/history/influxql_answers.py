"""Reading the answers of InfluxDB's ``/query``: JSON objects, one per line when the
answer is chunked, each with ``results`` → ``series`` (name, tags, columns, values).

The per-second timeline is the bulk of every read (86,400 rows a day), so an
answer whose values are all numbers (or null) can be read without making a Python
object per value: :func:`numeric_answer` cuts each ``"values"`` array out of the
line, parses it as CSV with pyarrow into a float64 array (rows × columns, NaN for
null; exact: the same correctly rounded conversion as ``float``) and decodes only
the rest as JSON. Anything else (strings, booleans) goes through :func:`json.loads`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import urllib3

from collector.sinks.history.influx_http import trim
from collector.sinks.history.model import (
    RideRecord,
    StoreNotReadableError,
    StoreUnavailableError,
)

_VALUES: Final = b'"values":['
_NOT_NUMERIC: Final = (b'"', b"true", b"false")


Epoch = Literal["s", "ms", "u"]
"""The unit of the ``time`` column an answer is asked in."""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]
    """The rows as JSON gave them ([] when they were read as ``numbers``)."""
    partial: bool = False
    numbers: np.ndarray[Any, np.dtype[np.float64]] | None = None
    """The rows as a float64 array (NaN for null), when the answer was numeric."""

    def __len__(self) -> int:
        return len(self.values) if self.numbers is None else int(self.numbers.shape[0])

    def last_time(self) -> int | None:
        """The time of the last row (the first column), when it is a whole number."""
        if self.numbers is not None:
            return int(self.numbers[-1, 0]) if self.numbers.shape[0] else None
        if self.values and isinstance(self.values[-1][0], int):
            return int(self.values[-1][0])
        return None


def _numbers(text: bytes) -> np.ndarray[Any, Any] | None:
    """``[[1,2.5],[2,null]]`` as a rows × columns float64 array (NaN for null), or
    None when the rows do not all hold the same number of numbers. pyarrow's CSV
    reader (C++, exact, releases the GIL) when it is installed (the ``[parquet]``
    extra)."""
    body = text[2:-2].replace(b"],[", b"\n")
    rows = body.count(b"\n") + 1
    first = body.find(b"\n")
    columns = body[: first if first >= 0 else len(body)].count(b",") + 1
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
    except ImportError:  # the core install: numpy's parser
        flat = np.fromstring(  # text mode (sep=","): parses in C
            body.replace(b"\n", b",").replace(b"null", b"nan"), dtype=np.float64, sep=","
        )
        return flat.reshape(rows, columns) if flat.size == rows * columns else None
    names = [f"c{i}" for i in range(columns)]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pa_csv.ParseOptions(quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float64()), null_values=["null"]
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != rows:
        return None
    out = np.empty((rows, columns), dtype=np.float64)
    for j in range(columns):
        out[:, j] = table.column(j).to_numpy(zero_copy_only=False)
    return out


def numeric_answer(line: bytes) -> tuple[dict[str, Any], list[np.ndarray[Any, Any]]] | None:
    """One JSON object of an answer with every series' values cut out (left as ``[]``),
    and those values as float64 arrays (rows × columns, in the order of the series); None when
    some value is not a number or null."""
    parts: list[bytes] = []
    arrays: list[np.ndarray[Any, Any]] = []
    pos = 0
    while (i := line.find(_VALUES, pos)) >= 0:
        start = i + len(_VALUES) - 1  # at the "["
        flat: np.ndarray[Any, Any]
        if line.startswith(b"[]", start):
            end = start + 2
            flat = np.empty(0)
        else:
            end = line.find(b"]]", start)
            if end < 0:
                return None
            end += 2
            text = line[start:end]
            if any(bad in text for bad in _NOT_NUMERIC):
                return None
            found = _numbers(text)
            if found is None:
                return None
            flat = found
        parts += [line[pos:start], b"[]"]
        arrays.append(flat)
        pos = end
    parts.append(line[pos:])
    doc = json.loads(b"".join(parts))
    return (doc, arrays) if isinstance(doc, dict) else None


def series_of(
    doc: dict[str, Any],
    q: str,
    where: str,
    numbers: list[np.ndarray[Any, Any]] | None = None,
) -> Iterator[tuple[dict[str, Any], Series | None]]:
    """(result, None) for each result of a decoded answer, then (result, series) for
    each of its series. ``where`` names the server in errors; ``numbers``: the values
    :func:`numeric_answer` cut out, in order. A database not found reads as empty."""
    if "error" in doc:
        raise StoreUnavailableError(f"{where}: query failed: {trim(str(doc['error']))}")
    arrays = iter(numbers or ())
    for result in doc.get("results", ()):
        error = result.get("error")
        if error:
            if "database not found" in error:
                continue
            raise RuntimeError(f"InfluxQL {trim(q)!r} failed: {trim(error)}")
        yield result, None
        for s in result.get("series", ()):
            _check_columns(q, where, list(s.get("columns") or ()))
            array = next(arrays, None) if numbers is not None and "values" in s else None
            if array is not None and array.ndim != 2:
                array = array.reshape(0, len(s.get("columns") or ()))
            yield (
                result,
                Series(
                    s.get("name", ""),
                    dict(s.get("tags") or {}),
                    list(s.get("columns") or ()),
                    list(s.get("values") or ()),
                    bool(s.get("partial", False)),
                    array,
                ),
            )


NOT_INFLUXQL = (
    "answers InfluxQL queries with something else (VictoriaMetrics accepts InfluxDB "
    "writes but cannot be queried with InfluxQL): read the history from InfluxDB or SQLite"
)


def _check_columns(q: str, where: str, columns: list[str]) -> None:
    """A SELECT answers with a ``time`` column and SHOW TAG VALUES with ``value``; a
    server that answers otherwise is not an InfluxQL server."""
    head = q.lstrip()[:16].upper()
    wanted = "time" if head.startswith("SELECT") else "value" if "TAG VALUES" in head else None
    if wanted is not None and wanted not in columns:
        raise StoreNotReadableError(f"{where} {NOT_INFLUXQL}")


def answer_lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The non-empty lines of a streamed answer (chunked InfluxQL: one JSON per line)."""
    rest = b""
    for block in response.stream(256 * 1024):
        rest += block
        *complete, rest = rest.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
    if rest.strip():
        yield rest


def _opt(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name)
    return None if value is None else float(value)


def ride_of_row(user: str, row: dict[str, Any]) -> RideRecord:
    """A ``ride`` point read back (its time in seconds); fields left out were unknown."""
    stands = row.get("stands")
    return RideRecord(
        user,
        float(row["time"]),
        float(row.get("end_s") or 0.0),
        float(row.get("riding_s") or 0.0),
        float(row.get("on_bike_s") or 0.0),
        seated_s=_opt(row, "seated_s"),
        standing_s=_opt(row, "standing_s"),
        longest_seated_bout_s=_opt(row, "longest_seated_bout_s"),
        stands=None if stands is None else int(stands),
        stands_per_hour=_opt(row, "stands_per_hour"),
        seated_hip_gt90_s=_opt(row, "seated_hip_gt90_s"),
        position_from=str(row.get("position_from") or "none"),
        source=str(row.get("source") or ""),
    )
