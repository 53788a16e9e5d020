"""The live engine keeps a seat mat's empty-seat baseline from window to window and in
its state, so that a window in which someone sits throughout (or a session that starts
seated) does not learn the sitter as an empty seat (issue 11, finding 5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analytics.live_steps import run_steps
from analytics.records import FloatArray, Posture
from collector.config import ConfigError, Overrides, load_settings
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.seat_chair import CHAIR, chair_recording, truth_seconds

SITTING = [("upright", 240.0), ("lean", 120.0)] * 5
"""30 min seated, leaning forward (a light load) for 2 min in every 6."""


def run(eng: LiveEngine, t: FloatArray, p: FloatArray) -> tuple[int, np.ndarray]:
    steps = (
        [SampleBlock("mat", "x", Role.SEAT, t[k : k + 20], seat_p=p[k : k + 20])]
        for k in range(0, t.size, 20)
    )
    parts = run_steps(eng, steps)
    return parts[0].t0_s, np.concatenate([s.posture for s in parts])


def accuracy(eng: LiveEngine, plan: list[tuple[str, float]], seed: int, t0_s: float) -> float:
    t, p, occupied, _ = chair_recording(np.random.default_rng(seed), plan, t0_s=t0_s)
    first, posture = run(eng, t, p)
    truth = truth_seconds(t, occupied, first, posture.size)
    return float(np.mean((posture == Posture.SITTING) == truth))


def test_a_long_sitting_keeps_the_baseline_learned_while_the_seat_was_empty() -> None:
    eng = LiveEngine({Role.SEAT}, seat_layout=CHAIR)
    plan = [("empty", 300.0), *SITTING, ("empty", 300.0)]
    # 0.823 when every 11-minute window learned its own baseline
    assert accuracy(eng, plan, seed=4, t0_s=1_790_000_000.0) >= 0.99
    assert eng.seat_baseline is not None
    saved = json.loads(json.dumps(eng.state_dict()))
    assert saved["seat_baseline"] == list(eng.seat_baseline)
    # the next session starts seated: the saved baseline is the mat's empty seat
    again = LiveEngine({Role.SEAT}, seat_layout=CHAIR, saved=saved)
    assert again.seat_baseline == eng.seat_baseline
    fresh = LiveEngine({Role.SEAT}, seat_layout=CHAIR)
    later = 1_790_000_000.0 + 86_400.0
    assert accuracy(again, SITTING, seed=5, t0_s=later) >= 0.99
    assert accuracy(fresh, SITTING, seed=5, t0_s=later) < 0.95  # nothing to go by


def test_a_configured_baseline_is_used_from_the_first_second() -> None:
    t, p, occupied, offset = chair_recording(np.random.default_rng(6), SITTING)
    eng = LiveEngine({Role.SEAT}, seat_layout=CHAIR, seat_baseline=offset.tolist())
    first, posture = run(eng, t, p)
    truth = truth_seconds(t, occupied, first, posture.size)
    assert np.mean((posture == Posture.SITTING) == truth) >= 0.99


def test_the_baseline_can_be_configured(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[source]\nseat = true\nseat_baseline = [200, 210.5]\n", encoding="utf-8")
    s = load_settings(path, Overrides(), environ={})
    assert s.source.seat_baseline == (200.0, 210.5)
    for bad in ("[]", '["x"]', "[nan]"):
        path.write_text(f"[source]\nseat_baseline = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="seat_baseline"):
            load_settings(path, Overrides(), environ={})
