"""Downtime is one gap: a restart a year later (or a state file whose time is far in
the past) and a wall clock that jumps forward cost memory independent of the gap,
end the bout once, and report the gap's length."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.alert_records import AlertKind
from analytics.compression import EventKind
from analytics.live_steps import EngineOutput
from analytics.records import Recording
from collector.recordings import write_recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0  # Monday 08:00 UTC
YEAR_S = 365 * 86_400
ROLES = {Role.THIGH, Role.TRUNK}


@pytest.fixture(scope="module")
def day() -> Recording:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 1500), Part("walk", 120)]
    return build(parts, seed=3, trunk=True, t0_s=T0).recording


def shifted(rec: Recording, by_s: float) -> Recording:
    return dataclasses.replace(rec, t_s=rec.t_s + by_s)


def feed(eng: LiveEngine, rec: Recording, *, start: float, stop: float) -> list[EngineOutput]:
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(start, stop + 1.0, 1.0))
    out = []
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
        assert rec.trunk_acc_g is not None
        eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
        out.append(eng.process())
    return out


def test_a_restart_a_year_later_is_one_gap(day: Recording) -> None:
    first = LiveEngine(ROLES)
    feed(first, day, start=T0, stop=T0 + 1200)  # 17 min into a bout
    assert first.stream is not None
    assert first.stream.in_bout
    saved = json.loads(json.dumps(first.state_dict()))
    cut = saved["emitted_to"]
    second = LiveEngine(ROLES, saved=saved)
    later = shifted(day, YEAR_S)
    tracemalloc.start()
    outs = feed(second, later, start=T0 + YEAR_S, stop=T0 + YEAR_S + 600)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20  # a year of per-second arrays would be gigabytes
    events = [e for o in outs for e in o.events]
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.GAP_STARTED) == 1
    assert kinds.count(EventKind.BOUT_ENDED) == 1
    gap_end = [e for e in events if e.kind == EventKind.GAP_ENDED]
    assert [e.value for e in gap_end] == [float(T0 + YEAR_S - cut)]
    bouts = [b for o in outs for b in o.bouts]
    assert [b.gap_s for b in bouts] == [float(T0 + YEAR_S - cut)]
    seconds = sum(o.seconds.n for o in outs if o.seconds is not None)
    assert seconds < 700  # only seconds with data: no year of "no data" rows
    alerts = [a for o in outs for a in o.alerts]
    assert AlertKind.PROMPT not in [a.kind for a in alerts]  # the old bout is over


def test_a_wall_clock_jump_while_silent_is_one_gap(day: Recording) -> None:
    eng = LiveEngine(ROLES)
    feed(eng, day, start=T0, stop=T0 + 900)
    for k in range(1, 40):  # the sensors go quiet; wall time moves on
        eng.tick(T0 + 900 + k)
        eng.process()
    before = eng.emitted_to
    assert before is not None
    tracemalloc.start()
    eng.tick(T0 + 900 + YEAR_S)  # the clock is set a year forward
    out = eng.process()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20
    assert eng.emitted_to is not None
    assert eng.emitted_to > before + YEAR_S - 100
    assert out.seconds is None or out.seconds.n < 100
    assert eng.status().data == "no_data"


def _shift_state(state: dict[str, Any], by_s: int) -> None:
    """Every time in a saved state moved by ``by_s`` (whole days): a consistent state
    that is simply old."""
    eng = state["engine"]
    eng["emitted_to"] += by_s
    stream = eng["stream"]
    stream["t0_s"] += by_s
    for b in stream["breaks"]:
        b["start_s"] += by_s
    alerts = eng["alerts"]
    for key, value in alerts.items():
        if key.endswith("_t_s") and value is not None:
            alerts[key] = value + by_s
    alerts["day"] += by_s // 86_400
    eng["totals"]["day"] += by_s // 86_400


def _limit_memory() -> None:
    limit = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("age", ["a year back", "emitted_to -5"])
def test_sitload_run_with_an_old_state_file(day: Recording, tmp_path: Path, age: str) -> None:
    """The reported reproduction, in a real process under a 3 GiB address-space
    limit (before: 2.5 GB for a year, 24 GB and a kernel kill for -5)."""
    path = tmp_path / "day.csv"
    write_recording(day, path)
    state = tmp_path / "state"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    cmd = [
        sys.executable,
        "-m",
        "collector.cli",
        "run",
        "--source",
        f"replay:{path}",
        "--speed",
        "100000",
        "--state-dir",
        str(state),
        "--user",
        "user",
        "--history",
        f"sqlite:///{tmp_path / 'h.db'}",
    ]
    first = subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    saved = json.loads((state / "user.state.json").read_text())
    saved["finished"] = False
    if age == "a year back":
        _shift_state(saved, -YEAR_S)
    else:
        saved["engine"]["emitted_to"] = -5
    (state / "user.state.json").write_text(json.dumps(saved))
    again = subprocess.run(
        cmd, env=env, capture_output=True, timeout=300, check=False, preexec_fn=_limit_memory
    )
    err = again.stderr.decode()
    assert again.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    out = again.stdout.decode() + err
    assert "s of data" in out
