"""The history writer: batches records for a store from its own thread, and keeps
them in an on-disk spool while the store is away, so nothing is lost.

``submit`` only appends to an in-memory queue (a lock held for microseconds): the
event loop never waits for a store. The writer thread:

1. takes up to ``batch_max`` points from the queue once the oldest has waited
   ``flush_every_s`` (or as soon as there are ``batch_max``), joining consecutive
   seconds of one timeline into one chunk (:mod:`.batches`);
2. writes the batch to the store — unless the spool holds batches, then the batch is
   appended to the spool behind them (order is kept: new data waits behind old);
3. when the store is unavailable (:class:`StoreUnavailableError`, or
   :class:`StoreConfigError` such as a refused token), appends the batch to the
   spool (fsynced) and retries the oldest spooled batch after a jittered, doubling
   delay (:mod:`.store_link`); once the store answers, the spool is replayed batch by
   batch, in order, before anything newer;
4. counts points the store rejects for good, logged once per reason (never retried).

Memory is bounded, whatever the length of the data: the in-memory queue holds at
most ``queue_max_bytes`` (estimated: :func:`.batches.memory_of`). A ``submit`` that
takes it past that moves the queue, oldest first, to the spool on disk (fsynced
batches of ``batch_max`` points), so a producer faster than the store (a replay at
``--speed 1e6``) fills the disk spool, not the memory. Nothing is dropped for it:
only the spool's own bounds drop, counted in ``dropped`` and logged as errors (the
oldest batches beyond ``spool_max_bytes`` on disk; beyond ``hold_max_points`` in
memory while the disk refuses). ``close(timeout_s)`` writes what it can in the time
given and leaves the rest in the spool, which the next writer on the same folder
replays first.

Logging: a warning when the store goes away, debug while retrying, info when it is
back (with how much was replayed) and at ``close`` (the counters).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from collector.sinks.history.batches import Inbox, coalesce, own
from collector.sinks.history.model import HistoryRecord, HistoryStore, WriteResult, points_of
from collector.sinks.history.spool_fallback import SpoolWithFallback
from collector.sinks.history.spool_format import Dropped, Frame
from collector.sinks.history.store_link import StoreLink
from collector.sinks.history.writer_stats import WriterStats

log = logging.getLogger(__name__)

MIB = 1 << 20


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
        queue_max_bytes: int = 16 * MIB,
        spool_max_bytes: int = 512 * MIB,
        retry_first_s: float = 1.0,
        retry_max_s: float = 60.0,
        hold_max_points: int = 1_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        self.store = store
        self.batch_max = batch_max
        self.flush_every_s = flush_every_s
        self.queue_max_bytes = queue_max_bytes
        self._clock = clock
        self._spool = SpoolWithFallback(
            spool_dir, max_bytes=spool_max_bytes, hold_max_points=hold_max_points
        )
        self._spool_lock = threading.Lock()
        self._cond = threading.Condition()
        self._link = StoreLink(
            store,
            retry_first_s=retry_first_s,
            retry_max_s=retry_max_s,
            clock=clock,
            changed=self._wake,
        )
        # guarded by _cond
        self._inbox = Inbox()
        self._inflight_points = 0
        self._inflight_records: Sequence[HistoryRecord] = ()
        self._closing = False
        self._close_deadline = 0.0
        self._abandoned = False
        self._done = False
        self._written = self._rejected = self._spooled = 0
        self._replayed = 0
        self._spool_points = self._spool.points
        self._spool_bytes = self._spool.bytes
        self._dropped = self._spool.report_recovered(store.name)
        self._thread = threading.Thread(
            target=self._run, name=f"history-writer-{store.name}", daemon=True
        )
        self._thread.start()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # --- the caller's side ---------------------------------------------------------------

    def submit(self, records: Iterable[HistoryRecord]) -> None:
        """Queue records for writing; returns at once (after one spool append when
        the queue is over ``queue_max_bytes``)."""
        owned = [own(r) for r in records if points_of(r)]
        if not owned:
            return
        points = sum(points_of(r) for r in owned)
        with self._cond:
            if self._closing:
                raise RuntimeError("the history writer is closed")
            first = not self._inbox
            self._inbox.add(owned, points, self._clock())
            over = self._inbox.bytes > self.queue_max_bytes
            # the worker is woken when there is a new deadline or a full batch, not
            # for every record (each wake-up takes the interpreter from the producer)
            if first or self._inbox.points >= self.batch_max:
                self._cond.notify_all()
        if over:
            self._spill()

    def _spill(self) -> None:
        """The queue is over its bound: move it, oldest first, to the spool in batches
        of ``batch_max`` points (the worker writes new batches behind them, and
        replays them in order)."""
        with self._spool_lock:
            while True:
                with self._cond:
                    if self._abandoned or not self._inbox:
                        return
                    batch, _ = self._inbox.take(self.batch_max, self._clock())
                self._spool_append(coalesce(batch))

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
            queued=self._inbox.points,
            queued_bytes=self._inbox.bytes,
            spool_bytes=self._spool_bytes,
            store_up=self._link.up,
            last_error=self._link.last_error,
        )

    def _pending_locked(self) -> int:
        return self._inbox.points + self._inflight_points + self._spool_points

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
        stats = self.stats()
        log.info("history writer closed (%s)", stats.summary())
        return stats

    def _abandon(self) -> None:
        """The worker is stuck in a store call past the deadline: spool the queue and
        the batch in flight from this thread (the in-flight one may end up written
        twice, which is harmless) and leave the worker to die with the process."""
        with self._spool_lock:
            with self._cond:
                self._abandoned = True
                rest = list(self._inflight_records) + self._inbox.drain()
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
                    rest = self._inbox.drain()
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
                inbox = self._inbox
                if inbox and (
                    self._closing
                    or inbox.points >= self.batch_max
                    or now - inbox.first_at >= self.flush_every_s
                ):
                    batch, points = inbox.take(self.batch_max, now)
                    self._inflight_points = points
                    self._inflight_records = batch
                    return batch, self._closing
                if self._closing:
                    return [], True
                spool_waiting = len(self._spool) > 0
                if spool_waiting and now >= self._link.retry_at:
                    return [], False
                deadlines = []
                if inbox:
                    deadlines.append(inbox.first_at + self.flush_every_s)
                if spool_waiting:
                    deadlines.append(self._link.retry_at)
                wait = min(deadlines) - now if deadlines else 0.5
                # short waits: a clock that is not the wall clock still gets noticed
                self._cond.wait(min(max(wait, 0.001), 0.25))

    def _replay_due(self) -> bool:
        return len(self._spool) > 0 and (self._link.up or self._link.retry_due())

    def _deliver(self, batch: list[HistoryRecord]) -> None:
        records = coalesce(batch)
        if len(self._spool) or not self._link.up:
            with self._spool_lock:
                if self._abandoned:
                    return
                self._spool_append(records)
                self._clear_inflight()
            return
        result = self._link.attempt(records)
        if self._abandoned:
            return
        if result is None:
            with self._spool_lock:
                if self._abandoned:
                    return
                self._spool_append(records)
                self._clear_inflight()
        else:
            self._clear_inflight(result)
            self._link.log_rejected(result)

    def _clear_inflight(self, result: WriteResult | None = None) -> None:
        with self._cond:
            self._inflight_points = 0
            self._inflight_records = ()
            if result is not None:
                self._count_locked(result)
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
        result = self._link.attempt(records)
        if result is None or self._abandoned:
            return
        self._pop(frame, result=result)
        if not len(self._spool):
            self._link.recovered()

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
                    self._link.replayed_this_outage += result.written
                if dropped:
                    self._dropped += dropped
                self._sync_spool_locked()
                self._cond.notify_all()
        if result is not None:
            self._link.log_rejected(result)
        if dropped:
            log.error("history spool: dropped %d point(s): %s", dropped, why)

    def _spool_append(self, records: Sequence[HistoryRecord]) -> None:
        """Append to the spool (the caller holds ``_spool_lock``)."""
        points = sum(points_of(r) for r in records)
        try:
            _, losses = self._spool.append(records)
        except (OSError, ValueError, TypeError) as exc:
            losses = [Dropped(1, points, 0, f"cannot write to the spool: {exc}")]
            points = 0
        self._count_losses(losses, spooled=points, batches=True)

    def _close_spool(self) -> None:
        """Close the spool (the caller holds ``_spool_lock``); batches still held in
        memory that the disk refuses even now are lost, counted and logged."""
        self._count_losses(self._spool.close(), spooled=0, batches=False)

    def _count_losses(self, losses: Sequence[Dropped], *, spooled: int, batches: bool) -> None:
        with self._cond:
            self._spooled += spooled
            self._dropped += sum(d.points for d in losses)
            self._sync_spool_locked()
            self._cond.notify_all()
        self._spool.log_losses(losses, batches=batches)

    def _sync_spool_locked(self) -> None:
        self._spool_points = self._spool.points
        self._spool_bytes = self._spool.bytes

    def _count_locked(self, result: WriteResult) -> None:
        self._written += result.written
        self._rejected += result.rejected

    def _finish(self) -> None:
        """Closing with an empty queue: replay the spool while the store answers and
        time is left, then close the spool."""
        while len(self._spool) and not self._abandoned:
            now = self._clock()
            if now >= self._close_deadline or (not self._link.up and now < self._link.retry_at):
                break
            down_before = not self._link.up
            self._replay_one()
            if down_before and not self._link.up:
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
