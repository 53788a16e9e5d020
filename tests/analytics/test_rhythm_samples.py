"""The rhythm pass over only the samples near moving seconds gives the rhythm features
of all the samples, bit for bit, for any chunking (issue 14: a desk day keeps a tenth
of its thigh samples for the rhythm pass instead of all of them)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.epoch_stream import EpochBuilder, EpochSegment, RhythmPass
from analytics.records import FloatArray, Recording
from analytics.rhythm_samples import RhythmSamples
from analytics.segments import TimeJumpParams
from tests.analytics.test_epoch_stream import _assert_same, _chunks, _recording

NO_JUMPS = TimeJumpParams(max_time_jump_s=1e12)


def _all_samples(rec: Recording, sizes: list[int]) -> list[EpochSegment]:
    b = EpochBuilder(NO_JUMPS)
    assert rec.thigh_acc_g is not None
    for c in _chunks(rec.n, sizes):
        b.add(rec.t_s[c], rec.thigh_acc_g[c])
    rhythm = RhythmPass(b.finish())
    rhythm.add(rec.t_s, rec.thigh_acc_g)
    return rhythm.finish()


def _kept_samples(
    rec: Recording, sizes: list[int]
) -> tuple[list[EpochSegment], RhythmSamples, int]:
    """The builder telling :class:`RhythmSamples` its seconds, and the rhythm pass fed
    the kept samples only (in the pieces they were decided in); and how many."""
    near = RhythmSamples()
    b = EpochBuilder(NO_JUMPS, near.on_epochs)
    assert rec.thigh_acc_g is not None
    kept: list[tuple[FloatArray, FloatArray]] = []
    for c in _chunks(rec.n, sizes):
        b.add(rec.t_s[c], rec.thigh_acc_g[c])
        kept.append(near.add(rec.t_s[c], rec.thigh_acc_g[c]))
    rhythm = RhythmPass(b.finish())
    kept.append(near.finish())
    for t_s, acc in kept:
        if t_s.shape[0]:
            rhythm.add(t_s, acc)
    return rhythm.finish(), near, sum(int(t.shape[0]) for t, _ in kept)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6000),
    sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=8),
)
def test_the_kept_samples_give_the_rhythm_of_all_samples(
    seed: int, n: int, sizes: list[int]
) -> None:
    # gaps, missing thigh values, still and moving stretches, any start time
    rec = _recording(seed, n, jumps=False, trunk=False, cadence=False)
    (expected,) = _all_samples(rec, sizes)
    (got,), near, n_kept = _kept_samples(rec, sizes)
    assert not near.jumped
    assert n_kept <= n
    _assert_same(got.epochs, expected.epochs)


def test_a_still_day_with_a_few_walks_keeps_the_samples_around_the_walks() -> None:
    """30 minutes at 25 Hz, still but for two walks of a minute: the rhythm is the
    same, from about a tenth of the samples."""
    rng = np.random.default_rng(3)
    t = 1_767_225_600.0 + np.arange(45_000) / 25.0
    acc = np.tile([0.0, 0.0, 1.0], (t.shape[0], 1)) + rng.normal(0.0, 0.001, (t.shape[0], 3))
    for start_s in (300, 1200):
        walk = slice(start_s * 25, (start_s + 60) * 25)
        phase = 2 * np.pi * 1.8 * t[walk]
        acc[walk, 0] += 0.5 * np.sin(phase)
        acc[walk, 1] += 0.3 * np.sin(phase / 2)
    rec = Recording(t_s=t, thigh_acc_g=acc)
    (expected,) = _all_samples(rec, [20_000])
    (got,), _, n_kept = _kept_samples(rec, [20_000])
    _assert_same(got.epochs, expected.epochs)
    assert np.isfinite(got.epochs.thigh_stride_ratio).any()  # the rhythm pass had work
    assert n_kept < 0.15 * t.shape[0]


def test_a_jump_says_the_samples_must_be_read_again() -> None:
    near = RhythmSamples()
    b = EpochBuilder(TimeJumpParams(max_time_jump_s=60.0), near.on_epochs)
    acc = np.tile([0.0, 0.0, 1.0], (500, 1))
    for t0 in (0.0, 3e9):
        t = t0 + np.arange(500) * 0.02
        b.add(t, acc)
        near.add(t, acc)
    b.finish()
    assert near.jumped
    assert near.finish()[0].shape[0] == 0
