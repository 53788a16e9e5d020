"""The live window's short way to the per-second statistics of a few new seconds
(analytics/live_window.py) gives exactly :func:`analytics.epochs.vector_seconds`."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.epochs import vector_seconds
from analytics.live_window import _few_vector_seconds


@pytest.mark.parametrize("seed", range(40))
def test_few_seconds_match_the_general_way_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t0 = 1_795_420_800 + int(rng.integers(0, 1000))
    n_sec = int(rng.integers(1, 40))
    k = int(rng.integers(n_sec, 60 * n_sec))
    t = t0 - 2.0 + np.sort(rng.random(k)) * (n_sec + 4.0)  # samples before and after too
    acc = rng.normal(size=(k, 3)) * rng.choice([1e-3, 0.05, 1.0]) + [0.1, -0.98, 0.2]
    if seed % 5 == 0:
        acc[int(rng.integers(0, k))] = np.nan  # a missing value: the general way
    for moments in (True, False):
        few = _few_vector_seconds(t, acc, t0, n_sec, moments=moments)
        lo, hi = np.searchsorted(t, [float(t0), float(t0 + n_sec)])
        ref = vector_seconds(t[lo:hi], acc[lo:hi], t0, n_sec, moments=moments)
        if few is None:
            assert seed % 5 == 0 or not (ref[0] > 0).all()
            continue
        expected = ref if moments else ref[:2]
        assert len(few) == len(expected)
        for got, want in zip(few, expected, strict=True):
            assert got.dtype == want.dtype
            assert got.flags.c_contiguous
            np.testing.assert_array_equal(got, want)  # NaN == NaN, else bit for bit
            assert got.tobytes() == np.ascontiguousarray(want).tobytes()


def test_a_second_without_samples_takes_the_general_way() -> None:
    t = np.array([10.1, 10.5, 12.2])
    acc = np.ones((3, 3))
    assert _few_vector_seconds(t, acc, 10, 3, moments=True) is None
