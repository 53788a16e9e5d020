"""Bounds on commands: a token bucket per source, one warning per flood.

A person presses Snooze or Done a few times an hour; a script or a compromised
account on the broker can send 100,000 commands in seconds. Each source (the MQTT
command topic, the MQTT pain topic, the terminal …) has its own bucket of
``CommandLimits.burst`` commands, refilled at ``per_min`` a minute. A command
over the limit is dropped before it is parsed or applied: counted, not answered
(an answer per dropped command would be a flood of its own), and the first one
of a flood logs one warning; the end of the flood (the source was quiet long
enough for a full bucket) is logged with the count.

Thread-safe: the console sink admits the terminal's commands in its reading
thread, the MQTT sink and the service in the event loop.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.alert_records import Alert, AlertKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandLimits:
    """How many commands one source may send."""

    burst: int = 10
    """Commands accepted back to back (a few button presses in a row)."""
    per_min: float = 12.0
    """Sustained commands a minute once the burst is spent (one every 5 s)."""
    max_sources: int = 64
    """Distinct sources tracked (a bound on memory; sources are a handful of channels)."""

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"command burst must be at least 1, got {self.burst}")
        if not (math.isfinite(self.per_min) and self.per_min > 0):
            raise ValueError(f"commands per_min must be a positive number, got {self.per_min}")
        if self.max_sources < 1:
            raise ValueError("max_sources must be at least 1")


SERVICE_LIMITS = CommandLimits(burst=20, per_min=24.0)
"""The service's backstop over every channel: twice the channels' own limits (the
MQTT sink limits each of its topics with the defaults), so that a command a sink
admitted is not dropped again unanswered; it bounds channels without a limit of
their own (the terminal, desktop buttons)."""


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate_per_s``; :meth:`take` spends one."""

    capacity: float
    rate_per_s: float
    tokens: float = field(init=False)
    last_s: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def take(self, now_s: float) -> bool:
        if self.last_s is not None and now_s > self.last_s:
            self.tokens = min(self.capacity, self.tokens + (now_s - self.last_s) * self.rate_per_s)
        if self.last_s is None or now_s > self.last_s:
            self.last_s = now_s
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class CommandGuard:
    """Admits or drops commands per source (see the module docstring)."""

    def __init__(
        self,
        limits: CommandLimits | None = None,
        *,
        what: str = "commands",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = CommandLimits() if limits is None else limits
        self._what = what
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._flooding: dict[str, int] = {}
        self.dropped: Counter[str] = Counter()
        """Commands dropped over the limit, by source."""

    @property
    def dropped_total(self) -> int:
        with self._lock:
            return sum(self.dropped.values())

    def admit(self, source: str) -> bool:
        """True: apply the command; False: drop it (counted, warned once per flood)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(source)
            if bucket is None:
                if len(self._buckets) >= self.limits.max_sources:
                    self._buckets.pop(next(iter(self._buckets)))
                bucket = TokenBucket(self.limits.burst, self.limits.per_min / 60.0)
                self._buckets[source] = bucket
            ok = bucket.take(now)
            ended: int | None = None
            first = False
            if ok:
                if bucket.tokens >= bucket.capacity - 1:
                    # quiet long enough for a full bucket: that flood is over
                    ended = self._flooding.pop(source, None)
            else:
                self.dropped[source] += 1
                first = source not in self._flooding
                self._flooding[source] = self._flooding.get(source, 0) + 1
        if ok:
            if ended is not None:
                log.info(
                    "%s from %s are back within the limit; %d were dropped",
                    self._what,
                    source,
                    ended,
                )
            return True
        if first:
            log.warning(
                "%s from %s arrive faster than %d in a row or %g a minute: the extra ones "
                "are dropped unanswered (counted) until they slow down; if this is not "
                "the person, check who may publish there (broker ACL)",
                self._what,
                source,
                self.limits.burst,
                self.limits.per_min,
            )
        return False


def split_rejected(results: list[Alert]) -> tuple[tuple[Alert, ...], list[Alert]]:
    """A command's outcome: what it did (alerts for every sink and the history) and
    what was refused (REJECTED: for the sender's reply only, so that refused
    commands, however many, never become alerts or history rows)."""
    rejected = [a for a in results if a.kind == AlertKind.REJECTED]
    return tuple(a for a in results if a.kind != AlertKind.REJECTED), rejected
