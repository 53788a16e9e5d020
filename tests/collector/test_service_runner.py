"""The service runner in this process: replay to the end, the state file (finished,
damaged, from another source), commands from a sink, and `sitload run` errors."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analytics.alert_records import Alert, AlertKind
from collector.cli import main
from collector.config import Overrides, Settings, load_settings
from collector.recordings import write_recording
from collector.service.app import make_service
from collector.sinks.base import CommandCallback, CommandRequest, LiveStatus
from collector.sinks.day_report import DayReport
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0


class MemorySink:
    """A sink behind the project's own AlertSink protocol, keeping what it gets."""

    name = "memory"

    def __init__(self, commands: list[str] | None = None) -> None:
        self.alerts: list[Alert] = []
        self.statuses: list[LiveStatus] = []
        self.days: list[DayReport] = []
        self.commands = list(commands or [])
        self.replies: list[list[Alert]] = []
        self.stopped = False

    async def start(self, on_command: CommandCallback) -> None:
        self.on_command = on_command

    def publish_alert(self, alert: Alert) -> None:
        self.alerts.append(alert)
        if alert.kind == AlertKind.PROMPT and self.commands:
            self.on_command(CommandRequest(self.commands.pop(0), "test", self.replies.append))

    def publish_status(self, status: LiveStatus) -> None:
        self.statuses.append(status)

    def publish_day(self, report: DayReport) -> None:
        self.days.append(report)

    async def stop(self) -> None:
        self.stopped = True


@pytest.fixture(scope="module")
def day_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 2000), Part("stand", 150)]
    rec = build(parts, seed=5, t0_s=T0).recording
    path = tmp_path_factory.mktemp("rec") / "day.csv"
    write_recording(rec, path)
    return path


def settings_for(day_file: Path, state: Path) -> Settings:
    s = load_settings(None, Overrides(source=f"replay:{day_file}", state_dir=state, user_id="user"))
    s = dataclasses.replace(s, timezone="UTC", mqtt=None)
    return dataclasses.replace(s, source=dataclasses.replace(s.source, speed=float("inf")))


def run(settings: Settings, sink: MemorySink) -> Any:
    service = make_service(settings, [sink])
    return asyncio.run(service.run(handle_signals=False)), service


def test_replay_to_the_end_then_afresh(day_file: Path, tmp_path: Path) -> None:
    s = settings_for(day_file, tmp_path / "state")
    sink = MemorySink()
    summary, service = run(s, sink)
    assert summary.stopped_by == "end of data"
    assert sink.stopped
    assert [a.kind for a in sink.alerts] == [
        AlertKind.PROMPT,
        AlertKind.BREAK_STARTED,
        AlertKind.BREAK_COMPLETE,
    ]
    assert sink.alerts[0].t_s == T0 + 180 + 1800
    saved = json.loads(service.store.path.read_text())
    assert saved["finished"] is True
    again = MemorySink()
    summary2, _ = run(s, again)  # a finished replay starts afresh: the same alerts
    assert summary2.resumed_from_t_s is None
    assert [a.id for a in again.alerts] == [a.id for a in sink.alerts]


def test_commands_from_a_sink_are_applied_and_answered(day_file: Path, tmp_path: Path) -> None:
    sink = MemorySink(commands=["snooze 2"])
    summary, _ = run(settings_for(day_file, tmp_path / "state"), sink)
    assert summary.commands == 1
    assert sink.replies
    assert sink.replies[0][0].kind == AlertKind.SNOOZED
    assert AlertKind.SNOOZED in [a.kind for a in sink.alerts]


def test_damaged_state_is_moved_aside(day_file: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "user.state.json").write_text("{not json")
    sink = MemorySink()
    summary, _ = run(settings_for(day_file, state), sink)
    assert summary.stopped_by == "end of data"
    assert list(state.glob("user.state.json.corrupt-*"))


def test_state_of_another_source_is_not_resumed(day_file: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "user.state.json").write_text(
        json.dumps({"version": 1, "source": "replay:/elsewhere.csv", "engine": {}})
    )
    summary, _ = run(settings_for(day_file, state), MemorySink())
    assert summary.resumed_from_t_s is None
    assert summary.seconds > 2000


