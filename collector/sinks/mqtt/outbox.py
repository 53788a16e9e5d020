"""The alert outbox: every alert waits here until the broker acknowledges it (pure).

Alerts wait in order in a queue; at most ``window`` of them are handed to the MQTT
client and not acknowledged yet (*in flight*, by message id). The outbox keeps at
most ``max_alerts``: beyond that the oldest *waiting* ones are pushed out (an alert
in flight is never dropped here: it is acknowledged, or comes back to the head of
the queue when its connection drops). An alert older than the TTL when its turn
comes expires instead of being sent. The outbox is the only place alerts are sent
again from (each connection is a new client with a clean session).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from analytics.alert_records import Alert


@dataclass(slots=True)
class Entry:
    seq: int
    alert: Alert
    raised_at_s: float
    late: bool = False
    """Its last send was marked ``late``."""


class Outbox:
    def __init__(self, max_alerts: int, window: int) -> None:
        self.max_alerts = max_alerts
        self.window = min(window, max_alerts)
        self._waiting: collections.deque[Entry] = collections.deque()
        self._in_flight: dict[int, Entry] = {}
        self._seq = 0

    def pending(self) -> int:
        """Alerts not acknowledged yet (waiting or in flight)."""
        return len(self._waiting) + len(self._in_flight)

    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, alert: Alert, raised_at_s: float) -> int:
        """Queue an alert; how many of the oldest waiting ones it pushed out."""
        self._seq += 1
        self._waiting.append(Entry(self._seq, alert, raised_at_s))
        over = self.pending() - self.max_alerts
        dropped = 0
        while dropped < over and self._waiting:
            self._waiting.popleft()
            dropped += 1
        return dropped

    def next(self, now_s: float, ttl_s: float) -> tuple[Entry | None, int]:
        """The next alert to send (None: none waits, or the window is full) and how
        many waiting alerts expired (older than ``ttl_s``) on the way to it."""
        if len(self._in_flight) >= self.window:
            return None, 0
        expired = 0
        while self._waiting:
            head = self._waiting.popleft()
            if now_s - head.raised_at_s > ttl_s:
                expired += 1
                continue
            return head, expired
        return None, expired

    def sent(self, entry: Entry, mid: int) -> None:
        """``entry`` (from :meth:`next`) is in flight as message ``mid``."""
        self._in_flight[mid] = entry

    def retry(self, entry: Entry) -> None:
        """``entry`` (from :meth:`next`) was not sent: first again."""
        self._waiting.appendleft(entry)

    def acknowledged(self, mid: int) -> Entry | None:
        """The alert in flight as ``mid`` is done (None: ``mid`` is not an alert)."""
        return self._in_flight.pop(mid, None)

    def requeue(self) -> None:
        """The connection dropped: its alerts in flight go back, in order, to the head."""
        back = sorted(self._in_flight.values(), key=lambda e: e.seq)
        self._in_flight.clear()
        self._waiting.extendleft(reversed(back))
