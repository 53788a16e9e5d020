"""A simulation made and replayed in parts (issue 14: ``sitload run`` never holds a
whole simulated day) gives the same samples, bit for bit, and the same messages as
the whole recording replayed at once, wherever the parts are cut."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Iterable

import numpy as np
import pytest

from analytics.records import Recording
from collector.sources.messages import Message, SampleBlock
from collector.sources.replay import ReplaySource
from collector.sources.simulator import simulate, simulate_parts

COLUMNS = ("t_s", "thigh_acc_g", "trunk_acc_g", "seat_p", "cadence_rpm")


@pytest.mark.parametrize(
    ("profile", "hours", "kw"),
    [("desk", 1.3, {}), ("cyclist", 0.6, {"seat": True}), ("desk", 0.4, {"trunk": False})],
)
@pytest.mark.parametrize("part_s", [37, 600, 3600])
def test_the_parts_are_the_recording(
    profile: str, hours: float, kw: dict[str, bool], part_s: int
) -> None:
    whole = simulate(profile, hours, 5, **kw).recording  # type: ignore[arg-type]
    parts = list(simulate_parts(profile, hours, 5, part_s=part_s, **kw))  # type: ignore[arg-type]
    assert len(parts) >= min(2, int(hours * 3600) // part_s)
    for c in COLUMNS:
        a = getattr(whole, c)
        if a is None:
            assert all(getattr(p, c) is None for p in parts)
        else:
            np.testing.assert_array_equal(np.concatenate([getattr(p, c) for p in parts]), a)


def _messages(recording: Recording | Iterable[Recording], **kw: float) -> tuple[int, str]:
    h = hashlib.sha256()
    count = 0

    async def emit(m: Message) -> None:
        nonlocal count
        count += 1
        if isinstance(m, SampleBlock):
            h.update(repr((m.device, m.kind, m.role)).encode())
            for a in (m.t_s, m.acc_g, m.seat_p, m.cadence_rpm):
                h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
        else:
            h.update(repr(m).encode())

    asyncio.run(ReplaySource(recording, emit, speed=float("inf"), **kw).run())
    return count, h.hexdigest()


def _split(rec: Recording, cuts: list[int]) -> list[Recording]:
    bounds = [0, *cuts, rec.n]
    return [
        Recording(
            **{
                c: None if getattr(rec, c) is None else getattr(rec, c)[a:b]
                for c in (*COLUMNS, "thigh_gyro_dps")
            }
        )
        for a, b in itertools.pairwise(bounds)
    ]


def test_a_replay_in_parts_emits_what_the_whole_does() -> None:
    rec = simulate("desk", 0.5, 6).recording
    assert rec.trunk_acc_g is not None
    t = rec.t_s.copy()
    t[40_000:] += 7.3  # a pause: an explicit gap
    t[60_000:] += 5000.0  # a clock jump
    trunk = rec.trunk_acc_g.copy()
    trunk[1000:1500] = np.nan  # trunk samples lost: a gap of the trunk only
    rec = Recording(t_s=t, thigh_acc_g=rec.thigh_acc_g, trunk_acc_g=trunk)
    for kw in ({}, {"t_offset_s": 123.456, "block_s": 2.0}):
        whole = _messages(rec, **kw)
        assert whole[0] > 1800
        for cuts in ([1], [49, 50, 51, 1000, 1001, 40_000, 59_999, 60_000], [rec.n - 1]):
            assert _messages(iter(_split(rec, cuts)), **kw) == whole, cuts
        assert _messages(iter(_split(rec, list(range(7, rec.n, 997)))), **kw) == whole
