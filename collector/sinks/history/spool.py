"""A first-in first-out queue of record batches on disk (the writer's outage buffer).

Layout of the spool folder:

* ``seg-000000000001.spool`` …: append-only segment files. Each batch is one frame:
  ``b"SLB2"``, payload length (u32), points (u32), CRC-32 of the payload (u32),
  CRC-32 of these first 16 header bytes (u32), all little-endian, then the payload:
  the batch as JSON (:func:`encode_records`). Every append is flushed and fsynced
  before :meth:`Spool.append` returns; an append that fails (a full disk) is cut
  off again, so the segment keeps only whole frames. A process always appends to
  a new segment. Frames of the older ``b"SLB1"`` format (no header CRC) are read
  too.
* **Damage**: a frame whose header does not check is skipped by searching for the
  next frame whose header checks (resync); what was skipped is reported in
  :attr:`Spool.recovered` (the points, when the skipped bytes still decode as a
  batch) and counted as dropped by the writer. Bytes after the last whole frame
  of a segment that do not hold a batch are a torn append (a crash while
  appending), reported but not counted: that append never completed.
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
import errno
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

MAGIC: Final = b"SLB2"
MAGIC_V1: Final = b"SLB1"
_HEADER: Final = struct.Struct("<4sIIII")
_HEADER_V1: Final = struct.Struct("<4sIII")
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
    header_bytes: int = HEADER_BYTES
    """20 (``SLB2``) or 16 (``SLB1``)."""

    @property
    def end(self) -> int:
        return self.offset + self.header_bytes + self.length

    @property
    def size(self) -> int:
        return self.header_bytes + self.length


def frame_bytes(payload: bytes, points: int) -> bytes:
    """One ``SLB2`` frame: the header (with its own CRC) and the payload."""
    head = _HEADER_V1.pack(MAGIC, len(payload), points, zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def _frame_at(data: bytes, off: int, *, check_v1_payload: bool) -> tuple[int, int, int] | None:
    """(header bytes, payload length, points) of a whole frame whose header checks at
    ``off``, else None. A v1 header has no CRC of its own: when it is a resync
    candidate (``check_v1_payload``) its payload's CRC must match."""
    magic = data[off : off + 4]
    if magic == MAGIC and off + HEADER_BYTES <= len(data):
        _m, length, points, _crc, head_crc = _HEADER.unpack_from(data, off)
        if zlib.crc32(data[off : off + 16]) != head_crc or length > MAX_FRAME_BYTES:
            return None
        if off + HEADER_BYTES + length > len(data):
            return None
        return HEADER_BYTES, length, points
    if magic == MAGIC_V1 and off + _HEADER_V1.size <= len(data):
        _m, length, points, crc = _HEADER_V1.unpack_from(data, off)
        start = off + _HEADER_V1.size
        if length > MAX_FRAME_BYTES or start + length > len(data):
            return None
        if check_v1_payload and zlib.crc32(data[start : start + length]) != crc:
            return None
        return _HEADER_V1.size, length, points
    return None


def _next_frame(data: bytes, pos: int) -> int | None:
    """The offset of the next frame at or after ``pos`` whose header checks."""
    while pos < len(data):
        hits = [i for i in (data.find(MAGIC, pos), data.find(MAGIC_V1, pos)) if i >= 0]
        if not hits:
            return None
        i = min(hits)
        if _frame_at(data, i, check_v1_payload=True) is not None:
            return i
        pos = i + 1
    return None


def _points_in(region: bytes) -> int | None:
    """Points of the batch in skipped bytes (a frame whose header is damaged but whose
    payload still decodes), or None."""
    for header in (HEADER_BYTES, _HEADER_V1.size):
        try:
            return sum(points_of(r) for r in decode_records(region[header:]))
        except (ValueError, KeyError, TypeError):
            continue
    return None


