"""The history writer: batches records for a store from its own thread, and keeps
them in an on-disk spool while the store is away, so nothing is lost.

``submit`` only appends to an in-memory queue (a lock held for microseconds): the
event loop never waits for a store. The writer thread:

1. takes up to ``batch_max`` points from the queue once the oldest has waited
   ``flush_every_s`` (or as soon as there are ``batch_max``), joining consecutive
   seconds of one timeline into one chunk;
2. writes the batch to the store — unless the spool holds batches, then the batch is
   appended to the spool behind them (order is kept: new data waits behind old);
3. when the store is unavailable (:class:`StoreUnavailableError`, or
   :class:`StoreConfigError` such as a refused token), appends the batch to the
   spool (fsynced) and retries the oldest spooled batch after ``retry_min_s``,
   doubling up to ``retry_max_s``; once the store answers, the spool is replayed
   batch by batch, in order, before anything newer;
4. counts points the store rejects for good (bad points) and logs them once per
   reason; they are never retried and never hold up the queue.

The spool keeps at most ``spool_max_bytes``; beyond that the oldest batches are
dropped (counted in ``dropped`` and logged as errors). ``close(timeout_s)`` writes
what it can in the time given and leaves the rest in the spool, which the next
writer on the same folder replays first.

Logging follows the project's rule: a warning when the store goes away, debug while
retrying, info when it is back (with how much was replayed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collector.sinks.history.model import (
    HistoryRecord,
    HistoryStore,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    WriteResult,
    points_of,
)
from collector.sinks.history.spool import Dropped, Frame
from collector.sinks.history.spool_fallback import SpoolWithFallback

log = logging.getLogger(__name__)

MIB = 1 << 20
POISON_AFTER = 5
"""Unexpected errors (not StoreUnavailableError) in a row on the same batch before it
is given up as rejected: a batch that breaks the store must not block the rest."""


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters in points (one per timeline second, one per other record)."""

    written: int = 0
    """Accepted by the store (directly or replayed from the spool)."""
    rejected: int = 0
    """Refused by the store for good (bad points); not retried."""
    spooled: int = 0
    """Put in the spool (store unavailable, or queued behind the spool)."""
    replayed: int = 0
    """Written from the spool (also counted in ``written``)."""
    dropped: int = 0
    """Lost: the oldest spooled batches beyond ``spool_max_bytes``, unreadable spool
    batches, batches that could not be spooled (disk errors)."""
    pending: int = 0
    """Not written yet: queued, being written, or in the spool."""
    spool_bytes: int = 0
    store_up: bool = True
    """False from a failed write until a write succeeds again."""
    last_error: str | None = None


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


def _own(record: HistoryRecord) -> HistoryRecord:
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


