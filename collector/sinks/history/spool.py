"""A first-in first-out queue of record batches on disk (the writer's outage buffer).

Layout of the spool folder:

* ``seg-000000000001.spool`` …: append-only segment files. Each batch is one frame
  (:mod:`.spool_format`: a checked header, then the batch as JSON). Every append is
  flushed and fsynced before :meth:`Spool.append` returns; an append that fails (a
  full disk) is cut off again, so the segment keeps only whole frames. A process
  always appends to a new segment.
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
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import zlib
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from collector.sinks.history.model import HistoryRecord, points_of
from collector.sinks.history.spool_format import (
    HEADER_V1,
    MAGIC,
    MAGIC_V1,
    Dropped,
    Frame,
    decode_records,
    encode_records,
    frame_at,
    frame_bytes,
    next_frame,
    points_in,
)

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


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
            found = frame_at(data, off, check_v1_payload=False)
            if found is not None:
                header, length, points = found
                frames.append(Frame(seq, start + off, length, points, header))
                off += header + length
                continue
            nxt = next_frame(data, off + 1)
            end = len(data) if nxt is None else nxt
            losses.append(self._skipped(path, start + off, data[off:end], torn=nxt is None))
            off = end
        return frames, losses

    @staticmethod
    def _skipped(path: Path, at: int, region: bytes, *, torn: bool) -> Dropped:
        points = points_in(region)
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
            magic, length, _points, crc = HEADER_V1.unpack(raw[: HEADER_V1.size])
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
