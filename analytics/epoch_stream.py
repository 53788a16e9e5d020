"""Per-second epochs built chunk by chunk, so that a long recording never has to be
in memory as samples (everything after the per-second aggregation works on epochs,
about a hundred times smaller than 50 Hz samples).

Feeding a recording in any chunking gives exactly the epochs of the one-shot
:func:`analytics.epochs.epochs_from_recording` (a second that straddles two chunks
waits until it is complete), split into segments at time jumps
(:mod:`analytics.segments`). The trunk's per-second deviation, which the off-body
test needs and the one-shot path fetches from the samples afterwards, is computed in
the same pass for every second; the thigh's rhythm features (they look at seconds
around each one) from its 25 Hz grid, built as the samples come and transformed when
the segment ends (300 bytes a second).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np

from analytics.epochs import epochs_of
from analytics.params import PostureParams
from analytics.records import BoolArray, Epochs, FloatArray
from analytics.rhythm import RESAMPLE_HZ, Float32Array, resampled, rhythm_from_grid
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


def _grid_t(t0_s: int, g: int) -> float:
    """The time of rhythm grid point ``g`` (as :func:`analytics.rhythm.resampled`)."""
    return float(t0_s + (np.float64(g) + 0.5) / RESAMPLE_HZ)


def _cat(a: FloatArray | None, b: FloatArray | None) -> FloatArray | None:
    if a is None or b is None:
        return b
    return np.concatenate((a, b))


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
    # the thigh on the rhythm grid (analytics.rhythm): points computed so far, the
    # last finite sample (the left end of the next interpolation), finite samples seen
    grid: list[Float32Array] = field(default_factory=list)
    grid_next: int = 0
    last_ok: tuple[FloatArray, FloatArray] | None = None
    n_ok: int = 0


class EpochBuilder:
    """Feed samples in time order with :meth:`add`; :meth:`finish` returns the
    segments. The state between chunks is the open segment's finished seconds and the
    samples of its last, possibly incomplete, second."""

    def __init__(
        self, jumps: TimeJumpParams | None = None, params: PostureParams | None = None
    ) -> None:
        self._jumps = jumps or TimeJumpParams()
        self._params = params or PostureParams()
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
            self._feed(
                t_s[a:b],
                None if thigh_acc_g is None else thigh_acc_g[a:b],
                None if trunk_acc_g is None else trunk_acc_g[a:b],
                None if cadence_rpm is None else cadence_rpm[a:b],
            )
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
        if thigh is not None:
            self._grid_feed(o, t_s, thigh)
        ct, cth, ctr, ccad = self._carry
        t = _cat(ct, t_s)
        assert t is not None
        buf = (t, _cat(cth, thigh), _cat(ctr, trunk), _cat(ccad, cadence))
        last_sec = int(np.floor(t[-1])) - o.t0_s  # may still be incomplete
        k = int(np.searchsorted(t, o.t0_s + last_sec, side="left"))
        self._emit(buf, k, last_sec)
        self._carry = (
            buf[0][k:],
            None if buf[1] is None else buf[1][k:],
            None if buf[2] is None else buf[2][k:],
            None if buf[3] is None else buf[3][k:],
        )

    @staticmethod
    def _grid_feed(o: _Open, t_s: FloatArray, thigh: FloatArray) -> None:
        """Grid points up to the last finite sample: each depends only on the finite
        samples around it, so it is the one-shot value."""
        ok = np.isfinite(thigh).all(axis=1)
        if not ok.any():
            return
        t, acc = t_s[ok], thigh[ok]
        o.n_ok += int(t.shape[0])
        if o.last_ok is not None:
            t = np.concatenate((o.last_ok[0], t))
            acc = np.concatenate((o.last_ok[1], acc))
        t_end = float(t[-1])
        g = max(o.grid_next, int(np.floor((t_end - o.t0_s) * RESAMPLE_HZ - 0.5)) + 1)
        while g > o.grid_next and _grid_t(o.t0_s, g - 1) > t_end:
            g -= 1
        while _grid_t(o.t0_s, g) <= t_end:
            g += 1
        if g > o.grid_next:
            o.grid.append(resampled(t, acc, o.t0_s, o.grid_next, g - o.grid_next))
            o.grid_next = g
        o.last_ok = (t[-1:], acc[-1:])

    def _rhythm(self, o: _Open, ep: Epochs) -> Epochs:
        """The rhythm features of the closed segment, as the one-shot epochs have them."""
        if self._layout is None or not self._layout[0]:
            return ep
        p = self._params
        if o.n_ok < 2 or o.last_ok is None:
            nan = np.full(ep.n, np.nan)
            return replace(ep, thigh_pedal_share=nan, thigh_stride_ratio=nan.copy())
        total = ep.n * int(RESAMPLE_HZ)
        if total > o.grid_next:  # beyond the last finite sample: its value
            t, acc = o.last_ok
            o.grid.append(resampled(t, acc, o.t0_s, o.grid_next, total - o.grid_next))
        vec = np.concatenate(o.grid) if len(o.grid) > 1 else o.grid[0]
        o.grid = []
        share, stride = rhythm_from_grid(
            vec[:total], ep.count, p.rhythm_window_s, p.gait_min_step_hz
        )
        return replace(ep, thigh_pedal_share=share, thigh_stride_ratio=stride)

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
        ep = self._rhythm(o, join_epochs(self._parts))
        std = np.concatenate(self._trunk_std) if self._trunk_std else None
        self._done.append(EpochSegment(seg, ep, std))
        self._open = None
        self._parts, self._trunk_std = [], []
        self._carry = (np.zeros(0), None, None, None)