class HistoryWriter:
    """Writes history records to ``store`` from a background thread (see the module
    docstring). Raises :class:`~.spool.SpoolLockedError` if another writer uses
    ``spool_dir``."""

    def __init__(
        self,
        store: HistoryStore,
        spool_dir: Path,
        *,
        batch_max: int = 5000,
        flush_every_s: float = 1.0,
        spool_max_bytes: int = 512 * MIB,
        retry_min_s: float = 1.0,
        retry_max_s: float = 60.0,
        hold_max_points: int = 1_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        self.store = store
        self.batch_max = batch_max
        self.flush_every_s = flush_every_s
        self.retry_min_s = retry_min_s
        self.retry_max_s = max(retry_min_s, retry_max_s)
        self._clock = clock
        self._spool = SpoolWithFallback(
            spool_dir, max_bytes=spool_max_bytes, hold_max_points=hold_max_points
        )
        self._spool_lock = threading.Lock()
        self._cond = threading.Condition()
        # guarded by _cond
        self._inbox: deque[HistoryRecord] = deque()
        self._inbox_points = 0
        self._first_at = 0.0
        self._inflight_points = 0
        self._closing = False
        self._close_deadline = 0.0
        self._abandoned = False
        self._done = False
        self._written = self._rejected = self._spooled = 0
        self._replayed = self._dropped = 0
        self._spool_points = self._spool.points
        self._spool_bytes = self._spool.bytes
        self._last_error: str | None = None
        # worker thread only
        self._down_since: float | None = None
        self._retry_at = clock()
        self._delay = retry_min_s
        self._unexpected = 0
        self._replayed_this_outage = 0
        self._reasons: dict[str, int] = {}
        for loss in self._spool.recovered:
            if not loss.batches:  # a torn append: it never completed
                log.warning(
                    "history spool %s: %s (%d bytes skipped)", spool_dir, loss.why, loss.bytes
                )
                continue
            self._dropped += loss.points
            log.error(
                "history spool %s: DROPPED %s in %d damaged byte(s) (%s); the frames after "
                "them are kept",
                spool_dir,
                f"{loss.points} point(s)" if loss.points_known else "an unknown number of points",
                loss.bytes,
                loss.why,
            )
        if self._spool.points:
            log.info(
                "history spool %s holds %d point(s) from before; writing them to %s first",
                spool_dir,
                self._spool.points,
                store.name,
            )
        self._thread = threading.Thread(
            target=self._run, name=f"history-writer-{store.name}", daemon=True
        )
        self._thread.start()

    # --- the caller's side ---------------------------------------------------------------

    def submit(self, records: Iterable[HistoryRecord]) -> None:
        """Queue records for writing; returns at once."""
        owned = [_own(r) for r in records if points_of(r)]
        if not owned:
            return
        points = sum(points_of(r) for r in owned)
        with self._cond:
            if self._closing:
                raise RuntimeError("the history writer is closed")
            if not self._inbox:
                self._first_at = self._clock()
            self._inbox.extend(owned)
            self._inbox_points += points
            self._cond.notify_all()

    def stats(self) -> WriterStats:
        with self._cond:
            return self._stats_locked()

    def _stats_locked(self) -> WriterStats:
        return WriterStats(
            written=self._written,
            rejected=self._rejected,
            spooled=self._spooled,
            replayed=self._replayed,
            dropped=self._dropped,
            pending=self._pending_locked(),
            spool_bytes=self._spool_bytes,
            store_up=self._down_since is None,
            last_error=self._last_error,
        )

    def _pending_locked(self) -> int:
        return self._inbox_points + self._inflight_points + self._spool_points

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing is pending (True) or ``timeout_s`` passed (False)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending_locked() == 0 or self._done, timeout_s
            ) and (self._pending_locked() == 0)

    def close(self, timeout_s: float = 10.0) -> WriterStats:
        """Write what can be written within ``timeout_s``; the rest stays in the spool
        (replayed by the next writer). Returns the final counters."""
        with self._cond:
            if not self._closing:
                self._closing = True
                self._close_deadline = self._clock() + timeout_s
            self._cond.notify_all()
        self._thread.join(max(0.0, timeout_s) + 0.5)
        if self._thread.is_alive():
            self._abandon()
        return self.stats()

    def _abandon(self) -> None:
        """The worker is stuck in a store call past the deadline: spool the queue and
        the batch in flight from this thread (the in-flight one may end up written
        twice, which is harmless) and leave the worker to die with the process."""
        with self._spool_lock:
            with self._cond:
                self._abandoned = True
                rest = list(self._inflight_records) + list(self._inbox)
                self._inbox.clear()
                self._inbox_points = 0
                self._inflight_points = 0
            if rest:
                self._spool_append(rest)
            self._close_spool()
        log.warning(
            "history writer: %s did not answer within the close timeout; %d point(s) left "
            "in the spool for the next start",
            self.store.name,
            self._spool_points,
        )
        with self._cond:
            self._done = True
            self._cond.notify_all()

    # --- the worker thread -------------------------------------------------------------

    _inflight_records: Sequence[HistoryRecord] = ()

    def _run(self) -> None:
        try:
            while True:
                batch, closing = self._next_batch()
                if self._abandoned:
                    return
                if batch:
                    self._deliver(batch)
                elif closing:
                    self._finish()
                    return
                # a spooled batch after each new one: a busy queue cannot starve the replay
                if not self._abandoned and self._replay_due():
                    self._replay_one()
                if self._abandoned:
                    return
        except BaseException:
            log.exception("history writer crashed; records still queued go to the spool")
            with self._spool_lock, self._cond:
                if not self._abandoned:
                    rest = list(self._inbox)
                    self._inbox.clear()
                    self._inbox_points = 0
                    if rest:
                        self._spool_append(rest)
            raise
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _next_batch(self) -> tuple[list[HistoryRecord], bool]:
        """The next batch to write, ([], False) when a spool replay is due, or
        ([], True) when closing and the queue is empty."""
        with self._cond:
            while True:
                if self._abandoned:
                    return [], True
                now = self._clock()
                if self._inbox and (
                    self._closing
                    or self._inbox_points >= self.batch_max
                    or now - self._first_at >= self.flush_every_s
                ):
                    return self._take_locked(), self._closing
                if self._closing:
                    return [], True
                spool_waiting = len(self._spool) > 0
                if spool_waiting and now >= self._retry_at:
                    return [], False
                deadlines = []
                if self._inbox:
                    deadlines.append(self._first_at + self.flush_every_s)
                if spool_waiting:
                    deadlines.append(self._retry_at)
                wait = min(deadlines) - now if deadlines else 0.5
                # short waits: a clock that is not the wall clock still gets noticed
                self._cond.wait(min(max(wait, 0.001), 0.25))

    def _replay_due(self) -> bool:
        return len(self._spool) > 0 and (
            self._down_since is None or self._clock() >= self._retry_at
        )

    def _take_locked(self) -> list[HistoryRecord]:
        batch: list[HistoryRecord] = []
        points = 0
        while self._inbox and points < self.batch_max:
            record = self._inbox.popleft()
            n = points_of(record)
            room = self.batch_max - points
            if n > room and isinstance(record, TimelineChunk):
                record, rest = split_timeline(record, room)
                self._inbox.appendleft(rest)
                n = room
            batch.append(record)
            points += n
        self._inbox_points -= points
        self._inflight_points = points
        self._inflight_records = batch
        if self._inbox:
            self._first_at = self._clock()
        return batch

    def _deliver(self, batch: list[HistoryRecord]) -> None:
        records = coalesce(batch)
        if len(self._spool) or self._down_since is not None:
            with self._spool_lock:
                if self._abandoned:
                    return
                self._spool_append(records)
                self._clear_inflight()
            return
        result = self._attempt(records)
        if self._abandoned:
            return
        if result is None:
            with self._spool_lock:
                if self._abandoned:
                    return
                self._spool_append(records)
                self._clear_inflight()
        else:
            with self._cond:
                self._inflight_points = 0
                self._inflight_records = ()
                self._count_locked(result)
                self._cond.notify_all()
            self._log_rejected(result)

    def _clear_inflight(self) -> None:
        with self._cond:
            self._inflight_points = 0
            self._inflight_records = ()
            self._cond.notify_all()

    def _replay_one(self) -> None:
        with self._spool_lock:
            if self._abandoned:
                return
            head = self._spool.peek()
        if head is None:
            return
        frame, records = head
        if records is None:
            self._pop(frame, dropped=frame.points, why="unreadable spool batch")
            return
        result = self._attempt(records)
        if result is None or self._abandoned:
            return
        self._pop(frame, result=result)
        if not len(self._spool):
            self._recovered()

    def _pop(
        self, frame: Frame, *, result: WriteResult | None = None, dropped: int = 0, why: str = ""
    ) -> None:
        with self._spool_lock:
            if self._abandoned:
                return
            self._spool.pop(frame)
            with self._cond:
                if result is not None:
                    self._count_locked(result)
                    self._replayed += result.written
                    self._replayed_this_outage += result.written
                if dropped:
                    self._dropped += dropped
                self._sync_spool_locked()
                self._cond.notify_all()
        if result is not None:
            self._log_rejected(result)
        if dropped:
            log.error("history spool: dropped %d point(s): %s", dropped, why)

    def _attempt(self, records: Sequence[HistoryRecord]) -> WriteResult | None:
        """Write to the store; None when it is unavailable (the retry is scheduled)."""
        try:
            result = self.store.write(records)
        except (StoreUnavailableError, StoreConfigError) as exc:
            self._unexpected = 0
            self._failed(exc, config=isinstance(exc, StoreConfigError))
            return None
        except Exception as exc:
            self._unexpected += 1
            if self._unexpected < POISON_AFTER:
                log.exception("history store %s failed unexpectedly", self.store.name)
                self._failed(exc, config=False)
                return None
            self._unexpected = 0
            points = sum(points_of(r) for r in records)
            reason = f"the store failed {POISON_AFTER} times on this batch: {exc!r}"[:200]
            log.error("history writer: giving up a batch of %d point(s): %s", points, reason)
            return WriteResult(0, points, reason)
        self._unexpected = 0
        self._delay = self.retry_min_s
        return result

    def _failed(self, exc: BaseException, *, config: bool) -> None:
        now = self._clock()
        message = str(exc)
        if self._down_since is None:
            self._down_since = now
            self._replayed_this_outage = 0
            if config:
                log.error(
                    "history store %s: %s — keeping the data in the spool until this is fixed",
                    self.store.name,
                    message,
                )
            else:
                log.warning(
                    "history store %s unavailable (%s); keeping the data in the spool until "
                    "it is back",
                    self.store.name,
                    message,
                )
        else:
            log.debug("history store %s still unavailable: %s", self.store.name, message)
        delay = self.retry_max_s if config else self._delay
        self._retry_at = now + delay
        self._delay = min(self._delay * 2, self.retry_max_s)
        with self._cond:
            self._last_error = message
            self._cond.notify_all()

    def _recovered(self) -> None:
        if self._down_since is None:
            return
        down_s = self._clock() - self._down_since
        self._down_since = None
        log.info(
            "history store %s is back after %.0f s; %d point(s) written from the spool",
            self.store.name,
            down_s,
            self._replayed_this_outage,
        )
        with self._cond:
            self._last_error = None
            self._cond.notify_all()

    def _spool_append(self, records: Sequence[HistoryRecord]) -> None:
        """Append to the spool (the caller holds ``_spool_lock``)."""
        points = sum(points_of(r) for r in records)
        try:
            _, losses = self._spool.append(records)
        except (OSError, ValueError, TypeError) as exc:
            losses = [Dropped(1, points, 0, f"cannot write to the spool: {exc}")]
            points = 0
        with self._cond:
            self._spooled += points
            self._dropped += sum(d.points for d in losses)
            self._sync_spool_locked()
            self._cond.notify_all()
        for d in losses:
            log.error(
                "history spool %s: DROPPED %d point(s) in %d batch(es) (%s); they are lost",
                self._spool.directory,
                d.points,
                d.batches,
                d.why,
            )

    def _close_spool(self) -> None:
        """Close the spool (the caller holds ``_spool_lock``); batches still held in
        memory that the disk refuses even now are lost, counted and logged."""
        losses = self._spool.close()
        with self._cond:
            self._dropped += sum(d.points for d in losses)
            self._sync_spool_locked()
            self._cond.notify_all()
        for d in losses:
            log.error(
                "history spool %s: DROPPED %d point(s) (%s); they are lost",
                self._spool.directory,
                d.points,
                d.why,
            )

    def _sync_spool_locked(self) -> None:
        self._spool_points = self._spool.points
        self._spool_bytes = self._spool.bytes

    def _count_locked(self, result: WriteResult) -> None:
        self._written += result.written
        self._rejected += result.rejected

    def _log_rejected(self, result: WriteResult) -> None:
        """Once per reason (worker thread; not under the queue's lock)."""
        if not result.rejected:
            return
        reason = result.reason or "no reason given"
        seen = self._reasons.get(reason, 0)
        self._reasons[reason] = seen + result.rejected
        if seen:
            log.debug(
                "history store %s rejected %d more point(s): %s",
                self.store.name,
                result.rejected,
                reason,
            )
            return
        log.warning(
            "history store %s rejected %d point(s): %s (logged once per reason; counted in "
            "the writer's 'rejected')",
            self.store.name,
            result.rejected,
            reason,
        )

    def _finish(self) -> None:
        """Closing with an empty queue: replay the spool while the store answers and
        time is left, then close the spool."""
        while len(self._spool) and not self._abandoned:
            now = self._clock()
            if now >= self._close_deadline or (
                self._down_since is not None and now < self._retry_at
            ):
                break
            down_before = self._down_since is not None
            self._replay_one()
            if down_before and self._down_since is not None:
                break  # one more try failed: leave the rest for the next start
        with self._spool_lock:
            if not self._abandoned:
                self._close_spool()
        if self._spool_points:
            log.info(
                "history writer closed with %d point(s) in the spool %s (written at the next "
                "start)",
                self._spool_points,
                self._spool.directory,
            )
