"""Soak: the live engine fed several simulated days keeps its memory flat — what it
buffers, what it saves and the process's resident memory do not grow with the length
of the data (no wall-clock assertion)."""

from __future__ import annotations

import gc
import itertools
import json
from pathlib import Path

import numpy as np

from analytics.live import LiveParams
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from collector.sources.simulator import simulate

T0 = 1_795_420_800.0
DAYS = 8
HOURS_A_DAY = 0.5
"""Worn this long each day (the rest of the day the sensors are silent: one gap)."""
RSS_GROWTH_MB = 20.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS in /proc/self/status")


def feed_day(engine: LiveEngine, day: int) -> int:
    rec = simulate("desk", HOURS_A_DAY, day + 1, start_t_s=T0 + day * 86400.0).recording
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2.0, 1.0))
    seconds = 0
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        for role, col in ((Role.THIGH, rec.thigh_acc_g), (Role.TRUNK, rec.trunk_acc_g)):
            assert col is not None
            ok = np.isfinite(col[a:c]).all(axis=1)
            if ok.any():
                engine.accept(SampleBlock("d", "sim", role, t[a:c][ok], acc_g=col[a:c][ok]))
        out = engine.process()
        seconds += 0 if out.seconds is None else out.seconds.n
    return seconds


def test_memory_stays_flat_over_several_days() -> None:
    engine = LiveEngine({Role.THIGH, Role.TRUNK})
    live = LiveParams()
    window_samples = 2 * 60 * (live.context_s + live.lag_s + live.step_s + 60)
    rss: list[float] = []
    state_size: list[int] = []
    seconds = 0
    for day in range(DAYS):
        seconds += feed_day(engine, day)
        gc.collect()
        rss.append(rss_mb())
        state_size.append(len(json.dumps(engine.state_dict())))
        assert engine.buffered_samples <= window_samples, (day, engine.buffered_samples)
    assert seconds > (DAYS - 1) * 86400  # every day went through, the nights as gaps
    growth = max(rss[1:]) - rss[1]
    assert growth < RSS_GROWTH_MB, f"RSS grew by {growth:.1f} MB after day 2: {rss}"
    assert max(state_size[1:]) < 2 * state_size[1], state_size
