"""The timeline kept a second time in InfluxDB, one point per user and UTC hour
(measurement ``timeline_hour``), so that a report reads 90 days as 2,160 points
instead of 7.8 million.

Each point holds the hour's 3,600 seconds exactly as the per-second ``timeline``
measurement reads back: posture (int8), data state (int8) and hip flexion (float64,
NaN unknown), packed little-endian, deflated and base64-encoded in one string
field ``z`` (at most ~49 kB; InfluxDB's string limit is 64 kB), with ``format``
(integer, 1), ``device`` and ``sensor_kind`` (strings: the source when all the
hour's written seconds had one, else empty). Seconds never written are NONWEAR /
DATA_NONE / NaN, as the per-second read gives them.

When the block is written (by :class:`HourBlocks`, inside the InfluxDB stores'
``write``):

* an hour that a write completes (it holds the hour's last second) or covers
  whole: its block is written in the same request as its seconds. Seconds of the
  hour that this process did not write (a restart, a write starting mid-hour) are
  read back from the store first (its block, else its seconds), and merged the way
  InfluxDB merges points: a later second replaces posture and data, and its hip
  flexion only when known (an absent field keeps the stored one);
* the hour in progress (the live service's current hour, the last hour of an
  import) waits in memory until a write completes it, and the store writes a blank
  block for it meanwhile (``format`` 0, no ``z``: read the seconds), so that a block
  written before for that hour is never read stale; closing the store writes the
  pending hours as they are (:meth:`HourBlocks.flush`).

Reading (:func:`read_hours`): hours with a block come from it; the others (histories
written before blocks existed, the hour in progress, a pending hour lost in a
crash) are read second by second. So a history written by an older sitload reads
exactly as before, only slower; ``sitload history compact`` writes its blocks.

One process writes a user's timeline at a time (as everywhere in the history).
"""

from __future__ import annotations

import base64
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from influxdb_client.domain.write_precision import WritePrecision

from analytics.live import DATA_NONE
from collector.sinks.history import influx_lines as lp
from collector.sinks.history.model import TimelineChunk, empty_timeline

HOUR_S: Final = 3600
MEASUREMENT: Final = "timeline_hour"
FORMAT: Final = 1
PENDING_MAX: Final = 64
"""Hours kept in memory waiting for their end (one per live user; the oldest is
forgotten beyond this: it then reads second by second)."""


def hour_of(t_s: int) -> int:
    return t_s - t_s % HOUR_S


def encode(posture: np.ndarray, data: np.ndarray, hip: np.ndarray) -> str:
    raw = (
        posture.astype(np.int8).tobytes()
        + data.astype(np.int8).tobytes()
        + hip.astype("<f8").tobytes()
    )
    return base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


@dataclass(frozen=True, slots=True)
class HourBlock:
    hour_s: int
    posture: np.ndarray
    data: np.ndarray
    hip_flexion_deg: np.ndarray
    device: str = ""
    sensor_kind: str = ""


def decode(hour_s: int, z: str, device: str = "", sensor_kind: str = "") -> HourBlock:
    raw = zlib.decompress(base64.b64decode(z))
    if len(raw) != HOUR_S * 10:
        raise ValueError(f"a timeline_hour block of {len(raw)} bytes (expected {HOUR_S * 10})")
    return HourBlock(
        hour_s,
        np.frombuffer(raw, np.int8, HOUR_S, 0),
        np.frombuffer(raw, np.int8, HOUR_S, HOUR_S),
        np.frombuffer(raw, "<f8", HOUR_S, 2 * HOUR_S).astype(np.float64),
        device,
        sensor_kind,
    )


def block_line(user: str, block: HourBlock) -> str:
    z = encode(block.posture, block.data, block.hip_flexion_deg)
    point = (
        lp.Point(MEASUREMENT)
        .tag("user", user)
        .field("format", FORMAT)
        .field("device", block.device)
        .field("sensor_kind", block.sensor_kind)
        .field("z", z)
        .time(block.hour_s, WritePrecision.S)
    )
    return str(point.to_line_protocol())


