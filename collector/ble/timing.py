"""Sample times on the host clock from BLE notifications: pure, the time is passed in.

A notification arrives some latency after its last sample was taken (0–100 ms,
more in spikes), and the device's crystal drifts against the host's (up to
±100 ppm). Both clocks here model the time of sample ``count`` (counted from an
anchor) as ``t = offset + count / rate_hz`` and estimate ``offset`` as a lower
envelope of ``arrival of a batch's last sample − its count / rate_hz``:

* a lower candidate is followed at once (the previous estimate held latency);
* a higher one is followed by at most ``max_slew_ppm`` × the device time since
  the last update, which tracks drift but not latency spikes;
* the first batch (and the first after :meth:`reset` or a restart) anchors it.

The offset therefore settles on the minimum latency, not the mean. Emitted times
are strictly increasing across calls: when the offset drops so far that a
batch's first sample would land at or before the last emitted time, the batch
is shifted to start ``1 / rate_hz`` after it. The shift is bounded by the latency
jitter the drop removed, and later batches return to the model on their own.

A rate far from ``rate_hz`` (more than ``max_slew_ppm`` slow) makes times lag the
arrivals; for :class:`ArrivalClock` it shows as repeated ``late`` batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from analytics.records import FloatArray

SEQ_MASK: Final = 0xFFFF
SEQ_HALF: Final = 0x8000
COUNTER_MASK: Final = 0xFFFF_FFFF
COUNTER_HALF: Final = 0x8000_0000


@dataclass(slots=True)
class SequenceTracker:
    """Losses and duplicates of a uint16 packet sequence number (wraps 65535 → 0).

    A step back (or a repeat) counts as a duplicate and resynchronises on it, so a
    device that restarts its numbering is followed at once.
    """

    expected: int | None = None
    lost: int = 0
    duplicates: int = 0

    def update(self, seq: int) -> int:
        """Packets lost just before ``seq`` (0 for the first, in order or duplicate)."""
        seq &= SEQ_MASK
        expected, self.expected = self.expected, (seq + 1) & SEQ_MASK
        if expected is None:
            return 0
        jump = (seq - expected) & SEQ_MASK
        if jump >= SEQ_HALF:
            self.duplicates += 1
            return 0
        self.lost += jump
        return jump

    def reset(self) -> None:
        """Forget the expected number (after a reconnect); totals are kept."""
        self.expected = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Host times of one batch, and what happened before it.

    A gap is present when ``gap_start_t_s`` is set: from the last sample placed
    before to ``t_s[0]``. ``lost_samples`` is 0 when none (or unknown) were lost.
    """

    t_s: FloatArray  # (n,)
    gap_start_t_s: float | None = None
    gap_end_t_s: float | None = None
    lost_samples: int = 0
    restarted: bool = False
    late: bool = False

    @property
    def has_gap(self) -> bool:
        return self.gap_start_t_s is not None


@dataclass(slots=True)
class _Envelope:
    """The offset of ``t = offset + count / rate_hz`` (slew-limited lower envelope)
    and the strictly increasing times emitted from it."""

    rate_hz: float
    max_slew_ppm: float
    offset_s: float = 0.0
    anchored: bool = False
    updated_count: int = 0  # count of the last sample at the last update
    last_t_s: float | None = None
    gap_pending: bool = False

    def predict(self, count: int) -> float:
        return self.offset_s + count / self.rate_hz

    def anchor(self, arrival_t_s: float, last_count: int) -> None:
        self.offset_s = arrival_t_s - last_count / self.rate_hz
        self.updated_count = last_count
        self.anchored = True

    def follow(self, arrival_t_s: float, last_count: int) -> None:
        # down at once, up by at most the slew limit over the device time elapsed
        candidate = arrival_t_s - last_count / self.rate_hz
        elapsed_s = (last_count - self.updated_count) / self.rate_hz
        self.offset_s = min(candidate, self.offset_s + self.max_slew_ppm * 1e-6 * elapsed_s)
        self.updated_count = last_count

    def reset(self) -> None:
        self.anchored = False
        self.gap_pending = self.last_t_s is not None

    def emit(
        self, first_count: int, n: int, lost: int = 0, restarted: bool = False, late: bool = False
    ) -> Placement:
        steps = np.arange(n, dtype=np.float64)
        t = self.offset_s + (first_count + steps) / self.rate_hz
        last = self.last_t_s
        if last is not None and t[0] <= last:  # offset dropped by more than a batch
            t = last + (steps + 1.0) / self.rate_hz
        self.last_t_s = float(t[-1])
        if last is None or not (lost or restarted or late or self.gap_pending):
            return Placement(t)
        self.gap_pending = False
        return Placement(t, last, float(t[0]), lost, restarted, late)