@dataclass(frozen=True, slots=True)
class Dropped:
    """Batches removed from the spool without being written."""

    batches: int
    points: int
    bytes: int
    why: str
    points_known: bool = True
    """False: damaged bytes whose batch could not be decoded (its points unknown)."""


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
        """Best effort: a head that could not be written (a full disk) only means that
        a restart replays a few batches twice, which idempotent writes make harmless."""
        tmp = self.directory / "head.tmp"
        try:
            tmp.write_text(f"{seq} {offset}\n", encoding="ascii")
            os.replace(tmp, self.directory / "head")
        except OSError as exc:
            log.debug("history spool: cannot update %s/head (%s)", self.directory, exc)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

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
            frames, losses = self._scan_segment(seq, start)
            self.recovered += losses
            if frames:
                self._frames.extend(frames)
                self._segments.append(seq)
            else:
                self._path(seq).unlink(missing_ok=True)
        self.points = sum(f.points for f in self._frames)
        self.bytes = sum(f.size for f in self._frames)

    def _scan_segment(self, seq: int, start: int) -> tuple[list[Frame], list[Dropped]]:
        """The frames of a segment from ``start`` (their headers checked; payloads are
        checked when read), and what damage or a torn end made it skip."""
        path = self._path(seq)
        try:
            with path.open("rb") as f:
                f.seek(start)
                data = f.read()
        except OSError as exc:
            log.error("history spool: cannot read %s (%s)", path, exc)
            return [], []
        frames: list[Frame] = []
        losses: list[Dropped] = []
        off = 0
        while off < len(data):
            found = _frame_at(data, off, check_v1_payload=False)
            if found is not None:
                header, length, points = found
                frames.append(Frame(seq, start + off, length, points, header))
                off += header + length
                continue
            nxt = _next_frame(data, off + 1)
            end = len(data) if nxt is None else nxt
            losses.append(self._skipped(path, start + off, data[off:end], torn=nxt is None))
            off = end
        return frames, losses

    @staticmethod
    def _skipped(path: Path, at: int, region: bytes, *, torn: bool) -> Dropped:
        points = _points_in(region)
        if points is not None:
            why = f"a damaged frame header in {path.name} at byte {at}"
            return Dropped(1, points, len(region), why)
        if torn:
            return Dropped(0, 0, len(region), f"torn end of {path.name}")
        why = f"{len(region)} damaged bytes in {path.name} at byte {at}"
        return Dropped(1, 0, len(region), why, points_known=False)

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
        raw = frame_bytes(payload, points)
        if self._write_file is None or self._write_size >= self.segment_bytes:
            self._rotate()
        f = self._write_file
        assert f is not None
        try:
            view = memoryview(raw)
            while view:
                n = f.write(view)
                if not n:
                    raise OSError(errno.ENOSPC, "nothing written")
                view = view[n:]
            os.fsync(f.fileno())
        except OSError:
            self._abort_append()
            raise
        frame = Frame(self._write_seq, self._write_size, len(payload), points)
        self._write_size += frame.size
        self._frames.append(frame)
        self.points += points
        self.bytes += frame.size
        return points, self._enforce_limit()

    def _abort_append(self) -> None:
        """An append failed (a full disk): cut the segment back to its whole frames and
        close it; the next append starts a new segment."""
        f = self._write_file
        assert f is not None
        self._write_file = None
        with contextlib.suppress(OSError):
            os.ftruncate(f.fileno(), self._write_size)
        with contextlib.suppress(OSError):
            f.close()
        if not any(fr.seq == self._write_seq for fr in self._frames):
            with contextlib.suppress(OSError):
                self._path(self._write_seq).unlink(missing_ok=True)
            with contextlib.suppress(ValueError):
                self._segments.remove(self._write_seq)
        self._write_seq += 1

    def _rotate(self) -> None:
        if self._write_file is not None:
            self._write_file.close()
            self._write_seq += 1
        self._write_file = self._path(self._write_seq).open("ab", buffering=0)
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
            magic, length, _points, crc = _HEADER_V1.unpack(raw[: _HEADER_V1.size])
            payload = raw[frame.header_bytes :]
            if magic not in (MAGIC, MAGIC_V1) or length != len(payload):
                raise ValueError("bad header")
            if zlib.crc32(payload) != crc:
                raise ValueError("bad checksum")
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
