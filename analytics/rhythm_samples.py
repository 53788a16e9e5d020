"""The thigh samples that the rhythm features can need, told apart while a recording
is read, so that a reader keeping samples for the rhythm pass
(:class:`analytics.epoch_stream.RhythmPass`) keeps only those: in a desk day the
thigh moves in about a tenth of the seconds.

A rhythm window is centred on a second with a moving second (the thigh's deviation
above ``moving_std_g``) within ``STEADY_LAG_S``, and covers ``rhythm_window_s / 2``
seconds each side (:func:`analytics.rhythm.rhythm_plan`); its grid points are
interpolated from the sample before each point and the first at or after it. So a
grid point only ever needs samples of a second with a moving second within
:attr:`RhythmSamples.reach_s`, or the sample just before or just after such a
sample: a sample is kept when it or a neighbour (among the samples without a missing
value) lies in such a second. The rhythm pass over the kept samples alone finds the
same two samples for every grid point as over all of them, so its features are the
same, bit for bit.

The seconds' deviations come from the epoch builder as it emits them
(:class:`analytics.epoch_stream.EpochBuilder` ``on_epochs``); a sample is decided once
the seconds within reach of its own and its successor's are emitted. One segment
only: when the clock jumps, :attr:`RhythmSamples.jumped` tells the reader to give
the rhythm pass every sample (a second pass over the file).
"""

from __future__ import annotations

import math

import numpy as np

from analytics.epochs import moving_seconds
from analytics.params import PostureParams
from analytics.records import BoolArray, Epochs, FloatArray, IntArray
from analytics.rhythm import STEADY_LAG_S, finite_rows

_NONE: tuple[FloatArray, FloatArray] = (np.zeros(0), np.zeros((0, 3)))


class RhythmSamples:
    """Feed each chunk's thigh samples with :meth:`add` after the epoch builder had
    them; :meth:`add` and :meth:`finish` return the samples decided and kept."""

    def __init__(self, params: PostureParams | None = None) -> None:
        self._p = params or PostureParams()
        self.reach_s = STEADY_LAG_S + round(self._p.rhythm_window_s / 2.0) + 1
        """Seconds from a moving second within which a sample is kept (one more than
        the rhythm plan reaches)."""
        self.jumped = False
        """The builder started a second segment: the samples kept are not enough."""
        self._t0_s: int | None = None
        self._counts = np.zeros(1, dtype=np.int64)  # moving seconds before each second
        self._emitted = 0  # seconds emitted by the builder
        self._t = np.zeros(0)  # the samples not decided yet
        self._accs: list[FloatArray] = []  # their vectors, in pieces (not copied whole)
        self._prev_near = False  # the last decided sample was near a moving second

    def on_epochs(self, segment: int, ep: Epochs) -> None:
        """The epoch builder emitted ``ep`` (the next seconds of segment ``segment``)."""
        if segment > 0:
            self.jumped = True
            return
        if self._t0_s is None:
            self._t0_s = ep.t0_s
        counts = self._counts[self._emitted] + np.cumsum(moving_seconds(ep, self._p))
        end = self._emitted + 1 + counts.shape[0]
        if end > self._counts.shape[0]:  # grown by doubling: each second copied twice
            grown = np.zeros(max(end, 2 * self._counts.shape[0]), dtype=np.int64)
            grown[: self._emitted + 1] = self._counts[: self._emitted + 1]
            self._counts = grown
        self._counts[self._emitted + 1 : end] = counts
        self._emitted = end - 1

    def add(self, t_s: FloatArray, acc_g: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The next samples (those the builder has had); returns those decided to be
        kept so far, in order."""
        if self.jumped:  # nothing more to keep: the samples are read again
            self._t, self._accs = self._t[:0], []
            return _NONE
        t_s, acc_g = finite_rows(t_s, acc_g)
        self._t = np.concatenate((self._t, t_s)) if self._t.shape[0] else t_s
        self._accs.append(acc_g)
        if self._t0_s is None:
            return _NONE
        decided = self._emitted - self.reach_s  # seconds before this one: decidable
        known = int(np.searchsorted(self._t, self._t0_s + decided, side="left"))
        return self._decide(max(known - 1, 0), known)

    def finish(self) -> tuple[FloatArray, FloatArray]:
        """The last samples kept (call after the builder's ``finish``)."""
        n = int(self._t.shape[0])
        if self.jumped or self._t0_s is None:
            return _NONE
        return self._decide(n, n)

    def _second_of(self, t_s: float) -> int:
        """The second of a sample as the epochs count it (``t0_s + s <= t_s``)."""
        assert self._t0_s is not None
        s = math.floor(t_s - self._t0_s)
        while self._t0_s + s > t_s:
            s -= 1
        while self._t0_s + s + 1 <= t_s:
            s += 1
        return s

    def _near(self, sec: IntArray) -> BoolArray:
        """Seconds with a moving second within reach (seconds not yet emitted count
        as still: only ever asked for where they cannot matter)."""
        lo = np.clip(sec - self.reach_s, 0, self._emitted)
        hi = np.clip(sec + self.reach_s + 1, 0, self._emitted)
        return np.asarray(self._counts[hi] > self._counts[lo], dtype=np.bool_)

    def _decide(self, n: int, known: int) -> tuple[FloatArray, FloatArray]:
        """Keep or drop the first ``n`` pending samples, from the nearness of the
        first ``known`` ones (``known`` is ``n + 1`` except at the end). Worked out
        per second: the runs of near seconds, each widened by a sample either side."""
        if n == 0:
            return _NONE
        assert self._t0_s is not None
        t = self._t[:known]
        first, last = self._second_of(float(t[0])), self._second_of(float(t[-1]))
        secs = np.arange(first, last + 1)
        # where each second's samples start, found as the epochs find them (_bounds)
        bounds = np.searchsorted(t, self._t0_s + secs.astype(np.float64), side="left")
        bounds = np.append(bounds, known)
        near = self._near(secs)
        step = np.diff(near.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = (bounds[np.flatnonzero(step == 1)] - 1).tolist()
        stops = (bounds[np.flatnonzero(step == -1)] + 1).tolist()
        ranges = [(0, 1)] if self._prev_near else []
        for a, b in zip(starts, stops, strict=True):
            a, b = max(a, 0), min(b, n)
            if a >= b:
                continue
            if ranges and a <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(b, ranges[-1][1]))
            else:
                ranges.append((a, b))
        last_sec = int(np.searchsorted(bounds, n - 1, side="right")) - 1
        self._prev_near = bool(near[last_sec])
        parts = [(self._t[a:b], self._rows(a, b)) for a, b in ranges]
        self._accs = [self._rows(n, int(self._t.shape[0]))]
        self._t = self._t[n:]
        if not parts:
            return _NONE
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _rows(self, a: int, b: int) -> FloatArray:
        """Rows ``a .. b - 1`` of the pending vectors (a view within one piece)."""
        out, start = [], 0
        for piece in self._accs:
            lo, hi = max(a - start, 0), min(b - start, piece.shape[0])
            if lo < hi:
                out.append(piece[lo:hi])
            start += piece.shape[0]
        if len(out) == 1:
            return out[0]
        return np.concatenate(out) if out else np.zeros((0, 3))
