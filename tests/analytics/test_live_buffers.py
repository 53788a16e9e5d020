"""The live engine's sample buffers: a block is copied in once, not the whole window
with every block (issue 14), and the samples read back are those added."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.live_buffers import SampleBuffer


def test_adding_a_block_does_not_copy_the_window() -> None:
    buf = SampleBuffer()
    rng = np.random.default_rng(1)
    copies, bases = 0, None
    t_all, v_all = [], []
    for k in range(2000):  # 2000 s of 50 Hz, a window of 700 s kept
        t = k + np.sort(rng.random(50))
        v = rng.normal(size=(50, 3))
        buf.add(t, v)
        t_all.append(t)
        v_all.append(v)
        buf.trim(k - 700.0)
        held, _ = buf.merged()
        if bases is not None and not np.shares_memory(held, bases):
            copies += 1
        bases = held
    assert copies <= 30, copies  # the room grows now and then, not every block
    t_kept, v_kept = buf.merged()
    t_ref, v_ref = np.concatenate(t_all), np.concatenate(v_all)
    first = int(np.searchsorted(t_ref, 1999 - 700.0))
    np.testing.assert_array_equal(t_kept, t_ref[first:])
    assert v_kept is not None
    np.testing.assert_array_equal(v_kept, v_ref[first:])
    assert buf.n == t_ref.shape[0] - first


def test_overlapping_samples_are_dropped_and_dtypes_widen() -> None:
    buf = SampleBuffer()
    assert buf.add(np.array([0.0, 0.5]), np.array([1.0, 2.0], dtype=np.float32)) == 0
    assert buf.add(np.array([0.5, 0.7, 0.9]), np.array([3.0, 4.0, 5.0])) == 1
    t, v = buf.merged()
    np.testing.assert_array_equal(t, [0.0, 0.5, 0.7, 0.9])
    assert v is not None
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v, [1.0, 2.0, 4.0, 5.0])


def test_blocks_are_held_until_read_and_a_changed_shape_is_refused() -> None:
    """Blocks are copied in once when the samples are read (several at a time), with
    what the samples of each block were; a block of another shape says so."""
    buf = SampleBuffer()
    blocks = [(k + np.arange(50) / 50.0, np.full((50, 3), float(k))) for k in range(10)]
    for t, v in blocks:
        assert buf.add(t, v) == 0
    assert buf.n == 500
    assert buf.last_t_s == blocks[-1][0][-1]
    t_all, v_all = buf.merged()
    np.testing.assert_array_equal(t_all, np.concatenate([b[0] for b in blocks]))
    assert v_all is not None
    np.testing.assert_array_equal(v_all, np.concatenate([b[1] for b in blocks]))
    assert buf.add(np.array([5.0, 9.5]), np.zeros((2, 4))) == 2  # late: dropped, no check
    with pytest.raises(ValueError, match="shape"):
        buf.add(np.array([20.0]), np.zeros((1, 4)))