def blank_line(user: str, hour_s: int) -> str:
    """A block that says "no block": the reader reads the hour's seconds."""
    point = lp.Point(MEASUREMENT).tag("user", user).field("format", 0).field("z", "")
    return str(point.time(hour_s, WritePrecision.S).to_line_protocol())


@dataclass(slots=True)
class _Pending:
    posture: np.ndarray
    data: np.ndarray
    hip: np.ndarray
    written: np.ndarray
    """Seconds written by this process."""
    sources: set[tuple[str, str]]


ReadBack = Callable[[str, int], HourBlock]
"""The stored hour (its block, else its seconds) of a user."""


class HourBlocks:
    """Builds the ``timeline_hour`` lines of the timeline chunks a store writes."""

    def __init__(self, read_back: ReadBack, pending_max: int = PENDING_MAX) -> None:
        self.read_back = read_back
        self.pending_max = pending_max
        self._pending: OrderedDict[tuple[str, int], _Pending] = OrderedDict()

    def lines(self, chunks: list[TimelineChunk]) -> Iterator[str]:
        """The blocks of the hours these chunks complete, in order; then a blank block
        (``format`` 0: read the seconds) for each hour they leave pending that was not
        pending before, so that a block stored earlier is never read stale."""
        new: list[tuple[str, int]] = []
        for chunk in chunks:
            end = chunk.t0_s + chunk.n
            for h in range(hour_of(chunk.t0_s), end, HOUR_S):
                a, b = max(h, chunk.t0_s), min(h + HOUR_S, end)
                if (chunk.user, h) not in self._pending:
                    new.append((chunk.user, h))
                entry = self._entry(chunk.user, h)
                lo, hi = a - h, b - h
                src = slice(a - chunk.t0_s, b - chunk.t0_s)
                entry.posture[lo:hi] = chunk.posture[src]
                entry.data[lo:hi] = chunk.data[src]
                hip = chunk.hip_flexion_deg[src]
                known = ~np.isnan(hip)
                entry.hip[lo:hi][known] = hip[known]
                entry.written[lo:hi] = True
                entry.sources.add((chunk.device, chunk.sensor_kind))
                if b == h + HOUR_S:
                    yield self._finish(chunk.user, h)
        for user, h in new:
            if (user, h) in self._pending:
                yield blank_line(user, h)

    def flush(self) -> Iterator[str]:
        """The blocks of the pending hours as they are now (and forget them)."""
        for user, h in list(self._pending):
            yield self._finish(user, h)

    def _entry(self, user: str, h: int) -> _Pending:
        key = (user, h)
        entry = self._pending.get(key)
        if entry is None:
            blank = empty_timeline(user, h, HOUR_S)
            entry = _Pending(
                blank.posture,
                blank.data,
                blank.hip_flexion_deg,
                np.zeros(HOUR_S, dtype=bool),
                set(),
            )
            self._pending[key] = entry
            while len(self._pending) > self.pending_max:
                self._pending.popitem(last=False)
        return entry

    def _finish(self, user: str, h: int) -> str:
        entry = self._pending.pop((user, h))
        posture, data, hip = entry.posture, entry.data, entry.hip
        sources = entry.sources
        if not entry.written.all():
            stored = self.read_back(user, h)
            new = entry.written
            posture = np.where(new, posture, stored.posture)
            data = np.where(new, data, stored.data)
            hip = np.where(~np.isnan(hip), hip, stored.hip_flexion_deg)
            if (stored.data[~new] != DATA_NONE).any() or not np.isnan(
                stored.hip_flexion_deg[~new]
            ).all():
                sources = sources | {(stored.device, stored.sensor_kind)}
        device, kind = next(iter(sources)) if len(sources) == 1 else ("", "")
        return block_line(user, HourBlock(h, posture, data, hip, device, kind))


__all__ = [
    "FORMAT",
    "HOUR_S",
    "MEASUREMENT",
    "HourBlock",
    "HourBlocks",
    "blank_line",
    "block_line",
    "decode",
    "encode",
    "hour_of",
]
