"""Alerts on the terminal and as desktop notifications (the default sink).

:class:`ConsoleSink` prints every alert as one line (local time, kind, message; the
date too once the run has reached a second local day) and,
at most every ``status_every_s`` seconds of wall time, a one-line live status. Stand,
posture, saddle and break-complete alerts also go to the desktop through a
:class:`Notifier` (by default :class:`DesktopNotify`, on ``desktop_notifier``); the
notifications are sent from a background task, so :meth:`ConsoleSink.publish_alert`
never waits. Where the platform has no notification service (a headless Raspberry
Pi, a container without a D-Bus session) the first failure is logged once at INFO
and desktop notifications are switched off; nothing is raised out of the sink.

When standard input is a terminal, typed lines (``snooze 15``, ``ack``,
``calibrate``) are passed to the service as :class:`CommandRequest` (source
``console``); buttons on a desktop notification do the same with source
``desktop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.text import Text

from analytics.alert_records import Alert, AlertKind
from analytics.durations import format_h_min
from analytics.orientation import PEDALLING_SOURCE
from collector.plural import counted
from collector.sinks.base import CommandCallback, CommandRequest, LiveStatus
from collector.sinks.day_report import DayReport, day_lines
from collector.sinks.settings import ConsoleSettings

if TYPE_CHECKING:
    from desktop_notifier import Button as DesktopButton
    from desktop_notifier import DesktopNotifier

log = logging.getLogger(__name__)

Button = tuple[str, str]
"""A notification button: (label, command text sent when it is pressed)."""

STAND_BUTTONS: tuple[Button, ...] = (("Snooze 15 min", "snooze 15"), ("Done", "ack"))

_STYLE: dict[AlertKind, str] = {
    AlertKind.PROMPT: "yellow",
    AlertKind.POSTURE: "yellow",
    AlertKind.SADDLE: "yellow",
    AlertKind.ESCALATION: "bold red",
    AlertKind.REPEAT: "bold red",
    AlertKind.BREAK_COMPLETE: "green",
    AlertKind.STATUS: "dim",
    AlertKind.REJECTED: "red",
}

DESKTOP_TITLES: dict[AlertKind, str] = {
    AlertKind.PROMPT: "Time to stand up",
    AlertKind.ESCALATION: "Stand up now",
    AlertKind.REPEAT: "Still sitting",
    AlertKind.POSTURE: "Posture: hip bent over 90°",
    AlertKind.SADDLE: "Saddle time",
    AlertKind.BREAK_COMPLETE: "Break complete",
}
"""The alert kinds sent to the desktop, and their notification titles."""

_DESKTOP_BUTTONS: dict[AlertKind, tuple[Button, ...]] = {
    AlertKind.PROMPT: STAND_BUTTONS,
    AlertKind.ESCALATION: STAND_BUTTONS,
    AlertKind.REPEAT: STAND_BUTTONS,
    # ``ack`` stops the repeats of a posture or saddle prompt too; ``snooze`` all prompts
    AlertKind.POSTURE: STAND_BUTTONS,
    AlertKind.SADDLE: STAND_BUTTONS,
}


class Notifier(Protocol):
    """Shows a desktop notification. Raises when it cannot (the sink then stops
    using it)."""

    async def notify(self, title: str, message: str, buttons: list[Button]) -> None: ...


class NotifierUnavailableError(RuntimeError):
    """The platform's notification service is not there or refused the notification."""


