"""The writer's link to its store: write attempts, outages with a capped backoff,
and the logging rules.

* :meth:`StoreLink.attempt` writes; a store that is unavailable
  (:class:`StoreUnavailableError`) or refuses the configuration
  (:class:`StoreConfigError`, such as a refused token) makes it return None and
  schedules the next try after a delay with full jitter
  (:class:`~collector.sinks.backoff.Backoff`: drawn from ``[0, cap]``, the cap
  ``retry_first_s`` doubling up to ``retry_max_s``, so a fleet of writers does not
  come back to a restarted database all at once; a configuration error waits
  ``retry_max_s`` at once). Unexpected errors count as an
  outage too, until :data:`POISON_AFTER` in a row on the same batch: then the batch
  is given up as rejected (a batch that breaks the store must not block the rest).
* A warning when the store goes away (an error for a configuration problem), debug
  while retrying, info when it is back with how much was replayed; points the store
  rejects are logged once per reason.

Used from the writer thread only; ``last_error`` and ``down_since`` are read by
:meth:`~.writer.HistoryWriter.stats` from other threads (plain attribute reads).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence

from collector.sinks.backoff import Backoff
from collector.sinks.history.model import (
    HistoryRecord,
    HistoryStore,
    StoreConfigError,
    StoreUnavailableError,
    WriteResult,
    points_of,
)

log = logging.getLogger(__name__)

POISON_AFTER = 5
"""Unexpected errors (not StoreUnavailableError) in a row on the same batch before it
is given up as rejected: a batch that breaks the store must not block the rest."""


class StoreLink:
    """``store`` with its outage state (see the module docstring). ``changed`` is
    called after ``last_error`` changes (the writer wakes its waiters)."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        retry_first_s: float,
        retry_max_s: float,
        clock: Callable[[], float],
        changed: Callable[[], None],
        rng: random.Random | None = None,
    ) -> None:
        """``rng`` draws the retry delays (None: seeded from the OS)."""
        self.store = store
        self.retry_first_s = retry_first_s
        self.retry_max_s = max(retry_first_s, retry_max_s)
        self._backoff = Backoff(self.retry_first_s, self.retry_max_s)
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._changed = changed
        self.down_since: float | None = None
        """When the current outage began (None: the store answers)."""
        self.retry_at = clock()
        self.last_error: str | None = None
        self.replayed_this_outage = 0
        self._retries = 0
        """Delays in the current outage (the backoff's cap doubles with each)."""
        self._unexpected = 0
        self._reasons: dict[str, int] = {}

    @property
    def up(self) -> bool:
        return self.down_since is None

    def retry_due(self) -> bool:
        return self._clock() >= self.retry_at

    def attempt(self, records: Sequence[HistoryRecord]) -> WriteResult | None:
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
        self._retries = 0
        return result

    def _failed(self, exc: BaseException, *, config: bool) -> None:
        now = self._clock()
        message = str(exc)
        if self.down_since is None:
            self.down_since = now
            self.replayed_this_outage = 0
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
        if config:
            delay = self.retry_max_s
        else:
            delay = self._backoff.delay_s(self._retries, self._rng)
            self._retries += 1
        self.retry_at = now + delay
        self.last_error = message
        self._changed()

    def recovered(self) -> None:
        """The spool is empty again: the outage (if any) is over."""
        if self.down_since is None:
            return
        down_s = self._clock() - self.down_since
        self.down_since = None
        log.info(
            "history store %s is back after %.0f s; %d point(s) written from the spool",
            self.store.name,
            down_s,
            self.replayed_this_outage,
        )
        self.last_error = None
        self._changed()

    def log_rejected(self, result: WriteResult) -> None:
        """Once per reason (not under the writer's queue lock)."""
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
