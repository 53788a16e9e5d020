"""The writer's spool with a bounded memory queue behind it, for a disk that refuses.

When the spool cannot be written (a full or read-only disk, a quota, a folder that
cannot be created), batches are held in memory, in order, behind what the spool
already holds, up to ``hold_max_points`` (beyond that the oldest held batches are
dropped, counted). Every later append first tries to move the held batches into
the spool, so they reach the disk as soon as it takes them again; the writer also
replays them straight to the store when the store answers first. One warning when
the disk starts refusing, one INFO line when it takes the batches again.

It has the interface of :class:`~.spool.Spool` that the writer uses; a held batch
is a :class:`~.spool_format.Frame` with ``seq == HELD``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from collector.sinks.history.model import HistoryRecord, points_of
from collector.sinks.history.spool import Spool
from collector.sinks.history.spool_format import Dropped, Frame

log = logging.getLogger(__name__)

HELD: Final = -1
"""``Frame.seq`` of a batch held in memory."""


class SpoolWithFallback:
    """A :class:`Spool` in ``directory`` that never raises ``OSError`` on append."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        hold_max_points: int = 1_000_000,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.hold_max_points = hold_max_points
        self._spool: Spool | None = None
        self._held: deque[tuple[Frame, Sequence[HistoryRecord]]] = deque()
        self._held_count = 0
        self.held_points = 0
        """Points held in memory (not on disk)."""
        self.recovered: list[Dropped] = []
        self._failing = False
        if self._open():
            assert self._spool is not None
            self.recovered = list(self._spool.recovered)

    # --- the disk ------------------------------------------------------------------

    def _open(self) -> bool:
        if self._spool is not None:
            return True
        try:
            self._spool = Spool(self.directory, max_bytes=self.max_bytes)
        except OSError as exc:  # SpoolLockedError is a RuntimeError: it propagates
            self._refused(exc)
            return False
        return True

    def _refused(self, exc: OSError) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "history spool %s cannot be written (%s): holding up to %d point(s) in "
                "memory and retrying; prompts go on",
                self.directory,
                exc.strerror or exc,
                self.hold_max_points,
            )
        else:
            log.debug("history spool %s still refuses writes: %s", self.directory, exc)

    def _disk_append(self, records: Sequence[HistoryRecord]) -> list[Dropped] | None:
        """Append to the spool on disk; None when the disk refused."""
        if not self._open():
            return None
        assert self._spool is not None
        try:
            _, losses = self._spool.append(records)
        except OSError as exc:
            self._refused(exc)
            return None
        return losses

    def _flush_held(self) -> tuple[bool, list[Dropped]]:
        """Move held batches to the disk, oldest first; (all moved, losses)."""
        losses: list[Dropped] = []
        moved = 0
        while self._held:
            frame, records = self._held[0]
            got = self._disk_append(records)
            if got is None:
                return False, losses
            losses += got
            self._held.popleft()
            self.held_points -= frame.points
            moved += frame.points
        if self._failing:
            self._failing = False
            log.info(
                "history spool %s takes writes again: %d point(s) moved there from memory",
                self.directory,
                moved,
            )
        return True, losses

    def _hold(self, records: Sequence[HistoryRecord], points: int) -> list[Dropped]:
        self._held_count += 1
        self._held.append((Frame(HELD, self._held_count, 0, points), list(records)))
        self.held_points += points
        losses = []
        while self.held_points > self.hold_max_points and len(self._held) > 1:
            frame, _ = self._held.popleft()
            self.held_points -= frame.points
            losses.append(
                Dropped(1, frame.points, 0, f"over {self.hold_max_points} points held in memory")
            )
        return losses

    # --- the Spool interface the writer uses -----------------------------------------

    def append(self, records: Sequence[HistoryRecord]) -> tuple[int, list[Dropped]]:
        points = sum(points_of(r) for r in records)
        all_moved, losses = self._flush_held()
        if all_moved:
            got = self._disk_append(records)
            if got is not None:
                return points, losses + got
        return points, losses + self._hold(records, points)

    def peek(self) -> tuple[Frame, list[HistoryRecord] | None] | None:
        if self._spool is not None and len(self._spool):
            return self._spool.peek()
        if self._held:
            frame, records = self._held[0]
            return frame, list(records)
        return None

    def pop(self, frame: Frame) -> None:
        if frame.seq != HELD:
            if self._spool is not None:
                self._spool.pop(frame)
            return
        if self._held and self._held[0][0] == frame:
            self._held.popleft()
            self.held_points -= frame.points

    def __len__(self) -> int:
        return (len(self._spool) if self._spool is not None else 0) + len(self._held)

    @property
    def points(self) -> int:
        return (self._spool.points if self._spool is not None else 0) + self.held_points

    @property
    def bytes(self) -> int:
        return self._spool.bytes if self._spool is not None else 0

    # --- logging what was lost ------------------------------------------------------

    def report_recovered(self, store_name: str) -> int:
        """Log what opening the spool found (damage, batches from before); the points
        lost to damage."""
        dropped = 0
        for loss in self.recovered:
            if not loss.batches:  # a torn append: it never completed
                log.warning(
                    "history spool %s: %s (%d bytes skipped)", self.directory, loss.why, loss.bytes
                )
                continue
            dropped += loss.points
            log.error(
                "history spool %s: DROPPED %s in %d damaged byte(s) (%s); the frames after "
                "them are kept",
                self.directory,
                f"{loss.points} point(s)" if loss.points_known else "an unknown number of points",
                loss.bytes,
                loss.why,
            )
        if self.points:
            log.info(
                "history spool %s holds %d point(s) from before; writing them to %s first",
                self.directory,
                self.points,
                store_name,
            )
        return dropped

    def log_losses(self, losses: Sequence[Dropped], *, batches: bool) -> None:
        for d in losses:
            log.error(
                "history spool %s: DROPPED %d point(s)%s (%s); they are lost",
                self.directory,
                d.points,
                f" in {d.batches} batch(es)" if batches else "",
                d.why,
            )

    def close(self) -> list[Dropped]:
        """Close the spool; held batches the disk still refuses are lost (returned)."""
        _, losses = self._flush_held()
        if self._held:
            n = len(self._held)
            losses.append(
                Dropped(n, self.held_points, 0, "the disk still refused them when closing")
            )
            self._held.clear()
            self.held_points = 0
        if self._spool is not None:
            self._spool.close()
        return losses
