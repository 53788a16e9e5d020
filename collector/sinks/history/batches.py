"""The writer's in-memory queue and how records are cut and joined into batches.

* :class:`Inbox`: the records submitted and not taken yet, counted in points and in
  estimated bytes (:func:`memory_of`), with the time the oldest arrived (the
  writer's flush clock). Not thread-safe: the writer guards it with its condition.
* :func:`coalesce`: consecutive seconds of one timeline become one chunk;
* :func:`split_timeline`: a chunk cut where a batch is full;
* :func:`own`: a chunk copied into arrays of its own (the caller may reuse its
  buffers after ``submit``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from collector.sinks.history.model import HistoryRecord, TimelineChunk, points_of

RECORD_BYTES = 512
"""What one queued record costs in memory besides its seconds, roughly (the object,
its strings, a timeline chunk's three array headers)."""
SECOND_BYTES = 10
"""One timeline second: posture (int8), hip flexion (float64), data state (int8)."""


def memory_of(record: HistoryRecord) -> int:
    """The estimated bytes a queued record holds (what the queue's bound counts)."""
    if isinstance(record, TimelineChunk):
        return RECORD_BYTES + SECOND_BYTES * record.n
    return RECORD_BYTES


def coalesce(records: Sequence[HistoryRecord]) -> list[HistoryRecord]:
    """Join timeline chunks of one (user, device, sensor kind) that continue each
    other; everything else keeps its place (a later chunk for the same key is only
    joined to the latest one, so overwrites keep their order)."""
    out: list[HistoryRecord] = []
    parts: dict[int, list[TimelineChunk]] = {}
    last: dict[tuple[str, str, str], int] = {}
    for r in records:
        if isinstance(r, TimelineChunk):
            key = (r.user, r.device, r.sensor_kind)
            i = last.get(key)
            if i is not None:
                tail = parts[i][-1]
                if tail.t0_s + tail.n == r.t0_s:
                    parts[i].append(r)
                    continue
            last[key] = len(out)
            parts[len(out)] = [r]
        out.append(r)
    for i, chunks in parts.items():
        if len(chunks) > 1:
            first = chunks[0]
            out[i] = TimelineChunk(
                first.user,
                first.t0_s,
                np.concatenate([c.posture for c in chunks]),
                np.concatenate([c.hip_flexion_deg for c in chunks]),
                np.concatenate([c.data for c in chunks]),
                device=first.device,
                sensor_kind=first.sensor_kind,
            )
    return out


def split_timeline(chunk: TimelineChunk, n: int) -> tuple[TimelineChunk, TimelineChunk]:
    """The first ``n`` seconds and the rest."""

    def part(a: int, b: int | None) -> TimelineChunk:
        return TimelineChunk(
            chunk.user,
            chunk.t0_s + a,
            chunk.posture[a:b],
            chunk.hip_flexion_deg[a:b],
            chunk.data[a:b],
            device=chunk.device,
            sensor_kind=chunk.sensor_kind,
        )

    return part(0, n), part(n, None)


def own(record: HistoryRecord) -> HistoryRecord:
    """A timeline chunk with arrays of its own (the caller may reuse its buffers)."""
    if not isinstance(record, TimelineChunk):
        return record
    return TimelineChunk(
        record.user,
        int(record.t0_s),
        np.array(record.posture, dtype=np.int8),
        np.array(record.hip_flexion_deg, dtype=np.float64),
        np.array(record.data, dtype=np.int8),
        device=record.device,
        sensor_kind=record.sensor_kind,
    )


class Inbox:
    """Records waiting for the writer thread, oldest first."""

    def __init__(self) -> None:
        self._records: deque[HistoryRecord] = deque()
        self.points = 0
        """Points queued (one per timeline second, one per other record)."""
        self.bytes = 0
        """Estimated memory of the queued records (:func:`memory_of`)."""
        self.first_at = 0.0
        """When the oldest queued record arrived (or the last batch was taken)."""

    def __bool__(self) -> bool:
        return bool(self._records)

    def add(self, records: Sequence[HistoryRecord], points: int, now: float) -> None:
        if not self._records:
            self.first_at = now
        self._records.extend(records)
        self.points += points
        self.bytes += sum(memory_of(r) for r in records)

    def take(self, max_points: int, now: float) -> tuple[list[HistoryRecord], int]:
        """Up to ``max_points`` points from the head (a timeline chunk is cut to fit),
        and how many points they are."""
        batch: list[HistoryRecord] = []
        points = 0
        while self._records and points < max_points:
            record = self._records.popleft()
            n = points_of(record)
            room = max_points - points
            self.bytes -= memory_of(record)
            if n > room and isinstance(record, TimelineChunk):
                record, rest = split_timeline(record, room)
                self._records.appendleft(rest)
                self.bytes += memory_of(rest)
                n = room
            batch.append(record)
            points += n
        self.points -= points
        if self._records:
            self.first_at = now
        return batch, points

    def drain(self) -> list[HistoryRecord]:
        """Everything queued, oldest first; the inbox is empty afterwards."""
        rest = list(self._records)
        self._records.clear()
        self.points = self.bytes = 0
        return rest
