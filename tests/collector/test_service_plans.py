"""The run's source plans: a long simulation is made and replayed one piece at a time,
each piece in parts of about an hour (the service never holds more than one part), in
order, and resumes inside a piece."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable

import numpy as np

from analytics.records import FloatArray, Recording
from collector.config import Overrides, SourceSettings, load_settings
from collector.service.plans import SimulationPlan, chunk_seed
from collector.service.runner import Service
from collector.sources.simulator import simulate
from tests.collector.test_service_runner import MemorySink

T0 = 1_795_420_800.0
SOURCE = SourceSettings(kind="simulate", profile="desk", hours=0.2, seed=3, speed=float("inf"))


def times(parts: Iterable[Recording]) -> FloatArray:
    """The sample times of a piece's parts, joined."""
    return np.concatenate([p.t_s for p in parts])


def test_pieces_follow_each_other_and_the_first_is_the_whole_day() -> None:
    plan = SimulationPlan(SOURCE, lambda: T0, chunk_h=0.1)
    assert plan.pieces == 2
    extra: dict[str, float] = {}
    pieces = [times(parts) for parts in plan.recordings(extra, None)]
    assert len(pieces) == 2
    assert extra["sim_start_t_s"] == T0
    first = simulate("desk", 0.1, 3, start_t_s=T0).recording
    np.testing.assert_array_equal(pieces[0], first.t_s)
    assert pieces[1][0] > pieces[0][-1]
    assert pieces[1][0] >= T0 + 0.1 * 3600.0
    # a simulation of a day or less is one piece with the configured seed
    assert SimulationPlan(SOURCE, lambda: T0).pieces == 1
    assert chunk_seed(3, 0) == 3
    assert chunk_seed(3, 1) != chunk_seed(3, 2)


def test_a_resume_inside_the_second_piece_skips_the_first() -> None:
    plan = SimulationPlan(SOURCE, lambda: T0, chunk_h=0.1)
    resume = T0 + 0.15 * 3600.0
    pieces = [times(parts) for parts in plan.recordings({"sim_start_t_s": T0}, resume)]
    assert len(pieces) == 1
    assert pieces[0][0] >= resume


def test_the_service_replays_every_piece(tmp_path: object) -> None:
    s = load_settings(None, Overrides(state_dir=tmp_path))  # type: ignore[arg-type]
    s = dataclasses.replace(s, timezone="UTC", mqtt=None, source=SOURCE)
    plan = SimulationPlan(SOURCE, lambda: T0, chunk_h=0.05)
    assert plan.pieces == 4
    service = Service(s, plan, [MemorySink()], extra_state={"sim_start_t_s": T0})
    summary = asyncio.run(service.run(handle_signals=False))
    assert summary.stopped_by == "end of data"
    assert summary.last_t_s is not None
    assert summary.last_t_s >= T0 + 0.2 * 3600.0 - 2.0
    assert summary.seconds >= 0.2 * 3600.0 - 30.0
