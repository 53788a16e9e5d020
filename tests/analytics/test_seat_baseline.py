"""The empty-seat baseline when a session starts with someone already seated (issue 11,
finding 5), on a generated 12-cell pressure chair (tests/analytics/seat_chair.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.seat_baseline import coherence_ratio
from analytics.seat_pressure import (
    SeatParams,
    seat_concat,
    seat_init,
    seat_seconds,
    seat_step,
)
from tests.analytics.seat_chair import CHAIR, chair_recording, truth_seconds


def starts_seated() -> list[tuple[str, float]]:
    """Seated (with leaning-forward stretches) for the first 27 minutes, then the
    usual office pattern."""
    plan: list[tuple[str, float]] = []
    for _ in range(5):
        plan += [("upright", 240.0), ("lean", 90.0)]
    plan += [("empty", 600.0)]
    for _ in range(6):
        plan += [("upright", 300.0), ("lean", 120.0)]
    plan += [("empty", 300.0)]
    for _ in range(4):
        plan += [("lean", 100.0), ("upright", 400.0)]
    return plan


def never_empty() -> list[tuple[str, float]]:
    return [("upright", 250.0), ("lean", 110.0)] * 12


def test_session_starting_seated_does_not_learn_the_sitter_as_empty() -> None:
    rng = np.random.default_rng(1)
    t, p, occupied, offset = chair_recording(rng, starts_seated())
    state = seat_init(t, p, CHAIR)
    assert state.baseline_source == "learned"
    # the empty mat reads ~200 counts per cell; the sitter thousands
    assert np.abs(state.baseline - offset).max() < 5.0
    out = seat_seconds(t, p, CHAIR)
    truth = truth_seconds(t, occupied, out.t0_s, out.n)
    assert out.baseline_source == "learned"
    assert np.mean(out.occupied == truth) >= 0.99  # was 0.936 (the leaning seconds)
    # the light, leaning-forward seconds of the first stretch are occupied
    first = np.arange(out.n) < 1650
    assert out.occupied[first & truth].mean() >= 0.99
    np.testing.assert_allclose(out.end_baseline, offset, atol=5.0)


def test_a_session_that_is_never_empty_says_so_and_a_known_baseline_fixes_it() -> None:
    rng = np.random.default_rng(1)
    t, p, occupied, offset = chair_recording(rng, never_empty())
    out = seat_seconds(t, p, CHAIR)
    assert out.baseline_source == "none"
    given = seat_seconds(t, p, CHAIR, SeatParams(empty_baseline=tuple(offset.tolist())))
    truth = truth_seconds(t, occupied, given.t0_s, given.n)
    assert given.baseline_source == "given"
    assert np.mean(given.occupied == truth) >= 0.99  # 0.694 without the baseline


def test_a_known_baseline_also_works_for_a_session_starting_empty() -> None:
    rng = np.random.default_rng(2)
    plan = [("empty", 900.0), ("upright", 1200.0), ("lean", 300.0), ("empty", 300.0)]
    t, p, occupied, offset = chair_recording(rng, plan)
    for params in (SeatParams(), SeatParams(empty_baseline=tuple(offset.tolist()))):
        out = seat_seconds(t, p, CHAIR, params)
        truth = truth_seconds(t, occupied, out.t0_s, out.n)
        assert np.mean(out.occupied == truth) >= 0.99


def test_stillness_tells_an_empty_mat_from_a_light_sitter() -> None:
    rng = np.random.default_rng(3)
    for state, still in (("empty", True), ("lean", False), ("upright", False)):
        t, p, _, _ = chair_recording(rng, [(state, 600.0)])
        sec = np.floor(t).astype(np.int64)
        rows = np.stack([np.bincount(sec - sec[0], weights=p[:, j]) for j in range(12)], 1)
        rows /= np.bincount(sec - sec[0])[:, None]
        ratio = coherence_ratio(rows, np.ones(rows.shape[0] - 1, dtype=bool))
        assert (ratio <= SeatParams().still_ratio_max) is still, (state, ratio)
    assert coherence_ratio(np.zeros((40, 4)), np.ones(39, dtype=bool)) == 0.0
    # integer counts with little noise: most per-cell changes are exactly 0
    quantized = np.round(200.0 + rng.normal(0.0, 0.3, (600, 12)))
    assert coherence_ratio(quantized, np.ones(599, dtype=bool)) <= SeatParams().still_ratio_max
    assert math.isnan(coherence_ratio(np.zeros((20, 4)), np.ones(19, dtype=bool)))


def test_chunked_processing_carries_the_baseline_source() -> None:
    rng = np.random.default_rng(1)
    t, p, _, offset = chair_recording(rng, never_empty()[:6])
    params = SeatParams(empty_baseline=tuple(offset.tolist()))
    state = seat_init(t, p, CHAIR, params)
    cut = np.searchsorted(t, np.floor(t[0]) + 700.0)
    a, state = seat_step(state, t[:cut], p[:cut], CHAIR, params)
    b, _ = seat_step(state, t[cut:], p[cut:], CHAIR, params)
    joined = seat_concat([a, b])
    whole = seat_seconds(t, p, CHAIR, params)
    assert joined.baseline_source == whole.baseline_source == "given"
    np.testing.assert_array_equal(joined.occupied, whole.occupied)
    np.testing.assert_array_equal(joined.end_baseline, whole.end_baseline)


def test_a_baseline_of_the_wrong_size_is_refused() -> None:
    t, p, _, _ = chair_recording(np.random.default_rng(1), [("empty", 60.0)])
    with pytest.raises(ValueError, match="one value per cell"):
        seat_seconds(t, p, CHAIR, SeatParams(empty_baseline=(200.0,) * 11))
    with pytest.raises(ValueError, match="empty_baseline"):
        SeatParams(empty_baseline=(200.0, math.nan))
