"""The state file under damage: a schema check on load (types, ranges, finiteness),
one warning and a fresh start for anything it refuses, and saves that fail on a full
or read-only disk without stopping the service or spoiling the last good state."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analytics.alert_records import Alert
from collector.config import Settings
from collector.recordings import write_recording
from collector.service.app import make_service
from collector.service.state_store import StateStore
from collector.sinks.base import CommandCallback, LiveStatus
from collector.sinks.day_report import DayReport
from tests.analytics.signals import Part, build
from tests.collector.test_service_runner import settings_for

T0 = 1_795_420_800.0


class MemorySink:
    name = "memory"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.statuses: list[LiveStatus] = []
        self.days: list[DayReport] = []

    async def start(self, on_command: CommandCallback) -> None:
        pass

    def publish_alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def publish_status(self, status: LiveStatus) -> None:
        self.statuses.append(status)

    def publish_day(self, report: DayReport) -> None:
        self.days.append(report)

    async def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
def day_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 900), Part("stand", 150)]
    rec = build(parts, seed=5, t0_s=T0).recording
    path = tmp_path_factory.mktemp("rec") / "day.csv"
    write_recording(rec, path)
    return path


def run(settings: Settings) -> Any:
    service = make_service(settings, [MemorySink()])
    return asyncio.run(service.run(handle_signals=False))


@pytest.fixture(scope="module")
def good_state(day_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real saved state, as a replay that has not reached its end leaves it."""
    state = tmp_path_factory.mktemp("good")
    run(settings_for(day_file, state))
    saved: dict[str, Any] = json.loads((state / "user.state.json").read_text())
    saved["finished"] = False
    return saved


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for p in parents:
            d = d[p]
        d[last] = value

    return edit


DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "negative counter": _set("engine.alerts.prompted", -100),
    "negative evidence count": _set("engine.calibration_evidence.standing_s", -3),
    "evidence vector of 2": _set("engine.calibration_evidence.riding_sum", [0.0, 1.0]),
    "huge time": _set("engine.emitted_to", 10**308),
    "clocks disagree": _set("engine.emitted_to", -5),
    "string for a number": _set("engine.stream.index", "12"),
    "bool for a number": _set("engine.totals.compression_s", True),
    "list for a record": _set("engine.stream", [1, 2]),
    "no engine version": lambda d: d["engine"].pop("version"),
    "no alert state": lambda d: d["engine"].pop("alerts"),
    "unknown key": _set("engine.alerts.prompts_made", 3),
    "short vector": _set("engine.calibration.thigh.up", [0.0, 1.0]),
    "text start time": _set("extra.sim_start_t_s", "08:00"),
    "wrong top-level type": _set("engine", "yes"),
    "huge break": lambda d: d["engine"]["stream"]["breaks"].append({"duration_s": 1e308}),
}


def _write_damaged(state: Path, good: dict[str, Any], damage: str) -> None:
    d = copy.deepcopy(good)
    d["engine"]["stream"].setdefault("breaks", [])
    DAMAGE[damage](d)
    state.mkdir()
    (state / "user.state.json").write_text(json.dumps(d))


def _assert_fresh_start(state: Path, summary: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert summary.stopped_by == "end of data"
    assert summary.resumed_from_t_s is None
    assert summary.seconds > 1000  # the whole recording, from its start
    assert len(list(state.glob("user.state.json.corrupt-*"))) == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "damaged" in warnings[0].getMessage()


def test_a_good_state_resumes(day_file: Path, good_state: dict[str, Any], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "user.state.json").write_text(json.dumps(good_state))
    summary = run(settings_for(day_file, state))
    assert summary.resumed_from_t_s is not None
    assert not list(state.glob("*.corrupt-*"))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_state_is_moved_aside_with_one_warning(
    damage: str,
    day_file: Path,
    good_state: dict[str, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = tmp_path / "state"
    _write_damaged(state, good_state, damage)
    with caplog.at_level(logging.WARNING):
        summary = run(settings_for(day_file, state))
    _assert_fresh_start(state, summary, caplog)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"version": 1, "source": "x", "engine": {"emitted_to": NaN}}',
        b'{"version": 1, "source": "x", "engine": {"emitted_to": Infinity}}',
        b'{"version": 1, "source": "\xff\xfe"}',
        b"[1, 2, 3]",
    ],
    ids=["NaN", "Infinity", "not UTF-8", "not an object"],
)
def test_invalid_json_values_are_moved_aside(
    raw: bytes, day_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "user.state.json").write_bytes(raw)
    with caplog.at_level(logging.WARNING):
        summary = run(settings_for(day_file, state))
    _assert_fresh_start(state, summary, caplog)


def test_a_leftover_temporary_file_is_removed(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "user")
    (tmp_path / "user.state.json.tmp").write_bytes(b"")
    assert store.load() is None
    assert not (tmp_path / "user.state.json.tmp").exists()


def test_a_failed_save_keeps_the_last_good_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file size limit (RLIMIT_FSIZE, which needs no privileges) makes every write
    fail as a full disk would (EFBIG instead of ENOSPC)."""
    import resource

    store = StateStore(tmp_path, "user")
    assert store.save({"a": 1})
    good = store.path.read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    import signal

    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4, hard))
    try:
        with caplog.at_level(logging.WARNING):
            assert not store.save({"a": 2, "pad": "x" * 100})
            assert not store.save({"a": 3, "pad": "x" * 100})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)
    assert store.path.read_bytes() == good
    assert not (tmp_path / "user.state.json.tmp").exists()
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert store.save({"a": 4})
    assert json.loads(store.path.read_bytes()) == {"a": 4}
    assert os.path.getsize(store.path) > 0


def test_a_state_json_cannot_hold_is_not_saved_and_does_not_raise(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "user")
    assert store.save({"a": 1})
    assert not store.save({"a": float("nan")})
    assert json.loads(store.path.read_bytes()) == {"a": 1}
    assert not (tmp_path / "user.state.json.tmp").exists()


def test_a_seat_mat_state_passes_the_schema() -> None:
    """The state of a seat-mat engine (its tracked empty-seat baseline included)."""
    import numpy as np

    from collector.service.engine import LiveEngine
    from collector.service.state_schema import problem
    from collector.sources.messages import Role, SampleBlock
    from tests.analytics.seat_chair import CHAIR, chair_recording

    eng = LiveEngine({Role.SEAT}, seat_layout=CHAIR, seat_baseline=[200.0] * CHAIR.n_cells)
    t, p, _occupied, _ = chair_recording(
        np.random.default_rng(1), [("upright", 240.0), ("lean", 120.0)], t0_s=T0
    )
    for k in range(0, t.size, 20):
        eng.accept(SampleBlock("mat", "x", Role.SEAT, t[k : k + 20], seat_p=p[k : k + 20]))
        eng.process()
    engine = json.loads(json.dumps(eng.state_dict()))
    assert engine["seat_baseline"] is not None
    state = {"version": 1, "source": "ble", "finished": False, "extra": {}, "engine": engine}
    assert problem(state) is None
