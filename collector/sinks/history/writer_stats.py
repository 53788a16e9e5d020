"""What the history writer reports: its counters (:meth:`HistoryWriter.stats`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters in points (one per timeline second, one per other record)."""

    written: int = 0
    """Accepted by the store (directly or replayed from the spool)."""
    rejected: int = 0
    """Refused by the store for good (bad points); not retried."""
    spooled: int = 0
    """Put in the spool (store unavailable, queued behind the spool, or the queue
    over ``queue_max_bytes``)."""
    replayed: int = 0
    """Written from the spool (also counted in ``written``)."""
    dropped: int = 0
    """Lost: the oldest spooled batches beyond ``spool_max_bytes``, unreadable spool
    batches, batches that could not be spooled (disk errors)."""
    pending: int = 0
    """Not written yet: queued, being written, or in the spool."""
    queued: int = 0
    """In the in-memory queue."""
    queued_bytes: int = 0
    """The queue's estimated memory (at most the writer's ``queue_max_bytes``)."""
    spool_bytes: int = 0
    store_up: bool = True
    """False from a failed write until a write succeeds again."""
    last_error: str | None = None

    def summary(self) -> str:
        """The counters in one line, for the log."""
        return (
            f"{self.written} point(s) written ({self.replayed} replayed from the spool), "
            f"{self.rejected} rejected, {self.dropped} dropped, {self.pending} pending"
        )
