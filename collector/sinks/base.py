"""The seam between the live service and its alert sinks (console, MQTT).

The service calls the sinks from its event loop; every method except
:meth:`AlertSink.start` and :meth:`AlertSink.stop` must return at once (a sink that
talks to a network queues and sends from its own task or thread). Commands that
arrive through a sink (the MQTT command topic) are handed to the service as
:class:`CommandRequest` through the callback given to :meth:`AlertSink.start`; the
callback is thread-safe.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from analytics.alert_records import Adherence, Alert


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """What the person's state is now (published retained, shown on the console).

    Times are data times (seconds since the Unix epoch, UTC), minutes are minutes.
    """

    t_s: float
    """End of the last second processed."""
    sitting: bool | None
    """Compression now (sitting or seated riding); None while there is no valid data."""
    posture: str
    """``sitting``, ``upright``, ``lying``, ``riding_seated``, ``riding_standing`` or
    ``nonwear`` (also for no data)."""
    data: str
    """``ok``, ``no_data`` or ``sensor_off`` (:class:`analytics.alert_records.DataState`)."""
    bout_minutes: float
    """Length of the running compression bout (0: no bout)."""
    today_sitting_min: float
    """Compression (sitting + seated riding) so far in the local day."""
    today_bouts_over_30: int
    """Compression bouts of the local day that reached 30 minutes."""
    today_hip_gt90_min: float
    """Seated minutes with hip flexion above 90° in the local day."""
    adherence: Adherence
    """The day's prompt counters (prompted, taken, natural, late, snoozed, ignored)."""
    battery_pct: int | None = None
    snoozed_until_t_s: float | None = None
    calibrated: bool = True
    """False while the thigh sensor still waits for its calibration."""
    calibration_source: str | None = None
    """How the thigh sensor was calibrated (``auto``, ``standing``, ``pedalling``)."""
    calibration_confidence: float | None = None
    """0..1: how much walking anchors the automatic calibration (``pedalling``: 0,
    riding is known but not seated vs standing nor the hip angle)."""

    @property
    def adherence_pct(self) -> float | None:
        """Breaks taken after a prompt / prompts, in percent (None: no prompt yet)."""
        a = self.adherence
        return None if a.prompted == 0 else round(100.0 * a.taken / a.prompted, 1)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["adherence"] = self.adherence.to_dict()
        d["adherence_pct"] = self.adherence_pct
        return d


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A command from the person, as text (``snooze 15``, ``ack``, ``calibrate``).

    ``reply`` (when the channel can answer) receives the alerts the command produced:
    SNOOZED, ACKNOWLEDGED, or REJECTED with the reason (see analytics.alert_commands).
    """

    text: str
    source: str
    """Where it came from, for the log and the rate limit: ``mqtt``, ``console`` …"""
    reply: Callable[[list[Alert]], None] | None = None
    pain_allowed: bool = False
    """The channel is the person's own (the terminal, the MQTT pain topic that only
    their broker user may write): a ``pain`` report is taken from it. Channels that
    others may write (the MQTT command topic, open to Home Assistant) must not set it."""


CommandCallback = Callable[[CommandRequest], None]


class AlertSink(Protocol):
    """Where alerts and the live status go."""

    name: str

    async def start(self, on_command: CommandCallback) -> None:
        """Connect (or begin connecting in the background: a broker that is down
        must not stop the service from starting)."""

    def publish_alert(self, alert: Alert) -> None:
        """Deliver an alert (at least once; queue it while the channel is down)."""

    def publish_status(self, status: LiveStatus) -> None:
        """Replace the live status (only the newest one matters)."""

    async def stop(self) -> None:
        """Flush what is queued (within a bounded time) and say offline."""
