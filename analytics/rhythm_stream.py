"""The thigh's rhythm features (:mod:`analytics.rhythm`) worked out while a recording
is read, window by window as soon as a window's seconds and samples are all there,
so that a streamed read parses the file once and holds only the samples of the
windows still open (issue 14: the windows are worked out while the next block is
parsed, not after the whole file).

A rhythm window centred on second ``c`` depends on the seconds ``c - half ..
c + half`` (which of them the thigh moves in, which are gaps) and on the thigh's
samples around its grid points (each point from the sample before it and the first at
or after it, samples with a missing value left out), and on nothing else. So once
the epoch builder has emitted second ``c + half`` and a sample at or after the
window's last grid point has come, the window is final: its grid points are
interpolated then (:func:`~analytics.rhythm.grid_vectors` on the grid of
:func:`~analytics.rhythm.plan_of`) and kept until :data:`~analytics.rhythm.WINDOW_BLOCK`
windows are there, which are worked out together
(:func:`~analytics.rhythm.window_rates`): the one-shot
:func:`~analytics.rhythm.rhythm_features` works the segment's windows out in those
same batches, and a window's result depends on its batch (numpy sums a lone window
apart from several), so the features are the one-shot's, bit for bit. The windows
at the end of a segment wait for its last second (:meth:`RhythmStream.finish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from analytics.epoch_stream import EpochSegment
from analytics.epochs import moving_seconds
from analytics.params import PostureParams
from analytics.records import Epochs, FloatArray, IntArray
from analytics.rhythm import (
    RESAMPLE_HZ,
    STEADY_LAG_S,
    WINDOW_BLOCK,
    Float32Array,
    finite_rows,
    grid_vectors,
    plan_of,
    rhythm_centres,
    steadiness,
    window_rates,
)

_PER_S = int(RESAMPLE_HZ)
_FRACTION_S = (np.arange(_PER_S) + 0.5) / RESAMPLE_HZ
"""The grid points within a second, as :func:`~analytics.rhythm.plan_of` puts them."""


class _Sums:
    """Running counts of a per-second flag, fed in order: the number of flagged
    seconds before each second (grown by doubling)."""

    def __init__(self) -> None:
        self._cum = np.zeros(1024, dtype=np.int64)
        self.n = 0

    def add(self, flags: np.ndarray) -> None:
        end = self.n + 1 + flags.shape[0]
        if end > self._cum.shape[0]:
            grown = np.zeros(max(end, 2 * self._cum.shape[0]), dtype=np.int64)
            grown[: self.n + 1] = self._cum[: self.n + 1]
            self._cum = grown
        self._cum[self.n + 1 : end] = self._cum[self.n] + np.cumsum(flags, dtype=np.int64)
        self.n = end - 1

    def any_within(self, centres: IntArray, reach: int) -> np.ndarray:
        """Whether a flagged second lies within ``reach`` of each centre (seconds
        beyond the ends do not count, as in a convolution with zeros outside)."""
        lo = np.clip(centres - reach, 0, self.n)
        hi = np.clip(centres + reach + 1, 0, self.n)
        return np.asarray(self._cum[hi] > self._cum[lo])


@dataclass(slots=True)
class _Segment:
    """One segment's windows: the seconds emitted so far, the thigh samples not yet
    behind every remaining window, and the windows' results so far."""

    t0_s: int | None = None
    moving: _Sums = field(default_factory=_Sums)
    gaps: _Sums = field(default_factory=_Sums)
    next_centre: int = 0
    n_finite: int = 0
    t_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    acc_g: FloatArray = field(default_factory=lambda: np.zeros((0, 3)))
    pending: list[tuple[IntArray, Float32Array]] = field(default_factory=list)
    """Windows gathered (their centres and grid points), not worked out yet."""
    n_pending: int = 0
    done: list[tuple[IntArray, FloatArray, FloatArray, FloatArray]] = field(default_factory=list)


