"""The activPAL minimum-duration rule: a posture change counts only after it lasted
``min_s`` seconds. Shorter runs take the posture of the run before them (or after
them at the start of a wear period). Non-wear runs are never relabelled and never
lend their label: a gap is a gap however short.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from analytics.records import Int8Array, IntArray, Posture
from analytics.scratch import scratch

_T = TypeVar("_T", bound=np.generic)


def runs(labels: npt.NDArray[_T]) -> tuple[IntArray, IntArray, npt.NDArray[_T]]:
    """Run-length encoding of any 1-D array: (starts, lengths, values)."""
    n = labels.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, labels[:0]
    differs = np.not_equal(labels[1:], labels[:-1], out=scratch("runs-diff", n - 1, np.bool_))
    change = np.flatnonzero(differs) + 1
    starts = np.concatenate((np.zeros(1, dtype=np.int64), change.astype(np.int64)))
    lengths = np.diff(np.append(starts, n))
    return starts, lengths, labels[starts]


def enforce_min_duration(labels: Int8Array, min_s: int) -> Int8Array:
    """Apply the minimum-duration rule (vectorised over runs)."""
    if min_s <= 1 or labels.shape[0] == 0:
        return labels.copy()
    _starts, lengths, values = runs(labels)
    nonwear = values == Posture.NONWEAR
    kept = (lengths >= min_s) | nonwear
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
    return np.repeat(new_values, lengths).astype(np.int8)
