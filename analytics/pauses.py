"""Short gaps pause a compression bout (docs/exposure.md, "Gaps").

A sensor dropout is not a break: a gap shorter than the break length
(``ExposureParams.break_s``) *pauses* the bout. The bout goes on across it, its
clock (duration, milestones, the compression time before a break) does not count
the gap, and the gap is neither seated nor relief time: an upright spell continues
across it, its length without the gap. A gap of the break length or longer ends the
bout as before (interrupted, never a break).

Batch (:mod:`analytics.compression`) cuts the short gaps out of its spans with
:func:`without_short_gaps`; the streaming engine pauses on them as they end. Both
use the formulas here, so that they agree to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.records import Int8Array, IntArray


def paused_time(t_s: float, paused_steps: int, dt_s: float) -> float:
    """``t_s`` moved on by ``paused_steps`` paused steps (one formula everywhere:
    milestones, the moment a break completes)."""
    return t_s + paused_steps * dt_s


def bout_clock(start_t_s: float, t_s: float, paused_steps: int, dt_s: float) -> float:
    """Bout time from ``start_t_s`` to ``t_s`` without ``paused_steps`` paused steps."""
    return t_s - start_t_s - paused_steps * dt_s


@dataclass(frozen=True, slots=True)
class Merged:
    """Spans with the short gaps cut out and their neighbours of one class joined.

    ``first`` / ``end`` are step indices on the real time line (a joined span
    includes the gaps inside it); ``count`` its own steps (without the gaps);
    ``pieces`` the index of each joined span's first original span."""

    cls: Int8Array
    first: IntArray
    end: IntArray
    count: IntArray
    pieces: IntArray


class ShortGaps:
    """The short gaps of a timeline: paused steps before any span boundary."""

    def __init__(self, first: IntArray, count: IntArray) -> None:
        self.first = first
        self.count = count
        self.cum: list[int] = np.concatenate(([0], np.cumsum(count))).tolist()
        self.first_list: list[int] = first.tolist()
        self.count_list: list[int] = count.tolist()

    def before(self, index: IntArray) -> IntArray:
        """Paused steps before each step index (never inside a gap)."""
        k = np.searchsorted(self.first, index, side="left")
        return np.asarray(np.asarray(self.cum)[k], dtype=np.int64)

    def at(self, index: int) -> int:
        k = int(np.searchsorted(self.first, index, side="left"))
        return self.cum[k]

    def from_index(self, index: int) -> int:
        """Position in the gap list of the first gap starting at or after ``index``."""
        return int(np.searchsorted(self.first, index, side="left"))


def without_short_gaps(
    cls: Int8Array, first: IntArray, count: IntArray, gap_cls: int, need: int
) -> tuple[Merged, ShortGaps] | None:
    """Cut out gap spans shorter than ``need`` steps (None: there are none)."""
    short = (cls == gap_cls) & (count < need)
    if not short.any():
        return None
    keep = np.flatnonzero(~short)
    gaps = ShortGaps(first[short], count[short])
    if keep.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Merged(cls[:0], empty, empty, empty, empty), gaps
    k_cls = cls[keep]
    joins = np.ones(keep.size, dtype=np.bool_)
    joins[1:] = k_cls[1:] != k_cls[:-1]
    heads = np.flatnonzero(joins)
    group = np.cumsum(joins) - 1
    m_count = np.bincount(group, weights=count[keep]).astype(np.int64)
    last = np.append(heads[1:], keep.size) - 1
    merged = Merged(
        cls=k_cls[heads],
        first=first[keep[heads]],
        end=first[keep[last]] + count[keep[last]],
        count=m_count,
        pieces=keep[heads],
    )
    return merged, gaps


def relief_done_paused(
    pieces_cls: Int8Array,
    pieces_count: IntArray,
    start_piece: int,
    relief_cls: int,
    need: int,
) -> int:
    """Paused steps inside a joined relief span before it reaches ``need`` relief
    steps, walking its original spans from ``start_piece``."""
    seen = paused = 0
    i = start_piece
    while seen < need:
        if int(pieces_cls[i]) == relief_cls:
            seen += int(pieces_count[i])
        else:
            paused += int(pieces_count[i])
        i += 1
    return paused


def milestone_times(
    start_t_s: float,
    minutes: list[float],
    closed_t_s: float,
    gaps: ShortGaps | None,
    lo: int,
    t0_s: float,
    dt_s: float,
    n_steps: int,
) -> list[tuple[float, float]]:
    """(time, minutes) of the milestones of a bout starting at step ``lo``: each at
    its bout time plus the gaps paused before it (one reached just as a gap starts
    comes then, once the gap has ended; none in a gap still open at the end of the
    data). Only those before ``closed_t_s``."""
    out: list[tuple[float, float]] = []
    paused = 0
    g = gaps.from_index(lo) if gaps is not None else 0
    n_gaps = len(gaps.first_list) if gaps is not None else 0
    for m in minutes:
        t = paused_time(start_t_s + m * 60.0, paused, dt_s)
        while gaps is not None and g < n_gaps:
            gs = gaps.first_list[g]
            gs_t = float(t0_s + gs * dt_s)
            ends_data = gs + gaps.count_list[g] >= n_steps
            if t < gs_t or (t == gs_t and not ends_data):
                break
            if ends_data:
                return out  # the data ends in this gap: the clock never resumed
            paused += gaps.count_list[g]
            g += 1
            t = paused_time(start_t_s + m * 60.0, paused, dt_s)
        if not t < closed_t_s:
            break
        out.append((t, m))
    return out
