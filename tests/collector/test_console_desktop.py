"""collector.sinks.console: desktop notifications.

The desktop side is tested through the module's own Notifier protocol with a small
fake, and once with the real desktop_notifier backend, which on this machine (no
D-Bus session) must fail soft.
"""

from __future__ import annotations

import asyncio
import logging
import platform

import pytest

from analytics.alert_records import AlertKind
from collector.sinks.base import CommandRequest
from collector.sinks.console import (
    DESKTOP_TITLES,
    STAND_BUTTONS,
    ConsoleSink,
    DesktopNotify,
    NotifierUnavailableError,
)
from collector.sinks.settings import ConsoleSettings
from tests.collector.console_harness import (
    MODULE_LOG,
    UTC,
    FakeNotifier,
    alert,
    plain_console,
    run,
    settle,
)

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