def test_run_config_error_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts]\nprompt_after_min = -5\n")
    result = CliRunner().invoke(main, ["run", "--config", str(bad)])
    assert result.exit_code == 2
    assert "alerts.prompt_after_min" in result.output


def test_run_missing_replay_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--source", f"replay:{tmp_path / 'nope.csv'}"])
    assert result.exit_code == 2
    assert "nope.csv" in result.output


class FakeHistory:
    """Behind the service's own HistorySubmit protocol: keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.closed = False

    def submit(self, records: Any) -> None:
        self.records += list(records)

    def close(self, timeout_s: float = 10.0) -> None:
        self.closed = True


def test_history_gets_everything_and_pain_reports(day_file: Path, tmp_path: Path) -> None:
    from collector.sinks.history.model import (
        DailyRecord,
        EventRecord,
        PainReport,
        TimelineChunk,
    )

    sink = MemorySink()
    history = FakeHistory()
    s = settings_for(day_file, tmp_path / "state")
    service = make_service(s, [sink], history=history)

    async def go() -> Any:
        task = asyncio.create_task(service.run(handle_signals=False))
        while service.engine is None:
            await asyncio.sleep(0.01)
        for text in ("pain 11", "pain 6 morning stiff after the drive"):
            service.command(CommandRequest(text, "test", sink.replies.append, pain_allowed=True))
        # a channel that others may write (the MQTT command topic) cannot report pain
        service.command(CommandRequest("pain 9", "mqtt", sink.replies.append))
        return await task

    summary = asyncio.run(go())
    assert summary.commands == 3
    assert summary.rejected_commands == 2
    assert history.closed
    rejected, recorded, forged = (r[0] for r in sink.replies)
    assert rejected.kind == AlertKind.REJECTED
    assert "0–10" in rejected.message
    assert forged.kind == AlertKind.REJECTED
    assert "not taken from mqtt" in forged.message
    # refused commands are answered to the sender only: no alert, no history row
    assert not any(a.kind == AlertKind.REJECTED for a in sink.alerts)
    assert recorded.kind == AlertKind.STATUS
    assert "6/10 (morning)" in recorded.message
    pains = [r for r in history.records if isinstance(r, PainReport)]
    assert [(p.score, p.when, p.note) for p in pains] == [(6, "morning", "stiff after the drive")]
    # every emitted second is written; a revision of the hip angles (at the end of the
    # run) writes seconds again, which the stores keep once
    chunks = [r for r in history.records if isinstance(r, TimelineChunk)]
    seconds = {t for r in chunks for t in range(r.t0_s, r.t0_s + r.n)}
    assert len(seconds) == summary.seconds
    assert max(seconds) - min(seconds) + 1 == summary.seconds
    alerts = [r for r in history.records if isinstance(r, EventRecord) and r.source == "alert"]
    assert {a.id for a in alerts} >= {a.id for a in sink.alerts if a.kind != AlertKind.STATUS}
    assert any(isinstance(r, DailyRecord) and r.prompted == 1 for r in history.records)


def test_simulated_source_runs_and_resumes_the_same_day(tmp_path: Path) -> None:
    s = load_settings(None, Overrides(source="simulate:desk", state_dir=tmp_path / "state"))
    s = dataclasses.replace(
        s,
        timezone="UTC",
        mqtt=None,
        source=dataclasses.replace(s.source, hours=0.5, speed=float("inf")),
    )
    summary, service = run(s, MemorySink())
    assert summary.stopped_by == "end of data"
    assert summary.seconds > 1700
    assert summary.samples > 80_000
    saved = json.loads(service.store.path.read_text())
    start = saved["extra"]["sim_start_t_s"]
    import time
    import zoneinfo

    from collector.service.plans import simulation_start

    assert start == simulation_start(zoneinfo.ZoneInfo("UTC"), time.time())  # 08:00 today
    assert saved["finished"] is True
