"""A first-in first-out queue of record batches on disk (the writer's outage buffer).

Layout of the spool folder:

* ``seg-000000000001.spool`` …: append-only segment files. Each batch is one frame:
  ``b"SLB1"``, payload length (u32), points (u32), CRC-32 of the payload (u32), all
  little-endian, then the payload: the batch as JSON (:func:`encode_records`). Every
  append is flushed and fsynced before :meth:`Spool.append` returns. A process
  always appends to a new segment, so a frame torn by a crash is only ever at the
  end of an old segment, where reading stops.
* ``head``: the segment and offset of the oldest batch not yet written to the
  store, replaced atomically after each batch is written. (It is not fsynced: after
  a power cut a batch may be replayed twice, which the stores' idempotent writes
  make harmless.)
* ``lock``: held (``flock``) by the one writer using the folder.

When the spool holds more than ``max_bytes``, whole segments are dropped, oldest
first (counted and logged as errors by the caller).

Records round-trip exactly: arrays as base64 of their little-endian bytes (NaN and
its bits kept), floats as JSON numbers (repr: exact), ``NaN`` / ``Infinity`` in
event payloads as JSON's non-standard tokens that Python reads back.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import struct
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import numpy as np

from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    TimelineChunk,
    points_of,
)

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MAGIC: Final = b"SLB1"
_HEADER: Final = struct.Struct("<4sIII")
HEADER_BYTES: Final = _HEADER.size
MAX_FRAME_BYTES: Final = 1 << 30

_I8: Final = np.dtype("i1")
_F8: Final = np.dtype("<f8")


# --- records <-> JSON ----------------------------------------------------------------


def _b64(array: np.ndarray[Any, Any], dtype: np.dtype[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _unb64(text: str, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).copy()


def record_to_json(record: HistoryRecord) -> dict[str, Any]:
    if isinstance(record, TimelineChunk):
        return {
            "type": "timeline",
            "user": record.user,
            "t0_s": int(record.t0_s),
            "posture": _b64(record.posture, _I8),
            "hip_flexion_deg": _b64(record.hip_flexion_deg, _F8),
            "data": _b64(record.data, _I8),
            "device": record.device,
            "sensor_kind": record.sensor_kind,
        }
    if isinstance(record, EventRecord):
        return {
            "type": "event",
            "user": record.user,
            "t_s": record.t_s,
            "source": record.source,
            "kind": record.kind,
            "id": record.id,
            "value": record.value,
            "message": record.message,
            "payload": record.payload,
        }
    if isinstance(record, BoutRecord):
        return {
            "type": "bout",
            "user": record.user,
            "start_s": record.start_s,
            "end_s": record.end_s,
            "seated_s": record.seated_s,
            "micro_breaks": record.micro_breaks,
            "hip_gt90_s": record.hip_gt90_s,
            "hip_dose_deg_min": record.hip_dose_deg_min,
            "ended_by": record.ended_by,
            "gap_s": record.gap_s,
        }
    if isinstance(record, DailyRecord):
        return {
            "type": "daily",
            "user": record.user,
            "date": record.date,
            "t_s": record.t_s,
            "compression_s": record.compression_s,
            "hip_gt90_s": record.hip_gt90_s,
            "bouts_over_30": record.bouts_over_30,
            "saddle_s": record.saddle_s,
            "prompted": record.prompted,
            "taken": record.taken,
            "natural": record.natural,
            "late": record.late,
            "snoozed": record.snoozed,
            "ignored": record.ignored,
        }
    if isinstance(record, PainReport):
        return {
            "type": "pain",
            "user": record.user,
            "t_s": record.t_s,
            "score": record.score,
            "when": record.when,
            "note": record.note,
        }
    raise TypeError(f"not a history record: {type(record).__name__}")


def record_from_json(doc: dict[str, Any]) -> HistoryRecord:
    kind = doc.pop("type")
    if kind == "timeline":
        return TimelineChunk(
            doc["user"],
            int(doc["t0_s"]),
            _unb64(doc["posture"], _I8),
            _unb64(doc["hip_flexion_deg"], _F8).astype(np.float64, copy=False),
            _unb64(doc["data"], _I8),
            device=doc.get("device", ""),
            sensor_kind=doc.get("sensor_kind", ""),
        )
    if kind == "event":
        return EventRecord(**doc)
    if kind == "bout":
        return BoutRecord(**doc)
    if kind == "daily":
        return DailyRecord(**doc)
    if kind == "pain":
        return PainReport(**doc)
    raise ValueError(f"unknown record type {kind!r}")


def _plain(value: Any) -> Any:
    """numpy scalars (in counts or payloads) as Python numbers for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode_records(records: Sequence[HistoryRecord]) -> bytes:
    return json.dumps(
        [record_to_json(r) for r in records], separators=(",", ":"), default=_plain
    ).encode("utf-8")


