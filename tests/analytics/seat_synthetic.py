"""Synthetic seat-mat data for the seat-pressure tests (seeded, irregular sampling)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from analytics.records import FloatArray, SeatLayout
from analytics.seat_pressure import SeatParams, SeatSeconds

GRID = SeatLayout.grid(8, 8, pitch_m=0.04)
PERSIST = SeatParams().persist_s
FLOAT_FIELDS = ("baseline", "load", "cop_x_m", "cop_y_m", "peak", "lr_asymmetry", "cop_shift_y_m")


# ---------------------------------------------------------------------------
# synthetic data


def sitter(
    layout: SeatLayout,
    dy_m: float = 0.0,
    amp: float = 400.0,
    right_gain: float = 1.0,
) -> FloatArray:
    """Above-baseline pressure of a sitter: two ischial peaks at the back and two
    broader thigh areas in front; ``dy_m`` moves everything forward (+) or back (-)."""
    x, y = layout.x_m, layout.y_m
    p = np.zeros(layout.n_cells)
    for side, gain in ((-1.0, 1.0), (1.0, right_gain)):
        cx = side * 0.06
        p += gain * amp * np.exp(-((x - cx) ** 2 + (y - (-0.05 + dy_m)) ** 2) / (2 * 0.035**2))
        p += gain * 0.3 * amp * np.exp(-((x - cx) ** 2 + (y - (0.07 + dy_m)) ** 2) / (2 * 0.05**2))
    return p


def times(rng: np.random.Generator, start_s: float, duration_s: float, fs_hz: float) -> FloatArray:
    """Irregular, strictly increasing sample times: one per 1/fs slot, jittered."""
    n = round(duration_s * fs_hz)
    return start_s + (np.arange(n) + rng.uniform(0.05, 0.95, n)) / fs_hz


def intervals_mask(t: FloatArray, intervals: list[tuple[float, float]]) -> FloatArray:
    w = np.zeros(t.shape[0])
    for a, b in intervals:
        w[(t >= a) & (t < b)] = 1.0
    return w


def truth_per_second(out: SeatSeconds, intervals: list[tuple[float, float]]) -> np.ndarray:
    mid = out.t_s.astype(np.float64) + 0.5
    return np.asarray(intervals_mask(mid, intervals) > 0)


def away_from_edges(
    out: SeatSeconds, intervals: list[tuple[float, float]], margin_s: int
) -> np.ndarray:
    """Seconds at least ``margin_s`` away from every sit-down / stand-up."""
    keep = np.ones(out.n, dtype=bool)
    for a, b in intervals:
        for edge in (a, b):
            keep &= np.abs(out.t_s - edge) > margin_s
    return keep


def transitions(b: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(b.astype(np.int8))))


@functools.cache
def office_recording() -> tuple[FloatArray, FloatArray, list[tuple[float, float]]]:
    """~2.5 h at 2 Hz: empty, two sitting bouts (the second one slumping), drift."""
    rng = np.random.default_rng(11)
    t0 = 1_700_000_000.0
    t = times(rng, t0, 9000, 2.0)
    sits = [(t0 + 1200, t0 + 3600), (t0 + 4800, t0 + 7800)]
    offset = rng.uniform(150, 250, GRID.n_cells) + np.outer((t - t0) / 9000, np.full(64, 20.0))
    w = intervals_mask(t, sits)
    slump = (t >= t0 + 6600).astype(float)
    pat = np.where(slump[:, None] > 0, sitter(GRID, dy_m=-0.04), sitter(GRID))
    p = offset + w[:, None] * pat + rng.normal(0, 3, (t.size, GRID.n_cells))
    return t, p, sits


def assert_same_seconds(a: SeatSeconds, b: SeatSeconds) -> None:
    assert a.t0_s == b.t0_s
    for f in dataclasses.fields(SeatSeconds):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype, f.name
            assert np.array_equal(va, vb, equal_nan=va.dtype.kind == "f"), f.name
        else:
            assert va == vb, f.name