class _CaptureFailure(logging.Filter):
    """Takes desktop_notifier's "Notification failed" warning (it logs and swallows the
    error): keeps the reason and keeps the traceback out of the log."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        self.reason = str(exc) if exc is not None else record.getMessage()
        return False


class DesktopNotify:
    """:class:`Notifier` on ``desktop_notifier.DesktopNotifier`` (D-Bus on Linux,
    Notification Center on macOS, WinRT on Windows).

    ``on_button`` receives the command text of a pressed button; the callback runs in
    the event loop that sent the notification (it must stay alive for presses)."""

    _LOGGER = "desktop_notifier.backends.base"

    def __init__(
        self, on_button: Callable[[str], None] | None = None, *, app_name: str = "sitload"
    ) -> None:
        from desktop_notifier import DesktopNotifier

        self._on_button = on_button
        self._notifier: DesktopNotifier = DesktopNotifier(app_name=app_name)

    def buttons(self, buttons: list[Button]) -> list[DesktopButton]:
        """``desktop_notifier.Button`` objects whose ``on_pressed`` send the command."""
        from desktop_notifier import Button as DnButton

        return [
            DnButton(title=label, on_pressed=functools.partial(self._pressed, command))
            for label, command in buttons
        ]

    def _pressed(self, command: str) -> None:
        if self._on_button is not None:
            self._on_button(command)

    async def notify(self, title: str, message: str, buttons: list[Button]) -> None:
        dispatched = False

        def mark() -> None:
            nonlocal dispatched
            dispatched = True

        capture = _CaptureFailure()
        logger = logging.getLogger(self._LOGGER)
        logger.addFilter(capture)
        try:
            await self._notifier.send(
                title,
                message,
                buttons=self.buttons(buttons),
                on_dispatched=mark,
            )
        finally:
            logger.removeFilter(capture)
        if not dispatched:
            raise NotifierUnavailableError(capture.reason or "the notification was not delivered")


def _clock_text(t_s: float, tz: datetime.tzinfo | None) -> str:
    when = datetime.datetime.fromtimestamp(t_s, tz)
    return when.strftime("%H:%M:%S")


class LineClock:
    """The time at the start of a console line: ``HH:MM:SS`` while the run stays in
    its first local day, ``YYYY-MM-DD HH:MM:SS`` on every line once it has reached
    another day (a multi-day replay, a service running past midnight)."""

    def __init__(self, tz: datetime.tzinfo | None) -> None:
        self._tz = tz
        self._first_day: datetime.date | None = None
        self._dated = False

    def text(self, t_s: float) -> str:
        when = datetime.datetime.fromtimestamp(t_s, self._tz)
        if self._first_day is None:
            self._first_day = when.date()
        elif when.date() != self._first_day:
            self._dated = True
        return when.strftime("%Y-%m-%d %H:%M:%S" if self._dated else "%H:%M:%S")


def status_line(status: LiveStatus, tz: datetime.tzinfo | None = None) -> str:
    """The one-line status: posture and bout, the day's sitting, breaks after prompts."""
    if status.data != "ok":
        now = "no data" if status.data == "no_data" else "sensor off"
    elif status.bout_minutes > 0:
        now = f"{status.posture.replace('_', ' ')}, bout {format_h_min(60.0 * status.bout_minutes)}"
    else:
        now = status.posture.replace("_", " ")
    parts = [
        now,
        f"today {format_h_min(60.0 * status.today_sitting_min)} sitting",
        f"{counted(status.today_bouts_over_30, 'bout')} ≥ 30 min",
        f"hip > 90° {format_h_min(60.0 * status.today_hip_gt90_min)}",
    ]
    a = status.adherence
    pct = status.adherence_pct
    parts.append(
        "no prompts yet"
        if pct is None
        else f"breaks taken {a.taken}/{counted(a.prompted, 'prompt')} ({pct:.0f} %)"
    )
    if status.snoozed_until_t_s is not None:
        parts.append(f"snoozed until {_clock_text(status.snoozed_until_t_s, tz)[:5]}")
    if status.battery_pct is not None:
        parts.append(f"battery {status.battery_pct} %")
    if not status.calibrated:
        parts.append("calibrating")
    elif status.calibration_source == PEDALLING_SOURCE:
        parts.append("calibrated from pedalling only (walk a few steps for seated/standing)")
    elif status.calibration_confidence is not None and status.calibration_confidence < 1.0:
        parts.append(f"calibration confidence {status.calibration_confidence:.2f}")
    return " · ".join(parts)


