"""Per-second epochs built chunk by chunk, so that a long recording never has to be
in memory as samples (everything after the per-second aggregation works on epochs,
about a hundred times smaller than 50 Hz samples).

Feeding a recording in any chunking gives exactly the epochs of the one-shot
:func:`analytics.epochs.epochs_from_recording` (a second that straddles two chunks
waits until it is complete), split into segments at time jumps
(:mod:`analytics.segments`). The trunk's per-second deviation, which the off-body
test needs and the one-shot path fetches from the samples afterwards, is computed in
the same pass for every second. The thigh's rhythm features look at the seconds
around each one: :class:`analytics.rhythm_stream.RhythmStream` works them out from
what the builder tells it (``on_epochs``, ``on_samples``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from analytics.epochs import epochs_of
from analytics.records import BoolArray, Epochs, FloatArray
from analytics.segments import TimeJumpParams, TimeSegment, join_epochs, jump_indices


@dataclass(frozen=True, slots=True)
class EpochSegment:
    """The epochs of one segment and its trunk deviation for every second (None
    without a trunk sensor)."""

    segment: TimeSegment
    epochs: Epochs
    trunk_std_g: FloatArray | None

    def trunk_deviation(self, ep: Epochs, seconds: BoolArray) -> Epochs:
        """``ep`` with ``trunk_std_g`` for ``seconds`` (NaN elsewhere), like
        :func:`analytics.epochs.with_trunk_deviation` from the samples."""
        if self.trunk_std_g is None or not seconds.any():
            return ep
        return replace(ep, trunk_std_g=np.where(seconds, self.trunk_std_g, np.nan))


def _cat(a: FloatArray | None, b: FloatArray | None) -> FloatArray | None:
    if a is None or b is None:
        return b
    return np.concatenate((a, b))


_Samples = tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None]


def _cat_all(a: _Samples, b: _Samples) -> _Samples:
    t = _cat(a[0], b[0])
    assert t is not None
    return (t, _cat(a[1], b[1]), _cat(a[2], b[2]), _cat(a[3], b[3]))


def _head(a: FloatArray | None, j: int) -> FloatArray | None:
    return None if a is None else a[:j]


def _tail(a: FloatArray | None, j: int) -> FloatArray | None:
    return None if a is None else a[j:]


@dataclass(slots=True)
class _Open:
    """The segment being built."""

    first_sample: int
    t_first_s: float
    jump_s: float
    t0_s: int
    next_sec: int = 0
    n_samples: int = 0
    t_last_s: float = float("nan")


class EpochBuilder:
    """Feed samples in time order with :meth:`add`; :meth:`finish` returns the
    segments. The state between chunks is the open segment's finished seconds and the
    samples of its last, possibly incomplete, second."""

    def __init__(
        self,
        jumps: TimeJumpParams | None = None,
        on_epochs: Callable[[int, Epochs], None] | None = None,
        on_samples: Callable[[int, FloatArray, FloatArray | None], None] | None = None,
    ) -> None:
        """``on_epochs(segment, ep)`` is told every run of finished seconds as they
        are made (segments numbered from 0); ``on_samples(segment, t_s, thigh_acc_g)``
        every run of samples of a segment, after the seconds they finished."""
        self._jumps = jumps or TimeJumpParams()
        self._on_epochs = on_epochs
        self._on_samples = on_samples
        self._done: list[EpochSegment] = []
        self._open: _Open | None = None
        self._parts: list[Epochs] = []
        self._trunk_std: list[FloatArray] = []
        self._carry: tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None]
        self._carry = (np.zeros(0), None, None, None)
        self._seen = 0
        self._layout: tuple[bool, bool, bool] | None = None

    def add(
        self,
        t_s: FloatArray,
        thigh_acc_g: FloatArray | None,
        trunk_acc_g: FloatArray | None = None,
        cadence_rpm: FloatArray | None = None,
    ) -> None:
        """The next samples (times increasing inside a segment; every chunk has the
        same sensors)."""
        n = int(t_s.shape[0])
        if n == 0:
            return
        layout = (thigh_acc_g is not None, trunk_acc_g is not None, cadence_rpm is not None)
        if self._layout is None:
            self._layout = layout
        elif layout != self._layout:
            raise ValueError("every chunk must carry the same sensors")
        starts = jump_indices(t_s, self._jumps).tolist()
        if self._open is not None:
            step = float(t_s[0]) - self._open.t_last_s
            if step < 0 or step > self._jumps.max_time_jump_s:
                starts = [0, *starts]
        bounds = [0, *(s for s in starts if s > 0), n]
        for a, b in itertools.pairwise(bounds):
            if a in starts or self._open is None:
                self._start(float(t_s[a]), self._seen + a)
            thigh = None if thigh_acc_g is None else thigh_acc_g[a:b]
            self._feed(
                t_s[a:b],
                thigh,
                None if trunk_acc_g is None else trunk_acc_g[a:b],
                None if cadence_rpm is None else cadence_rpm[a:b],
            )
            if self._on_samples is not None:
                self._on_samples(len(self._done), t_s[a:b], thigh)
        self._seen += n

    def finish(self) -> list[EpochSegment]:
        """All segments (the builder is empty afterwards)."""
        self._close()
        done, self._done = self._done, []
        return done

    def _start(self, t_first_s: float, first_sample: int) -> None:
        jump = 0.0
        if self._open is not None:
            jump = t_first_s - self._open.t_last_s
            self._close()
        self._open = _Open(first_sample, t_first_s, jump, int(np.floor(t_first_s)))

    def _feed(
        self,
        t_s: FloatArray,
        thigh: FloatArray | None,
        trunk: FloatArray | None,
        cadence: FloatArray | None,
    ) -> None:
        o = self._open
        assert o is not None
        o.n_samples += int(t_s.shape[0])
        o.t_last_s = float(t_s[-1])
        ct, cth, ctr, ccad = self._carry
        if ct.shape[0]:
            # the carried second ends within this chunk: it is emitted from the carry
            # and the chunk's first samples, and the rest of the chunk is not copied
            end = int(np.floor(ct[-1])) - o.t0_s + 1
            j = int(np.searchsorted(t_s, o.t0_s + end, side="left"))
            if j < t_s.shape[0]:
                rows = (t_s[:j], _head(thigh, j), _head(trunk, j), _head(cadence, j))
                head = _cat_all((ct, cth, ctr, ccad), rows)
                self._emit(head, int(head[0].shape[0]), end)
                t_s, thigh, trunk, cadence = (
                    t_s[j:],
                    _tail(thigh, j),
                    _tail(trunk, j),
                    _tail(cadence, j),
                )
                ct, cth, ctr, ccad = t_s[:0], None, None, None
        if ct.shape[0]:
            buf = _cat_all((ct, cth, ctr, ccad), (t_s, thigh, trunk, cadence))
        else:
            buf = (t_s, thigh, trunk, cadence)
        t = buf[0]
        last_sec = int(np.floor(t[-1])) - o.t0_s  # may still be incomplete
        k = int(np.searchsorted(t, o.t0_s + last_sec, side="left"))
        self._emit(buf, k, last_sec)
        self._carry = (
            buf[0][k:],
            None if buf[1] is None else buf[1][k:],
            None if buf[2] is None else buf[2][k:],
            None if buf[3] is None else buf[3][k:],
        )

    def _emit(
        self,
        buf: tuple[FloatArray, FloatArray | None, FloatArray | None, FloatArray | None],
        k: int,
        until_sec: int,
    ) -> None:
        """Epochs of seconds ``next_sec .. until_sec - 1`` from the first ``k`` samples."""
        o = self._open
        assert o is not None
        n_sec = until_sec - o.next_sec
        if n_sec <= 0:
            return
        t, thigh, trunk, cadence = buf
        ep, trunk_std = epochs_of(
            t[:k],
            None if thigh is None else thigh[:k],
            None if trunk is None else trunk[:k],
            None if cadence is None else cadence[:k],
            o.t0_s + o.next_sec,
            n_sec,
            trunk_deviation=True,
        )
        self._parts.append(ep)
        if self._on_epochs is not None:
            self._on_epochs(len(self._done), ep)
        if trunk_std is not None:
            self._trunk_std.append(trunk_std)
        o.next_sec = until_sec

    def _close(self) -> None:
        o = self._open
        if o is None:
            return
        t = self._carry[0]
        if t.shape[0]:
            self._emit(self._carry, int(t.shape[0]), int(np.floor(t[-1])) - o.t0_s + 1)
        seg = TimeSegment(o.first_sample, o.n_samples, o.t_first_s, o.t_last_s, o.jump_s)
        ep = join_epochs(self._parts)
        std = np.concatenate(self._trunk_std) if self._trunk_std else None
        self._done.append(EpochSegment(seg, ep, std))
        self._open = None
        self._parts, self._trunk_std = [], []
        self._carry = (np.zeros(0), None, None, None)
