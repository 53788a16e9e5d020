"""The replay source and a clock that jumps (issue 16, finding 1): only blocks that
hold samples are scheduled, and a jump beyond ``max_time_jump_s`` is not waited for
(a pause below it is, as before)."""

from __future__ import annotations

import asyncio
import tracemalloc

import numpy as np

from analytics.records import Recording
from collector.sources.messages import Message, SampleBlock
from collector.sources.replay import ReplaySource


def _jumping(jump_s: float) -> Recording:
    t = np.concatenate((np.arange(100) * 0.1, jump_s + np.arange(100) * 0.1))
    return Recording(t_s=t, thigh_acc_g=np.tile([0.0, 0.0, 1.0], (200, 1)))


def _replay(rec: Recording, speed: float) -> tuple[list[Message], int]:
    messages: list[Message] = []

    async def emit(m: Message) -> None:
        messages.append(m)

    tracemalloc.start()
    try:
        asyncio.run(asyncio.wait_for(ReplaySource(rec, emit, speed=speed).run(), 60))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return messages, peak


def test_a_jump_costs_neither_memory_nor_waiting() -> None:
    # 10⁸ s: the old schedule of every second in the span took 800 MB (a Unix-time
    # switch, 1.7·10⁹ s, took 13 GiB); and at 10⁶× real time it waited 100 s
    messages, peak = _replay(_jumping(1e8), speed=1e6)
    blocks = [m for m in messages if isinstance(m, SampleBlock)]
    assert sum(b.t_s.shape[0] for b in blocks) == 200
    assert peak < 20 << 20
