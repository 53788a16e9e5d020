"""A generated 12-cell pressure chair (3 rows x 4 columns, raw counts) for the seat
baseline tests: empty cells read about 200 counts, a sitter loads the ischial row with
thousands, leaning forward moves the (lighter) load to the front row, and the body
never keeps perfectly still (breathing and slow sway)."""

from __future__ import annotations

import numpy as np

from analytics.records import BoolArray, FloatArray, SeatLayout

CHAIR = SeatLayout.grid(3, 4, pitch_m=0.12)

UPRIGHT = np.array(
    [
        [3200.0, 9000.0, 9000.0, 3200.0],
        [1800.0, 3500.0, 3500.0, 1800.0],
        [500.0, 900.0, 900.0, 500.0],
    ]
).ravel()
"""Above-offset counts of an upright sitter: ischial (back) row, middle, front."""
LEAN = np.array(
    [[300.0, 900.0, 900.0, 300.0], [900.0, 1800.0, 1800.0, 900.0], [900.0, 1900.0, 1900.0, 900.0]]
).ravel()
"""Leaning forward (elbows on the desk): about a fifth of the load, moved to the front."""


def chair_recording(
    rng: np.random.Generator,
    plan: list[tuple[str, float]],
    fs_hz: float = 2.0,
    t0_s: float = 1_790_000_000.0,
) -> tuple[FloatArray, FloatArray, BoolArray, FloatArray]:
    """Samples of ``plan`` ([(state, seconds)], state 'empty', 'upright' or 'lean').

    Returns ``t_s``, ``seat_p`` (n, 12), the true occupancy per sample and the mat's
    per-cell offsets."""
    states = [s for s, _ in plan]
    bounds = np.concatenate(([0.0], np.cumsum([d for _, d in plan])))
    n = round(bounds[-1] * fs_hz)
    rel = (np.arange(n) + rng.uniform(0.05, 0.95, n)) / fs_hz
    which = np.searchsorted(bounds, rel, side="right") - 1
    offset = rng.uniform(170.0, 230.0, CHAIR.n_cells)
    pattern = np.zeros((n, CHAIR.n_cells))
    occupied = np.zeros(n, dtype=np.bool_)
    for k, state in enumerate(states):
        rows = which == k
        if state == "empty":
            continue
        occupied[rows] = True
        pattern[rows] = UPRIGHT if state == "upright" else LEAN
    # breathing (about 0.25 Hz, 2 %) and a slow sway (a few %), per sitter
    breath = 0.02 * np.sin(2 * np.pi * 0.25 * rel + rng.uniform(0, 2 * np.pi))
    sway = 0.04 * np.sin(2 * np.pi * rel / 47.0) * np.sin(2 * np.pi * rel / 173.0)
    scale = 1.0 + breath[:, None] + sway[:, None] * np.where(CHAIR.x_m > 0, 1.0, -1.0)
    p = offset + pattern * scale + rng.normal(0.0, 3.0, (n, CHAIR.n_cells))
    return t0_s + rel, np.maximum(p, 0.0), occupied, offset


def truth_seconds(t_s: FloatArray, occupied: BoolArray, t0_s: int, n_s: int) -> BoolArray:
    """Per second: occupied for most of its samples."""
    sec = np.floor(t_s).astype(np.int64) - t0_s
    n_occ = np.bincount(sec, weights=occupied.astype(np.float64), minlength=n_s)
    n_all = np.bincount(sec, minlength=n_s)
    return np.asarray(n_occ * 2 > np.maximum(n_all, 1), dtype=np.bool_)