class RhythmStream:
    """Feed it what an :class:`~analytics.epoch_stream.EpochBuilder` makes: give
    :meth:`on_epochs` and :meth:`on_samples` as the builder's ``on_epochs`` and
    ``on_samples``; :meth:`finish` fills the rhythm features of the builder's
    segments."""

    def __init__(self, params: PostureParams | None = None) -> None:
        self._p = params or PostureParams()
        self._half = round(self._p.rhythm_window_s / 2.0)
        self._width = 2 * self._half * _PER_S
        self._reach = max(self._half, STEADY_LAG_S)
        self._segments: list[_Segment] = []

    def _segment(self, index: int) -> _Segment:
        while len(self._segments) <= index:
            self._segments.append(_Segment(next_centre=self._half))
        return self._segments[index]

    def on_epochs(self, segment: int, ep: Epochs) -> None:
        """The builder emitted ``ep``, the next seconds of segment ``segment``."""
        s = self._segment(segment)
        if s.t0_s is None:
            s.t0_s = ep.t0_s
        s.moving.add(moving_seconds(ep, self._p))
        s.gaps.add(ep.count <= 0)

    def on_samples(self, segment: int, t_s: FloatArray, thigh_acc_g: FloatArray | None) -> None:
        """The builder took these samples of segment ``segment`` (after emitting the
        seconds they completed); the windows now final are computed."""
        if thigh_acc_g is None:
            return
        s = self._segment(segment)
        t_s, acc = finite_rows(t_s, thigh_acc_g)
        s.n_finite += int(t_s.shape[0])
        s.t_s = np.concatenate((s.t_s, t_s)) if s.t_s.shape[0] else t_s
        s.acc_g = np.concatenate((s.acc_g, acc)) if s.acc_g.shape[0] else acc
        if s.t0_s is None or s.t_s.shape[0] < 2 or self._width < 8:
            return
        stop = s.moving.n - self._reach  # centres before it have all their seconds
        if stop <= s.next_centre:
            return
        candidates = np.arange(s.next_centre, stop)
        last_off = _PER_S // 2 + self._width - 1  # the window's last grid point
        last_t_s = (s.t0_s + candidates - self._half + last_off // _PER_S) + _FRACTION_S[
            last_off % _PER_S
        ]
        ready = int(np.searchsorted(last_t_s, s.t_s[-1], side="right"))
        if ready == 0:
            return
        candidates = candidates[:ready]
        wanted = s.moving.any_within(candidates, STEADY_LAG_S)
        gap = s.gaps.any_within(candidates, self._half)
        self._compute(s, candidates[wanted & ~gap])
        s.next_centre = int(candidates[-1]) + 1
        # keep the sample before the next window's first grid point (and two at least)
        first_t_s = (s.t0_s + s.next_centre - self._half) + _FRACTION_S[_PER_S // 2]
        keep = int(np.searchsorted(s.t_s, first_t_s)) - 1
        keep = max(min(keep, s.t_s.shape[0] - 2), 0)
        s.t_s, s.acc_g = s.t_s[keep:], s.acc_g[keep:]

    def _compute(self, s: _Segment, centres: IntArray) -> None:
        """Gather the windows centred on ``centres`` from the samples held, and work
        them out :data:`~analytics.rhythm.WINDOW_BLOCK` at a time: the blocks of the
        one-shot :func:`~analytics.rhythm.rhythm_rates` over the segment's centres."""
        if centres.shape[0] == 0:
            return
        assert s.t0_s is not None
        half = self._half
        first = int(centres[0]) - half
        n_sec = int(centres[-1]) + half + 1 - first
        plan = plan_of(s.t0_s + first, n_sec, half, centres - first)
        points = np.ascontiguousarray(grid_vectors(s.t_s, s.acc_g, plan.grid_t_s).T)
        starts = plan.slot[centres - first - half] * _PER_S + _PER_S // 2
        windows = points[starts[:, None] + np.arange(self._width)[None, :]]
        s.pending.append((centres, windows))
        s.n_pending += int(centres.shape[0])
        while s.n_pending >= WINDOW_BLOCK:
            self._work_out(s, WINDOW_BLOCK)

    def _work_out(self, s: _Segment, n: int) -> None:
        """Work out the first ``n`` pending windows together."""
        centres = np.concatenate([c for c, _ in s.pending])
        windows = np.concatenate([w for _, w in s.pending])
        p = self._p
        share, stride, rate = window_rates(windows[:n], p.gait_step_floor_hz, p.rhythm_peak_min)
        s.done.append((centres[:n], share, stride, rate))
        s.pending = [(centres[n:], windows[n:])] if centres.shape[0] > n else []
        s.n_pending -= n

    def finish(self, segments: list[EpochSegment]) -> list[EpochSegment]:
        """The builder's segments (in order) with their rhythm features: the windows
        left are computed now that the segments' ends are known."""
        out = []
        for i, seg in enumerate(segments):
            s, ep = self._segment(i), seg.epochs
            n = ep.n
            found = rhythm_centres(ep.count, self._p.rhythm_window_s, moving_seconds(ep, self._p))
            share, stride, rate = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
            steady = np.zeros(n, dtype=np.bool_)
            if found is not None and s.n_finite >= 2:  # else no window (one-shot alike)
                centres = found[1]
                self._compute(s, centres[centres >= s.next_centre])
                while s.n_pending:
                    self._work_out(s, min(s.n_pending, WINDOW_BLOCK))
                for centres, sh, st, rt in s.done:
                    share[centres], stride[centres], rate[centres] = sh, st, rt
                steady = steadiness(rate, self._half)
            ep = replace(
                ep, thigh_pedal_share=share, thigh_stride_ratio=stride, thigh_rhythm_steady=steady
            )
            out.append(replace(seg, epochs=ep))
        return out
