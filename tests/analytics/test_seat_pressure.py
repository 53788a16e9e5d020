"""Tests for analytics.seat_pressure on seeded synthetic seat-mat data: gaps, missing
values, chunked = batch, posture codes, input validation."""

from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.records import FloatArray, Posture, SeatLayout
from analytics.seat_pressure import (
    SeatParams,
    SeatSeconds,
    SeatState,
    seat_concat,
    seat_init,
    seat_posture,
    seat_seconds,
    seat_step,
)
from tests.analytics.seat_synthetic import (
    FLOAT_FIELDS,
    GRID,
    PERSIST,
    assert_same_seconds,
    away_from_edges,
    office_recording,
    sitter,
    transitions,
    truth_per_second,
)

# ---------------------------------------------------------------------------
# gaps and missing values


def test_gaps_are_distinguishable_and_short_gaps_keep_the_bout() -> None:
    t, p, _ = office_recording()
    t0 = int(t[0])
    short = (t >= t0 + 2000) & (t < t0 + 2090)  # 90 s inside the first bout
    long = (t >= t0 + 5000) & (t < t0 + 5900)  # 15 min inside the second bout
    keep = ~(short | long)
    out = seat_seconds(t[keep], p[keep], GRID)
    ts = out.t_s - t0
    gap = out.count == 0
    assert np.array_equal(gap, ((ts >= 2000) & (ts < 2090)) | ((ts >= 5000) & (ts < 5900)))
    assert not out.occupied[gap].any()
    assert not out.slumped[gap].any()
    for name in FLOAT_FIELDS:
        assert np.isnan(getattr(out, name)[gap]).all(), name
    assert np.array_equal(out.gap, gap)
    # a short gap does not end the bout; a long one resets it (persist_s to re-enter)
    assert out.occupied[ts == 2090].all()
    after_long = (ts >= 5900) & (ts < 5900 + PERSIST - 1)
    assert not out.occupied[after_long].any()
    assert out.occupied[(ts >= 5900 + PERSIST) & (ts < 6000)].all()
    posture = seat_posture(out)
    assert (posture[gap] == Posture.NONWEAR).all()


def test_missing_cell_values_are_ignored() -> None:
    t, p, _ = office_recording()
    rng = np.random.default_rng(23)
    holed = p.copy()
    holed[rng.random(p.shape) < 0.1] = np.nan  # 10 % of values lost
    clean = seat_seconds(t, p, GRID)
    out = seat_seconds(t, holed, GRID)
    assert np.count_nonzero(out.occupied != clean.occupied) <= 4
    both = np.isfinite(out.cop_x_m) & np.isfinite(clean.cop_x_m)
    assert both.sum() > 5000
    for name in ("cop_x_m", "cop_y_m"):
        diff = np.abs(getattr(out, name)[both] - getattr(clean, name)[both])
        # a cell lost for a whole second drops its load (mm-scale CoP error at a peak)
        assert np.median(diff) < 0.001
        assert diff.max() < 0.015
    assert np.isfinite(out.load[out.count > 0]).all()


def test_dead_cell_and_all_nan_seconds() -> None:
    t, p, sits = office_recording()
    dead = p.copy()
    dead[:, 9] = np.nan  # one cell never works
    t0 = int(t[0])
    blank = (t >= t0 + 3000) & (t < t0 + 3010)
    dead[blank] = np.nan  # samples arrive but carry no value
    out = seat_seconds(t, dead, GRID)
    ts = out.t_s - t0
    truth = truth_per_second(out, sits)
    keep = away_from_edges(out, sits, PERSIST + 1) & ~((ts >= 3000) & (ts < 3010 + PERSIST))
    assert np.array_equal(out.occupied[keep], truth[keep])
    assert np.isfinite(out.cop_x_m[out.occupied & keep]).all()
    invalid = (ts >= 3000) & (ts < 3010)
    assert (out.count[invalid] > 0).all()
    assert not out.occupied[invalid].any()
    assert np.isnan(out.load[invalid]).all()
    assert not out.valid[invalid].any()
    assert (seat_posture(out)[invalid] == Posture.NONWEAR).all()


# ---------------------------------------------------------------------------
# chunked == batch


def assert_same_state(a: SeatState, b: SeatState) -> None:
    for f in dataclasses.fields(SeatState):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            assert np.array_equal(va, vb, equal_nan=True), f.name
        elif isinstance(va, float) and np.isnan(va):
            assert np.isnan(vb), f.name
        else:
            assert va == vb, f.name


