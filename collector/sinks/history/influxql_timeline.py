"""Reading the timeline back from InfluxDB: hour blocks where there are some
(:mod:`.timeline_hours`), the per-second points for the rest.

90 days of seconds are 7.8 M points, which InfluxDB 1.x alone needs ~20 s to
answer; the same 90 days as ``timeline_hour`` blocks are 2,160 points. The seconds
are read only for hours without a block: a history written before blocks existed
(until ``sitload history compact``), the hour in progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np

from collector.sinks.history import influx_lines as lp
from collector.sinks.history import timeline_hours as th
from collector.sinks.history.influxql_answers import Epoch, Series
from collector.sinks.history.model import TimelineChunk, blank_timeline, with_source


class QueryReader(Protocol):
    """What the timeline reads through (:class:`.influxql.InfluxQLReader`)."""

    def measurement(self, name: str) -> str: ...

    def where(self, user: str, a: int, b: int, extra: str = "") -> str: ...

    def stream(
        self, q: str, epoch: Epoch, cut: list[bool] | None = None, *, numeric: bool = False
    ) -> Iterator[Series]: ...

    def select(
        self,
        build: Callable[[int, int], str],
        from_ns: int,
        to_ns: int,
        epoch: Epoch,
        page_s: int | None = None,
        *,
        numeric: bool = False,
    ) -> Iterator[Series]: ...


_NS: int = 1_000_000_000
BLOCK_PAGE_S = 7 * 86_400
"""A week of hour blocks per query (168 points, at most ~8 MB)."""


def read_blocks(
    reader: QueryReader, user: str, from_hour_s: int, to_s: int
) -> dict[int, th.HourBlock]:
    """The hour blocks of ``user`` whose hour starts in ``[from_hour_s, to_s)``."""
    table = reader.measurement(th.MEASUREMENT)

    def build(a: int, b: int) -> str:
        return (
            f'SELECT "z", "device", "sensor_kind", "format" FROM {table} {reader.where(user, a, b)}'
        )

    out: dict[int, th.HourBlock] = {}
    for series in reader.select(build, from_hour_s * _NS, to_s * _NS, "s", page_s=BLOCK_PAGE_S):
        cols = series.columns
        if "z" not in cols or "format" not in cols:
            continue
        at = {c: cols.index(c) for c in ("time", "z", "format")}
        dev, kind = (cols.index(c) if c in cols else None for c in ("device", "sensor_kind"))
        for row in series.values:
            z = row[at["z"]]
            if not z or row[at["format"]] != th.FORMAT:
                continue  # no block (format 0) or another format: its seconds are read
            hour = int(row[at["time"]])
            device = (row[dev] if dev is not None else None) or ""
            sensor_kind = (row[kind] if kind is not None else None) or ""
            out[hour] = th.decode(hour, z, device, sensor_kind)
    return out


def read_seconds(
    reader: QueryReader,
    out: TimelineChunk,
    start_s: int,
    end_s: int,
    sources: set[tuple[str, str]],
) -> None:
    """The per-second points of ``[start_s, end_s)`` into ``out``'s arrays."""
    t0, n = out.t0_s, out.n
    table = reader.measurement(lp.TIMELINE)

    def build(a: int, b: int) -> str:
        return (
            f'SELECT "posture", "hip_flexion_deg", "data" FROM {table} '
            f'{reader.where(out.user, a, b)} GROUP BY "device", "sensor_kind"'
        )

    for series in reader.select(build, start_s * _NS, end_s * _NS, "s", numeric=True):
        if not len(series):
            continue
        cols = series.columns
        rows = series.numbers
        if rows is None:
            rows = np.array(series.values, dtype=np.float64)  # None → NaN
        idx = rows[:, cols.index("time")].astype(np.int64) - t0
        keep = (idx >= 0) & (idx < n)
        idx = idx[keep]
        p = rows[keep, cols.index("posture")]
        d = rows[keep, cols.index("data")]
        known = ~np.isnan(p)
        out.posture[idx[known]] = p[known].astype(np.int8)
        out.hip_flexion_deg[idx] = rows[keep, cols.index("hip_flexion_deg")]
        known = ~np.isnan(d)
        out.data[idx[known]] = d[known].astype(np.int8)
        sources.add((lp.untag(series.tags.get("device")), lp.untag(series.tags.get("sensor_kind"))))


def read_timeline(
    reader: QueryReader, user: str, from_s: float, to_s: float, *, blocks: bool = True
) -> TimelineChunk:
    """Every second in ``[floor(from_s), ceil(to_s))`` (``blocks=False``: every one
    from the per-second points, as before the blocks)."""
    out = blank_timeline(user, from_s, to_s)
    t0, end = out.t0_s, out.t0_s + out.n
    sources: set[tuple[str, str]] = set()
    if out.n == 0:
        return out
    found = read_blocks(reader, user, th.hour_of(t0), end) if blocks else {}
    missing: list[tuple[int, int]] = []
    for h in range(th.hour_of(t0), end, th.HOUR_S):
        a, b = max(h, t0), min(h + th.HOUR_S, end)
        block = found.get(h)
        if block is None:
            if missing and missing[-1][1] == a:
                missing[-1] = (missing[-1][0], b)
            else:
                missing.append((a, b))
            continue
        src, dst = slice(a - h, b - h), slice(a - t0, b - t0)
        out.posture[dst] = block.posture[src]
        out.data[dst] = block.data[src]
        out.hip_flexion_deg[dst] = block.hip_flexion_deg[src]
        if block.device or block.sensor_kind:
            sources.add((block.device, block.sensor_kind))
    for a, b in missing:
        read_seconds(reader, out, a, b, sources)
    return with_source(out, sources)


def hour_back(reader: QueryReader) -> th.ReadBack:
    """What :class:`~.timeline_hours.HourBlocks` reads back: the stored hour."""

    def read(user: str, hour_s: int) -> th.HourBlock:
        c = read_timeline(reader, user, hour_s, hour_s + th.HOUR_S)
        return th.HourBlock(hour_s, c.posture, c.data, c.hip_flexion_deg, c.device, c.sensor_kind)

    return read


def data_span(reader: QueryReader, user: str) -> tuple[int, int] | None:
    """The first and last second of ``user``'s per-second points (None: none)."""
    table = reader.measurement(lp.TIMELINE)
    where = reader.where(user, 0, 2**62)
    ends: list[int] = []
    for fn in ("FIRST", "LAST"):
        for series in reader.stream(f'SELECT {fn}("data") FROM {table} {where}', "s"):
            ends.extend(int(row[0]) for row in series.values)
    return (min(ends), max(ends)) if ends else None


def compact_lines(
    reader: QueryReader, user: str, from_s: int, to_s: int, now_s: float
) -> Iterator[str]:
    """The hour blocks of the hours in ``[from_s, to_s)`` before the hour in progress
    at ``now_s``, made from their per-second points (a history written before the
    blocks), a day at a time."""
    end = min(to_s, th.hour_of(int(now_s)))
    for day in range(th.hour_of(from_s), end, 86_400):
        stop = min(day + 86_400, th.hour_of(end - 1) + th.HOUR_S, end)
        c = read_timeline(reader, user, day, stop, blocks=False)
        for h in range(day, stop, th.HOUR_S):
            part = slice(h - day, h - day + th.HOUR_S)
            block = th.HourBlock(
                h, c.posture[part], c.data[part], c.hip_flexion_deg[part], c.device, c.sensor_kind
            )
            yield th.block_line(user, block)
