"""collector.sinks.console: alert lines, the status rate limit, desktop notifications.

The desktop side is tested through the module's own Notifier protocol with a small
fake, and once with the real desktop_notifier backend, which on this machine (no
D-Bus session) must fail soft.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
import platform
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from rich.console import Console

from analytics.alert_records import Adherence, Alert, AlertKind, Status
from collector.sinks.base import AlertSink, CommandRequest, LiveStatus
from collector.sinks.console import (
    DESKTOP_TITLES,
    STAND_BUTTONS,
    Button,
    ConsoleSink,
    DesktopNotify,
    NotifierUnavailableError,
    status_line,
)
from collector.sinks.settings import ConsoleSettings

T = TypeVar("T")
UTC = datetime.UTC
T0 = datetime.datetime(2024, 3, 5, 12, 34, 56, tzinfo=UTC).timestamp()
MODULE_LOG = "collector.sinks.console"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def alert(kind: AlertKind, message: str = "Sitting for 30 min: stand up", t_s: float = T0) -> Alert:
    return Alert(id=f"{kind.value}-1", kind=kind, t_s=t_s, message=message)


def plain_console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=100, color_system=None, force_terminal=False), buf


def status(**kw: object) -> LiveStatus:
    base: dict[str, object] = {
        "t_s": T0,
        "sitting": True,
        "posture": "sitting",
        "data": "ok",
        "bout_minutes": 12.0,
        "today_sitting_min": 205.0,
        "today_bouts_over_30": 2,
        "today_hip_gt90_min": 14.0,
        "adherence": Adherence(day=19787, prompted=3, taken=2),
    }
    base.update(kw)
    return LiveStatus(**base)  # type: ignore[arg-type]


class FakeNotifier:
    """Records notifications; fails or hangs when told to."""

    def __init__(self, fail: BaseException | None = None, hang: bool = False) -> None:
        self.calls: list[tuple[str, str, list[Button]]] = []
        self.fail = fail
        self.hang = hang

    async def notify(self, title: str, message: str, buttons: list[Button]) -> None:
        self.calls.append((title, message, buttons))
        if self.hang:
            await asyncio.Event().wait()
        if self.fail is not None:
            raise self.fail


async def settle(sink: ConsoleSink) -> None:
    """Let the background task take everything queued."""
    for _ in range(50):
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)


def test_console_sink_is_an_alert_sink() -> None:
    sink: AlertSink = ConsoleSink(ConsoleSettings(desktop=False), plain_console()[0])
    assert sink.name == "console"


# --- printing ----------------------------------------------------------------------------


def test_alerts_print_one_line_with_local_time_kind_and_message() -> None:
    console, buf = plain_console()
    sink = ConsoleSink(ConsoleSettings(desktop=False), console, tz=UTC, read_stdin=False)
    sink.publish_alert(alert(AlertKind.PROMPT, "Sitting for 30 min: stand up for 2 min"))
    sink.publish_alert(alert(AlertKind.REJECTED, "snooze [x]: not a number", t_s=T0 + 61))
    lines = buf.getvalue().splitlines()
    assert lines == [
        "12:34:56 prompt         Sitting for 30 min: stand up for 2 min",
        "12:35:57 rejected       snooze [x]: not a number",  # brackets are not markup
    ]


def test_times_follow_the_time_zone() -> None:
    console, buf = plain_console()
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    sink = ConsoleSink(ConsoleSettings(desktop=False), console, tz=tz, read_stdin=False)
    sink.publish_alert(alert(AlertKind.BREAK_COMPLETE, "Break complete"))
    assert buf.getvalue().startswith("07:34:56 break_complete")


def test_long_messages_stay_on_one_line() -> None:
    console, buf = plain_console()
    sink = ConsoleSink(ConsoleSettings(desktop=False), console, tz=UTC, read_stdin=False)
    sink.publish_alert(alert(AlertKind.ESCALATION, "x" * 300))
    assert len(buf.getvalue().splitlines()) == 1


@pytest.mark.parametrize(
    ("kind", "sgr"),
    [
        (AlertKind.PROMPT, "\x1b[33m"),
        (AlertKind.ESCALATION, "\x1b[1;31m"),
        (AlertKind.REPEAT, "\x1b[1;31m"),
        (AlertKind.BREAK_COMPLETE, "\x1b[32m"),
        (AlertKind.STATUS, "\x1b[2m"),
        (AlertKind.REJECTED, "\x1b[31m"),
    ],
)
def test_style_by_kind(kind: AlertKind, sgr: str) -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=True, color_system="standard")
    sink = ConsoleSink(ConsoleSettings(desktop=False), console, tz=UTC, read_stdin=False)
    sink.publish_alert(alert(kind, "the message"))
    assert f"{sgr}the message" in buf.getvalue()


def test_status_line_at_most_every_status_every_s_of_wall_time() -> None:
    console, buf = plain_console()
    now = [100.0]
    sink = ConsoleSink(
        ConsoleSettings(desktop=False, status_every_s=60),
        console,
        clock=lambda: now[0],
        tz=UTC,
        read_stdin=False,
    )
    for wall in (100.0, 130.0, 159.9, 160.0, 200.0, 221.0):
        now[0] = wall
        sink.publish_status(status())
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3  # at 100, 160 and 221
    assert lines[0] == (
        "12:34:56 now            sitting, bout 12 min · today 3 h 25 min sitting · "
        "2 bouts ≥ 30 min · hip > 90° 14 min · breaks taken 2/3 prompts (67 %)"
    )


def test_status_line_details() -> None:
    assert status_line(status(data="no_data", bout_minutes=0.0)).startswith("no data · ")
    text = status_line(
        status(
            posture="riding_seated",
            adherence=Adherence(day=1),
            battery_pct=15,
            snoozed_until_t_s=T0 + 900,
            calibrated=False,
        ),
        UTC,
    )
    assert text.startswith("riding seated, bout 12 min")
    assert "no prompts yet" in text
    assert "snoozed until 12:49" in text
    assert "battery 15 %" in text
    assert text.endswith("calibrating")


def test_status_line_says_how_sure_the_calibration_is() -> None:
    """Issue 11: calibration confidence reported honestly in the live status too."""
    sure = status_line(status(calibration_source="auto", calibration_confidence=1.0), UTC)
    assert "confidence" not in sure
    unsure = status_line(status(calibration_source="auto", calibration_confidence=0.6), UTC)
    assert unsure.endswith("calibration confidence 0.60")
    ride = status_line(status(calibration_source="pedalling", calibration_confidence=0.0), UTC)
    assert "calibrated from pedalling only" in ride


@pytest.mark.parametrize(
    "settings",
    [
        ConsoleSettings(desktop=False, status_every_s=0),
        ConsoleSettings(enabled=False, desktop=False),
    ],
)
def test_no_status_line_when_off(settings: ConsoleSettings) -> None:
    console, buf = plain_console()
    sink = ConsoleSink(settings, console, read_stdin=False)
    sink.publish_status(status())
    if not settings.enabled:
        sink.publish_alert(alert(AlertKind.PROMPT))
    assert buf.getvalue() == ""


# --- desktop notifications -----------------------------------------------------------------


def test_notifier_gets_titles_and_buttons_for_the_desktop_kinds() -> None:
    console, buf = plain_console()
    fake = FakeNotifier()
    commands: list[CommandRequest] = []

    async def main() -> None:
        sink = ConsoleSink(ConsoleSettings(), console, notifier=fake, read_stdin=False)
        await sink.start(commands.append)
        for kind in AlertKind:
            sink.publish_alert(alert(kind, f"{kind.value} message"))
        await settle(sink)
        assert sink.sent == 6
        await sink.stop()

    run(main())
    got = {(title, message): buttons for title, message, buttons in fake.calls}
    stand = list(STAND_BUTTONS)
    assert stand == [("Snooze 15 min", "snooze 15"), ("Done", "ack")]
    assert got == {
        ("Time to stand up", "prompt message"): stand,
        ("Stand up now", "escalation message"): stand,
        ("Still sitting", "repeat message"): stand,
        (DESKTOP_TITLES[AlertKind.POSTURE], "posture message"): stand,
        ("Saddle time", "saddle message"): stand,
        ("Break complete", "break_complete message"): [],
    }
    assert fake.calls[0][0] == "Time to stand up"  # in order
    assert len(buf.getvalue().splitlines()) == len(AlertKind)  # every kind printed
    assert commands == []


def test_publish_alert_does_not_wait_for_the_notifier() -> None:
    console, buf = plain_console()
    fake = FakeNotifier(hang=True)

    async def main() -> ConsoleSink:
        sink = ConsoleSink(ConsoleSettings(), console, notifier=fake, read_stdin=False, queue_max=3)
        await sink.start(lambda _c: None)
        for _ in range(10):
            sink.publish_alert(alert(AlertKind.PROMPT))  # returns at once
        await settle(sink)
        assert len(fake.calls) == 1  # still showing the first one
        await sink.stop()  # cancels the hanging send
        return sink

    sink = run(main())
    assert len(buf.getvalue().splitlines()) == 10
    assert sink.dropped == 10 - 3  # three queued before the task ran


def test_a_failing_notifier_is_switched_off_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    console, buf = plain_console()
    fake = FakeNotifier(fail=OSError("no notification service"))

    async def main() -> ConsoleSink:
        sink = ConsoleSink(ConsoleSettings(), console, notifier=fake, read_stdin=False)
        await sink.start(lambda _c: None)
        for _ in range(3):
            sink.publish_alert(alert(AlertKind.PROMPT))
            await settle(sink)
        sink.publish_alert(alert(AlertKind.ESCALATION))
        await settle(sink)
        await sink.stop()
        return sink

    with caplog.at_level(logging.DEBUG):
        sink = run(main())
    assert not sink.desktop_enabled
    assert len(fake.calls) == 1
    records = [r for r in caplog.records if r.name == MODULE_LOG]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.INFO, "desktop notifications off: no notification service")
    ]
    assert len(buf.getvalue().splitlines()) == 4  # the console goes on


def test_a_hanging_notifier_times_out_and_is_switched_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    console, _buf = plain_console()
    fake = FakeNotifier(hang=True)

    async def main() -> ConsoleSink:
        sink = ConsoleSink(
            ConsoleSettings(), console, notifier=fake, read_stdin=False, notify_timeout_s=0.05
        )
        await sink.start(lambda _c: None)
        sink.publish_alert(alert(AlertKind.PROMPT))
        await asyncio.sleep(0.2)
        await sink.stop()
        return sink

    with caplog.at_level(logging.INFO, logger=MODULE_LOG):
        sink = run(main())
    assert not sink.desktop_enabled
    assert [r.getMessage() for r in caplog.records if r.name == MODULE_LOG] == [
        "desktop notifications off: TimeoutError"
    ]


def test_desktop_off_in_settings_never_calls_the_notifier() -> None:
    fake = FakeNotifier()

    async def main() -> None:
        sink = ConsoleSink(
            ConsoleSettings(desktop=False), plain_console()[0], notifier=fake, read_stdin=False
        )
        await sink.start(lambda _c: None)
        sink.publish_alert(alert(AlertKind.PROMPT))
        await settle(sink)
        await sink.stop()

    run(main())
    assert fake.calls == []


def test_stop_leaves_no_task_behind() -> None:
    async def main() -> None:
        sink = ConsoleSink(
            ConsoleSettings(), plain_console()[0], notifier=FakeNotifier(), read_stdin=False
        )
        await sink.start(lambda _c: None)
        await sink.stop()
        assert asyncio.all_tasks() == {asyncio.current_task()}
        await sink.stop()  # twice is fine

    run(main())


# --- the real desktop_notifier backend ------------------------------------------------------


@pytest.fixture
def no_desktop_session(monkeypatch: pytest.MonkeyPatch) -> None:
    if platform.system() != "Linux":
        pytest.skip("the D-Bus backend is the Linux one")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.mark.usefixtures("no_desktop_session")
def test_real_desktop_notifier_without_dbus_fails_soft(caplog: pytest.LogCaptureFixture) -> None:
    console, buf = plain_console()
    commands: list[CommandRequest] = []

    async def main() -> ConsoleSink:
        sink = ConsoleSink(ConsoleSettings(), console, tz=UTC, read_stdin=False)
        await sink.start(commands.append)
        sink.publish_alert(alert(AlertKind.PROMPT))
        sink.publish_alert(alert(AlertKind.ESCALATION))
        for _ in range(100):
            if not sink.desktop_enabled:
                break
            await asyncio.sleep(0.02)
        sink.publish_alert(alert(AlertKind.BREAK_COMPLETE, "Break complete"))
        await settle(sink)
        await sink.stop()
        return sink

    with caplog.at_level(logging.DEBUG):
        sink = run(main())
    assert not sink.desktop_enabled
    assert sink.sent == 0
    ours = [r for r in caplog.records if r.name == MODULE_LOG]
    assert len(ours) == 1
    assert ours[0].levelno == logging.INFO
    assert ours[0].getMessage().startswith("desktop notifications off: ")
    # desktop_notifier's own warning with its traceback is kept out of the log
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(buf.getvalue().splitlines()) == 3
    assert commands == []


@pytest.mark.usefixtures("no_desktop_session")
def test_desktop_notify_raises_its_own_error_without_dbus() -> None:
    async def main() -> None:
        with pytest.raises(NotifierUnavailableError, match="DBUS_SESSION_BUS_ADDRESS"):
            await DesktopNotify().notify("title", "message", [("Done", "ack")])

    run(main())


def test_desktop_buttons_send_their_command_as_a_desktop_request() -> None:
    commands: list[CommandRequest] = []

    async def main() -> None:
        sink = ConsoleSink(ConsoleSettings(), plain_console()[0], read_stdin=False)
        await sink.start(commands.append)
        notifier = sink._notifier
        assert isinstance(notifier, DesktopNotify)
        buttons = notifier.buttons(list(STAND_BUTTONS))
        assert [b.title for b in buttons] == ["Snooze 15 min", "Done"]
        for b in buttons:
            assert b.on_pressed is not None
            b.on_pressed()
        await sink.stop()

    run(main())
    assert [(c.text, c.source, c.pain_allowed) for c in commands] == [
        ("snooze 15", "desktop", False),
        ("ack", "desktop", False),
    ]


# --- typed commands ------------------------------------------------------------------------


def test_typed_lines_become_console_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[CommandRequest] = []

    async def main() -> None:
        sink = ConsoleSink(ConsoleSettings(desktop=False), plain_console()[0], read_stdin=False)
        await sink.start(commands.append)
        monkeypatch.setattr(sys, "stdin", io.StringIO("snooze 15\n\n  ack  \ncalibrate\n"))
        sink._read_commands()
        await sink.stop()
        sink._command("ack", "console")  # after stop: ignored

    run(main())
    # the terminal is the person's own: pain reports are taken from it
    assert [(c.text, c.source, c.pain_allowed) for c in commands] == [
        ("snooze 15", "console", True),
        ("ack", "console", True),
        ("calibrate", "console", True),
    ]
    # a refused command is shown here (it is no longer an alert for every sink)
    assert commands[0].reply is not None


def test_stdin_is_not_read_when_it_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[CommandRequest] = []
    monkeypatch.setattr(sys, "stdin", io.StringIO("ack\n"))

    async def main() -> None:
        sink = ConsoleSink(ConsoleSettings(desktop=False), plain_console()[0])
        await sink.start(commands.append)
        await asyncio.sleep(0.05)
        await sink.stop()

    run(main())
    assert commands == []


def test_status_alerts_print_dim_and_never_go_to_the_desktop() -> None:
    fake = FakeNotifier()
    console, buf = plain_console()

    async def main() -> None:
        sink = ConsoleSink(ConsoleSettings(), console, notifier=fake, tz=UTC, read_stdin=False)
        await sink.start(lambda _c: None)
        sink.publish_alert(
            Alert(
                id="status-1",
                kind=AlertKind.STATUS,
                t_s=T0,
                message="No data from the sensor: breaks cannot be checked.",
                status=Status.NO_DATA,
            )
        )
        await settle(sink)
        await sink.stop()

    run(main())
    assert fake.calls == []
    assert "status         No data from the sensor" in buf.getvalue()
