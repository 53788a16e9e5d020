"""Replaying a simulated day holds the day once (issue 14): the simulator makes its
samples an hour at a time, and the replay source hands out views of the recording's
arrays instead of copying them."""

from __future__ import annotations

import asyncio
import tracemalloc

import numpy as np

from collector.sources.messages import Message, SampleBlock
from collector.sources.replay import ReplaySource
from collector.sources.simulator import simulate


def test_simulating_needs_little_more_than_the_recording() -> None:
    tracemalloc.start()
    try:
        rec = simulate("desk", 6.0, 3).recording
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = sum(a.nbytes for a in (rec.t_s, rec.thigh_acc_g, rec.trunk_acc_g) if a is not None)
    assert kept < 1.2 * size
    assert peak < 2.5 * size, (peak / size, "the old whole-day arrays took 4x")


def test_replayed_blocks_are_views_of_the_recording() -> None:
    rec = simulate("desk", 0.1, 2).recording
    blocks: list[SampleBlock] = []

    async def emit(m: Message) -> None:
        if isinstance(m, SampleBlock):
            blocks.append(m)

    asyncio.run(asyncio.wait_for(ReplaySource(rec, emit, speed=float("inf")).run(), 60))
    assert sum(b.n for b in blocks) == 2 * rec.t_s.shape[0]
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    for b in blocks:
        assert b.acc_g is not None
        assert np.shares_memory(b.acc_g, rec.thigh_acc_g) or np.shares_memory(
            b.acc_g, rec.trunk_acc_g
        )
