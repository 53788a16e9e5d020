"""Rhythm windows worked out while the samples come are the one-shot rhythm features,
bit for bit (issue 14); any chunking and time jumps: the property test of
``tests/analytics/test_epoch_stream.py``."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.epoch_stream import EpochBuilder
from analytics.epochs import epochs_from_recording
from analytics.records import Recording
from analytics.rhythm_stream import RhythmStream
from tests.analytics.test_epoch_stream import JUMPS, _assert_same, _chunks, _feed


def test_a_walk_in_a_still_day_has_its_rhythm_in_small_chunks() -> None:
    """Steps at 2 Hz for two minutes in an hour of sitting still, fed 7 samples at a
    time: the windows are the one-shot ones, and there are some."""
    fs_hz = 25.0
    t = 1.7e9 + np.arange(int(3600 * fs_hz)) / fs_hz
    acc = np.tile([0.0, 0.0, 1.0], (t.shape[0], 1))
    walk = (t - t[0] > 1800.0) & (t - t[0] < 1920.0)
    phase = 2.0 * np.pi * 2.0 * t[walk]
    acc[walk] = np.column_stack(
        (0.3 * np.sin(phase / 2.0), 0.1 * np.cos(phase), 1.0 + 0.4 * np.sin(phase))
    )
    rec = Recording(t_s=t, thigh_acc_g=acc)
    (got,) = _feed(rec, [7])
    one_shot = epochs_from_recording(rec)
    _assert_same(got.epochs, one_shot)
    assert np.isfinite(got.epochs.thigh_stride_ratio).sum() > 60


def test_the_samples_held_stay_a_few_seconds_behind_the_newest() -> None:
    """Memory: the stream holds the samples of the windows still open, not the day."""
    fs_hz = 25.0
    t = 1.7e9 + np.arange(int(1800 * fs_hz)) / fs_hz
    rng = np.random.default_rng(3)
    acc = rng.normal(0.0, 0.3, (t.shape[0], 3)) + np.array([0.0, 0.0, 1.0])  # always moving
    rhythm = RhythmStream()
    b = EpochBuilder(JUMPS, rhythm.on_epochs, rhythm.on_samples)
    held = []
    for c in _chunks(t.shape[0], [1000]):
        b.add(t[c], acc[c])
        held.append(rhythm._segments[0].t_s.shape[0])
    assert max(held) < 1000 + 20 * fs_hz
    (seg,) = rhythm.finish(b.finish())
    _assert_same(seg.epochs, epochs_from_recording(Recording(t_s=t, thigh_acc_g=acc)))


@pytest.mark.parametrize("n_centres", [513, 514, 1025])
@pytest.mark.parametrize("chunk", [37, 4000])
def test_windows_are_worked_out_in_the_one_shot_blocks(n_centres: int, chunk: int) -> None:
    """The one-shot works the windows out 512 at a time, the last block with what is
    left, one window alone when one is left (numpy sums one row apart from several):
    the stream gives every window the block it has there."""
    fs_hz = 25.0
    n_sec = n_centres + 2 * 3  # the thigh moves all along: every second is a centre
    t = 1.7e9 + np.arange(int(n_sec * fs_hz)) / fs_hz
    rng = np.random.default_rng(n_centres)
    phase = 2.0 * np.pi * np.cumsum(rng.uniform(1.5, 2.5, t.shape[0])) / fs_hz  # steps
    acc = np.column_stack(
        (0.3 * np.sin(phase / 2.0), 0.1 * np.cos(phase), 1.0 + 0.4 * np.sin(phase))
    )
    acc += rng.normal(0.0, 0.05, acc.shape)
    rec = Recording(t_s=t, thigh_acc_g=acc)
    (got,) = _feed(rec, [chunk])
    one_shot = epochs_from_recording(rec)
    assert np.isfinite(one_shot.thigh_pedal_share).sum() > 0.9 * n_centres
    _assert_same(got.epochs, one_shot)