@functools.cache
def chunk_recording() -> tuple[FloatArray, FloatArray]:
    """The office recording with gaps and lost values, shortened for speed."""
    t, p, _ = office_recording()
    t0 = t[0]
    rng = np.random.default_rng(29)
    keep = ~(((t - t0 >= 2000) & (t - t0 < 2100)) | ((t - t0 >= 5000) & (t - t0 < 5500)))
    q = p[keep].copy()
    q[rng.random(q.shape) < 0.02] = np.nan
    return t[keep], q


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=9100), max_size=12))
def test_chunked_processing_equals_batch(cuts: list[int]) -> None:
    t, p = chunk_recording()
    batch = seat_seconds(t, p, GRID)
    state = seat_init(t, p, GRID)
    _, batch_state = seat_step(state, t, p, GRID)
    sec = np.floor(t) - np.floor(t[0])
    bounds = [0, *sorted(int(np.searchsorted(sec, c)) for c in cuts), t.size]
    parts = []
    for a, b in itertools.pairwise(bounds):
        part, state = seat_step(state, t[a:b], p[a:b], GRID)
        parts.append(part)
    assert_same_seconds(seat_concat(parts), batch)
    assert_same_state(state, batch_state)


def test_chunk_must_not_reopen_a_processed_second() -> None:
    t = np.array([0.1, 0.6, 1.2, 1.7])
    p = np.ones((4, GRID.n_cells))
    state = seat_init(t, p, GRID)
    _, state = seat_step(state, t[:3], p[:3], GRID)
    with pytest.raises(ValueError, match="second boundaries"):
        seat_step(state, t[3:], p[3:], GRID)


def test_gap_between_chunks_is_emitted_by_the_next_chunk() -> None:
    t, p = chunk_recording()
    state = seat_init(t, p, GRID)
    split = int(np.searchsorted(t, t[0] + 2050))  # inside the 2000..2100 gap
    first, state = seat_step(state, t[:split], p[:split], GRID)
    second, _ = seat_step(state, t[split:], p[split:], GRID)
    assert second.t0_s == first.t0_s + first.n
    assert second.count[0] == 0


# ---------------------------------------------------------------------------
# posture codes, validation, speed


def test_seat_posture_codes() -> None:
    nan = np.nan
    seconds = SeatSeconds(
        t0_s=10,
        count=np.array([0, 3, 3, 2], dtype=np.int64),
        baseline=np.array([nan, 1.0, 1.0, nan]),
        load=np.array([nan, 5.0, 900.0, nan]),
        occupied=np.array([False, False, True, False]),
        cop_x_m=np.array([nan, nan, 0.0, nan]),
        cop_y_m=np.array([nan, nan, 0.0, nan]),
        peak=np.array([nan, 1.0, 50.0, nan]),
        lr_asymmetry=np.array([nan, nan, 0.0, nan]),
        cop_shift_y_m=np.array([nan, nan, 0.0, nan]),
        slumped=np.zeros(4, dtype=bool),
    )
    codes = seat_posture(seconds)
    assert codes.dtype == np.int8
    assert codes.tolist() == [Posture.NONWEAR, Posture.UPRIGHT, Posture.SITTING, Posture.NONWEAR]


def test_input_validation() -> None:
    t = np.arange(10.0)
    with pytest.raises(ValueError, match="cells"):
        seat_seconds(t, np.zeros((10, 5)), GRID)
    with pytest.raises(ValueError, match="strictly increasing"):
        seat_seconds(np.array([0.0, 1.0, 1.0]), np.zeros((3, 64)), GRID)
    with pytest.raises(ValueError, match="exit_frac"):
        SeatParams(enter_frac=0.2, exit_frac=0.3)
    with pytest.raises(ValueError, match="persist_s"):
        SeatParams(persist_s=0)
    empty = seat_seconds(np.zeros(0), np.zeros((0, 64)), GRID)
    assert empty.n == 0


def test_a_day_of_seconds_gives_every_sit_down_and_stand_up() -> None:
    layout = SeatLayout.grid(4, 4)
    rng = np.random.default_rng(31)
    t = np.arange(86_400, dtype=np.float64) + 0.5
    w = ((t % 5400) > 2700).astype(float)
    p = 100.0 + np.outer(w, sitter(layout)) + rng.normal(0, 2, (t.size, layout.n_cells))
    out = seat_seconds(t, p, layout)
    assert out.n == 86_400
    assert transitions(out.occupied) == 31