def decode_records(payload: bytes) -> list[HistoryRecord]:
    docs = json.loads(payload)
    if not isinstance(docs, list):
        raise ValueError("a spooled batch is not a list")
    return [record_from_json(d) for d in docs]


# --- the spool -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One spooled batch: where it is and how many points it holds."""

    seq: int
    offset: int
    length: int
    """Payload bytes."""
    points: int

    @property
    def end(self) -> int:
        return self.offset + HEADER_BYTES + self.length

    @property
    def size(self) -> int:
        return HEADER_BYTES + self.length


@dataclass(frozen=True, slots=True)
class Dropped:
    """Batches removed from the spool without being written."""

    batches: int
    points: int
    bytes: int
    why: str


class SpoolLockedError(RuntimeError):
    """Another writer uses the same spool folder."""


class Spool:
    """The FIFO of batches in ``directory`` (created if missing)."""

    def __init__(
        self, directory: Path, *, max_bytes: int, segment_bytes: int | None = None
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes or max(4096, min(8 << 20, max_bytes // 8))
        self._lock_file: IO[bytes] | None = None
        self._take_lock()
        self._frames: deque[Frame] = deque()
        self.points = 0
        """Points in the spool (not yet written to the store)."""
        self.bytes = 0
        """Bytes of the batches in the spool."""
        self.recovered: list[Dropped] = []
        """What opening the spool had to give up (torn or corrupt frames)."""
        self._segments: list[int] = []
        self._closed = False
        self._scan()
        # never reuse a segment number at or below the head's (it would be skipped)
        self._write_seq = max(self._segments[-1] if self._segments else 0, self._read_head()[0]) + 1
        self._write_file: IO[bytes] | None = None
        self._write_size = 0

    # --- opening ---------------------------------------------------------------------

    def _take_lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        f = (self.directory / "lock").open("a+b")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise SpoolLockedError(
                f"the history spool {self.directory} is in use by another sitload process; "
                "give each running service its own state folder"
            ) from None
        self._lock_file = f

    def _path(self, seq: int) -> Path:
        return self.directory / f"seg-{seq:012d}.spool"

    def _read_head(self) -> tuple[int, int]:
        try:
            seq, offset = (self.directory / "head").read_text(encoding="ascii").split()
            return int(seq), int(offset)
        except (OSError, ValueError):
            return 0, 0

    def _write_head(self, seq: int, offset: int) -> None:
        tmp = self.directory / "head.tmp"
        tmp.write_text(f"{seq} {offset}\n", encoding="ascii")
        os.replace(tmp, self.directory / "head")

    def _scan(self) -> None:
        segments = sorted(
            int(p.name[4:-6]) for p in self.directory.glob("seg-*.spool") if p.name[4:-6].isdigit()
        )
        head_seq, head_offset = self._read_head()
        for seq in segments:
            if seq < head_seq:
                self._path(seq).unlink(missing_ok=True)
                continue
            start = head_offset if seq == head_seq else 0
            frames, torn = self._scan_segment(seq, start)
            if torn:
                self.recovered.append(Dropped(0, 0, torn, f"torn end of {self._path(seq).name}"))
            if frames:
                self._frames.extend(frames)
                self._segments.append(seq)
            else:
                self._path(seq).unlink(missing_ok=True)
        self.points = sum(f.points for f in self._frames)
        self.bytes = sum(f.size for f in self._frames)

    def _scan_segment(self, seq: int, start: int) -> tuple[list[Frame], int]:
        """The frames of a segment from ``start`` (headers only) and the bytes after the
        last whole frame (a torn write)."""
        path = self._path(seq)
        try:
            size = path.stat().st_size
            f = path.open("rb")
        except OSError:
            return [], 0
        frames = []
        offset = start
        with f:
            while offset + HEADER_BYTES <= size:
                f.seek(offset)
                magic, length, points, _crc = _HEADER.unpack(f.read(HEADER_BYTES))
                if magic != MAGIC or length > MAX_FRAME_BYTES:
                    break
                if offset + HEADER_BYTES + length > size:
                    break
                frames.append(Frame(seq, offset, length, points))
                offset += HEADER_BYTES + length
        return frames, size - offset

    # --- state -------------------------------------------------------------------------

    @property
    def batches(self) -> int:
        return len(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    # --- appending -----------------------------------------------------------------------

    def append(self, records: Sequence[HistoryRecord]) -> tuple[int, list[Dropped]]:
        """Add a batch at the tail (durable when this returns); the points it holds, and
        what was dropped from the head to keep the spool under ``max_bytes``."""
        if self._closed:
            raise RuntimeError(f"the history spool {self.directory} is closed")
        payload = encode_records(records)
        points = sum(points_of(r) for r in records)
        frame_bytes = _HEADER.pack(MAGIC, len(payload), points, zlib.crc32(payload)) + payload
        if self._write_file is None or self._write_size >= self.segment_bytes:
            self._rotate()
        f = self._write_file
        assert f is not None
        f.write(frame_bytes)
        f.flush()
        os.fsync(f.fileno())
        frame = Frame(self._write_seq, self._write_size, len(payload), points)
        self._write_size += frame.size
        self._frames.append(frame)
        self.points += points
        self.bytes += frame.size
        return points, self._enforce_limit()

    def _rotate(self) -> None:
        if self._write_file is not None:
            self._write_file.close()
            self._write_seq += 1
        self._write_file = self._path(self._write_seq).open("ab")
        self._write_size = 0
        self._segments.append(self._write_seq)
        _fsync_dir(self.directory)

    def _enforce_limit(self) -> list[Dropped]:
        dropped = []
        while self.bytes > self.max_bytes and self._frames:
            seq = self._frames[0].seq
            if seq == self._write_seq and self._write_file is not None:
                self._write_file.close()
                self._write_file = None  # the next append starts a new segment
                self._write_seq += 1
            gone = []
            while self._frames and self._frames[0].seq == seq:
                gone.append(self._frames.popleft())
            self._forget(gone)
            self._remove_segment(seq)
            dropped.append(
                Dropped(
                    len(gone),
                    sum(f.points for f in gone),
                    sum(f.size for f in gone),
                    f"spool over {self.max_bytes} bytes",
                )
            )
        return dropped

    def _forget(self, frames: Sequence[Frame]) -> None:
        self.points -= sum(f.points for f in frames)
        self.bytes -= sum(f.size for f in frames)

    def _remove_segment(self, seq: int) -> None:
        self._path(seq).unlink(missing_ok=True)
        with contextlib.suppress(ValueError):
            self._segments.remove(seq)
        if self._frames:
            head = self._frames[0]
            self._write_head(head.seq, head.offset)
        else:
            self._write_head(self._write_seq, self._write_size if self._write_file else 0)

    # --- reading from the head ---------------------------------------------------------

    def peek(self) -> tuple[Frame, list[HistoryRecord] | None] | None:
        """The oldest batch (None: empty). Its records are None when the frame is
        corrupt (the caller drops it with :meth:`pop` and counts it)."""
        if not self._frames:
            return None
        frame = self._frames[0]
        try:
            with self._path(frame.seq).open("rb") as f:
                f.seek(frame.offset)
                raw = f.read(frame.size)
            magic, length, _points, crc = _HEADER.unpack(raw[:HEADER_BYTES])
            payload = raw[HEADER_BYTES:]
            if magic != MAGIC or length != len(payload) or zlib.crc32(payload) != crc:
                raise ValueError("bad header or checksum")
            return frame, decode_records(payload)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error(
                "history spool: batch at %s:%d is unreadable (%s)",
                self._path(frame.seq).name,
                frame.offset,
                exc,
            )
            return frame, None

    def pop(self, frame: Frame) -> None:
        """Forget the oldest batch (written, or unreadable)."""
        if not self._frames or self._frames[0] != frame:
            return
        self._frames.popleft()
        self._forget([frame])
        if self._frames and self._frames[0].seq == frame.seq:
            self._write_head(frame.seq, frame.end)
            return
        # the segment is done
        if frame.seq == self._write_seq and self._write_file is not None:
            # the segment still being appended to: keep it, head at its end
            self._write_head(frame.seq, frame.end)
            return
        self._remove_segment(frame.seq)

    def close(self) -> None:
        self._closed = True
        if self._write_file is not None:
            self._write_file.close()
            self._write_file = None
            if not any(f.seq == self._write_seq for f in self._frames):
                # everything in it was written to the store (or nothing was appended)
                self._path(self._write_seq).unlink(missing_ok=True)
                with contextlib.suppress(ValueError):
                    self._segments.remove(self._write_seq)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
