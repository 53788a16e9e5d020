"""The seam between the live service and its alert sinks (console, MQTT).

The service calls the sinks from its event loop; every method except
:meth:`AlertSink.start` and :meth:`AlertSink.stop` must return at once (a sink that
talks to a network queues and sends from its own task or thread). Commands that
arrive through a sink (the MQTT command topic) are handed to the service as
:class:`CommandRequest` through the callback given to :meth:`AlertSink.start`; the
callback is thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from analytics.alert_records import Alert
from analytics.live_status import LiveStatus as LiveStatus  # where sinks look for it
from collector.sinks.day_report import DayReport


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

    def publish_day(self, report: DayReport) -> None:
        """A local day's summary, at its midnight and for the day in progress at the
        end of a run (the newest one of a date replaces the one before)."""

    async def stop(self) -> None:
        """Flush what is queued (within a bounded time) and say offline."""