def _check(rate_hz: float, max_slew_ppm: float) -> None:
    if not (math.isfinite(rate_hz) and rate_hz > 0.0):
        raise ValueError(f"rate {rate_hz} Hz is not a positive number")
    if not (math.isfinite(max_slew_ppm) and max_slew_ppm >= 0.0):
        raise ValueError(f"slew limit {max_slew_ppm} ppm is not a non-negative number")


def _check_batch(n: int, arrival_t_s: float) -> None:
    if n < 1:
        raise ValueError(f"a batch of {n} samples: need at least one")
    if not math.isfinite(arrival_t_s):
        raise ValueError(f"arrival time {arrival_t_s} is not finite")


@dataclass(slots=True)
class _SampleClock:
    """What both clocks share: the rate, the slew limit and the offset envelope."""

    rate_hz: float
    max_slew_ppm: float = 200.0
    _env: _Envelope = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check(self.rate_hz, self.max_slew_ppm)
        self._env = _Envelope(float(self.rate_hz), float(self.max_slew_ppm))

    @property
    def last_t_s(self) -> float | None:
        """Time of the last sample placed (kept across :meth:`reset`)."""
        return self._env.last_t_s

    def reset(self) -> None:
        """After a reconnect: re-anchor on the next batch and report the gap since
        the last sample on it (the caller labels it disconnected)."""
        self._env.reset()


@dataclass(slots=True)
class CounterClock(_SampleClock):
    """Times for a device that sends a uint32 sample counter with each batch.

    A forward counter jump (< 2^31 and ≤ ``max_jump_s`` of samples) is a loss: its
    size goes to ``lost_samples`` with a gap. A step back or a larger jump is a
    device restart: the offset re-anchors on this batch, ``restarted`` is set and a
    gap is reported. A uint32 wrap is neither.
    """

    max_jump_s: float = 3600.0
    _next_counter: int | None = field(default=None, init=False, repr=False)
    _next_count: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        _SampleClock.__post_init__(self)
        if not self.max_jump_s > 0.0:
            raise ValueError(f"max_jump_s {self.max_jump_s} is not positive")

    def place(self, first_sample: int, n: int, arrival_t_s: float) -> Placement:
        """Times of samples ``first_sample .. first_sample + n - 1`` of a batch that
        arrived at ``arrival_t_s`` (host clock, seconds)."""
        _check_batch(n, arrival_t_s)
        first_sample &= COUNTER_MASK
        env = self._env
        lost = 0
        restarted = False
        first_count = 0
        if self._next_counter is not None:
            jump = (first_sample - self._next_counter) & COUNTER_MASK
            if jump >= COUNTER_HALF or jump > self.max_jump_s * self.rate_hz:
                restarted = True
            else:
                lost = jump
                first_count = self._next_count + jump
        last_count = first_count + n - 1
        if restarted or not env.anchored:
            env.anchor(arrival_t_s, last_count)
        else:
            env.follow(arrival_t_s, last_count)
        self._next_counter = (first_sample + n) & COUNTER_MASK
        self._next_count = last_count + 1
        return env.emit(first_count, n, lost, restarted)


@dataclass(slots=True)
class ArrivalClock(_SampleClock):
    """Times for a device without a sample counter (WitMotion), from the number of
    samples since the anchor.

    A batch whose last sample arrives more than ``late_after_s`` after its
    predicted time means samples were lost (or the stream paused): the offset
    re-anchors so the batch ends at its arrival, ``late`` is set, a gap is reported
    and ``lost_samples`` estimates the loss as ``round(excess × rate_hz)``.
    """

    late_after_s: float = 0.5
    _count: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        _SampleClock.__post_init__(self)
        if not self.late_after_s > 0.0:
            raise ValueError(f"late_after_s {self.late_after_s} is not positive")

    def place(self, n: int, arrival_t_s: float) -> Placement:
        """Times of the ``n`` samples of a batch that arrived at ``arrival_t_s``."""
        _check_batch(n, arrival_t_s)
        env = self._env
        first_count = self._count
        last_count = first_count + n - 1
        lost = 0
        late = False
        if not env.anchored:
            env.anchor(arrival_t_s, last_count)
        else:
            excess_s = arrival_t_s - env.predict(last_count)
            if excess_s > self.late_after_s:
                late = True
                lost = round(excess_s * self.rate_hz)
                env.anchor(arrival_t_s, last_count)
            else:
                env.follow(arrival_t_s, last_count)
        self._count = last_count + 1
        return env.emit(first_count, n, lost, late=late)