class ConsoleSink:
    """:class:`collector.sinks.base.AlertSink` for the terminal and the desktop.

    ``console``: where to print (default: standard output). ``notifier``: the desktop
    notifier (default: :class:`DesktopNotify`, made in :meth:`start`). ``clock``: wall
    time in seconds for the status rate limit. ``tz``: time zone of printed times
    (default: the system's). ``read_stdin``: read typed commands when standard input
    is a terminal. ``notify_timeout_s``: a notification not out after this long counts
    as a failure. ``settings.enabled`` false prints nothing (desktop notifications
    follow ``settings.desktop`` alone).
    """

    name = "console"

    def __init__(
        self,
        settings: ConsoleSettings,
        console: Console | None = None,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.monotonic,
        tz: datetime.tzinfo | None = None,
        read_stdin: bool = True,
        queue_max: int = 100,
        notify_timeout_s: float = 10.0,
    ) -> None:
        self._settings = settings
        self._console = console if console is not None else Console(highlight=False)
        self._notifier = notifier
        self._clock = clock
        self._tz = tz
        self._line_clock = LineClock(tz)
        self._read_stdin = read_stdin
        self._desktop = settings.desktop
        self._notify_timeout_s = notify_timeout_s
        self._queue: asyncio.Queue[tuple[str, str, list[Button]]] = asyncio.Queue(queue_max)
        self._task: asyncio.Task[None] | None = None
        self._on_command: CommandCallback | None = None
        self._last_status: float | None = None
        self._stopped = threading.Event()
        self.dropped = 0
        """Desktop notifications dropped because the queue was full."""
        self.sent = 0
        """Desktop notifications sent."""

    @property
    def desktop_enabled(self) -> bool:
        """Desktop notifications are on (switched off after the first failure)."""
        return self._desktop

    # --- AlertSink ----------------------------------------------------------------------

    async def start(self, on_command: CommandCallback) -> None:
        self._on_command = on_command
        self._stopped.clear()
        if self._desktop and self._notifier is None:
            try:
                self._notifier = DesktopNotify(self._desktop_command)
            except Exception as exc:  # any platform problem: no desktop, nothing else
                self._desktop_off(exc)
        if self._desktop:
            self._task = asyncio.create_task(self._send_loop(), name="console-desktop")
        if self._read_stdin and self._settings.enabled and _stdin_is_tty():
            threading.Thread(target=self._read_commands, name="console-stdin", daemon=True).start()

    def publish_alert(self, alert: Alert) -> None:
        if self._settings.enabled:
            self._print_alert(alert)
        title = DESKTOP_TITLES.get(alert.kind)
        if self._desktop and title is not None:
            buttons = list(_DESKTOP_BUTTONS.get(alert.kind, ()))
            try:
                self._queue.put_nowait((title, alert.message, buttons))
            except asyncio.QueueFull:
                self.dropped += 1
                if self.dropped == 1:
                    log.warning("desktop notifications are backing up; dropping the newest")

    def publish_status(self, status: LiveStatus) -> None:
        every = self._settings.status_every_s
        if not self._settings.enabled or every <= 0:
            return
        now = self._clock()
        if self._last_status is not None and now - self._last_status < every:
            return
        self._last_status = now
        line = Text.assemble(
            (self._line_clock.text(status.t_s), "dim"),
            " ",
            (f"{'now':<14}", "dim"),
            " ",
            (status_line(status, self._tz), "dim"),
        )
        self._console.print(line, soft_wrap=True)

    def publish_day(self, report: DayReport) -> None:
        """The day's summary as a short block (whatever ``status_every_s``)."""
        if not self._settings.enabled:
            return
        for i, line in enumerate(day_lines(report)):
            self._console.print(Text(line, style="bold" if i == 0 else ""), soft_wrap=True)

    async def stop(self) -> None:
        self._stopped.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- internals ----------------------------------------------------------------------

    def _print_alert(self, alert: Alert) -> None:
        style = _STYLE.get(alert.kind, "")
        line = Text.assemble(
            (self._line_clock.text(alert.t_s), "dim"),
            " ",
            (f"{alert.kind.value:<14}", style),
            " ",
            (alert.message, style),
        )
        self._console.print(line, soft_wrap=True)

    async def _send_loop(self) -> None:
        while True:
            title, message, buttons = await self._queue.get()
            notifier = self._notifier
            if not self._desktop or notifier is None:
                continue
            try:
                await asyncio.wait_for(
                    notifier.notify(title, message, buttons), timeout=self._notify_timeout_s
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never out of the sink: desktop off, console on
                self._desktop_off(exc)
                while not self._queue.empty():
                    self._queue.get_nowait()
                return
            self.sent += 1

    def _desktop_off(self, exc: BaseException) -> None:
        self._desktop = False
        reason = str(exc) or type(exc).__name__
        log.info("desktop notifications off: %s", reason)

    def _desktop_command(self, text: str) -> None:
        self._command(text, "desktop")

    def _command(self, text: str, source: str) -> None:
        text = text.strip()
        if not text or self._on_command is None or self._stopped.is_set():
            return
        # the terminal is the person's own: a pain report is taken from it
        self._on_command(
            CommandRequest(text, source, self._show_refusals, pain_allowed=source == "console")
        )

    def _show_refusals(self, results: list[Alert]) -> None:
        """A refused command is answered here (it is not an alert for every sink)."""
        for alert in results:
            if alert.kind == AlertKind.REJECTED:
                self.publish_alert(alert)

    def _read_commands(self) -> None:
        for line in sys.stdin:
            if self._stopped.is_set():
                return
            self._command(line, "console")


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
