"""Epochs built chunk by chunk are exactly the one-shot epochs, for any chunking,
segment by segment at time jumps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.epoch_stream import EpochBuilder, EpochSegment
from analytics.epochs import epochs_from_recording, with_trunk_deviation
from analytics.records import Epochs, Recording
from analytics.rhythm_stream import RhythmStream
from analytics.segments import TimeJumpParams, split_times

JUMPS = TimeJumpParams(max_time_jump_s=600.0)


def _recording(seed: int, n: int, *, jumps: bool, trunk: bool, cadence: bool) -> Recording:
    rng = np.random.default_rng(seed)
    step = rng.choice([0.02, 0.013, 0.1], size=n) * rng.uniform(0.5, 1.5, n)
    pauses = rng.random(n) < 0.002
    step[pauses] += rng.uniform(1.0, 500.0, int(pauses.sum()))  # gaps inside a segment
    if jumps:
        big = rng.random(n) < 0.001
        step[big] = rng.choice([-5e4, 3e9, 700.0], size=int(big.sum()))
    step[0] = 0.0
    t = float(rng.uniform(-3.0, 2e9)) + np.cumsum(step)
    # still and moving stretches: the rhythm is computed where the thigh moves
    scale = np.repeat(rng.choice([0.001, 0.3], size=n // 300 + 1), 300)[:n, None]
    thigh = rng.normal(0.0, 1.0, (n, 3)) * scale + np.array([0.0, 0.0, 1.0])
    thigh[rng.random(n) < 0.01] = np.nan  # the thigh sent nothing in that sample
    trunk_g = rng.normal(0.0, 0.2, (n, 3)) + np.array([1.0, 0.0, 0.0]) if trunk else None
    if trunk_g is not None:
        trunk_g[rng.random(n) < 0.02] = np.nan
    rpm = rng.uniform(0, 120, n) if cadence else None
    if rpm is not None:
        rpm[rng.random(n) < 0.1] = np.nan
    return Recording(t_s=t, thigh_acc_g=thigh, trunk_acc_g=trunk_g, cadence_rpm=rpm)


def _chunks(n: int, sizes: list[int]) -> list[slice]:
    out, i, k = [], 0, 0
    while i < n:
        j = min(n, i + sizes[k % len(sizes)])
        out.append(slice(i, j))
        i, k = j, k + 1
    return out


def _feed(rec: Recording, sizes: list[int], jumps: TimeJumpParams = JUMPS) -> list[EpochSegment]:
    """The epochs and their rhythm windows, worked out as the chunks come."""
    rhythm = RhythmStream()
    b = EpochBuilder(jumps, rhythm.on_epochs, rhythm.on_samples)
    for c in _chunks(rec.n, sizes):
        b.add(
            rec.t_s[c],
            None if rec.thigh_acc_g is None else rec.thigh_acc_g[c],
            None if rec.trunk_acc_g is None else rec.trunk_acc_g[c],
            None if rec.cadence_rpm is None else rec.cadence_rpm[c],
        )
    return rhythm.finish(b.finish())


def _assert_same(a: Epochs, b: Epochs) -> None:
    assert a.t0_s == b.t0_s
    for f in dataclasses.fields(Epochs):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "t0_s":
            continue
        assert (x is None) == (y is None), f.name
        if x is not None:
            assert x.shape == y.shape, f.name
            assert np.array_equal(x, y, equal_nan=True), f.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6000),
    sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=8),
    jumps=st.booleans(),
    trunk=st.booleans(),
    cadence=st.booleans(),
)
def test_any_chunking_gives_the_one_shot_epochs_of_every_segment(
    seed: int, n: int, sizes: list[int], jumps: bool, trunk: bool, cadence: bool
) -> None:
    rec = _recording(seed, n, jumps=jumps, trunk=trunk, cadence=cadence)
    got = _feed(rec, sizes)
    expected = split_times(rec.t_s, JUMPS)
    assert [g.segment for g in got] == expected
    for g, seg in zip(got, expected, strict=True):
        rows = slice(seg.first_sample, seg.stop_sample)
        part = Recording(
            t_s=rec.t_s[rows],
            thigh_acc_g=None if rec.thigh_acc_g is None else rec.thigh_acc_g[rows],
            trunk_acc_g=None if rec.trunk_acc_g is None else rec.trunk_acc_g[rows],
            cadence_rpm=None if rec.cadence_rpm is None else rec.cadence_rpm[rows],
        )
        one_shot = epochs_from_recording(part)
        _assert_same(g.epochs, one_shot)
        # the off-body test's trunk deviation, from the samples or from the pass
        seconds = np.random.default_rng(seed).random(one_shot.n) < 0.3
        _assert_same(
            g.trunk_deviation(g.epochs, seconds), with_trunk_deviation(part, one_shot, seconds)
        )


def test_a_jump_between_chunks_starts_a_segment_with_the_jump_and_the_first_row() -> None:
    b = EpochBuilder(TimeJumpParams(max_time_jump_s=60.0))
    acc = np.tile([0.0, 0.0, 1.0], (100, 1))
    b.add(np.arange(100) * 0.02, acc)
    b.add(3e9 + np.arange(100) * 0.02, acc)
    first, second = b.finish()
    assert (first.segment.first_sample, first.segment.n_samples) == (0, 100)
    assert (second.segment.first_sample, second.segment.n_samples) == (100, 100)
    assert second.segment.jump_s == pytest.approx(3e9 - 1.98)
    assert first.epochs.n == 2
    assert second.epochs.n == 2


def test_chunks_must_keep_their_sensors() -> None:
    b = EpochBuilder()
    b.add(np.array([0.0, 0.1]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="same sensors"):
        b.add(np.array([0.2]), np.zeros((1, 3)), np.zeros((1, 3)))
