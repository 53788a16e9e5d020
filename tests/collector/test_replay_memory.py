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


def test_replaying_copies_blocks_not_the_recording() -> None:
    """The source reads the recording in place (the old one copied every sensor's
    samples whole) and the blocks it emits own their samples: a queue of them does
    not keep a replayed day in memory while the next day is made."""
    rec = simulate("desk", 1.0, 2).recording
    blocks: list[SampleBlock] = []

    async def emit(m: Message) -> None:
        if isinstance(m, SampleBlock) and len(blocks) < 10:
            blocks.append(m)

    size = sum(a.nbytes for a in (rec.t_s, rec.thigh_acc_g, rec.trunk_acc_g) if a is not None)
    tracemalloc.start()
    try:
        asyncio.run(asyncio.wait_for(ReplaySource(rec, emit, speed=float("inf")).run(), 120))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.6 * size, peak / size  # times only (the old copies: 1.6x)
    assert blocks
    for b in blocks:
        assert b.acc_g is not None
        for day in (rec.t_s, rec.thigh_acc_g, rec.trunk_acc_g):
            assert not np.shares_memory(b.acc_g, day)
            assert not np.shares_memory(b.t_s, day)
