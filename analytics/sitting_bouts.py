"""Runs of a timeline by posture key (upright standing and stepping apart when the
timeline says which is which) and the sitting bouts made of them: sitting runs joined
through upright runs shorter than ``bout_break_s`` (the activPAL rules, see
:mod:`analytics.periods`). Vectorised over runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.records import IntArray, Posture, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs

BOUT_BREAK_S: Final = float(RULES.posture_hold_s)
"""Upright time that ends a sitting bout (the activPAL 10 s rule)."""

N_KEYS: Final = 2 * len(Posture)
K_NONWEAR: Final = 2 * Posture.NONWEAR
K_SITTING: Final = 2 * Posture.SITTING
K_STANDING: Final = 2 * Posture.UPRIGHT
K_STEPPING: Final = 2 * Posture.UPRIGHT + 1
K_LYING: Final = 2 * Posture.LYING
K_RIDING_SEATED: Final = 2 * Posture.RIDING_SEATED
K_RIDING_STANDING: Final = 2 * Posture.RIDING_STANDING
"""Run keys: ``2 * posture + stepping``."""


@dataclass(frozen=True, slots=True)
class KeyRuns:
    """Runs of the combined key ``2 * posture + stepping``."""

    starts: IntArray
    lengths: IntArray
    keys: npt.NDArray[np.int8]
    n: int

    def by_key(self) -> dict[int, tuple[IntArray, IntArray, IntArray]]:
        """Per key: starts, ends and cumulative lengths (``cum[j]`` = steps in the runs
        of that key before its run ``j``), from one stable sort of the runs."""
        order = np.argsort(self.keys, kind="stable")
        sorted_keys = self.keys[order]
        bounds = np.searchsorted(sorted_keys, np.arange(N_KEYS + 1), side="left")
        out: dict[int, tuple[IntArray, IntArray, IntArray]] = {}
        for key in range(N_KEYS):
            idx = order[bounds[key] : bounds[key + 1]]
            starts = self.starts[idx]
            lengths = self.lengths[idx]
            cum = np.zeros(starts.shape[0] + 1, dtype=np.int64)
            np.cumsum(lengths, out=cum[1:])
            out[key] = (starts, starts + lengths, cum)
        return out


def key_runs(
    tl: Timeline, posture_runs: tuple[IntArray, IntArray, npt.NDArray[np.int8]] | None = None
) -> KeyRuns:
    has_stepping = tl.stepping is not None and tl.stepping.shape[0] == tl.n
    if posture_runs is not None and not has_stepping:
        # the caller's run-length encoding of the posture: the keys are posture × 2
        p_starts, p_lengths, p_values = posture_runs
        return KeyRuns(p_starts, p_lengths, (p_values * np.int8(2)).astype(np.int8), tl.n)
    key = tl.posture.astype(np.int8, copy=False) * np.int8(2)
    if tl.stepping is not None and tl.stepping.shape[0] == tl.n:
        key += tl.stepping & (tl.posture == Posture.UPRIGHT)
    starts, lengths, keys = runs(key)
    return KeyRuns(starts, lengths, keys, tl.n)


def posture_runs_of(r: KeyRuns) -> tuple[IntArray, IntArray, npt.NDArray[np.int8]]:
    """Runs of posture alone (standing and stepping merged), from the key runs."""
    if r.keys.shape[0] == 0:
        return r.starts, r.lengths, r.keys
    values = r.keys // np.int8(2)
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    first = np.concatenate((np.zeros(1, dtype=np.int64), change))
    starts = r.starts[first]
    lengths = np.diff(np.append(starts, r.n))
    return starts, lengths, values[first]


@dataclass(frozen=True, slots=True)
class SittingBouts:
    start: IntArray  # step index of the bout start
    length: IntArray  # steps


def sitting_bouts(tl: Timeline, *, bout_break_s: float = BOUT_BREAK_S) -> tuple[IntArray, IntArray]:
    """Sitting bouts of the timeline as (start step index, length in steps): sitting
    runs joined through upright runs shorter than ``bout_break_s`` (see the module
    docstring). Vectorised over runs."""
    b = bouts_of(key_runs(tl), tl.dt_s, bout_break_s)
    return b.start, b.length


def bouts_of(r: KeyRuns, dt_s: float, bout_break_s: float) -> SittingBouts:
    starts, lengths, values = posture_runs_of(r)
    if starts.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SittingBouts(empty, empty)
    break_steps_floor = max(1, round(bout_break_s / dt_s))
    sit = values == Posture.SITTING
    inside = sit.copy()
    if sit.shape[0] >= 3:
        bridge = (
            (values[1:-1] == Posture.UPRIGHT)
            & (lengths[1:-1] < break_steps_floor)
            & sit[:-2]
            & sit[2:]
        )
        inside[1:-1] |= bridge
    edge = np.diff(np.concatenate(([False], inside, [False])).astype(np.int8))
    first = np.flatnonzero(edge == 1)
    last = np.flatnonzero(edge == -1) - 1
    start = starts[first]
    length = starts[last] + lengths[last] - start
    return SittingBouts(start.astype(np.int64), length.astype(np.int64))
