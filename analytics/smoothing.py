"""The activPAL minimum-duration rule: a posture change counts only after it lasted
``hold_s`` seconds, everywhere.

A wear stretch is a maximal span without non-wear (a gap or the sensor off the body).
Inside a stretch, runs of at least ``hold_s`` keep their posture; shorter runs take the
posture of the long run before them (or after them, before the stretch's first long
run). A stretch with no run of ``hold_s`` at all has no posture change that lasted
``hold_s``, so it becomes one posture: the one it spent most seconds in (a tie goes to
the posture seen first). Short runs never create a change, whether or not a gap sits
next to them. Non-wear runs are never relabelled and never lend their label: a gap is
a gap however short.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from analytics import posture_codes as code
from analytics.records import Int8Array, IntArray
from analytics.scratch import scratch

_T = TypeVar("_T", bound=np.generic)
_SMALL = 4096
"""Shorter arrays get fresh temporaries (see :mod:`analytics.scratch`)."""


def runs(labels: npt.NDArray[_T]) -> tuple[IntArray, IntArray, npt.NDArray[_T]]:
    """Run-length encoding of any 1-D array: (starts, lengths, values)."""
    n = labels.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, labels[:0]
    if n <= _SMALL:  # a fresh temporary costs less than a scratch buffer's lookup
        differs = np.not_equal(labels[1:], labels[:-1])
    else:
        differs = np.not_equal(labels[1:], labels[:-1], out=scratch("runs-diff", n - 1, np.bool_))
    change = np.flatnonzero(differs)
    k = change.shape[0] + 1
    starts = np.empty(k, dtype=np.int64)
    starts[0] = 0
    np.add(change, 1, out=starts[1:])
    lengths = np.empty(k, dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = n - starts[-1]
    return starts, lengths, labels[starts]


def enforce_posture_hold(labels: Int8Array, hold_s: int) -> Int8Array:
    """Apply the minimum-duration rule (vectorised over runs; see the module doc).

    Idempotent; the result keeps every non-wear second and uses only postures its
    wear stretch had.
    """
    if hold_s <= 1 or labels.shape[0] == 0:
        return labels.copy()
    _starts, lengths, values = runs(labels)
    nonwear = values == code.NONWEAR
    kept = (lengths >= hold_s) | nonwear
    if kept.all():
        return labels.astype(np.int8)  # no short run: nothing to relabel
    idx = np.arange(values.shape[0])
    last_kept = np.maximum.accumulate(np.where(kept, idx, -1))
    next_kept = np.minimum.accumulate(np.where(kept, idx, values.shape[0])[::-1])[::-1]
    new_values = values.copy()
    short = np.flatnonzero(~kept)
    for_prev = short[(last_kept[short] >= 0)]
    use_prev = for_prev[~nonwear[last_kept[for_prev]]]
    new_values[use_prev] = values[last_kept[use_prev]]
    rest = np.setdiff1d(short, use_prev, assume_unique=True)
    has_next = rest[next_kept[rest] < values.shape[0]]
    use_next = has_next[~nonwear[next_kept[has_next]]]
    new_values[use_next] = values[next_kept[use_next]]
    # what is left: short runs whose stretch has no long run
    alone = np.setdiff1d(rest, use_next, assume_unique=True)
    if alone.shape[0]:
        stretch = np.cumsum(nonwear)[alone]
        new_values[alone] = _most_seconds(stretch, values[alone], lengths[alone])
    return np.repeat(new_values, lengths).astype(np.int8)


def _most_seconds(stretch: IntArray, values: Int8Array, lengths: IntArray) -> Int8Array:
    """For runs in time order tagged with their stretch: the posture each stretch spent
    most seconds in (a tie goes to the posture seen first), repeated for every run."""
    pair_key = stretch * 256 + (values.astype(np.int64) + 128)
    keys, first, inverse = np.unique(pair_key, return_index=True, return_inverse=True)
    seconds = np.bincount(inverse, weights=lengths, minlength=keys.shape[0])
    key_stretch = keys // 256
    # per stretch: most seconds first, then earliest first appearance
    order = np.lexsort((first, -seconds, key_stretch))
    ks = key_stretch[order]
    leaders = order[np.r_[True, ks[1:] != ks[:-1]]]
    winner = (keys[leaders] % 256 - 128).astype(np.int8)
    stretch_ids = key_stretch[leaders]
    return np.asarray(winner[np.searchsorted(stretch_ids, stretch)], dtype=np.int8)
