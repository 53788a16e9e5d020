"""Random days of synthetic parts (walking, standing, sitting, riding seated and
standing on the pedals, lying, the sensor off the body, gaps; thigh alone or with a
trunk sensor) through the live engine and the batch pipeline: once the day has shown
a walk, the live engine gives what the batch gives, second for second. Before it, the
live engine cannot know what the batch learns from a later walk (the calibration).

Found this way: a day that starts on the bike kept its calibration from pedalling
all day (no hip angle), and a stop after a ride read as riding."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.pipeline import analyze_recording
from bench.accuracy_live import run_live
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0
KINDS = ("walk", "stand", "sit", "pedal", "stand_pedal", "gap", "offbody", "lie")
WEIGHTS = np.array([3.0, 2.0, 4.0, 2.0, 0.5, 0.7, 0.5, 0.7])
DURATIONS_S = (20, 45, 80, 100, 150, 300, 600, 1200)
WALK_S = 45
"""A walk this long calibrates (``PostureParams.calibration_gait_s`` and the
sustained-steps window with room to spare)."""


def random_day(seed: int, hours: float = 1.0) -> tuple[list[Part], bool]:
    rng = np.random.default_rng(seed)
    parts: list[Part] = []
    total = 0.0
    while total < hours * 3600:
        kind = str(rng.choice(KINDS, p=WEIGHTS / WEIGHTS.sum()))
        duration = float(rng.choice(DURATIONS_S))
        if kind == "stand_pedal":
            duration = min(duration, 60.0)
        parts.append(Part(kind, duration))
        total += duration
    return parts, bool(rng.random() < 0.5)


def first_walk_end_s(parts: list[Part]) -> float | None:
    t = 0.0
    for part in parts:
        t += part.duration_s
        if part.kind == "walk" and part.duration_s >= WALK_S:
            return t
    return None


@pytest.mark.parametrize("seed", [2, 6, 14, 17, 28, 35, 43, 48, 56, 57])
def test_after_the_first_walk_live_gives_what_the_batch_gives(seed: int) -> None:
    parts, trunk = random_day(seed)
    walked_s = first_walk_end_s(parts)
    assert walked_s is not None
    b = build(parts, seed=seed, t0_s=T0, trunk=trunk)
    batch = analyze_recording(b.recording).timeline
    live = run_live(b.recording)
    want = batch.posture[live.t0_s - batch.t0_s :][: live.posture.shape[0]]
    after = int(walked_s) - (live.t0_s - b.t0_s)
    assert 0 <= after < want.shape[0] - 600
    differ = np.flatnonzero(live.posture[after:] != want[after:]) + after
    assert differ.size <= 0.001 * (want.shape[0] - after), differ
