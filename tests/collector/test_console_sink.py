"""collector.sinks.console: alert lines, the status line and its rate limit, typed
commands. The desktop notifications are in test_console_desktop.py.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import sys

import pytest
from rich.console import Console

from analytics.alert_records import Adherence, Alert, AlertKind, Status
from collector.sinks.base import AlertSink, CommandRequest
from collector.sinks.console import (
    ConsoleSink,
    status_line,
)
from collector.sinks.settings import ConsoleSettings
from tests.collector.console_harness import (
    T0,
    UTC,
    FakeNotifier,
    alert,
    plain_console,
    run,
    settle,
    status,
)


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


def test_lines_carry_the_date_once_the_run_reaches_another_day() -> None:
    console, buf = plain_console()
    sink = ConsoleSink(
        ConsoleSettings(desktop=False, status_every_s=0.0), console, tz=UTC, read_stdin=False
    )
    sink.publish_alert(alert(AlertKind.PROMPT, "first", t_s=T0))
    sink.publish_alert(alert(AlertKind.PROMPT, "next day", t_s=T0 + 86_400))
    sink.publish_alert(alert(AlertKind.PROMPT, "later", t_s=T0 + 86_400 + 60))
    assert buf.getvalue().splitlines() == [
        "12:34:56 prompt         first",
        "2024-03-06 12:34:56 prompt         next day",
        "2024-03-06 12:35:56 prompt         later",
    ]


def test_status_lines_carry_the_date_in_a_multi_day_run() -> None:
    console, buf = plain_console()
    ticks = iter([0.0, 100.0])
    sink = ConsoleSink(
        ConsoleSettings(desktop=False, status_every_s=10.0),
        console,
        tz=UTC,
        clock=lambda: next(ticks),
        read_stdin=False,
    )
    sink.publish_status(status(t_s=T0))
    sink.publish_status(status(t_s=T0 + 2 * 86_400))
    first, second = buf.getvalue().splitlines()
    assert first.startswith("12:34:56 now ")
    assert second.startswith("2024-03-07 12:34:56 now ")


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


def test_status_line_counts_in_words() -> None:
    text = status_line(
        status(today_bouts_over_30=1, adherence=Adherence(day=19787, prompted=1, taken=1))
    )
    assert "1 bout ≥ 30 min" in text
    assert "breaks taken 1/1 prompt (100 %)" in text


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
